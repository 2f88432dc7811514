// Parsing and building of wire-protocol messages; see wire.h. Error codes and messages follow
// mongod's src/mongo/rpc/op_msg.cpp and message parsing.
#include "server/wire.h"

#include <array>
#include <bitset>
#include <cstring>

#include "engine/error.h"

namespace tmd::wire {
namespace {

// Codes from mongod's error_codes.yml that only the wire layer uses.
constexpr int kInvalidBSON = 22;
constexpr int kIllegalOpMsgFlag = 223;
constexpr int kChecksumMismatch = 288;  // mongodb/mongo src/mongo/base/error_codes.yml
constexpr int kProtocolError = 17;

// The section kinds of an OP_MSG.
constexpr uint8_t kBodySection = 0;
constexpr uint8_t kSequenceSection = 1;

int32_t load_i32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return static_cast<int32_t>(BSON_UINT32_FROM_LE(v));
}

void store_i32(std::string& out, size_t offset, int32_t value) {
    uint32_t v = BSON_UINT32_TO_LE(static_cast<uint32_t>(value));
    std::memcpy(out.data() + offset, &v, 4);
}

void append_i32(std::string& out, int32_t value) {
    out.append(4, '\0');
    store_i32(out, out.size() - 4, value);
}

void append_header(std::string& out, int32_t request_id, int32_t response_to, int32_t op_code) {
    append_i32(out, 0);  // length, patched by finish_message
    append_i32(out, request_id);
    append_i32(out, response_to);
    append_i32(out, op_code);
}

std::string& finish_message(std::string& out) {
    store_i32(out, 0, static_cast<int32_t>(out.size()));
    return out;
}

// mongod's maximum nesting depth of BSON objects (BSONDepth::kDefaultMaxAllowableDepth).
constexpr int kMaxBsonDepth = 200;

// Structural validation, as mongod's objcheck (UTF-8 is not checked). Written over bson_iter
// rather than bson_validate(), which the fuzz target showed crashing on some corrupt input.
bool valid_bson(const uint8_t* data, size_t length, int depth = 0) {
    bson_t doc;
    bson_iter_t iter;
    if (depth > kMaxBsonDepth || !bson_init_static(&doc, data, length) ||
        !bson_iter_init(&iter, &doc)) {
        return false;
    }
    while (bson_iter_next(&iter)) {
        uint32_t size = 0, scope_size = 0;
        const uint8_t* child = nullptr;
        if (BSON_ITER_HOLDS_DOCUMENT(&iter)) {
            bson_iter_document(&iter, &size, &child);
        } else if (BSON_ITER_HOLDS_ARRAY(&iter)) {
            bson_iter_array(&iter, &size, &child);
        } else if (BSON_ITER_HOLDS_CODEWSCOPE(&iter)) {
            bson_iter_codewscope(&iter, &size, &scope_size, &child);
            size = scope_size;
        } else {
            continue;
        }
        if (child == nullptr || !valid_bson(child, size, depth + 1)) return false;
    }
    return iter.err_off == 0;
}

// A bounds-checked cursor over the bytes of a message.
class Reader {
  public:
    Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
    bool at_end() const { return p_ == end_; }
    size_t left() const { return static_cast<size_t>(end_ - p_); }
    const uint8_t* position() const { return p_; }

    uint8_t u8() {
        need(1);
        return *p_++;
    }
    int32_t i32() {
        need(4);
        int32_t v = load_i32(p_);
        p_ += 4;
        return v;
    }
    std::string cstring() {
        auto* nul = static_cast<const uint8_t*>(std::memchr(p_, 0, left()));
        if (nul == nullptr) throw MongoError(kProtocolError, "Unterminated C-string in message");
        std::string s(reinterpret_cast<const char*>(p_), static_cast<size_t>(nul - p_));
        p_ = nul + 1;
        return s;
    }
    // A validated BSON document, as a static view into the message.
    BsonDoc document() {
        need(5);
        int32_t size = load_i32(p_);
        if (size < 5 || static_cast<size_t>(size) > left()) {
            throw MongoError(kInvalidBSON, "Invalid BSON document length " + std::to_string(size));
        }
        if (!valid_bson(p_, static_cast<size_t>(size))) {
            throw MongoError(kInvalidBSON, "Invalid BSON document in message");
        }
        BsonDoc doc(p_, static_cast<size_t>(size));
        p_ += size;
        return doc;
    }
    Reader sub_reader(size_t size) {
        need(size);
        Reader sub(p_, size);
        p_ += size;
        return sub;
    }

