// SCRAM in testmongod (server/auth_scram.h) against published conversations: RFC 7677's
// SCRAM-SHA-256 example and the driver authentication spec's SCRAM-SHA-1 example (MongoDB's
// hashed-password variant), the ways a conversation must fail, and the saslStart/saslContinue
// commands with and without skipEmptyExchange, driven by a client computed here with OpenSSL.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "engine/error.h"
#include "server/auth.h"
#include "server/auth_scram.h"
#include "server/server_state.h"

namespace {

using tmd::MongoError;
using tmd::scram::Credentials;
using tmd::scram::Mechanism;
using tmd::scram::ServerConversation;

// One published example conversation (user "user", password "pencil").
struct Example {
    Mechanism mechanism;
    int iterations;
    std::string salt_base64;
    std::string client_first;
    std::string server_nonce;
    std::string server_first;
    std::string client_final;
    std::string server_final;
};

// RFC 7677 section 3.
const Example kRfc7677 = {
    Mechanism::kSha256,
    4096,
    "W22ZaJ0SNY7soEsUEjb6gQ==",
    "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

// The driver authentication spec, "SCRAM-SHA-1" conversation.
const Example kMongoSha1 = {
    Mechanism::kSha1,
    10000,
    "rQ9ZY3MntBeuP3E1TDVC4w==",
    "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    "Ho+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE",
    "r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,s=rQ9ZY3MntBeuP3E1TDVC4w==,i=10000",
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,"
    "p=MC2T8BvbmWRckDw8oWl5IVghwCY=",
    "v=UMWeI25JD1yNYZRMpZ4VHvhZ9e0=",
};

Credentials credentials_of(const Example& example) {
    return tmd::scram::derive_credentials(
        example.mechanism, tmd::scram::prepare_password(example.mechanism, "user", "pencil"),
        *tmd::scram::base64_decode(example.salt_base64), example.iterations);
}

ServerConversation::CredentialLookup only_user(const Credentials& credentials) {
    return [credentials](const std::string& name) -> std::optional<Credentials> {
        if (name == "user") return credentials;
        return std::nullopt;
    };
}

// Runs fn and returns the MongoError code it throws (0 if it does not throw).
template <typename Fn>
int error_code_of(Fn fn) {
    try {
        fn();
    } catch (const MongoError& error) {
        EXPECT_EQ(error.message(), "Authentication failed.");
        return error.code();
    }
    return 0;
}

void expect_example_conversation(const Example& example) {
    ServerConversation conversation(example.mechanism);
    EXPECT_EQ(conversation.start(example.client_first, only_user(credentials_of(example)),
                                 example.server_nonce),
              example.server_first);
    EXPECT_EQ(conversation.user(), "user");
    EXPECT_EQ(conversation.finish(example.client_final), example.server_final);
}

TEST(ScramTest, ServerFollowsRfc7677Sha256Conversation) {
    expect_example_conversation(kRfc7677);
}

TEST(ScramTest, ServerFollowsMongoSha1ConversationWithHashedPassword) {
    expect_example_conversation(kMongoSha1);
}

TEST(ScramTest, WrongProofFailsWithAuthenticationFailed) {
    ServerConversation conversation(Mechanism::kSha256);
    conversation.start(kRfc7677.client_first, only_user(credentials_of(kRfc7677)),
                       kRfc7677.server_nonce);
    std::string tampered = kRfc7677.client_final;
    tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(error_code_of([&] { conversation.finish(tampered); }), 18);
}

TEST(ScramTest, CredentialsFromAnotherPasswordFailTheProof) {
    Credentials other = tmd::scram::derive_credentials(
        Mechanism::kSha256, "not-pencil", *tmd::scram::base64_decode(kRfc7677.salt_base64), 4096);
    ServerConversation conversation(Mechanism::kSha256);
    conversation.start(kRfc7677.client_first, only_user(other), kRfc7677.server_nonce);
    EXPECT_EQ(error_code_of([&] { conversation.finish(kRfc7677.client_final); }), 18);
}

TEST(ScramTest, UnknownUserFailsAtTheFirstMessage) {
    ServerConversation conversation(Mechanism::kSha256);
    EXPECT_EQ(error_code_of([&] {
                  conversation.start("n,,n=nobody,r=abc", only_user(credentials_of(kRfc7677)),
                                     "xyz");
              }),
              18);
}

TEST(ScramTest, ReplayedNonceIsRejected) {
    ServerConversation conversation(Mechanism::kSha256);
    conversation.start(kRfc7677.client_first, only_user(credentials_of(kRfc7677)),
                       "anotherServerNonce");
    EXPECT_EQ(error_code_of([&] { conversation.finish(kRfc7677.client_final); }), 18);
}

TEST(ScramTest, ChannelBindingRequestIsRejected) {
    ServerConversation conversation(Mechanism::kSha256);
    EXPECT_EQ(error_code_of([&] {
                  conversation.start("p=tls-unique,,n=user,r=abc",
                                     only_user(credentials_of(kRfc7677)), "xyz");
              }),
              18);
}

TEST(ScramTest, EscapedUserNameIsDecoded) {
    ServerConversation conversation(Mechanism::kSha256);
    auto lookup = [](const std::string&) -> std::optional<Credentials> { return Credentials{}; };
    conversation.start("n,,n=a=2Cb=3Dc,r=abc", lookup, "xyz");
    EXPECT_EQ(conversation.user(), "a,b=c");
}

TEST(ScramTest, Sha256PasswordIsSaslPrepped) {
    // RFC 4013 section 3 examples: soft hyphen removed, compatibility characters mapped.
    EXPECT_EQ(tmd::scram::prepare_password(Mechanism::kSha256, "u", "I\u00ADX"), "IX");
    EXPECT_EQ(tmd::scram::prepare_password(Mechanism::kSha256, "u", "\u2168"), "IX");
    EXPECT_EQ(tmd::scram::prepare_password(Mechanism::kSha256, "u", "\u00AA"), "a");
    EXPECT_THROW(tmd::scram::prepare_password(Mechanism::kSha256, "u", "a\x07"), MongoError);
}

TEST(ScramTest, Sha1PasswordIsMongoDigest) {
    // hex(md5("user:mongo:pencil")), the MONGODB-CR passwordDigest of the auth spec's example.
    EXPECT_EQ(tmd::scram::prepare_password(Mechanism::kSha1, "user", "pencil"),
              "1c33006ec1ffd90f9cadcbcc0e118200");
}

TEST(ScramTest, Base64RoundTripsAndRejectsMalformedText) {
    for (std::string bytes : {"", "a", "ab", "abc", "abcd"}) {
        EXPECT_EQ(tmd::scram::base64_decode(tmd::scram::base64_encode(bytes)), bytes);
    }
    EXPECT_FALSE(tmd::scram::base64_decode("abc"));
    EXPECT_FALSE(tmd::scram::base64_decode("a=bc"));
    EXPECT_FALSE(tmd::scram::base64_decode("ab!="));
}

TEST(ScramTest, NewCredentialsUseMongodSaltLengthAndIterations) {
    Credentials sha1 = tmd::scram::new_credentials(Mechanism::kSha1, "u", "p");
    Credentials sha256 = tmd::scram::new_credentials(Mechanism::kSha256, "u", "p");
    EXPECT_EQ(sha1.salt.size(), 16u);
    EXPECT_EQ(sha1.iterations, 10000);
    EXPECT_EQ(sha256.salt.size(), 28u);
    EXPECT_EQ(sha256.iterations, 15000);
    EXPECT_NE(tmd::scram::new_credentials(Mechanism::kSha256, "u", "p").salt, sha256.salt);
}

// The client side of SCRAM-SHA-256 (RFC 5802 section 3), for driving the commands.
std::string hmac_sha256(const std::string& key, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
    return std::string(reinterpret_cast<char*>(out), length);
}

std::string client_final(const std::string& client_first_bare, const std::string& server_first,
                         const std::string& password) {
    std::string nonce = server_first.substr(2, server_first.find(",s=") - 2);
    size_t salt_at = server_first.find(",s=") + 3;
    size_t iterations_at = server_first.find(",i=");
    std::string salt =
        *tmd::scram::base64_decode(server_first.substr(salt_at, iterations_at - salt_at));
    int iterations = std::stoi(server_first.substr(iterations_at + 3));
    unsigned char salted[32];
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), iterations, EVP_sha256(), sizeof salted,
                      salted);
    std::string client_key =
        hmac_sha256(std::string(reinterpret_cast<char*>(salted), sizeof salted), "Client Key");
    unsigned char stored[32];
    EVP_Digest(client_key.data(), client_key.size(), stored, nullptr, EVP_sha256(), nullptr);
    std::string without_proof = "c=biws,r=" + nonce;
    std::string signature =
        hmac_sha256(std::string(reinterpret_cast<char*>(stored), sizeof stored),
                    client_first_bare + "," + server_first + "," + without_proof);
    std::string proof = client_key;
    for (size_t i = 0; i < proof.size(); ++i)
        proof[i] = static_cast<char>(proof[i] ^ signature[i]);
    return without_proof + ",p=" + tmd::scram::base64_encode(proof);
}

