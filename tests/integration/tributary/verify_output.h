// Reads the differences of `tributary verify --json` output as "kind coll _id detail" lines
// ("-" for an absent part; the namespace without its "db." prefix).
#pragma once

#include <bson/bson.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "support/mongo_client.h"

namespace tributary_test {

inline std::string describe_difference(const bson_iter_t& entry, const std::string& db) {
    bson_t sub;
    uint32_t len = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&entry, &len, &data);
    bson_init_static(&sub, data, len);
    auto text = [&](const char* key) -> std::string {
        bson_iter_t field;
        if (!bson_iter_init_find(&field, &sub, key)) return "-";
        if (BSON_ITER_HOLDS_UTF8(&field)) return bson_iter_utf8(&field, nullptr);
        if (BSON_ITER_HOLDS_INT32(&field)) return std::to_string(bson_iter_int32(&field));
        return "?";
    };
    std::string ns = text("ns");
    if (ns.rfind(db + ".", 0) == 0) ns = ns.substr(db.size() + 1);
    return text("kind") + " " + ns + " " + text("_id") + " " + text("detail");
}

inline std::vector<std::string> verify_differences(const std::string& output,
                                                   const std::string& db) {
    std::vector<std::string> differences;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("{", 0) != 0) continue;
        testsupport::Bson report = testsupport::Bson::from_json(line);
        bson_iter_t array, entry;
        EXPECT_TRUE(bson_iter_init_find(&array, report.get(), "differences")) << line;
        bson_iter_recurse(&array, &entry);
        while (bson_iter_next(&entry))
            differences.push_back(describe_difference(entry, db));
    }
    return differences;
}

}  // namespace tributary_test
