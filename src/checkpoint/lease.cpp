// The lease of a checkpoint store: who holds it, and the thread that renews it while a sync runs.
#include "checkpoint/lease.h"

#include <unistd.h>

#include <chrono>
#include <ctime>

#include <spdlog/spdlog.h>

#include "fmt/format.h"

namespace tributary::checkpoint {

std::string LeaseHolder::describe() const {
    return fmt::format("host {}, pid {}, since {}", host, pid, since);
}

LeaseHolder this_process() {
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    std::time_t now = std::time(nullptr);
    char since[32] = {};
    std::strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return {host, static_cast<int64_t>(::getpid()), since};
}

LeaseKeeper::LeaseKeeper(std::unique_ptr<Store> store, LeaseHolder me, std::atomic<bool>& stop)
    : store_(std::move(store)), me_(std::move(me)), thread_([this, &stop] { renew(stop); }) {}

LeaseKeeper::~LeaseKeeper() {
    {
        std::lock_guard lock(mutex_);
        done_ = true;
    }
    wake_.notify_all();
    thread_.join();
    try {
        store_->release_lease(me_);
    } catch (const std::exception&) {
        // It expires on its own.
    }
}

void LeaseKeeper::renew(std::atomic<bool>& stop) {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, kLeaseDuration / 3, [this] { return done_; })) {
        try {
            if (auto other = store_->take_lease(me_, kLeaseDuration)) {
                spdlog::error("Stopping: another process took over the checkpoint ({}).",
                              other->describe());
                stop = true;
                return;
            }
        } catch (const std::exception&) {
            // A renewal that fails is tried again; the lease lasts three periods.
        }
    }
}

}  // namespace tributary::checkpoint
