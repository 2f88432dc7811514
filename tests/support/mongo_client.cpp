// Test support: implementation of the libmongoc RAII helpers in mongo_client.h.
#include "support/mongo_client.h"

#include <mutex>
#include <stdexcept>

namespace testsupport {
namespace {

void init_driver_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        mongoc_init();
        std::atexit(mongoc_cleanup);
    });
}

bson_iter_t find_path(const bson_t* bson, const char* dotted_path) {
    bson_iter_t iter;
    if (!bson_iter_init(&iter, bson) || !bson_iter_find_descendant(&iter, dotted_path, &iter)) {
        throw std::out_of_range(std::string("no field ") + dotted_path);
    }
    return iter;
}

}  // namespace

Bson Bson::from_json(std::string_view json) {
    bson_error_t error;
    Bson result;
    bson_destroy(&result.bson_);
    if (!bson_init_from_json(&result.bson_, json.data(), static_cast<ssize_t>(json.size()),
                             &error)) {
        bson_init(&result.bson_);
        throw std::invalid_argument(std::string("bad JSON: ") + error.message);
    }
    return result;
}

Bson Bson::adopt(bson_t* bson) {
    Bson result;
    bson_destroy(&result.bson_);
    bson_steal(&result.bson_, bson);
    return result;
}

Bson& Bson::operator=(const Bson& other) {
    if (this != &other) {
        bson_destroy(&bson_);
        bson_copy_to(&other.bson_, &bson_);
    }
    return *this;
}

std::string Bson::json() const {
    char* text = bson_as_relaxed_extended_json(&bson_, nullptr);
    std::string result = text ? text : "<invalid BSON>";
    bson_free(text);
    return result;
}

bool Bson::has(const char* dotted_path) const {
    bson_iter_t iter;
    return bson_iter_init(&iter, &bson_) && bson_iter_find_descendant(&iter, dotted_path, &iter);
}

int64_t Bson::number(const char* dotted_path) const {
    bson_iter_t iter = find_path(&bson_, dotted_path);
    if (!BSON_ITER_HOLDS_NUMBER(&iter))
        throw std::out_of_range(std::string("not a number: ") + dotted_path);
    return bson_iter_as_int64(&iter);
}

std::string Bson::string(const char* dotted_path) const {
    bson_iter_t iter = find_path(&bson_, dotted_path);
    if (!BSON_ITER_HOLDS_UTF8(&iter))
        throw std::out_of_range(std::string("not a string: ") + dotted_path);
    return bson_iter_utf8(&iter, nullptr);
}

bool Bson::boolean(const char* dotted_path) const {
    bson_iter_t iter = find_path(&bson_, dotted_path);
    if (!BSON_ITER_HOLDS_BOOL(&iter))
        throw std::out_of_range(std::string("not a bool: ") + dotted_path);
    return bson_iter_bool(&iter);
}

Bson Bson::document(const char* dotted_path) const {
    bson_iter_t iter = find_path(&bson_, dotted_path);
    if (!BSON_ITER_HOLDS_DOCUMENT(&iter) && !BSON_ITER_HOLDS_ARRAY(&iter)) {
        throw std::out_of_range(std::string("not a document: ") + dotted_path);
    }
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    if (BSON_ITER_HOLDS_DOCUMENT(&iter)) {
        bson_iter_document(&iter, &length, &data);
    } else {
        bson_iter_array(&iter, &length, &data);
    }
    bson_t view;
    bson_init_static(&view, data, length);
    Bson result;
    bson_destroy(&result.bson_);
    bson_copy_to(&view, &result.bson_);
    return result;
}

Client::Client(const std::string& uri) {
    init_driver_once();
    bson_error_t error;
    mongoc_uri_t* parsed = mongoc_uri_new_with_error(uri.c_str(), &error);
    if (parsed == nullptr) throw std::invalid_argument("bad URI " + uri + ": " + error.message);
    client_ = mongoc_client_new_from_uri_with_error(parsed, &error);
    mongoc_uri_destroy(parsed);
    if (client_ == nullptr)
        throw std::invalid_argument("cannot create client: " + std::string(error.message));
    mongoc_client_set_error_api(client_, MONGOC_ERROR_API_VERSION_2);
}

Client::~Client() {
    mongoc_client_destroy(client_);
}

mongoc_collection_t* Client::collection(const std::string& db, const std::string& coll) {
    return mongoc_client_get_collection(client_, db.c_str(), coll.c_str());
}

CommandResult Client::run_command(const std::string& db, const bson_t* command) {
    CommandResult result;
    bson_t reply;
    bson_error_t error;
    result.ok = mongoc_client_command_simple(client_, db.c_str(), command, nullptr, &reply, &error);
    result.reply = Bson::adopt(&reply);
    if (!result.ok) {
        result.code = static_cast<int>(error.code);
        result.error = error.message;
    }
    return result;
}

CommandResult Client::run_command(const std::string& db, std::string_view command_json) {
    Bson command = Bson::from_json(command_json);
    return run_command(db, command.get());
}

}  // namespace testsupport
