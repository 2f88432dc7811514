// The /metrics endpoint over cpp-httplib. Bound to loopback only: counters are harmless, but a
// sync tool should not open a port to the network unless asked to.
#include "status/metrics.h"

#include <httplib.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "status/progress.h"

namespace tributary::status {

struct MetricsServer::Impl {
    httplib::Server server;
    std::thread thread;
    std::atomic<bool> finished{false};
};

MetricsServer::MetricsServer(int port) : impl_(std::make_unique<Impl>()) {
    impl_->server.Get("/metrics", [](const httplib::Request&, httplib::Response& response) {
        response.set_content(prometheus_text(counters()), "text/plain; version=0.0.4");
    });
    if (!impl_->server.bind_to_port("127.0.0.1", port)) {
        throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port));
    }
    // Without an idle interval the listener blocks in accept(), which stop() does not always
    // interrupt; with one it re-checks its socket every 100 ms.
    impl_->server.set_idle_interval(0, 100000);
    impl_->thread = std::thread([this] {
        impl_->server.listen_after_bind();
        impl_->finished = true;
    });
    // stop() is a no-op until the listener runs: wait for it, so the destructor cannot miss it.
    while (!impl_->server.is_running() && !impl_->finished)
        std::this_thread::yield();
}

MetricsServer::~MetricsServer() {
    impl_->server.stop();
    impl_->thread.join();
}

}  // namespace tributary::status
