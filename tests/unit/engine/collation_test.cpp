// Collation as the MongoDB manual documents it ("Collation"): strength levels, caseLevel,
// numericOrdering, the simple collation, and its use by comparisons, Matcher, SortOrder and
// the $match/$sort stages.
#include "engine/collation.h"

#include <gtest/gtest.h>

#include "engine/error.h"
#include "engine/matcher.h"
#include "engine/pipeline.h"
#include "engine/sort.h"
#include "engine_test_util.h"

namespace tmd {
namespace {

std::shared_ptr<const Collator> collator(const char* spec) {
    return Collator::from_spec(Document::from_json(spec));
}

int collation_error(const char* spec) {
    return error_code_of([&] { collator(spec); });
}

TEST(Collation, SimpleLocaleIsBinaryComparison) {
    EXPECT_EQ(collator(R"({"locale": "simple"})"), nullptr);
}

TEST(Collation, StrengthOneIgnoresCaseAndDiacritics) {
    auto primary = collator(R"({"locale": "en_US", "strength": 1})");
    EXPECT_EQ(primary->compare("cafe", "Café"), 0);
    auto secondary = collator(R"({"locale": "en_US", "strength": 2})");
    EXPECT_EQ(secondary->compare("ping", "PING"), 0);
    EXPECT_NE(secondary->compare("cafe", "café"), 0);
    auto tertiary = collator(R"({"locale": "en_US"})");
    EXPECT_NE(tertiary->compare("ping", "PING"), 0);
}

TEST(Collation, CaseLevelDistinguishesCaseAtStrengthOne) {
    auto with_case = collator(R"({"locale": "en_US", "strength": 1, "caseLevel": true})");
    EXPECT_NE(with_case->compare("ping", "PING"), 0);
    EXPECT_EQ(with_case->compare("cafe", "café"), 0);
}

TEST(Collation, NumericOrderingComparesDigitsAsNumbers) {
    auto numeric = collator(R"({"locale": "en_US", "numericOrdering": true})");
    EXPECT_LT(numeric->compare("2", "10"), 0);
    auto text = collator(R"({"locale": "en_US"})");
    EXPECT_GT(text->compare("2", "10"), 0);
}

TEST(Collation, RejectsBadSpecifications) {
    EXPECT_EQ(collation_error(R"({"strength": 1})"), 40414);
    EXPECT_EQ(collation_error(R"({"locale": "en_US", "strength": 6})"), code::BadValue);
    EXPECT_EQ(collation_error(R"({"locale": "xx_nonsense"})"), code::BadValue);
    EXPECT_EQ(collation_error(R"({"locale": "en_US", "colour": 1})"), 40415);
}

TEST(Collation, ComparesStringsInsideDocumentsAndArrays) {
    auto secondary = collator(R"({"locale": "en_US", "strength": 2})");
    Document a = Document::from_json(R"({"x": ["PING", {"y": "Pong"}]})");
    Document b = Document::from_json(R"({"x": ["ping", {"y": "pong"}]})");
    EXPECT_EQ(compare_documents(a, b, secondary.get()), 0);
    EXPECT_NE(compare_documents(a, b), 0);
}

TEST(Collation, MatcherUsesTheCollation) {
    Matcher matcher(Document::from_json(R"({"x": "PING", "y": {"$in": ["A"]}})"), nullptr,
                    collator(R"({"locale": "en_US", "strength": 2})"));
    EXPECT_TRUE(matcher.matches(Document::from_json(R"({"x": "ping", "y": "a"})")));
    EXPECT_FALSE(matcher.matches(Document::from_json(R"({"x": "pong", "y": "a"})")));
}

TEST(Collation, SortOrderUsesTheCollation) {
    SortOrder order(Document::from_json(R"({"x": 1})"),
                    collator(R"({"locale": "en_US", "numericOrdering": true})"));
    EXPECT_LT(
        order.compare(Document::from_json(R"({"x": "2"})"), Document::from_json(R"({"x": "10"})")),
        0);
}

TEST(Collation, PipelineMatchAndSortUseTheCollation) {
    Array stages{Value::document(Document::from_json(R"({"$match": {"x": "PING"}})"))};
    Pipeline pipeline(stages, {}, nullptr, collator(R"({"locale": "en_US", "strength": 2})"));
    auto out = pipeline.run(
        {Document::from_json(R"({"x": "ping"})"), Document::from_json(R"({"x": "pong"})")});
    ASSERT_EQ(out.size(), 1u);
}

}  // namespace
}  // namespace tmd
