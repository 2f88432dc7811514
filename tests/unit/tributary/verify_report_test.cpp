// verify's first differing field path and its report table.
#include <gtest/gtest.h>

#include "bson/document.h"
#include "verify/verify.h"

namespace tributary::verify {
namespace {

std::string difference(const char* a, const char* b) {
    return first_difference(bson::Document::from_json(a).view(),
                            bson::Document::from_json(b).view());
}

TEST(FirstDifference, EqualDocumentsHaveNone) {
    EXPECT_EQ(difference(R"({"_id": 1, "a": {"b": [1, 2]}})", R"({"_id": 1, "a": {"b": [1, 2]}})"),
              "");
}

TEST(FirstDifference, NamesTheNestedPath) {
    EXPECT_EQ(difference(R"({"_id": 1, "a": {"b": [1, 2]}})", R"({"_id": 1, "a": {"b": [1, 3]}})"),
              "a.b.1");
}

TEST(FirstDifference, SeesFieldOrderNumericTypeAndExtraFields) {
    EXPECT_EQ(difference(R"({"_id": 1, "a": 1, "b": 2})", R"({"_id": 1, "b": 2, "a": 1})"), "a");
    EXPECT_EQ(difference(R"({"_id": 1, "a": {"$numberInt": "1"}})",
                         R"({"_id": 1, "a": {"$numberLong": "1"}})"),
              "a");
    EXPECT_EQ(difference(R"({"_id": 1})", R"({"_id": 1, "extra": true})"), "extra");
    EXPECT_EQ(difference(R"({"_id": 1, "gone": true})", R"({"_id": 1})"), "gone");
}

TEST(Report, TableEndsWithTheVerdictAndListsDifferences) {
    Report report;
    report.collections.push_back({"shop.orders", 3, 3, 0});
    EXPECT_NE(report.table().find("RESULT: destination equals source"), std::string::npos);
    report.collections.push_back({"shop.users", 2, 1, 1});
    report.differences.push_back(
        {"shop.users", "missing-document", bson::Document::from_json(R"({"_id": 7})"), ""});
    report.total_differences = 1;
    EXPECT_FALSE(report.equal());
    EXPECT_NE(report.table().find("missing-document  { \"_id\" : 7 }"), std::string::npos)
        << report.table();
    EXPECT_NE(report.json().find(R"("kind" : "missing-document", "_id" : 7)"), std::string::npos)
        << report.json();
}

}  // namespace
}  // namespace tributary::verify
