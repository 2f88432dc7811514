// The status API over cpp-httplib. Bound to loopback unless a host is given: counters are
// harmless, but a sync tool should not open a port to the network unless asked to.
#include "status/server.h"

#include <httplib.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "status/progress.h"
#include "status/report.h"

namespace tributary::status {

struct StatusServer::Impl {
    httplib::Server server;
    std::thread thread;
    std::atomic<bool> finished{false};
};

namespace {

using Handler = std::function<void(const Snapshot&, httplib::Response&)>;

// Serves `handler` on GET `path`, after the token check.
void route(httplib::Server& server, const std::string& path, const ServerConfig& config,
           Handler handler) {
    server.Get(path, [config, handler](const httplib::Request& request,
                                       httplib::Response& response) {
        if (!config.token.empty() &&
            request.get_header_value("Authorization") != "Bearer " + config.token) {
            response.status = 401;
            response.set_header("WWW-Authenticate", "Bearer");
            response.set_content("missing or wrong bearer token (--status-token)\n", "text/plain");
            return;
        }
        handler(counters().snapshot(), response);
    });
}

}  // namespace

StatusServer::StatusServer(const ServerConfig& config) : impl_(std::make_unique<Impl>()) {
    using Clock = std::chrono::steady_clock;
    route(impl_->server, "/status", config, [](const Snapshot& snapshot, httplib::Response& out) {
        out.set_content(status_json(snapshot, Clock::now()) + "\n", "application/json");
    });
    route(impl_->server, "/metrics", config, [](const Snapshot& snapshot, httplib::Response& out) {
        out.set_content(prometheus_text(snapshot, Clock::now()), "text/plain; version=0.0.4");
    });
    route(impl_->server, "/healthz", config,
          [stall = config.stall_timeout](const Snapshot& snapshot, httplib::Response& out) {
              const Health verdict = health(snapshot, Clock::now(), stall);
              out.status = verdict.ok ? 200 : 503;
              out.set_content(verdict.ok ? "ok\n" : verdict.reason + "\n", "text/plain");
          });
    if (!impl_->server.bind_to_port(config.host, config.port)) {
        throw std::runtime_error("cannot listen on " + config.host + ":" +
                                 std::to_string(config.port));
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

StatusServer::~StatusServer() {
    impl_->server.stop();
    impl_->thread.join();
}

}  // namespace tributary::status
