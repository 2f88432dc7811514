// The MongoDB wire protocol as testmongod speaks it: message headers, parsing of OP_MSG,
// OP_QUERY (the legacy handshake) and OP_COMPRESSED requests, and building OP_MSG / OP_REPLY
// replies. Pure functions over bytes, so the fuzz target can drive them directly.
#pragma once

#include <bson/bson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/command.h"
#include "server/compression.h"

namespace tmd::wire {

// https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/
enum OpCode : int32_t { kOpReply = 1, kOpQuery = 2004, kOpCompressed = 2012, kOpMsg = 2013 };

constexpr size_t kHeaderSize = 16;
constexpr int32_t kMaxMessageSizeBytes = 48000000;        // hello.maxMessageSizeBytes
constexpr int32_t kMaxBsonObjectSize = 16 * 1024 * 1024;  // hello.maxBsonObjectSize
constexpr int32_t kMaxWriteBatchSize = 100000;            // hello.maxWriteBatchSize

// OP_MSG flag bits. Bits 0-15 are "required": a receiver must reject unknown ones.
constexpr uint32_t kChecksumPresent = 1u << 0;
constexpr uint32_t kMoreToCome = 1u << 1;
constexpr uint32_t kExhaustAllowed = 1u << 16;

struct MessageHeader {
    int32_t length = 0;
    int32_t request_id = 0;
    int32_t response_to = 0;
    int32_t op_code = 0;
};

// Reads the 16-byte little-endian header at data.
MessageHeader read_header(const uint8_t* data);
// Whether a header announces a message testmongod will read: a length between the header size
// and maxMessageSizeBytes. Other lengths make the server close the connection, as mongod does.
bool acceptable_length(const MessageHeader& header);

// A parsed request. `body` and the sequences' documents are static views into `bytes`, which the
// request owns; it is therefore neither copied nor moved (held by unique_ptr).
struct Request {
    Request() = default;
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;

    std::string bytes;                     // the whole (decompressed) message
    MessageHeader header;                  // of the decompressed message
    std::optional<Compressor> compressor;  // set when the request came as OP_COMPRESSED
    uint32_t flags = 0;                    // OP_MSG flag bits
    BsonDoc body;
    std::vector<DocumentSequence> sequences;
    std::string query_namespace;  // OP_QUERY's fullCollectionName, e.g. "admin.$cmd"

    bool more_to_come() const { return header.op_code == kOpMsg && (flags & kMoreToCome); }
};

// Parses one complete message (header included). Throws MongoError with mongod's codes for
// malformed input (bad flags, checksum, sections or BSON, unknown op codes).
std::unique_ptr<Request> parse_request(std::string message);

// An OP_MSG reply (flags 0, one kind-0 section holding body).
std::string build_op_msg(int32_t request_id, int32_t response_to, const bson_t* body);
// An OP_REPLY with a single document, the reply to a legacy OP_QUERY command.
std::string build_op_reply(int32_t request_id, int32_t response_to, const bson_t* document);
// Wraps a complete message in OP_COMPRESSED (same request id and responseTo).
std::string build_compressed(const std::string& message, Compressor compressor);

// A bson_t writing into a buffer the calling thread keeps per slot and reuses: a large reply (a
// 16 MiB getMore batch) then neither regrows by powers of two nor page-faults a fresh 32 MiB
// mapping on every request. Each connection thread keeps its buffers, at most one reply's size.
// A slot already in use on the thread (nested use) falls back to an ordinary bson_t.
class ThreadBson {
  public:
    enum Slot { kReply, kSlotCount };
    explicit ThreadBson(Slot slot);
    ~ThreadBson();
    ThreadBson(const ThreadBson&) = delete;
    ThreadBson& operator=(const ThreadBson&) = delete;
    bson_t* get() { return bson_; }

  private:
    bool* in_use_ = nullptr;
    bson_t* bson_ = nullptr;
};

// CRC-32C (Castagnoli), the OP_MSG checksum.
uint32_t crc32c(const uint8_t* data, size_t size);

}  // namespace tmd::wire
