// The handoff: poll the request, and try the lease on every poll (a sync that stops or dies
// frees it). A sync that finished the cutover writes kDone before it releases the lease, so a
// lease taken is checked against the request once more.
#include "cutover/handoff.h"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "cutover/cutover.h"
#include "mongo/collection.h"

namespace tributary::cutover {
namespace {

std::string request_state(checkpoint::Checkpoint& checkpoint, std::optional<bson::Document>* out) {
    *out = checkpoint.load_request();
    return *out ? mongo::get_string((*out)->view(), "state").value_or("") : "";
}

}  // namespace

Handoff await_handoff(checkpoint::Checkpoint& checkpoint,
                      std::unique_ptr<checkpoint::Store> lease_store, std::atomic<bool>& stop,
                      std::chrono::seconds timeout) {
    const checkpoint::LeaseHolder me = checkpoint::this_process();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<bson::Document> request;
    bool accepted = false;
    while (!stop) {
        const std::string state = request_state(checkpoint, &request);
        if (state == kDone) return Handoff{std::move(request), {}};
        if (!accepted && state == kAccepted) {
            spdlog::info("The running sync took the request; waiting for it to finish the cutover");
            accepted = true;
        }
        if (!lease_store->take_lease(me, checkpoint::kLeaseDuration)) {
            if (request_state(checkpoint, &request) == kDone) {
                lease_store->release_lease(me);
                return Handoff{std::move(request), {}};
            }
            return Handoff{std::nullopt, std::make_unique<checkpoint::LeaseKeeper>(
                                             std::move(lease_store), me, stop)};
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            throw std::runtime_error(
                "the running sync (it holds the checkpoint's lease) did not finish the cutover "
                "in time; see its log, then run finalize again");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return Handoff{};
}

}  // namespace tributary::cutover
