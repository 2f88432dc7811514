// The status API (--status-addr HOST:PORT, or --metrics-port PORT for 127.0.0.1:PORT), served
// from a background thread: GET /status (JSON), /metrics (Prometheus text), /healthz (200 or
// 503). With a token, every request needs "Authorization: Bearer TOKEN" (else 401).
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace tributary::status {

struct ServerConfig {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string token;  // empty: no authentication
    std::chrono::seconds stall_timeout{60};
};

class StatusServer {
  public:
    // Starts listening; throws std::runtime_error when the address cannot be bound.
    explicit StatusServer(const ServerConfig& config);
    ~StatusServer();
    StatusServer(const StatusServer&) = delete;
    StatusServer& operator=(const StatusServer&) = delete;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::status
