// `tributary verify --json` names each kind of difference: the exact _ids of missing, extra and
// changed documents (with the first differing field), collections only on the destination, and
// index and collection option differences; equal data reports nothing (exit 0, else 6).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "copy_servers_fixture.h"
#include "support/mongo_client.h"
#include "tributary_process.h"
#include "verify_output.h"

namespace {

using tributary_test::TributaryProcess;

class VerifyDifferencesTest : public tributary_test::CopyServersTest {
  protected:
    VerifyDifferencesTest() : CopyServersTest("verifydiff") {}

    void SetUp() override {
        std::string documents;
        for (int id = 1; id <= 40; ++id) {
            documents += std::string(id > 1 ? "," : "") + R"({"_id": )" + std::to_string(id) +
                         R"(, "name": "user )" + std::to_string(id) + R"(", "age": 30})";
        }
        both(R"({"insert": "users", "documents": [)" + documents + "]}");
    }

    void both(const std::string& command) {
        run(source_client_, command);
        run(dest_client_, command);
    }
    void run(testsupport::Client& client, const std::string& command) {
        auto result = client.run_command(db_, command);
        ASSERT_TRUE(result.ok) << command << ": " << result.error;
    }

    // Runs verify (small ranges, so the data spans several; no settling, no sync runs) and
    // returns its exit code; the differences of its --json output go to `differences`.
    int verify(std::vector<std::string>* differences, std::string* output = nullptr) {
        std::string text;
        int code = TributaryProcess::run(
            {"verify", "--source", source_.uri, "--destination", dest_.uri, "--db", db_,
             "--range-docs", "10", "--json", "--settle-timeout", "0"},
            &text);
        if (output) *output = text;
        *differences = tributary_test::verify_differences(text, db_);
        return code;
    }

    void expect_only(const std::vector<std::string>& wanted) {
        std::vector<std::string> differences;
        std::string output;
        EXPECT_EQ(verify(&differences, &output), wanted.empty() ? 0 : 6) << output;
        EXPECT_EQ(differences, wanted) << output;
    }
};

TEST_F(VerifyDifferencesTest, EqualDataReportsNothing) {
    expect_only({});
}

TEST_F(VerifyDifferencesTest, MissingDocument) {
    run(dest_client_, R"({"delete": "users", "deletes": [{"q": {"_id": 25}, "limit": 1}]})");
    expect_only({"missing-document users 25 -"});
}

TEST_F(VerifyDifferencesTest, ExtraDocument) {
    run(dest_client_, R"({"insert": "users", "documents": [{"_id": 17.5}, {"_id": "text"}]})");
    std::vector<std::string> differences;
    EXPECT_EQ(verify(&differences), 6);
    EXPECT_EQ(differences.size(), 2u);
    EXPECT_EQ(differences.at(0).rfind("extra-document users", 0), 0u);
}

TEST_F(VerifyDifferencesTest, ChangedDocument) {
    run(dest_client_, R"({"update": "users", "updates": [{"q": {"_id": 3},
                          "u": {"$set": {"age": 31}}}]})");
    expect_only({"changed-document users 3 age"});
}

TEST_F(VerifyDifferencesTest, ChangedFieldOrder) {
    run(dest_client_, R"({"update": "users", "updates": [{"q": {"_id": 38},
                          "u": {"_id": 38, "age": 30, "name": "user 38"}}]})");
    expect_only({"changed-document users 38 name"});
}

TEST_F(VerifyDifferencesTest, ExtraCollection) {
    run(dest_client_, R"({"create": "stray"})");
    expect_only({"extra-collection stray - -"});
}

TEST_F(VerifyDifferencesTest, MissingIndex) {
    run(source_client_, R"({"createIndexes": "users", "indexes": [{"key": {"age": 1},
                            "name": "age_1"}]})");
    expect_only({"missing-index users - age_1"});
}

TEST_F(VerifyDifferencesTest, DifferentIndexOption) {
    run(source_client_, R"({"createIndexes": "users", "indexes": [{"key": {"age": 1},
                            "name": "age_1", "sparse": true}]})");
    run(dest_client_, R"({"createIndexes": "users", "indexes": [{"key": {"age": 1},
                          "name": "age_1"}]})");
    expect_only({"different-index users - age_1"});
}

TEST_F(VerifyDifferencesTest, DifferentCollectionOption) {
    run(source_client_, R"({"collMod": "users", "validator": {"age": {"$gte": 0}}})");
    std::vector<std::string> differences;
    std::string output;
    EXPECT_EQ(verify(&differences, &output), 6) << output;
    ASSERT_EQ(differences.size(), 1u) << output;
    EXPECT_EQ(differences[0].rfind("different-options users -", 0), 0u) << differences[0];
}

TEST_F(VerifyDifferencesTest, TableShowsTheFirstDifferingIds) {
    run(dest_client_,
        R"({"delete": "users", "deletes": [{"q": {"_id": {"$gt": 30}}, "limit": 0}]})");
    std::string output;
    int code = TributaryProcess::run({"verify", "--source", source_.uri, "--destination", dest_.uri,
                                      "--db", db_, "--range-docs", "10", "--settle-timeout", "0"},
                                     &output);
    EXPECT_EQ(code, 6) << output;
    EXPECT_NE(output.find("missing-document  { \"_id\" : 31 }"), std::string::npos) << output;
    EXPECT_NE(output.find("missing-document  { \"_id\" : 35 }"), std::string::npos) << output;
    EXPECT_EQ(output.find("{ \"_id\" : 36 }"), std::string::npos) << output;
    EXPECT_NE(output.find("and 5 more"), std::string::npos) << output;
}

}  // namespace
