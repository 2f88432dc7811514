// The TTL monitor (mongod's src/mongo/db/ttl/ttl.cpp; manual "TTL Indexes"): a background thread
// that every ttlMonitorSleepSecs seconds deletes the documents whose TTL-indexed date is older than
// the index's expireAfterSeconds, through the normal delete path (oplog entries, change events).
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

namespace tmd {

class Catalog;
class ServerState;

class TtlMonitor {
  public:
    // Starts the thread. The destructor (at server teardown) requests the server's shutdown, which
    // ends the monitor's wait, and joins the thread.
    explicit TtlMonitor(ServerState& server);
    ~TtlMonitor();
    TtlMonitor(const TtlMonitor&) = delete;
    TtlMonitor& operator=(const TtlMonitor&) = delete;

  private:
    void run();

    ServerState& server_;
    std::thread thread_;
};

// One pass over every TTL index of the catalog at time `now` (the caller holds no lock); returns
// the number of documents deleted.
int64_t run_ttl_pass(Catalog& catalog, std::chrono::system_clock::time_point now);

}  // namespace tmd