// saslStart/saslContinue run straight through the command table of a --auth server with the
// user "user" (password "pencil"), on one connection.
class SaslCommandsTest : public testing::Test {
  protected:
    static tmd::ServerOptions auth_options() {
        tmd::ServerOptions options;
        options.auth = true;
        options.users = {"user:pencil"};
        return options;
    }

    // Runs a command given as extended JSON on admin; returns the reply or throws MongoError.
    bson_t* run(const std::string& json) {
        bson_error_t error;
        bson_t* body = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()),
                                          static_cast<ssize_t>(json.size()), &error);
        EXPECT_NE(body, nullptr) << error.message;
        tmd::CommandRequest request;
        request.body = body;
        request.db = "admin";
        request.name = json.substr(json.find('"') + 1, json.find('"', 2) - 2);
        request.client = &client_;
        request.server = &server_;
        bson_t* reply = bson_new();
        try {
            tmd::authorize_command(request);
            server_.commands().find(request.name)(request, reply);
        } catch (...) {
            bson_destroy(body);
            bson_destroy(reply);
            throw;
        }
        bson_destroy(body);
        return reply;
    }

    static std::string binary_json(const std::string& bytes) {
        return R"({"$binary": {"base64": ")" + tmd::scram::base64_encode(bytes) +
               R"(", "subType": "00"}})";
    }

    static std::string payload_of(const bson_t* reply) {
        bson_iter_t iter;
        EXPECT_TRUE(bson_iter_init_find(&iter, reply, "payload"));
        uint32_t length = 0;
        const uint8_t* data = nullptr;
        bson_iter_binary(&iter, nullptr, &length, &data);
        return std::string(reinterpret_cast<const char*>(data), length);
    }

    static bool done_of(const bson_t* reply) {
        bson_iter_t iter;
        return bson_iter_init_find(&iter, reply, "done") && bson_iter_as_bool(&iter);
    }

    // saslStart then the proof; returns the reply to the proof.
    bson_t* send_proof(const std::string& start_options) {
        bson_t* first = run(R"({"saslStart": 1, "mechanism": "SCRAM-SHA-256", "payload": )" +
                            binary_json("n,,n=user,r=clientNonce") + start_options + "}");
        std::string server_first = payload_of(first);
        bson_destroy(first);
        return run(R"({"saslContinue": 1, "conversationId": 1, "payload": )" +
                   binary_json(client_final("n=user,r=clientNonce", server_first, "pencil")) + "}");
    }

    bool logged_in() const { return client_.auth->user.has_value(); }

    tmd::ServerState server_{auth_options()};
    tmd::ClientInfo client_ = [] {
        tmd::ClientInfo client;
        client.auth = std::make_shared<tmd::AuthSession>();
        client.remote_address = "127.0.0.1:5000";
        return client;
    }();
};

