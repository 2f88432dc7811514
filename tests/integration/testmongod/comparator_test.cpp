// The independent comparator of tests/support judges every end-to-end sync test, so it must see
// each kind of difference: documents missing, extra or different (by type too), indexes,
// options, the collection set in both directions, and a capped collection's natural order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/comparator.h"
#include "support/mongo_client.h"
#include "support/server_process.h"

namespace {

using testing::HasSubstr;

class ComparatorTest : public testing::Test {
  protected:
    void SetUp() override {
        source_server_ = testsupport::source_uri_or_start({"--version-profile", "4.4"});
        dest_server_ = testsupport::dest_uri_or_start({"--version-profile", "7.0"});
        source_ = std::make_unique<testsupport::Client>(source_server_.uri);
        dest_ = std::make_unique<testsupport::Client>(dest_server_.uri);
        db_ = testsupport::unique_name("comparator");
    }
    void TearDown() override {
        source_->run_command(db_, R"({"dropDatabase": 1})");
        dest_->run_command(db_, R"({"dropDatabase": 1})");
    }

    void on_both(const std::string& command) {
        on(*source_, command);
        on(*dest_, command);
    }
    void on(testsupport::Client& client, const std::string& command) {
        auto result = client.run_command(db_, command);
        ASSERT_TRUE(result.ok) << command << ": " << result.error;
    }
    std::vector<std::string> compare(const testsupport::CompareOptions& options = {}) {
        return testsupport::compare_databases(*source_, *dest_, {db_}, options);
    }
    static std::string joined(const std::vector<std::string>& lines) {
        std::string text;
        for (const auto& line : lines)
            text += line + "\n";
        return text;
    }

    testsupport::TestServer source_server_;
    testsupport::TestServer dest_server_;
    std::unique_ptr<testsupport::Client> source_;
    std::unique_ptr<testsupport::Client> dest_;
    std::string db_;
};

TEST_F(ComparatorTest, EqualDatabasesHaveNoDifferences) {
    on_both(R"({"insert": "c", "documents": [{"_id": 1, "a": {"b": [1, 2]}}, {"_id": "x"}]})");
    on_both(R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
    on_both(R"({"create": "v", "viewOn": "c", "pipeline": []})");
    EXPECT_TRUE(compare().empty()) << joined(compare());
}

TEST_F(ComparatorTest, DocumentsMissingExtraOrDifferentAreEachReported) {
    on(*source_, R"({"insert": "c", "documents": [{"_id": 1, "n": 1}, {"_id": 2}]})");
    on(*dest_, R"({"insert": "c", "documents": [{"_id": 1, "n": 1.0}, {"_id": 3}]})");
    std::string report = joined(compare());
    EXPECT_THAT(report, HasSubstr("differs"));  // int 1 vs double 1.0: same value, other bytes
    EXPECT_THAT(report, HasSubstr("missing on the destination"));
    EXPECT_THAT(report, HasSubstr("only on the destination"));
}

// A read that fails (here QueryPlanKilled, as when a collection is renamed while it is read)
// proves nothing either way: it is a difference to poll past, not an exception that ends a test.
TEST_F(ComparatorTest, ACollectionThatCannotBeReadIsADifferenceNotAnError) {
    SKIP_UNLESS_OWN_SERVERS("arms a server-wide failpoint");
    on_both(R"({"insert": "c", "documents": [{"_id": 1}]})");
    auto armed = dest_->run_command("admin", R"({"configureFailPoint": "failCommand",
        "mode": {"times": 1}, "data": {"failCommands": ["find"], "errorCode": 175}})");
    ASSERT_TRUE(armed.ok) << armed.error;
    std::vector<std::string> lines;
    EXPECT_NO_THROW(lines = compare());
    EXPECT_THAT(joined(lines), HasSubstr("could not be compared"));
    EXPECT_TRUE(compare().empty()) << joined(compare());
}

TEST_F(ComparatorTest, FieldOrderIsADifference) {
    on(*source_, R"({"insert": "c", "documents": [{"_id": 1, "a": 1, "b": 2}]})");
    on(*dest_, R"({"insert": "c", "documents": [{"_id": 1, "b": 2, "a": 1}]})");
    EXPECT_THAT(joined(compare()), HasSubstr("differs"));
}

TEST_F(ComparatorTest, CollectionSetIsComparedInBothDirections) {
    on(*source_, R"({"create": "only_source"})");
    on(*dest_, R"({"create": "only_dest"})");
    std::string report = joined(compare());
    EXPECT_THAT(report, HasSubstr(".only_source: collection missing on the destination"));
    EXPECT_THAT(report, HasSubstr(".only_dest: collection only on the destination"));
}

TEST_F(ComparatorTest, IndexesAndOptionsAreCompared) {
    on_both(R"({"create": "c", "validator": {"a": {"$exists": true}}})");
    on(*source_, R"({"collMod": "c", "validator": {"b": {"$exists": true}}})");
    on(*source_, R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1",
                                                         "unique": true}]})");
    on(*dest_, R"({"createIndexes": "c", "indexes": [{"key": {"a": 1}, "name": "a_1"}]})");
    on(*dest_, R"({"createIndexes": "c", "indexes": [{"key": {"z": 1}, "name": "z_1"}]})");
    std::string report = joined(compare());
    EXPECT_THAT(report, HasSubstr("options differ"));
    EXPECT_THAT(report, HasSubstr("index 'a_1' differs"));
    EXPECT_THAT(report, HasSubstr("index 'z_1' only on the destination"));
}

TEST_F(ComparatorTest, IgnoredIndexFieldsAreLeftOut) {
    on(*source_, R"({"createIndexes": "c", "indexes": [{"key": {"t": 1}, "name": "t_1",
                                                         "expireAfterSeconds": 60}]})");
    on(*dest_, R"({"createIndexes": "c", "indexes": [{"key": {"t": 1}, "name": "t_1"}]})");
    EXPECT_FALSE(compare().empty());
    testsupport::CompareOptions options;
    options.ignored_index_fields = {"expireAfterSeconds"};
    EXPECT_TRUE(compare(options).empty()) << joined(compare(options));
}

TEST_F(ComparatorTest, CappedCollectionsMustKeepTheirNaturalOrder) {
    on_both(R"({"create": "log", "capped": true, "size": 65536})");
    on(*source_, R"({"insert": "log", "documents": [{"_id": 1}, {"_id": 2}]})");
    on(*dest_, R"({"insert": "log", "documents": [{"_id": 2}, {"_id": 1}]})");
    EXPECT_THAT(joined(compare()), HasSubstr("natural order differs"));
}

}  // namespace
