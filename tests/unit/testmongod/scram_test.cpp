// SCRAM in testmongod (server/auth_scram.h) against published conversations: RFC 7677's
// SCRAM-SHA-256 example and the driver authentication spec's SCRAM-SHA-1 example (MongoDB's
// hashed-password variant), plus the ways a conversation must fail.
#include "server/auth_scram.h"

#include <gtest/gtest.h>

#include "engine/error.h"

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

}  // namespace