TEST_F(SaslCommandsTest, SkipEmptyExchangeCompletesWithTheServerSignature) {
    bson_t* reply = send_proof(R"(, "options": {"skipEmptyExchange": true})");
    EXPECT_TRUE(done_of(reply));
    EXPECT_EQ(payload_of(reply).rfind("v=", 0), 0u);
    EXPECT_TRUE(logged_in());
    bson_destroy(reply);
}

TEST_F(SaslCommandsTest, LongExchangeCompletesOnTheEmptyFinalMessage) {
    bson_t* reply = send_proof("");
    EXPECT_FALSE(done_of(reply));
    EXPECT_EQ(payload_of(reply).rfind("v=", 0), 0u);
    EXPECT_FALSE(logged_in());
    bson_destroy(reply);
    reply = run(R"({"saslContinue": 1, "conversationId": 1, "payload": )" + binary_json("") + "}");
    EXPECT_TRUE(done_of(reply));
    EXPECT_EQ(payload_of(reply), "");
    EXPECT_TRUE(logged_in());
    bson_destroy(reply);
}

TEST_F(SaslCommandsTest, CommandsNeedALoginFirst) {
    try {
        run(R"({"find": "c"})");
        FAIL() << "find ran without a login";
    } catch (const MongoError& error) {
        EXPECT_EQ(error.code(), 13);
        EXPECT_EQ(error.message(), "command find requires authentication");
    }
    bson_destroy(send_proof(R"(, "options": {"skipEmptyExchange": true})"));
    bson_destroy(run(R"({"find": "c"})"));
}

TEST_F(SaslCommandsTest, SaslContinueWithoutAConversationIsProtocolError) {
    try {
        run(R"({"saslContinue": 1, "conversationId": 1, "payload": )" + binary_json("x") + "}");
        FAIL() << "saslContinue without saslStart succeeded";
    } catch (const MongoError& error) {
        EXPECT_EQ(error.code(), 17);
    }
}

}  // namespace
