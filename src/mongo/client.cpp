// Connections: libmongoc lifetime, URI parsing with password redaction, and the client pool.
// Pools use MONGOC_ERROR_API_VERSION_2 so server errors arrive in the MONGOC_ERROR_SERVER domain.
#include "mongo/client.h"

#include <stdexcept>

namespace tributary::mongo {

Instance::Instance() {
    mongoc_init();
}
Instance::~Instance() {
    mongoc_cleanup();
}

std::string redact_uri(std::string_view uri) {
    // scheme://user:password@hosts -> scheme://user:***@hosts. The user name ends at the first
    // ':'. Typed unencoded, a password may hold any character, '/', '?', '#' and '@' included
    // (RFC 3986 wants them percent-encoded, users do not always), so it ends at the last '@': an
    // '@' in the options (a tlsCAFile path) then hides more than the password, never less.
    size_t scheme = uri.find("://");
    if (scheme == std::string_view::npos) return std::string(uri);
    size_t user = scheme + 3;
    size_t colon = uri.find(':', user);
    size_t first_at = uri.find('@', user);
    size_t last_at = uri.rfind('@');
    if (colon == std::string_view::npos || first_at == std::string_view::npos || first_at < colon) {
        return std::string(uri);  // no password: no '@', or "user@host:port"
    }
    return std::string(uri.substr(0, colon + 1)) + "***" + std::string(uri.substr(last_at));
}

Uri::Uri(const std::string& text) : text_(text) {
    bson_error_t error;
    uri_.reset(mongoc_uri_new_with_error(text.c_str(), &error));
    if (!uri_) {
        // libmongoc's message may quote the URI; never repeat the raw text.
        throw std::invalid_argument("invalid MongoDB URI '" + redact_uri(text) + "'");
    }
}

std::string Uri::hosts() const {
    std::string result;
    for (const mongoc_host_list_t* host = mongoc_uri_get_hosts(uri_.get()); host;
         host = host->next) {
        if (!result.empty()) result += ",";
        result += host->host_and_port;
    }
    if (const char* srv = mongoc_uri_get_srv_hostname(uri_.get())) result += srv;
    return result;
}

std::string Uri::database() const {
    const char* name = mongoc_uri_get_database(uri_.get());
    return name ? name : "";
}

void Uri::default_server_selection_timeout(int32_t millis) {
    if (!mongoc_uri_has_option(uri_.get(), MONGOC_URI_SERVERSELECTIONTIMEOUTMS)) {
        mongoc_uri_set_option_as_int32(uri_.get(), MONGOC_URI_SERVERSELECTIONTIMEOUTMS, millis);
    }
}

void Uri::set_write_concern(const std::string& w) {
    mongoc_write_concern_t* concern = mongoc_write_concern_new();
    if (w == "majority") {
        mongoc_write_concern_set_wmajority(concern, 0);
    } else {
        mongoc_write_concern_set_w(concern, std::stoi(w));
    }
    mongoc_uri_set_write_concern(uri_.get(), concern);
    mongoc_write_concern_destroy(concern);
}

void Uri::default_read_concern(const char* level) {
    if (mongoc_read_concern_get_level(mongoc_uri_get_read_concern(uri_.get()))) return;
    mongoc_read_concern_t* concern = mongoc_read_concern_new();
    mongoc_read_concern_set_level(concern, level);
    mongoc_uri_set_read_concern(uri_.get(), concern);
    mongoc_read_concern_destroy(concern);
}

ClientLease::~ClientLease() {
    if (client_) mongoc_client_pool_push(pool_, client_);
}

ClientPool::ClientPool(const Uri& uri, const std::string& app_name, uint32_t max_size)
    : pool_(mongoc_client_pool_new(uri.get())), redacted_uri_(uri.redacted()) {
    if (!pool_) throw std::invalid_argument("cannot use MongoDB URI '" + redacted_uri_ + "'");
    mongoc_client_pool_set_error_api(pool_, MONGOC_ERROR_API_VERSION_2);
    mongoc_client_pool_set_appname(pool_, app_name.c_str());
    mongoc_client_pool_max_size(pool_, max_size);
}

ClientPool::~ClientPool() {
    mongoc_client_pool_destroy(pool_);
}

ClientLease ClientPool::lease() {
    return ClientLease(pool_, mongoc_client_pool_pop(pool_));
}

}  // namespace tributary::mongo
