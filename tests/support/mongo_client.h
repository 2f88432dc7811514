// Test support: a small RAII layer over libmongoc for tests — a client from a URI, owned BSON
// documents, and run_command returning the reply with the error's code and text.
#pragma once

#include <mongoc/mongoc.h>

#include <string>
#include <string_view>

namespace testsupport {

// An owned bson_t.
class Bson {
  public:
    Bson() { bson_init(&bson_); }
    // Parses relaxed/canonical extended JSON; throws std::invalid_argument on bad JSON.
    static Bson from_json(std::string_view json);
    // Takes ownership of an initialised bson_t's contents (steal semantics).
    static Bson adopt(bson_t* bson);
    Bson(const Bson& other) { bson_copy_to(&other.bson_, &bson_); }
    Bson& operator=(const Bson& other);
    ~Bson() { bson_destroy(&bson_); }

    bson_t* get() { return &bson_; }
    const bson_t* get() const { return &bson_; }
    std::string json() const;  // relaxed extended JSON
    bool has(const char* dotted_path) const;
    // Typed lookups of a dotted path; throw std::out_of_range when missing or of another type.
    int64_t number(const char* dotted_path) const;  // int32, int64 or double
    std::string string(const char* dotted_path) const;
    bool boolean(const char* dotted_path) const;
    Bson document(const char* dotted_path) const;  // a document or an array, as a document

  private:
    bson_t bson_;
};

struct CommandResult {
    bool ok = false;
    int code = 0;       // server error code (bson_error_t.code) when !ok
    std::string error;  // bson_error_t.message when !ok
    Bson reply;
};

class Client {
  public:
    // Calls mongoc_init once per process. Throws std::invalid_argument for a bad URI.
    explicit Client(const std::string& uri);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    mongoc_client_t* get() { return client_; }
    mongoc_collection_t* collection(const std::string& db, const std::string& coll);  // caller owns
    CommandResult run_command(const std::string& db, const bson_t* command);
    CommandResult run_command(const std::string& db, std::string_view command_json);

  private:
    mongoc_client_t* client_ = nullptr;
};

}  // namespace testsupport
