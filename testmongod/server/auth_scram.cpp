// SCRAM for testmongod; see auth_scram.h. Message syntax and key derivation follow RFC 5802
// section 3 and 7; MongoDB's deviations (SHA-1 password digest, no SASLprep of user names, no
// channel binding) follow the driver authentication spec.
#include "server/auth_scram.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unicode/usprep.h>
#include <unicode/ustring.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "engine/error.h"
#include "server/server_state.h"

namespace tmd::scram {
namespace {

// mongod's defaults: scramIterationCount 10000, scramSHA256IterationCount 15000, and a salt
// four bytes shorter than the digest (scram_credentials / SCRAMSecrets).
int default_iterations(Mechanism mechanism) {
    return mechanism == Mechanism::kSha1 ? 10000 : 15000;
}

const EVP_MD* digest_of(Mechanism mechanism) {
    return mechanism == Mechanism::kSha1 ? EVP_sha1() : EVP_sha256();
}

size_t digest_size(Mechanism mechanism) {
    return static_cast<size_t>(EVP_MD_get_size(digest_of(mechanism)));
}

std::string hash(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), out, &length, md, nullptr) != 1) {
        throw std::runtime_error("EVP_Digest failed");
    }
    return std::string(reinterpret_cast<char*>(out), length);
}

std::string hmac(Mechanism mechanism, std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(digest_of(mechanism), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
             &length) == nullptr) {
        throw std::runtime_error("HMAC failed");
    }
    return std::string(reinterpret_cast<char*>(out), length);
}

// Hi() of RFC 5802 is PBKDF2 with HMAC and an output of one digest.
std::string salted_password(Mechanism mechanism, const std::string& password,
                            const std::string& salt, int iterations) {
    std::string out(digest_size(mechanism), '\0');
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()),
                          static_cast<int>(salt.size()), iterations, digest_of(mechanism),
                          static_cast<int>(out.size()),
                          reinterpret_cast<unsigned char*>(out.data())) != 1) {
        throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
    }
    return out;
}

std::string hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char byte : bytes) {
        out += kDigits[byte >> 4];
        out += kDigits[byte & 0xf];
    }
    return out;
}

// RFC 4013 SASLprep with ICU's StringPrep profile, as mongod's saslPrep does (icu.cpp).
std::string sasl_prep(const std::string& text) {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<UStringPrepProfile, decltype(&usprep_close)> profile(
        usprep_openByType(USPREP_RFC4013_SASLPREP, &status), usprep_close);
    std::vector<UChar> input(text.size() + 1);
    int32_t input_length = 0;
    u_strFromUTF8(input.data(), static_cast<int32_t>(input.size()), &input_length, text.data(),
                  static_cast<int32_t>(text.size()), &status);
    std::vector<UChar> prepared(input.size() * 4 + 16);
    int32_t prepared_length = 0;
    if (U_SUCCESS(status)) {
        prepared_length =
            usprep_prepare(profile.get(), input.data(), input_length, prepared.data(),
                           static_cast<int32_t>(prepared.size()), USPREP_DEFAULT, nullptr, &status);
    }
    std::string out(static_cast<size_t>(prepared_length) * 3 + 1, '\0');
    int32_t out_length = 0;
    if (U_SUCCESS(status)) {
        u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &out_length, prepared.data(),
                    prepared_length, &status);
    }
    if (U_FAILURE(status)) {
        throw MongoError(code::BadValue, "Error preparing password with SASLprep: " +
                                             std::string(u_errorName(status)));
    }
    out.resize(static_cast<size_t>(out_length));
    return out;
}

