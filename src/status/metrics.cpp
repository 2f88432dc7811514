// The /metrics endpoint over cpp-httplib. Bound to loopback only: counters are harmless, but a
// sync tool should not open a port to the network unless asked to.
#include "status/metrics.h"

#include <httplib.h>

#include <stdexcept>
#include <thread>

#include "status/progress.h"

namespace tributary::status {

struct MetricsServer::Impl {
    httplib::Server server;
    std::thread thread;
};

MetricsServer::MetricsServer(int port) : impl_(std::make_unique<Impl>()) {
    impl_->server.Get("/metrics", [](const httplib::Request&, httplib::Response& response) {
        response.set_content(prometheus_text(counters()), "text/plain; version=0.0.4");
    });
    if (!impl_->server.bind_to_port("127.0.0.1", port)) {
        throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port));
    }
    impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
}

MetricsServer::~MetricsServer() {
    impl_->server.stop();
    impl_->thread.join();
}

}  // namespace tributary::status
