// Unit tests of testmongod's wire-protocol parser and builders (server/wire.h): OP_MSG sections,
// flags and checksums, OP_QUERY, OP_COMPRESSED with each compressor, malformed input.
#include "server/wire.h"

#include <gtest/gtest.h>

#include <cstring>

#include "engine/error.h"

namespace tmd::wire {
namespace {

void put_i32(std::string& out, int32_t v) {
    uint32_t le = BSON_UINT32_TO_LE(static_cast<uint32_t>(v));
    out.append(reinterpret_cast<const char*>(&le), 4);
}

std::string bson_bytes(const char* json) {
    bson_error_t error;
    bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(json), -1, &error);
    std::string bytes(reinterpret_cast<const char*>(bson_get_data(doc)), doc->len);
    bson_destroy(doc);
    return bytes;
}

// Builds an OP_MSG from raw section bytes, patching the length; appends a CRC if asked.
std::string op_msg(uint32_t flags, const std::string& sections, bool checksum = false) {
    std::string out;
    put_i32(out, 0);
    put_i32(out, 7);  // requestID
    put_i32(out, 0);
    put_i32(out, kOpMsg);
    put_i32(out, static_cast<int32_t>(flags | (checksum ? kChecksumPresent : 0)));
    out += sections;
    int32_t length = static_cast<int32_t>(out.size() + (checksum ? 4 : 0));
    std::memcpy(out.data(), &length, 4);
    if (checksum)
        put_i32(out, static_cast<int32_t>(
                         crc32c(reinterpret_cast<const uint8_t*>(out.data()), out.size())));
    return out;
}

std::string body_section(const char* json) {
    return std::string(1, '\0') + bson_bytes(json);
}

std::string sequence_section(const std::string& identifier, const std::vector<const char*>& docs) {
    std::string payload = identifier + std::string(1, '\0');
    for (const char* doc : docs)
        payload += bson_bytes(doc);
    std::string out(1, '\1');
    put_i32(out, static_cast<int32_t>(payload.size() + 4));
    return out + payload;
}

int error_code_of(const std::string& message) {
    try {
        parse_request(message);
    } catch (const MongoError& error) {
        return error.code();
    }
    return 0;
}

std::string json_of(const bson_t* doc) {
    char* text = bson_as_relaxed_extended_json(doc, nullptr);
    std::string out = text;
    bson_free(text);
    return out;
}

TEST(WireTest, ParsesOpMsgBodyAndDocumentSequence) {
    auto request =
        parse_request(op_msg(0, body_section(R"({"insert": "c", "$db": "d"})") +
                                    sequence_section("documents", {R"({"a": 1})", R"({"a": 2})"})));
    EXPECT_EQ(request->header.request_id, 7);
    EXPECT_EQ(json_of(request->body.get()), R"({ "insert" : "c", "$db" : "d" })");
    ASSERT_EQ(request->sequences.size(), 1u);
    EXPECT_EQ(request->sequences[0].identifier, "documents");
    ASSERT_EQ(request->sequences[0].documents.size(), 2u);
    EXPECT_EQ(json_of(request->sequences[0].documents[1].get()), R"({ "a" : 2 })");
    EXPECT_FALSE(request->more_to_come());
}

TEST(WireTest, MoreToComeFlagIsReported) {
    auto request = parse_request(op_msg(kMoreToCome, body_section(R"({"ping": 1, "$db": "a"})")));
    EXPECT_TRUE(request->more_to_come());
}

TEST(WireTest, UnknownRequiredFlagIsIllegalOpMsgFlag) {
    EXPECT_EQ(error_code_of(op_msg(1u << 4, body_section(R"({"ping": 1})"))), 223);
}

TEST(WireTest, UnknownOptionalFlagIsIgnored) {
    EXPECT_EQ(error_code_of(op_msg(kExhaustAllowed | (1u << 20), body_section(R"({"ping": 1})"))),
              0);
}

// error_codes.yml in mongodb/mongo (src/mongo/base): ChecksumMismatch is 288.
TEST(WireTest, ValidChecksumIsAcceptedAndWrongOneIsChecksumMismatch) {
    std::string message = op_msg(0, body_section(R"({"ping": 1})"), true);
    EXPECT_EQ(error_code_of(message), 0);
    message.back() ^= 0x5A;
    EXPECT_EQ(error_code_of(message), 288);
}

TEST(WireTest, Crc32cMatchesTheStandardCheckValue) {
    const char* text = "123456789";
    EXPECT_EQ(crc32c(reinterpret_cast<const uint8_t*>(text), 9), 0xE3069283u);
}

TEST(WireTest, MissingBodyAndDuplicateBodyAreRejected) {
    EXPECT_EQ(error_code_of(op_msg(0, sequence_section("documents", {R"({"a": 1})"}))), 40587);
    EXPECT_EQ(error_code_of(op_msg(0, body_section(R"({"a": 1})") + body_section(R"({"b": 1})"))),
              40430);
}

TEST(WireTest, SequenceDuplicatingABodyFieldIsRejected) {
    EXPECT_EQ(error_code_of(op_msg(0, body_section(R"({"insert": "c", "documents": []})") +
                                          sequence_section("documents", {R"({"a": 1})"}))),
              40433);
}

TEST(WireTest, UnknownSectionKindIsRejected) {
    EXPECT_EQ(error_code_of(op_msg(0, body_section(R"({"a": 1})") + std::string(1, '\7'))), 40432);
}

TEST(WireTest, TruncatedOrCorruptBsonIsAnErrorNotACrash) {
    std::string message = op_msg(0, body_section(R"({"a": "hello"})"));
    message[message.size() - 2] = 'x';  // overwrite the string's terminating NUL
    EXPECT_NE(error_code_of(message), 0);
    std::string truncated = message.substr(0, message.size() - 4);
    int32_t length = static_cast<int32_t>(truncated.size());
    std::memcpy(truncated.data(), &length, 4);
    EXPECT_NE(error_code_of(truncated), 0);
}

TEST(WireTest, OpQueryCommandIsUnwrappedFromDollarQuery) {
    std::string message;
    put_i32(message, 0);
    put_i32(message, 3);
    put_i32(message, 0);
    put_i32(message, kOpQuery);
    put_i32(message, 0);
    message += std::string("admin.$cmd") + '\0';
    put_i32(message, 0);
    put_i32(message, -1);
    message += bson_bytes(R"({"$query": {"isMaster": 1}, "$readPreference": {"mode": "primary"}})");
    int32_t length = static_cast<int32_t>(message.size());
    std::memcpy(message.data(), &length, 4);
    auto request = parse_request(message);
    EXPECT_EQ(request->query_namespace, "admin.$cmd");
    EXPECT_EQ(json_of(request->body.get()), R"({ "isMaster" : 1 })");
}

class CompressionTest : public ::testing::TestWithParam<Compressor> {};

TEST_P(CompressionTest, CompressedOpMsgRoundTrips) {
    std::string plain = op_msg(
        0, body_section(R"({"ping": 1, "$db": "admin", "pad": "aaaaaaaaaaaaaaaaaaaaaaaa"})"));
    auto request = parse_request(build_compressed(plain, GetParam()));
    EXPECT_EQ(request->compressor, GetParam());
    EXPECT_EQ(request->bytes, plain);
    EXPECT_EQ(json_of(request->body.get()),
              R"({ "ping" : 1, "$db" : "admin", "pad" : "aaaaaaaaaaaaaaaaaaaaaaaa" })");
}

TEST_P(CompressionTest, CorruptCompressedPayloadIsAnError) {
    std::string compressed =
        build_compressed(op_msg(0, body_section(R"({"ping": 1})")), GetParam());
    for (size_t i = kHeaderSize + 9; i < compressed.size(); ++i)
        compressed[i] ^= 0x33;
    EXPECT_NE(error_code_of(compressed), 0);
}

INSTANTIATE_TEST_SUITE_P(EachCompressor, CompressionTest,
                         ::testing::Values(Compressor::Snappy, Compressor::Zlib, Compressor::Zstd));

TEST(WireTest, OpMsgReplyCarriesResponseToAndBody) {
    bson_t* body = BCON_NEW("ok", BCON_DOUBLE(1.0));
    std::string reply = build_op_msg(9, 7, body);
    auto parsed = parse_request(reply);
    EXPECT_EQ(parsed->header.request_id, 9);
    EXPECT_EQ(parsed->header.response_to, 7);
    EXPECT_EQ(json_of(parsed->body.get()), R"({ "ok" : 1.0 })");
    bson_destroy(body);
}

TEST(WireTest, AcceptableLengthStopsAtMaxMessageSize) {
    EXPECT_FALSE(acceptable_length(MessageHeader{15, 0, 0, kOpMsg}));
    EXPECT_TRUE(acceptable_length(MessageHeader{kMaxMessageSizeBytes, 0, 0, kOpMsg}));
    EXPECT_FALSE(acceptable_length(MessageHeader{kMaxMessageSizeBytes + 1, 0, 0, kOpMsg}));
    EXPECT_FALSE(acceptable_length(MessageHeader{-5, 0, 0, kOpMsg}));
}

}  // namespace
}  // namespace tmd::wire
