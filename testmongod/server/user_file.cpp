// A user document has the fields of mongod's admin.system.users documents (manual, "system.users
// Collection"): {_id: "<db>.<user>", userId, user, db, credentials: {"SCRAM-SHA-1" |
// "SCRAM-SHA-256": {iterationCount, salt, storedKey, serverKey}}, roles: [{role, db}]}, with the
// salt and keys base64-encoded as mongod stores them.
#include "server/user_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine/error.h"
#include "engine/value.h"
#include "server/storage_util.h"

namespace tmd {
namespace {

[[noreturn]] void corrupt(const std::string& path) {
    throw MongoError(code::InternalError, "corrupt users file " + path);
}

const Value& field(const Document& doc, const char* name, const std::string& path) {
    const Value* value = doc.get(name);
    if (value == nullptr) corrupt(path);
    return *value;
}

const std::string& string_field(const Document& doc, const char* name, const std::string& path) {
    const Value& value = field(doc, name, path);
    if (!value.is_string()) corrupt(path);
    return value.str();
}

Document credentials_document(const scram::Credentials& credentials) {
    Document doc;
    doc.push_back("iterationCount", Value::int32(credentials.iterations));
    doc.push_back("salt", Value::string(scram::base64_encode(credentials.salt)));
    doc.push_back("storedKey", Value::string(scram::base64_encode(credentials.stored_key)));
    doc.push_back("serverKey", Value::string(scram::base64_encode(credentials.server_key)));
    return doc;
}

Document user_document(const UserRecord& user) {
    Document credentials;
    for (const auto& [mechanism, keys] : user.credentials)
        credentials.push_back(scram::mechanism_name(mechanism),
                              Value::document(credentials_document(keys)));
    Array roles;
    for (const RoleName& role : user.roles) {
        Document entry;
        entry.push_back("role", Value::string(role.role));
        entry.push_back("db", Value::string(role.db));
        roles.push_back(Value::document(std::move(entry)));
    }
    Document doc;
    doc.push_back("_id", Value::string(user.db + "." + user.name));
    doc.push_back("userId", Value(BSON_TYPE_BINARY, Binary{BSON_SUBTYPE_UUID, user.user_id}));
    doc.push_back("user", Value::string(user.name));
    doc.push_back("db", Value::string(user.db));
    doc.push_back("credentials", Value::document(std::move(credentials)));
    doc.push_back("roles", Value::array(std::move(roles)));
    return doc;
}

std::string decoded(const Document& doc, const char* name, const std::string& path) {
    auto bytes = scram::base64_decode(string_field(doc, name, path));
    if (!bytes) corrupt(path);
    return *bytes;
}

scram::Credentials credentials_from(const Document& doc, const std::string& path) {
    const Value& iterations = field(doc, "iterationCount", path);
    if (!iterations.is_number()) corrupt(path);
    return {static_cast<int>(iterations.as_int64()), decoded(doc, "salt", path),
            decoded(doc, "storedKey", path), decoded(doc, "serverKey", path)};
}

UserRecord user_from(const Document& doc, const std::string& path) {
    const Value& user_id = field(doc, "userId", path);
    if (user_id.type() != BSON_TYPE_BINARY) corrupt(path);
    UserRecord user{string_field(doc, "user", path),
                    string_field(doc, "db", path),
                    std::get<Binary>(user_id.payload()).bytes,
                    {},
                    {}};
    const Value& roles = field(doc, "roles", path);
    const Value& credentials = field(doc, "credentials", path);
    if (!roles.is_array() || !credentials.is_document()) corrupt(path);
    for (const Value& role : roles.array()) {
        if (!role.is_document()) corrupt(path);
        user.roles.push_back(
            {string_field(role.doc(), "role", path), string_field(role.doc(), "db", path)});
    }
    for (const auto& entry : credentials.doc().fields()) {
        auto mechanism = scram::mechanism_by_name(entry.name);
        if (!mechanism || !entry.value.is_document()) corrupt(path);
        user.credentials[*mechanism] = credentials_from(entry.value.doc(), path);
    }
    return user;
}

void fsync_or_throw(int fd, const std::string& path) {
    if (::fsync(fd) != 0) {
        ::close(fd);
        throw MongoError(code::InternalError, "cannot fsync " + path);
    }
}

}  // namespace

std::vector<UserRecord> read_users_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<UserRecord> users;
    size_t offset = 0;
    while (offset < data.size()) {
        int32_t length = 0;
        if (offset + 4 > data.size()) corrupt(path);
        std::memcpy(&length, data.data() + offset, 4);
        if (length < 5 || offset + static_cast<size_t>(length) > data.size()) corrupt(path);
        Document doc =
            Document::from_bytes(reinterpret_cast<const uint8_t*>(data.data() + offset), length);
        users.push_back(user_from(doc, path));
        offset += static_cast<size_t>(length);
    }
    return users;
}

void write_users_file(const std::string& path, const std::vector<UserRecord>& users) {
    std::string bytes;
    for (const UserRecord& user : users)
        bytes += user_document(user).to_bytes();
    std::string temporary = path + ".tmp";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) throw MongoError(code::InternalError, "cannot open " + temporary);
    try {
        write_all(fd, bytes, temporary);
    } catch (const MongoError&) {
        ::close(fd);
        throw;
    }
    fsync_or_throw(fd, temporary);
    ::close(fd);
    std::filesystem::rename(temporary, path);
    std::string directory = std::filesystem::path(path).parent_path().string();
    int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir_fd < 0) throw MongoError(code::InternalError, "cannot open " + directory);
    fsync_or_throw(dir_fd, directory);
    ::close(dir_fd);
}

}  // namespace tmd
