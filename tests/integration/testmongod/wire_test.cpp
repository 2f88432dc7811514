// Integration: OP_COMPRESSED with each compressor negotiated through the URI's compressors
// option, and malformed messages on a raw socket: the server closes or answers that connection
// and keeps serving the others.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "support/mongo_client.h"
#include "support/server_process.h"

namespace {

using testsupport::Client;

class CompressionTest : public ::testing::TestWithParam<const char*> {};

TEST_P(CompressionTest, CommandsRunOverTheNegotiatedCompressor) {
    auto server = testsupport::source_uri_or_start();
    std::string compressor = GetParam();
    Client client(server.uri + "&compressors=" + compressor);
    std::string db = testsupport::unique_name("wire");
    std::string big(20000, 'x');
    auto insert = client.run_command(
        db, R"({"insert": "c", "documents": [{"_id": 1, "s": ")" + big + R"("}]})");
    ASSERT_TRUE(insert.ok) << insert.error;
    auto find = client.run_command(db, R"({"find": "c"})");
    ASSERT_TRUE(find.ok) << find.error;
    EXPECT_EQ(find.reply.string("cursor.firstBatch.0.s"), big);
    // The handshake's hello offered the compressor; a hello offering it again sees it accepted.
    auto hello =
        client.run_command("admin", R"({"hello": 1, "compression": [")" + compressor + R"("]})");
    EXPECT_EQ(hello.reply.string("compression.0"), compressor);
    client.run_command(db, R"({"dropDatabase": 1})");
}

INSTANTIATE_TEST_SUITE_P(EachCompressor, CompressionTest,
                         ::testing::Values("zlib", "snappy", "zstd"));

// A raw loopback connection to the server under test.
class RawConnection {
  public:
    explicit RawConnection(int port) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
        connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        timeval timeout{10, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    }
    ~RawConnection() { close(fd_); }
    bool connected() const { return connected_; }
    void send_bytes(const std::string& bytes) {
        ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(bytes.size()));
    }
    // The next reply's bytes, or empty when the server closed the connection.
    std::string receive() {
        int32_t length = 0;
        if (recv(fd_, &length, 4, MSG_WAITALL) != 4 || length < 16) return {};
        std::string reply(static_cast<size_t>(length), '\0');
        std::memcpy(reply.data(), &length, 4);
        if (recv(fd_, reply.data() + 4, reply.size() - 4, MSG_WAITALL) != length - 4) return {};
        return reply;
    }

  private:
    int fd_ = -1;
    bool connected_ = false;
};

std::string op_msg_with_body(const bson_t* body) {
    std::string out(16, '\0');
    int32_t op = 2013;
    std::memcpy(out.data() + 12, &op, 4);
    out.append(4, '\0');  // flags
    out.push_back('\0');  // kind 0
    out.append(reinterpret_cast<const char*>(bson_get_data(body)), body->len);
    int32_t length = static_cast<int32_t>(out.size());
    std::memcpy(out.data(), &length, 4);
    return out;
}

class MalformedMessageTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::getenv("TRIBUTARY_TEST_SOURCE_URI"))
            GTEST_SKIP() << "raw sockets need testmongod's port";
        server_.emplace(testsupport::ServerProcess::start());
    }
    void expect_server_still_serves() {
        Client client(server_->uri());
        EXPECT_TRUE(client.run_command("admin", R"({"ping": 1})").ok);
    }
    std::optional<testsupport::ServerProcess> server_;
};

TEST_F(MalformedMessageTest, OversizedLengthClosesOnlyThatConnection) {
    RawConnection raw(server_->port());
    ASSERT_TRUE(raw.connected());
    int32_t header[4] = {48000001, 1, 0, 2013};
    raw.send_bytes(std::string(reinterpret_cast<const char*>(header), sizeof header));
    EXPECT_EQ(raw.receive(), "");
    expect_server_still_serves();
}

TEST_F(MalformedMessageTest, GarbageBodyGetsAnErrorReply) {
    RawConnection raw(server_->port());
    std::string message(16, '\0');
    int32_t op = 2013;
    std::memcpy(message.data() + 12, &op, 4);
    message += std::string("\0\0\0\0\0\x30\0\0\0garbage", 16);
    int32_t length = static_cast<int32_t>(message.size());
    std::memcpy(message.data(), &length, 4);
    raw.send_bytes(message);
    std::string reply = raw.receive();
    ASSERT_GT(reply.size(), 21u);
    bson_t body;
    ASSERT_TRUE(bson_init_static(&body, reinterpret_cast<const uint8_t*>(reply.data()) + 21,
                                 reply.size() - 21));
    bson_iter_t iter;
    ASSERT_TRUE(bson_iter_init_find(&iter, &body, "ok"));
    EXPECT_EQ(bson_iter_as_int64(&iter), 0);
    expect_server_still_serves();
}

TEST_F(MalformedMessageTest, OpMsgWithoutDollarDbIsRejected) {
    RawConnection raw(server_->port());
    bson_t* ping = BCON_NEW("ping", BCON_INT32(1));
    raw.send_bytes(op_msg_with_body(ping));
    bson_destroy(ping);
    std::string reply = raw.receive();
    ASSERT_GT(reply.size(), 21u);
    bson_t body;
    ASSERT_TRUE(bson_init_static(&body, reinterpret_cast<const uint8_t*>(reply.data()) + 21,
                                 reply.size() - 21));
    bson_iter_t iter;
    ASSERT_TRUE(bson_iter_init_find(&iter, &body, "code"));
    EXPECT_EQ(bson_iter_as_int64(&iter), 40571);
}

}  // namespace