  private:
    void need(size_t n) const {
        if (left() < n) throw MongoError(kProtocolError, "Message is truncated");
    }
    const uint8_t* p_;
    const uint8_t* end_;
};

void parse_sequence(Reader& reader, Request& request) {
    int32_t size = reader.i32();
    if (size < 4) throw MongoError(kProtocolError, "Invalid document sequence size");
    Reader section = reader.sub_reader(static_cast<size_t>(size) - 4);
    DocumentSequence sequence{section.cstring(), {}};
    for (const auto& existing : request.sequences) {
        if (existing.identifier == sequence.identifier) {
            throw MongoError(40431, "Duplicate document sequence: " + sequence.identifier);
        }
    }
    while (!section.at_end())
        sequence.documents.push_back(section.document());
    request.sequences.push_back(std::move(sequence));
}

void parse_op_msg(Request& request) {
    const auto* data = reinterpret_cast<const uint8_t*>(request.bytes.data());
    Reader reader(data + kHeaderSize, request.bytes.size() - kHeaderSize);
    request.flags = static_cast<uint32_t>(reader.i32());
    constexpr uint32_t kKnownRequired = kChecksumPresent | kMoreToCome;
    if ((request.flags & 0xFFFF) & ~kKnownRequired) {
        throw MongoError(kIllegalOpMsgFlag, "Message contains illegal flags value: Ob" +
                                                std::bitset<32>(request.flags).to_string());
    }
    size_t sections_end = request.bytes.size();
    if (request.flags & kChecksumPresent) {
        if (reader.left() < 4) throw MongoError(kProtocolError, "Message is truncated");
        sections_end -= 4;
        uint32_t sent = static_cast<uint32_t>(load_i32(data + sections_end));
        if (sent != crc32c(data, sections_end)) {
            throw MongoError(kChecksumMismatch, "OP_MSG checksum does not match contents");
        }
    }
    Reader sections = reader.sub_reader(sections_end - kHeaderSize - 4);
    bool have_body = false;
    while (!sections.at_end()) {
        uint8_t kind = sections.u8();
        if (kind == kBodySection) {
            if (have_body) throw MongoError(40430, "Multiple body sections in message");
            request.body = sections.document();
            have_body = true;
        } else if (kind == kSequenceSection) {
            parse_sequence(sections, request);
        } else {
            throw MongoError(40432, "Unknown section kind " + std::to_string(kind));
        }
    }
    if (!have_body) throw MongoError(40587, "OP_MSG messages must have a body");
    for (const auto& sequence : request.sequences) {
        bson_iter_t iter;
        if (bson_iter_init_find(&iter, request.body.get(), sequence.identifier.c_str())) {
            throw MongoError(
                40433, "Duplicate field between body and document sequence " + sequence.identifier);
        }
    }
}

void parse_op_query(Request& request) {
    const auto* data = reinterpret_cast<const uint8_t*>(request.bytes.data());
    Reader reader(data + kHeaderSize, request.bytes.size() - kHeaderSize);
    reader.i32();  // flags: none of them matter for a command
    request.query_namespace = reader.cstring();
    reader.i32();  // numberToSkip
    reader.i32();  // numberToReturn
    request.body = reader.document();
    // Legacy drivers may wrap the command as {$query: {...}, $readPreference: ...}.
    bson_iter_t iter;
    if (bson_iter_init(&iter, request.body.get()) && bson_iter_next(&iter) &&
        std::strcmp(bson_iter_key(&iter), "$query") == 0 && BSON_ITER_HOLDS_DOCUMENT(&iter)) {
        uint32_t length;
        const uint8_t* inner;
        bson_iter_document(&iter, &length, &inner);
        request.body = BsonDoc(inner, length);
    }
}

// Replaces an OP_COMPRESSED message by the message it wraps.
std::string decompress_message(const std::string& message, std::optional<Compressor>* used) {
    const auto* data = reinterpret_cast<const uint8_t*>(message.data());
    Reader reader(data + kHeaderSize, message.size() - kHeaderSize);
    int32_t original_op = reader.i32();
    int32_t uncompressed_size = reader.i32();
    uint8_t compressor_id = reader.u8();
    auto compressor = compressor_by_id(compressor_id);
    if (!compressor) {
        throw MongoError(code::BadValue, "Unknown compressor id " + std::to_string(compressor_id));
    }
    if (original_op == kOpCompressed || uncompressed_size < 0 ||
        uncompressed_size > kMaxMessageSizeBytes - static_cast<int32_t>(kHeaderSize)) {
        throw MongoError(kProtocolError, "Invalid OP_COMPRESSED message");
    }
    std::string body = decompress(*compressor, reader.position(), reader.left(),
                                  static_cast<size_t>(uncompressed_size));
    MessageHeader header = read_header(data);
    std::string out;
    out.reserve(kHeaderSize + body.size());
    append_header(out, header.request_id, header.response_to, original_op);
    out += body;
    *used = compressor;
    return finish_message(out);
}

}  // namespace

