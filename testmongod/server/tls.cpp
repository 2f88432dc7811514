// TLS sessions for the listener; see tls.h.
#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

namespace tmd {
namespace {

// The first byte of a TLS record carrying a handshake (RFC 8446 5.1, ContentType handshake).
constexpr unsigned char kTlsHandshakeRecord = 0x16;

std::string openssl_error() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return "unknown error";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

void load_or_throw(int loaded, const std::string& flag, const std::string& path) {
    if (loaded != 1) {
        throw std::runtime_error(flag + ": cannot load " + path + ": " + openssl_error());
    }
}

// Peeks at the client's first byte without consuming it; -1 when the connection ends first.
int peek_first_byte(int fd) {
    unsigned char byte = 0;
    while (true) {
        ssize_t n = recv(fd, &byte, 1, MSG_PEEK);
        if (n == 1) return byte;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}

}  // namespace

bool parse_tls_mode(const std::string& name, TlsMode* mode) {
    if (name == "disabled")
        *mode = TlsMode::Disabled;
    else if (name == "allowTLS")
        *mode = TlsMode::Allow;
    else if (name == "preferTLS")
        *mode = TlsMode::Prefer;
    else if (name == "requireTLS")
        *mode = TlsMode::Require;
    else
        return false;
    return true;
}

Stream::~Stream() {
    if (ssl_) {
        SSL_shutdown(ssl_);
        SSL_free(ssl_);
    }
}

bool Stream::read_exact(char* data, size_t size) {
    while (size > 0) {
        size_t n = 0;
        if (ssl_) {
            if (SSL_read_ex(ssl_, data, size, &n) != 1) return false;
        } else {
            ssize_t got = recv(fd_, data, size, MSG_WAITALL);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) return false;
            n = static_cast<size_t>(got);
        }
        data += n;
        size -= n;
    }
    return true;
}

bool Stream::write_all(const std::string& bytes) {
    const char* data = bytes.data();
    size_t size = bytes.size();
    while (size > 0) {
        size_t n = 0;
        if (ssl_) {
            if (SSL_write_ex(ssl_, data, size, &n) != 1) return false;
        } else {
            ssize_t sent = send(fd_, data, size, MSG_NOSIGNAL);
            if (sent < 0 && errno == EINTR) continue;
            if (sent <= 0) return false;
            n = static_cast<size_t>(sent);
        }
        data += n;
        size -= n;
    }
    return true;
}

TlsServer::TlsServer(const TlsOptions& options) {
    parse_tls_mode(options.mode, &mode_);
    if (mode_ == TlsMode::Disabled) return;
    context_ = SSL_CTX_new(TLS_server_method());
    if (!context_) throw std::runtime_error("TLS: " + openssl_error());
    // mongod refuses TLS 1.0 where 1.1+ is available; testmongod accepts 1.2 and later.
    SSL_CTX_set_min_proto_version(context_, TLS1_2_VERSION);
    SSL_CTX_set_mode(context_, SSL_MODE_AUTO_RETRY);
    const std::string& key = options.key.empty() ? options.certificate : options.key;
    load_or_throw(SSL_CTX_use_certificate_chain_file(context_, options.certificate.c_str()),
                  "--tls-cert", options.certificate);
    load_or_throw(SSL_CTX_use_PrivateKey_file(context_, key.c_str(), SSL_FILETYPE_PEM), "--tls-key",
                  key);
    load_or_throw(SSL_CTX_check_private_key(context_), "--tls-key", key);
    if (!options.ca.empty()) {
        load_or_throw(SSL_CTX_load_verify_locations(context_, options.ca.c_str(), nullptr),
                      "--tls-ca", options.ca);
        int verify = SSL_VERIFY_PEER;
        if (!options.allow_connections_without_certificates) {
            verify |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        }
        SSL_CTX_set_verify(context_, verify, nullptr);
    }
}

TlsServer::~TlsServer() {
    SSL_CTX_free(context_);
}

std::unique_ptr<Stream> TlsServer::accept(int fd, std::string* why) {
    if (mode_ == TlsMode::Disabled) return std::make_unique<Stream>(fd, nullptr);
    int first = peek_first_byte(fd);
    if (first < 0) {
        *why = "closed before its first message";
        return nullptr;
    }
    if (first != kTlsHandshakeRecord) {
        if (mode_ != TlsMode::Require) return std::make_unique<Stream>(fd, nullptr);
        *why = "rejected: not TLS, and --tls-mode is requireTLS";
        return nullptr;
    }
    SSL* ssl = SSL_new(context_);
    if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1) {
        *why = "TLS handshake failed: " + openssl_error();
        SSL_free(ssl);
        return nullptr;
    }
    return std::make_unique<Stream>(fd, ssl);
}

}  // namespace tmd
