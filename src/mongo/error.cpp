// Converts libmongoc's bson_error_t (and a server reply's errorLabels) into tributary's Error,
// and classifies failures so callers can map them to retry decisions and exit codes.
#include "mongo/error.h"

#include <mongoc/mongoc.h>

#include <algorithm>

namespace tributary::mongo {

Error::Error(uint32_t domain, uint32_t code, std::string message, std::vector<std::string> labels)
    : std::runtime_error(std::move(message)),
      domain_(domain),
      code_(code),
      labels_(std::move(labels)) {}

Error Error::from(const bson_error_t& error, const bson_t* reply) {
    std::vector<std::string> labels;
    bson_iter_t iter;
    bson_iter_t child;
    if (reply && bson_iter_init_find(&iter, reply, "errorLabels") && BSON_ITER_HOLDS_ARRAY(&iter) &&
        bson_iter_recurse(&iter, &child)) {
        while (bson_iter_next(&child)) {
            if (BSON_ITER_HOLDS_UTF8(&child)) labels.emplace_back(bson_iter_utf8(&child, nullptr));
        }
    }
    return Error(error.domain, error.code, error.message, std::move(labels));
}

bool Error::has_label(const std::string& label) const {
    return std::find(labels_.begin(), labels_.end(), label) != labels_.end();
}

bool Error::is_connection_failure() const {
    return domain_ == MONGOC_ERROR_SERVER_SELECTION || domain_ == MONGOC_ERROR_STREAM ||
           (domain_ == MONGOC_ERROR_CLIENT && code_ == MONGOC_ERROR_CLIENT_NOT_READY);
}

bool Error::is_auth_failure() const {
    return (domain_ == MONGOC_ERROR_CLIENT && code_ == MONGOC_ERROR_CLIENT_AUTHENTICATE) ||
           code_ == codes::kAuthenticationFailed;
}

bool Error::is_transient() const {
    // A change stream whose cursor the server closed is reopened like after a network error
    // (client-side errors are resumable in the change streams specification).
    const bool cursor_closed =
        domain_ == MONGOC_ERROR_CURSOR && code_ == MONGOC_ERROR_CURSOR_INVALID_CURSOR;
    return has_label("ResumableChangeStreamError") || has_label("RetryableWriteError") ||
           has_label("TransientTransactionError") || is_connection_failure() || cursor_closed;
}

}  // namespace tributary::mongo