// Splits "a=1,b=2" into its attributes; nullopt if one is not "<letter>=<value>".
std::optional<std::vector<std::pair<char, std::string>>> attributes(std::string_view text) {
    std::vector<std::pair<char, std::string>> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string_view item = text.substr(start, comma - start);
        if (item.size() < 2 || item[1] != '=') return std::nullopt;
        out.emplace_back(item[0], std::string(item.substr(2)));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

// saslname of RFC 5802: ',' and '=' arrive as "=2C" and "=3D".
std::optional<std::string> decode_sasl_name(const std::string& name) {
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        if (name[i] != '=') {
            out += name[i];
        } else if (name.compare(i, 3, "=2C") == 0) {
            out += ',';
            i += 2;
        } else if (name.compare(i, 3, "=3D") == 0) {
            out += '=';
            i += 2;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

std::string xor_bytes(const std::string& a, const std::string& b) {
    std::string out(a.size(), '\0');
    for (size_t i = 0; i < a.size(); ++i)
        out[i] = static_cast<char>(a[i] ^ b[i]);
    return out;
}

// Constant-time comparison, so a wrong proof takes as long as a nearly right one.
bool same_bytes(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

const char* mechanism_name(Mechanism mechanism) {
    return mechanism == Mechanism::kSha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
}

std::optional<Mechanism> mechanism_by_name(std::string_view name) {
    if (name == "SCRAM-SHA-1") return Mechanism::kSha1;
    if (name == "SCRAM-SHA-256") return Mechanism::kSha256;
    return std::nullopt;
}

std::string prepare_password(Mechanism mechanism, const std::string& user,
                             const std::string& password) {
    if (mechanism == Mechanism::kSha1) return hex(hash(EVP_md5(), user + ":mongo:" + password));
    return sasl_prep(password);
}

Credentials derive_credentials(Mechanism mechanism, const std::string& prepared_password,
                               std::string salt, int iterations) {
    std::string salted = salted_password(mechanism, prepared_password, salt, iterations);
    Credentials credentials;
    credentials.iterations = iterations;
    credentials.salt = std::move(salt);
    credentials.stored_key = hash(digest_of(mechanism), hmac(mechanism, salted, "Client Key"));
    credentials.server_key = hmac(mechanism, salted, "Server Key");
    return credentials;
}

Credentials new_credentials(Mechanism mechanism, const std::string& user,
                            const std::string& password) {
    return derive_credentials(mechanism, prepare_password(mechanism, user, password),
                              random_bytes(digest_size(mechanism) - 4),
                              default_iterations(mechanism));
}

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(bytes.data()),
                                 static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(length));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out(text.size() / 4 * 3, '\0');
    int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                 reinterpret_cast<const unsigned char*>(text.data()),
                                 static_cast<int>(text.size()));
    if (length < 0) return std::nullopt;
    // EVP_DecodeBlock counts the padding as zero bytes.
    size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
    out.resize(static_cast<size_t>(length) - padding);
    if (base64_encode(out) != text) return std::nullopt;  // non-canonical or misplaced '='
    return out;
}

std::string random_bytes(size_t count) {
    std::string out(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return out;
}

void ServerConversation::fail(const std::string& reason) {
    log_line(LogLevel::Info, std::string(mechanism_name(mechanism_)) +
                                 " authentication failed for user '" + user_ + "': " + reason);
    throw MongoError(code::AuthenticationFailed, "Authentication failed.");
}

std::string ServerConversation::start(std::string_view client_first, const CredentialLookup& lookup,
                                      const std::string& server_nonce) {
    // gs2-header: "n" (no channel binding; MongoDB supports none) or "y", then an optional
    // "a=<authzid>", each followed by a comma.
    size_t first_comma = client_first.find(',');
    size_t second_comma = first_comma == std::string_view::npos
                              ? std::string_view::npos
                              : client_first.find(',', first_comma + 1);
    if (second_comma == std::string_view::npos) fail("malformed client-first-message");
    std::string_view cb_flag = client_first.substr(0, first_comma);
    if (cb_flag != "n" && cb_flag != "y") fail("channel binding is not supported");
    gs2_header_ = std::string(client_first.substr(0, second_comma + 1));
    client_first_bare_ = std::string(client_first.substr(second_comma + 1));

    auto parsed = attributes(client_first_bare_);
    if (!parsed || parsed->size() < 2 || (*parsed)[0].first != 'n' || (*parsed)[1].first != 'r' ||
        (*parsed)[1].second.empty()) {
        fail("malformed client-first-message");
    }
    auto user = decode_sasl_name((*parsed)[0].second);
    if (!user || user->empty()) fail("malformed user name");
    user_ = *user;
    auto credentials = lookup(user_);
    if (!credentials)
        fail("no such user, or no " + std::string(mechanism_name(mechanism_)) +
             " credentials for it");
    credentials_ = *credentials;
    nonce_ = (*parsed)[1].second + server_nonce;
    server_first_ = "r=" + nonce_ + ",s=" + base64_encode(credentials_.salt) +
                    ",i=" + std::to_string(credentials_.iterations);
    return server_first_;
}

std::string ServerConversation::finish(std::string_view client_final) {
    // client-final-message: "c=<base64 gs2-header>,r=<nonce>[,extensions],p=<proof>"; the
    // proof comes last and the AuthMessage covers everything before it.
    size_t proof_at = client_final.rfind(",p=");
    if (proof_at == std::string_view::npos) fail("client-final-message without a proof");
    std::string without_proof(client_final.substr(0, proof_at));
    auto proof = base64_decode(client_final.substr(proof_at + 3));
    auto parsed = attributes(without_proof);
    if (!proof || !parsed || parsed->size() < 2 || (*parsed)[0].first != 'c' ||
        (*parsed)[1].first != 'r') {
        fail("malformed client-final-message");
    }
    if (base64_decode((*parsed)[0].second) != gs2_header_) fail("channel binding mismatch");
    if ((*parsed)[1].second != nonce_) fail("nonce mismatch");

    std::string auth_message = client_first_bare_ + "," + server_first_ + "," + without_proof;
    std::string client_signature = hmac(mechanism_, credentials_.stored_key, auth_message);
    if (proof->size() != client_signature.size()) fail("proof of the wrong length");
    std::string client_key = xor_bytes(*proof, client_signature);
    if (!same_bytes(hash(digest_of(mechanism_), client_key), credentials_.stored_key)) {
        fail("wrong password");
    }
    return "v=" + base64_encode(hmac(mechanism_, credentials_.server_key, auth_message));
}

}  // namespace tmd::scram
