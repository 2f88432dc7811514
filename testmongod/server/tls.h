// TLS for the listener (OpenSSL), with mongod's --tlsMode semantics:
// https://www.mongodb.com/docs/manual/reference/program/mongod/#std-option-mongod.--tlsMode
// disabled: plain connections only; allowTLS / preferTLS: a standalone server accepts TLS and
// plain connections on the same port (they differ only in what a server uses towards other
// servers, which testmongod never connects to); requireTLS: TLS only, a plain connection is
// closed. With a CA file the server asks for client certificates and verifies them: without
// --tls-allow-connections-without-certificates a client must present one, as mongod with
// --tlsCAFile (https://www.mongodb.com/docs/manual/tutorial/configure-ssl/).
#pragma once

#include <memory>
#include <string>

// OpenSSL's SSL and SSL_CTX, declared as <openssl/types.h> does, to keep OpenSSL out of the
// headers that include this one.
struct ssl_st;
struct ssl_ctx_st;

namespace tmd {

enum class TlsMode { Disabled, Allow, Prefer, Require };

struct TlsOptions {
    std::string mode = "disabled";  // disabled | allowTLS | preferTLS | requireTLS
    std::string certificate;        // PEM certificate (chain) presented to clients
    std::string key;                // PEM private key; empty: read from `certificate`
    std::string ca;                 // PEM CA certificates that client certificates must chain to
    bool allow_connections_without_certificates = false;
};

// Parses mongod's mode names; false for anything else.
bool parse_tls_mode(const std::string& name, TlsMode* mode);

// One connection's byte stream: the socket itself, or a TLS session over it.
class Stream {
  public:
    Stream(int fd, ssl_st* ssl) : fd_(fd), ssl_(ssl) {}
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    bool read_exact(char* data, size_t size);
    bool write_all(const std::string& bytes);
    bool encrypted() const { return ssl_ != nullptr; }

  private:
    int fd_;
    ssl_st* ssl_;
};

// The server's TLS configuration. Throws std::runtime_error (one line, naming the flag) when a
// file cannot be loaded. The options are checked to fit together when they are parsed (main.cpp):
// a mode other than disabled has a certificate, and disabled has no TLS files.
class TlsServer {
  public:
    explicit TlsServer(const TlsOptions& options);
    ~TlsServer();
    TlsServer(const TlsServer&) = delete;
    TlsServer& operator=(const TlsServer&) = delete;

    TlsMode mode() const { return mode_; }
    // Wraps an accepted socket: a TLS handshake when the client starts one (its first byte is a
    // TLS handshake record), plain otherwise. Null when the connection must be closed: a failed
    // handshake, or a plain connection under requireTLS. `why` tells which.
    std::unique_ptr<Stream> accept(int fd, std::string* why);

  private:
    TlsMode mode_ = TlsMode::Disabled;
    ssl_ctx_st* context_ = nullptr;
};

}  // namespace tmd
