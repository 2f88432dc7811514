// Connections: the libmongoc init/cleanup guard, a parsed and redactable URI, and a thread-safe
// client pool (one per side) handing out scoped client leases.
#pragma once

#include <mongoc/mongoc.h>

#include <memory>
#include <string>
#include <string_view>

namespace tributary::mongo {

// mongoc_init() on construction, mongoc_cleanup() on destruction; create one in main().
class Instance {
  public:
    Instance();
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;
};

// Replaces the password of a connection string with "***" (also in unparseable strings), so a
// URI can be printed anywhere: mongodb://user:***@host/...
std::string redact_uri(std::string_view uri);

// A parsed connection string. Throws std::invalid_argument (message already redacted) when the
// string is not a valid MongoDB URI.
class Uri {
  public:
    explicit Uri(const std::string& text);
    Uri(Uri&&) noexcept = default;
    Uri& operator=(Uri&&) noexcept = default;

    const mongoc_uri_t* get() const { return uri_.get(); }
    std::string redacted() const { return redact_uri(text_); }
    // "host1:port1,host2:port2" in the URI's order: two URIs naming the same hosts in the same
    // order are the same deployment for the "destination equals source" check.
    std::string hosts() const;
    // The database named in the URI path ("" when absent).
    std::string database() const;
    // Sets serverSelectionTimeoutMS unless the URI already sets it.
    void default_server_selection_timeout(int32_t millis);
    // Write concern of every write through this URI's clients: "majority" or a number of members.
    void set_write_concern(const std::string& w);
    // Read concern level of every read through this URI's clients, unless the URI sets one.
    void default_read_concern(const char* level);

  private:
    struct Free {
        void operator()(mongoc_uri_t* uri) const { mongoc_uri_destroy(uri); }
    };
    std::string text_;
    std::unique_ptr<mongoc_uri_t, Free> uri_;
};

class ClientPool;

// A client borrowed from a pool for the lifetime of this object; not shared between threads.
class ClientLease {
  public:
    ClientLease(ClientLease&& other) noexcept : pool_(other.pool_), client_(other.client_) {
        other.client_ = nullptr;
    }
    ClientLease(const ClientLease&) = delete;
    ClientLease& operator=(const ClientLease&) = delete;
    ClientLease& operator=(ClientLease&&) = delete;
    ~ClientLease();

    mongoc_client_t* get() const { return client_; }

  private:
    friend class ClientPool;
    ClientLease(mongoc_client_pool_t* pool, mongoc_client_t* client)
        : pool_(pool), client_(client) {}
    mongoc_client_pool_t* pool_;
    mongoc_client_t* client_;
};

// Thread-safe pool of clients to one deployment. lease() blocks while every client is in use.
class ClientPool {
  public:
    // `app_name` appears in the server's logs; `max_size` bounds concurrent connections.
    ClientPool(const Uri& uri, const std::string& app_name, uint32_t max_size = 32);
    ClientPool(const ClientPool&) = delete;
    ClientPool& operator=(const ClientPool&) = delete;
    ~ClientPool();

    ClientLease lease();
    const std::string& redacted_uri() const { return redacted_uri_; }

  private:
    mongoc_client_pool_t* pool_;
    std::string redacted_uri_;
};

}  // namespace tributary::mongo
