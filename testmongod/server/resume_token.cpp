// Resume tokens (see resume_token.h). The byte layout mirrors the order of mongod's KeyString
// fields — cluster time, version, token type, txnOpIndex, fromInvalidate — so that comparing the
// hex strings compares events by their position in the oplog.
#include "server/resume_token.h"

#include <limits>

#include "engine/error.h"

namespace tmd {
namespace {

// 0x82 is KeyString's type byte for a Timestamp, which real tokens also start with.
constexpr uint8_t kTimestampMarker = 0x82;
constexpr uint8_t kHighWaterMarkType = 0x00;
constexpr uint8_t kEventType = 0x80;
constexpr size_t kTokenBytes = 1 + 8 + 1 + 1 + 4 + 1;

void put_big_endian(std::string& out, uint64_t value, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((value >> shift) & 0xff));
    }
}

uint64_t get_big_endian(const std::string& in, size_t offset, int bytes) {
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i)
        value = (value << 8) | static_cast<uint8_t>(in[offset + i]);
    return value;
}

[[noreturn]] void invalid_token(const std::string& hex) {
    throw MongoError(code::FailedToParse, "invalid resume token: '" + hex + "'");
}

std::string decode_hex(const std::string& hex) {
    if (hex.size() % 2 != 0) invalid_token(hex);
    auto nibble = [&](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        invalid_token(hex);
    };
    std::string bytes;
    for (size_t i = 0; i < hex.size(); i += 2) {
        bytes.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    }
    return bytes;
}

}  // namespace

int resume_token_version_for(const std::string& profile_version) {
    return profile_version.rfind("4.", 0) == 0 ? 1 : 2;
}

ResumeToken ResumeToken::event(ClusterTime time, uint8_t version, bool from_invalidate) {
    ResumeToken token;
    token.time = time;
    token.version = version;
    token.from_invalidate = from_invalidate;
    return token;
}

ResumeToken ResumeToken::high_water_mark_at(ClusterTime time, uint8_t version) {
    ResumeToken token;
    token.time = time;
    token.version = version;
    token.high_water_mark = true;
    return token;
}

std::string ResumeToken::to_hex() const {
    std::string bytes;
    bytes.push_back(static_cast<char>(kTimestampMarker));
    put_big_endian(bytes, time.packed(), 8);
    bytes.push_back(static_cast<char>(version));
    bytes.push_back(static_cast<char>(high_water_mark ? kHighWaterMarkType : kEventType));
    put_big_endian(bytes, txn_op_index, 4);
    bytes.push_back(from_invalidate ? 1 : 0);
    static const char digits[] = "0123456789ABCDEF";
    std::string hex;
    for (unsigned char c : bytes) {
        hex.push_back(digits[c >> 4]);
        hex.push_back(digits[c & 0xf]);
    }
    return hex;
}

ResumeToken ResumeToken::from_hex(const std::string& hex) {
    std::string bytes = decode_hex(hex);
    if (bytes.size() != kTokenBytes || static_cast<uint8_t>(bytes[0]) != kTimestampMarker) {
        invalid_token(hex);
    }
    uint8_t type = static_cast<uint8_t>(bytes[10]);
    uint8_t invalidate = static_cast<uint8_t>(bytes[15]);
    if ((type != kHighWaterMarkType && type != kEventType) || invalidate > 1) invalid_token(hex);
    ResumeToken token;
    uint64_t packed = get_big_endian(bytes, 1, 8);
    token.time = ClusterTime{static_cast<uint32_t>(packed >> 32), static_cast<uint32_t>(packed)};
    token.version = static_cast<uint8_t>(bytes[9]);
    token.high_water_mark = type == kHighWaterMarkType;
    token.txn_op_index = static_cast<uint32_t>(get_big_endian(bytes, 11, 4));
    token.from_invalidate = invalidate == 1;
    return token;
}

Document ResumeToken::to_document() const {
    Document doc;
    doc.push_back("_data", Value::string(to_hex()));
    return doc;
}

ResumeToken ResumeToken::from_value(const Value& value) {
    // mongod: ResumeToken::parse uasserts 40647 "Bad resume token: _data of missing or of wrong
    // type" when _data is not a string (resume_token.cpp).
    if (!value.is_document()) {
        throw MongoError(code::TypeMismatch, "resume token must be an object");
    }
    const Value* data = value.doc().get("_data");
    if (!data || !data->is_string()) {
        throw MongoError(40647,
                         "Bad resume token: _data of missing or of wrong type. Expected "
                         "string, got " +
                             value.to_json());
    }
    return from_hex(data->str());
}

ClusterTime time_before(ClusterTime time) {
    if (time.i > 0) return ClusterTime{time.t, time.i - 1};
    return ClusterTime{time.t - 1, std::numeric_limits<uint32_t>::max()};
}

ClusterTime time_after(ClusterTime time) {
    if (time.i < std::numeric_limits<uint32_t>::max()) return ClusterTime{time.t, time.i + 1};
    return ClusterTime{time.t + 1, 0};
}

}  // namespace tmd
