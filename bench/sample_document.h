// The ~1 KB user-like document the throughput benchmarks insert, and the per-document work a
// reader does with it; shared so every benchmark and its baseline handle the same bytes.
#pragma once

#include <bson/bson.h>
#include <mongoc/mongoc.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "bench_util.h"

namespace bench {

// A dozen fields of the common types (ints, double, date, bool, subdocument, array) plus a text
// body, with _id = i.
inline void append_sample_document(bson_t* doc, int i) {
    static const std::string body(760, 'x');
    char email[64];
    std::snprintf(email, sizeof email, "user%d@example.com", i);
    BSON_APPEND_INT32(doc, "_id", i);
    BSON_APPEND_UTF8(doc, "email", email);
    BSON_APPEND_UTF8(doc, "name", "Some User Name");
    BSON_APPEND_INT32(doc, "age", 18 + i % 60);
    BSON_APPEND_DOUBLE(doc, "score", i * 0.5);
    BSON_APPEND_DATE_TIME(doc, "created", 1700000000000LL + i * 1000LL);
    BSON_APPEND_BOOL(doc, "active", i % 2 == 0);
    bson_t address;
    BSON_APPEND_DOCUMENT_BEGIN(doc, "address", &address);
    BSON_APPEND_UTF8(&address, "street", "1 Long Street Name");
    BSON_APPEND_UTF8(&address, "city", "Springfield");
    BSON_APPEND_INT32(&address, "zip", 10000 + i % 89999);
    bson_append_document_end(doc, &address);
    bson_t tags;
    BSON_APPEND_ARRAY_BEGIN(doc, "tags", &tags);
    BSON_APPEND_UTF8(&tags, "0", "alpha");
    BSON_APPEND_UTF8(&tags, "1", "beta");
    BSON_APPEND_UTF8(&tags, "2", "gamma");
    bson_append_array_end(doc, &tags);
    BSON_APPEND_UTF8(doc, "body", body.c_str());
}

// What a reader does with each document: walks every top-level field. Returns a value that
// depends on all of them so the work cannot be optimised away; -1 for corrupt BSON.
inline int64_t consume_sample_document(const bson_t* doc) {
    bson_iter_t iter;
    int64_t sum = 0;
    if (!bson_iter_init(&iter, doc)) return -1;
    while (bson_iter_next(&iter))
        sum += bson_iter_type(&iter) + bson_iter_key_len(&iter);
    return sum;
}

// Inserts sample documents [first, first + count) into db.docs in unordered batches.
inline void insert_sample_documents(mongoc_client_t* client, const std::string& db, int first,
                                    int count, int batch) {
    mongoc_collection_t* coll = mongoc_client_get_collection(client, db.c_str(), "docs");
    auto** docs = static_cast<bson_t**>(bson_malloc(sizeof(bson_t*) * batch));
    bson_t* opts = BCON_NEW("ordered", BCON_BOOL(false));
    for (int start = first; start < first + count; start += batch) {
        int n = std::min(batch, first + count - start);
        for (int i = 0; i < n; ++i) {
            docs[i] = bson_new();
            append_sample_document(docs[i], start + i);
        }
        insert_and_destroy(coll, docs, n, opts, "seeding insert_many");
    }
    bson_destroy(opts);
    bson_free(docs);
    mongoc_collection_destroy(coll);
}

}  // namespace bench
