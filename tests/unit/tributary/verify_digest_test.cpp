// The verification digest: independent of document order, sensitive to any byte (field order,
// numeric type) and to duplicates.
#include <gtest/gtest.h>

#include "bson/document.h"
#include "verify/verify.h"

namespace tributary::verify {
namespace {

Digest digest_of(std::initializer_list<const char*> documents) {
    Digest digest;
    for (const char* json : documents)
        digest.add(bson::Document::from_json(json).view());
    return digest;
}

TEST(Digest, IgnoresDocumentOrder) {
    EXPECT_EQ(digest_of({R"({"_id": 1})", R"({"_id": 2})"}),
              digest_of({R"({"_id": 2})", R"({"_id": 1})"}));
}

TEST(Digest, SeesFieldOrderAndNumericType) {
    EXPECT_NE(digest_of({R"({"_id": 1, "a": 1, "b": 2})"}),
              digest_of({R"({"_id": 1, "b": 2, "a": 1})"}));
    EXPECT_NE(digest_of({R"({"_id": 1, "a": {"$numberInt": "1"}})"}),
              digest_of({R"({"_id": 1, "a": {"$numberLong": "1"}})"}));
}

TEST(Digest, CountsDuplicates) {
    EXPECT_NE(digest_of({R"({"_id": 1})"}), digest_of({R"({"_id": 1})", R"({"_id": 1})"}));
}

TEST(Report, TableEndsWithTheVerdict) {
    Report report;
    report.collections.push_back({"shop.orders", false, 3, 3, true, true, true});
    EXPECT_NE(report.table().find("RESULT: destination equals source"), std::string::npos);
    report.collections.push_back({"shop.users", true, 2, 0, false, true, true});
    EXPECT_FALSE(report.equal());
    EXPECT_NE(report.table().find("missing"), std::string::npos);
}

}  // namespace
}  // namespace tributary::verify