MessageHeader read_header(const uint8_t* data) {
    return MessageHeader{load_i32(data), load_i32(data + 4), load_i32(data + 8),
                         load_i32(data + 12)};
}

bool acceptable_length(const MessageHeader& header) {
    return header.length >= static_cast<int32_t>(kHeaderSize) &&
           header.length <= kMaxMessageSizeBytes;
}

std::unique_ptr<Request> parse_request(std::string message) {
    if (message.size() < kHeaderSize) throw MongoError(kProtocolError, "Message is truncated");
    auto request = std::make_unique<Request>();
    MessageHeader outer = read_header(reinterpret_cast<const uint8_t*>(message.data()));
    if (outer.length != static_cast<int32_t>(message.size())) {
        throw MongoError(kProtocolError, "Message length does not match its header");
    }
    request->bytes = outer.op_code == kOpCompressed
                         ? decompress_message(message, &request->compressor)
                         : std::move(message);
    request->header = read_header(reinterpret_cast<const uint8_t*>(request->bytes.data()));
    switch (request->header.op_code) {
        case kOpMsg:
            parse_op_msg(*request);
            break;
        case kOpQuery:
            parse_op_query(*request);
            break;
        default:
            throw MongoError(kProtocolError,
                             "Unsupported op code " + std::to_string(request->header.op_code));
    }
    return request;
}

namespace {

struct ThreadBuffer {
    uint8_t* data = nullptr;
    size_t size = 0;
    bool in_use = false;
    ~ThreadBuffer() { bson_free(data); }
};

thread_local ThreadBuffer thread_buffers[ThreadBson::kSlotCount];

}  // namespace

ThreadBson::ThreadBson(Slot slot) {
    ThreadBuffer& buffer = thread_buffers[slot];
    if (buffer.in_use) {
        bson_ = bson_new();
        return;
    }
    // bson_new_from_buffer reads the document length at the start of a non-null buffer.
    static constexpr uint8_t kEmptyDocument[5] = {5, 0, 0, 0, 0};
    if (buffer.data != nullptr) std::memcpy(buffer.data, kEmptyDocument, sizeof kEmptyDocument);
    bson_ = bson_new_from_buffer(&buffer.data, &buffer.size, bson_realloc_ctx, nullptr);
    buffer.in_use = true;
    in_use_ = &buffer.in_use;
}

ThreadBson::~ThreadBson() {
    bson_destroy(bson_);  // leaves the buffer to the thread (bson_new_from_buffer: no free)
    if (in_use_ != nullptr) *in_use_ = false;
}

std::string build_op_msg(int32_t request_id, int32_t response_to, const bson_t* body) {
    std::string out;
    out.reserve(kHeaderSize + 5 + body->len);
    append_header(out, request_id, response_to, kOpMsg);
    append_i32(out, 0);  // flags
    out.push_back(static_cast<char>(kBodySection));
    out.append(reinterpret_cast<const char*>(bson_get_data(body)), body->len);
    return finish_message(out);
}

std::string build_op_reply(int32_t request_id, int32_t response_to, const bson_t* document) {
    // AwaitCapable (8) is set by every mongod since 1.6.
    constexpr int32_t kAwaitCapable = 8;
    std::string out;
    append_header(out, request_id, response_to, kOpReply);
    append_i32(out, kAwaitCapable);
    out.append(8, '\0');  // cursorID 0
    append_i32(out, 0);   // startingFrom
    append_i32(out, 1);   // numberReturned
    out.append(reinterpret_cast<const char*>(bson_get_data(document)), document->len);
    return finish_message(out);
}

std::string build_compressed(const std::string& message, Compressor compressor) {
    MessageHeader header = read_header(reinterpret_cast<const uint8_t*>(message.data()));
    const auto* payload = reinterpret_cast<const uint8_t*>(message.data()) + kHeaderSize;
    std::string compressed = compress(compressor, payload, message.size() - kHeaderSize);
    std::string out;
    out.reserve(kHeaderSize + 9 + compressed.size());
    append_header(out, header.request_id, header.response_to, kOpCompressed);
    append_i32(out, header.op_code);
    append_i32(out, static_cast<int32_t>(message.size() - kHeaderSize));
    out.push_back(static_cast<char>(compressor));
    out += compressed;
    return finish_message(out);
}

uint32_t crc32c(const uint8_t* data, size_t size) {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; ++i)
        crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

}  // namespace tmd::wire
