// SCRAM (RFC 5802, RFC 7677) as MongoDB's SCRAM-SHA-1 and SCRAM-SHA-256 mechanisms use it: the
// stored credentials of a user and the server side of one authentication conversation.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tmd::scram {

enum class Mechanism { kSha1, kSha256 };

const char* mechanism_name(Mechanism mechanism);  // "SCRAM-SHA-1" / "SCRAM-SHA-256"
std::optional<Mechanism> mechanism_by_name(std::string_view name);

// What the server keeps per user and mechanism (the credentials.SCRAM-SHA-* of a mongod user
// document); the password itself is never stored.
struct Credentials {
    int iterations = 0;
    std::string salt;        // raw bytes
    std::string stored_key;  // H(ClientKey)
    std::string server_key;  // HMAC(SaltedPassword, "Server Key")
};

// The password as the mechanism feeds it to PBKDF2 (auth spec): SCRAM-SHA-1 uses MongoDB's digest
// hex(md5(user + ":mongo:" + password)); SCRAM-SHA-256 the SASLprep'd password (RFC 4013).
// Throws MongoError(BadValue) when SASLprep rejects the password.
std::string prepare_password(Mechanism mechanism, const std::string& user,
                             const std::string& password);
// Credentials from an already prepared password, a salt and an iteration count.
Credentials derive_credentials(Mechanism mechanism, const std::string& prepared_password,
                               std::string salt, int iterations);
// Credentials with a fresh random salt and mongod's default salt length and iteration count.
Credentials new_credentials(Mechanism mechanism, const std::string& user,
                            const std::string& password);

std::string base64_encode(std::string_view bytes);
// nullopt for text that is not canonical padded base64.
std::optional<std::string> base64_decode(std::string_view text);
// Cryptographically random bytes (OpenSSL RAND_bytes).
std::string random_bytes(size_t count);

// The server side of one conversation. Every failure throws MongoError 18 AuthenticationFailed
// "Authentication failed.", as mongod tells the client nothing more (sasl_commands.cpp); the
// reason goes to the log.
class ServerConversation {
  public:
    using CredentialLookup = std::function<std::optional<Credentials>(const std::string& user)>;

    explicit ServerConversation(Mechanism mechanism) : mechanism_(mechanism) {}

    // client-first-message -> server-first-message. server_nonce is appended to the client's.
    std::string start(std::string_view client_first, const CredentialLookup& lookup,
                      const std::string& server_nonce);
    // client-final-message -> server-final-message ("v=<ServerSignature>") if the proof holds.
    std::string finish(std::string_view client_final);

    Mechanism mechanism() const { return mechanism_; }
    const std::string& user() const { return user_; }  // from client-first, once started

  private:
    [[noreturn]] void fail(const std::string& reason);

    Mechanism mechanism_;
    std::string user_;
    std::string gs2_header_;         // "n,," or "n,a=<authzid>,"
    std::string client_first_bare_;  // "n=<user>,r=<nonce>"
    std::string server_first_;
    std::string nonce_;  // client nonce + server nonce
    Credentials credentials_;
};

}  // namespace tmd::scram
