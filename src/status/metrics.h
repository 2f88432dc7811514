// Optional Prometheus endpoint (--metrics-port): GET /metrics on 127.0.0.1 serves the counters
// of status/progress.h in the text exposition format, from a background thread.
#pragma once

#include <memory>

namespace tributary::status {

class MetricsServer {
  public:
    // Starts listening on 127.0.0.1:port; throws std::runtime_error when the port is taken.
    explicit MetricsServer(int port);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::status
