// workload: writes a sample data set and a stream of changes to a MongoDB deployment, for the
// demo and the sync benchmarks. `seed` fills collections; `churn` inserts/updates/replaces/deletes.
#include <mongoc/mongoc.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "bench_util.h"

namespace {

struct Options {
    std::string uri;
    std::string db = "shop";
    int docs = 10000;
    double seconds = 5;
    unsigned seed = 42;
};

using bench::fail;

void run(mongoc_client_t* client, const Options& options, const char* json) {
    bson_error_t error;
    bson_t* command = bson_new_from_json(reinterpret_cast<const uint8_t*>(json), -1, &error);
    if (!command) fail("parsing a command", error);
    if (!mongoc_client_command_simple(client, options.db.c_str(), command, nullptr, nullptr,
                                      &error)) {
        fail(json, error);
    }
    bson_destroy(command);
}

// A user document touching many BSON types, so the demo exercises exact round trips.
void append_user(bson_t* doc, int i) {
    char email[64];
    std::snprintf(email, sizeof email, "user%d@example.com", i);
    BSON_APPEND_INT32(doc, "_id", i);
    BSON_APPEND_UTF8(doc, "email", email);
    BSON_APPEND_UTF8(doc, "name", ("User " + std::to_string(i)).c_str());
    BSON_APPEND_INT32(doc, "age", 18 + i % 60);
    BSON_APPEND_DATE_TIME(doc, "created", 1700000000000LL + i * 1000LL);
    bson_decimal128_t balance;
    bson_decimal128_from_string(std::to_string(i % 997).append(".25").c_str(), &balance);
    BSON_APPEND_DECIMAL128(doc, "balance", &balance);
    bson_t tags;
    BSON_APPEND_ARRAY_BEGIN(doc, "tags", &tags);
    BSON_APPEND_UTF8(&tags, "0", i % 2 ? "odd" : "even");
    bson_append_array_end(doc, &tags);
}

void insert_users(mongoc_client_t* client, const Options& options, int first, int count) {
    mongoc_collection_t* users = mongoc_client_get_collection(client, options.db.c_str(), "users");
    mongoc_bulk_operation_t* bulk =
        mongoc_collection_create_bulk_operation_with_opts(users, nullptr);
    for (int i = first; i < first + count; ++i) {
        bson_t doc = BSON_INITIALIZER;
        append_user(&doc, i);
        mongoc_bulk_operation_insert(bulk, &doc);
        bson_destroy(&doc);
    }
    bson_error_t error;
    if (count > 0 && !mongoc_bulk_operation_execute(bulk, nullptr, &error)) fail("insert", error);
    mongoc_bulk_operation_destroy(bulk);
    mongoc_collection_destroy(users);
}

void seed(mongoc_client_t* client, const Options& options) {
    run(client, options, R"({"create": "users"})");
    run(client, options,
        R"({"createIndexes": "users", "indexes": [{"key": {"email": 1}, "name": "email_1", "unique": true}]})");
    run(client, options, R"({"create": "events", "capped": true, "size": 1048576})");
    for (int done = 0; done < options.docs; done += 1000) {
        insert_users(client, options, done, std::min(1000, options.docs - done));
    }
    std::printf("seeded %d users into %s\n", options.docs, options.db.c_str());
}

// Random inserts, $inc/$set updates, replacements and deletes on users.
void churn(mongoc_client_t* client, const Options& options) {
    std::mt19937 random(options.seed);
    mongoc_collection_t* users = mongoc_client_get_collection(client, options.db.c_str(), "users");
    int next_id = options.docs, writes = 0;
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(options.seconds);
    bson_error_t error;
    while (std::chrono::steady_clock::now() < deadline) {
        int target = static_cast<int>(random() % std::max(next_id, 1));
        bson_t* selector = BCON_NEW("_id", BCON_INT32(target));
        bool ok = true;
        switch (random() % 4) {
            case 0:
                insert_users(client, options, next_id++, 1);
                break;
            case 1: {
                bson_t* update = BCON_NEW("$inc", "{", "age", BCON_INT32(1), "}", "$set", "{",
                                          "status", BCON_UTF8("active"), "}");
                ok =
                    mongoc_collection_update_one(users, selector, update, nullptr, nullptr, &error);
                bson_destroy(update);
                break;
            }
            case 2: {
                bson_t replacement = BSON_INITIALIZER;
                append_user(&replacement, target);
                BSON_APPEND_BOOL(&replacement, "replaced", true);
                ok = mongoc_collection_replace_one(users, selector, &replacement, nullptr, nullptr,
                                                   &error);
                bson_destroy(&replacement);
                break;
            }
            default:
                ok = mongoc_collection_delete_one(users, selector, nullptr, nullptr, &error);
        }
        bson_destroy(selector);
        if (!ok) fail("churn write", error);
        ++writes;
    }
    mongoc_collection_destroy(users);
    std::printf("churned %d writes into %s\n", writes, options.db.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Writes a sample workload to MongoDB"};
    Options options;
    app.require_subcommand(1);
    for (auto* command : {app.add_subcommand("seed", "create and fill collections"),
                          app.add_subcommand("churn", "random writes for a while")}) {
        command->add_option("--uri", options.uri, "MongoDB connection string")->required();
        command->add_option("--db", options.db, "database name");
        command->add_option("--docs", options.docs, "documents to seed / ids in use");
        command->add_option("--seconds", options.seconds, "how long churn runs");
        command->add_option("--seed", options.seed, "random seed");
    }
    CLI11_PARSE(app, argc, argv);
    mongoc_init();
    bson_error_t error;
    mongoc_uri_t* uri = mongoc_uri_new_with_error(options.uri.c_str(), &error);
    if (!uri) fail("parsing the URI", error);
    mongoc_client_t* client = mongoc_client_new_from_uri(uri);
    if (app.got_subcommand("seed"))
        seed(client, options);
    else
        churn(client, options);
    mongoc_client_destroy(client);
    mongoc_uri_destroy(uri);
    mongoc_cleanup();
}
