// Argument parsing and reply helpers for the storage commands; error texts follow mongod's IDL
// parser ("BSON field '<cmd>.<field>' is the wrong type ...").
#include "server/storage_util.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tmd {
namespace {

[[noreturn]] void wrong_type(const std::string& command, const char* field, const Value& value,
                             const char* expected) {
    throw MongoError(code::TypeMismatch, "BSON field '" + command + "." + field +
                                             "' is the wrong type '" + type_name(value.type()) +
                                             "', expected type" + expected);
}

}  // namespace

Document body_of(const CommandRequest& request) {
    return Document::from_bson(*request.body);
}

Document body_without(const CommandRequest& request, std::string_view skipped) {
    bson_iter_t iter;
    Document doc;
    if (!bson_iter_init(&iter, request.body)) return doc;
    while (bson_iter_next(&iter)) {
        if (skipped != bson_iter_key(&iter))
            doc.push_back(bson_iter_key(&iter), Value::from_iter(iter));
    }
    return doc;
}

std::string collection_argument(const CommandRequest& request) {
    bson_iter_t iter;
    if (!bson_iter_init(&iter, request.body) || !bson_iter_next(&iter)) {
        throw MongoError(code::InvalidNamespace, "no collection name given");
    }
    if (!BSON_ITER_HOLDS_UTF8(&iter)) {
        throw MongoError(code::InvalidNamespace,
                         "collection name has invalid type " + type_name(bson_iter_type(&iter)));
    }
    uint32_t length = 0;
    const char* name = bson_iter_utf8(&iter, &length);
    return std::string(name, length);
}

StoredDoc to_stored(const Document& doc) {
    return std::make_shared<const std::string>(doc.to_bytes());
}

Document to_document(const StoredDoc& doc) {
    return Document::from_bytes(reinterpret_cast<const uint8_t*>(doc->data()), doc->size());
}

void append_document(bson_t* out, const char* key, const Document& doc) {
    bson_t child;
    bson_append_document_begin(out, key, -1, &child);
    doc.append_to(&child);
    bson_append_document_end(out, &child);
}

void append_value(bson_t* out, const char* key, const Value& value) {
    value.append_to(out, key);
}

int64_t int_argument(const Document& body, const std::string& command, const char* field,
                     int64_t fallback) {
    const Value* value = body.get(field);
    if (!value || value->is_null()) return fallback;
    if (!value->is_number()) wrong_type(command, field, *value, "s '[long, int, decimal, double]'");
    return value->as_int64();
}

int64_t non_negative_argument(const Document& body, const std::string& command, const char* field,
                              int64_t fallback) {
    int64_t value = int_argument(body, command, field, fallback);
    if (value < 0) {
        throw MongoError(51024, "BSON field '" + std::string(field) +
                                    "' value must be >= 0, actual value '" + std::to_string(value) +
                                    "'");
    }
    return value;
}

bool bool_argument(const Document& body, const std::string& command, const char* field,
                   bool fallback) {
    const Value* value = body.get(field);
    if (!value || value->is_null()) return fallback;
    if (value->type() != BSON_TYPE_BOOL && !value->is_number()) {
        wrong_type(command, field, *value, " 'bool'");
    }
    return value->truthy();
}

std::optional<Document> document_argument(const Document& body, const std::string& command,
                                          const char* field) {
    const Value* value = body.get(field);
    if (!value || value->is_null()) return std::nullopt;
    if (!value->is_document()) wrong_type(command, field, *value, " 'object'");
    return value->doc();
}

std::optional<std::string> string_argument(const Document& body, const std::string& command,
                                           const char* field) {
    const Value* value = body.get(field);
    if (!value || value->is_null()) return std::nullopt;
    if (!value->is_string()) wrong_type(command, field, *value, " 'string'");
    return value->str();
}

StoredDoc document_key_of(const Value& id) {
    bson_t key = BSON_INITIALIZER;
    id.append_to(&key, "_id");
    auto stored = std::make_shared<const std::string>(
        reinterpret_cast<const char*>(bson_get_data(&key)), key.len);
    bson_destroy(&key);
    return stored;
}

void write_all(int fd, const std::string& bytes, const std::string& what) {
    size_t written = 0;
    while (written < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            throw MongoError(code::InternalError,
                             "cannot write " + what + ": " + std::strerror(errno));
        }
        written += static_cast<size_t>(n);
    }
}

}  // namespace tmd
