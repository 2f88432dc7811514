// The spool: a durable, ordered log of the change events read while the initial copy runs
// (replicate/spool_reader.h writes it, the replicator applies it after the copy). Entries are
// numbered from 0; the checkpoint's SpoolState says how many are durable and applied, so what a
// crashed run wrote past that is replaced, never applied twice or out of order.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bson/document.h"
#include "mongo/client.h"

namespace tributary::checkpoint {

// The spool holds fewer events than the checkpoint counts (damaged, moved or removed since).
class SpoolDamaged : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Spool {
  public:
    virtual ~Spool() = default;
    // Removes the entries numbered `count` and above (written after the last saved position);
    // throws SpoolDamaged when entries before `count` are missing.
    virtual void truncate(int64_t count) = 0;
    // Appends `events` as the entries numbered from `first` on; durable when it returns.
    virtual void append(int64_t first, const std::vector<bson::Document>& events) = 0;
    // Calls `each` with the entries numbered [from, end) in order, until it returns false.
    virtual void read(int64_t from, int64_t end,
                      const std::function<bool(const bson::Document&)>& each) = 0;
    // Removes every entry (the spool is applied).
    virtual void clear() = 0;
    // "file /path.spool" or "mongodb://host/__tributary.spool", for messages.
    virtual std::string describe() const = 0;
};

// `<path>.spool` beside the --state-file: records of [length, CRC-32, BSON], appended and
// fsynced; a torn record at the end (a crash while writing) is cut off.
std::unique_ptr<Spool> open_file_spool(const std::string& state_file);
// Collection `spool` of `state_db` on the destination: {_id: number, event}, majority writes.
std::unique_ptr<Spool> open_destination_spool(mongo::ClientPool& destination,
                                              const std::string& state_db);

inline constexpr const char* kSpoolCollection = "spool";

// SpoolDamaged's message: `spool` holds `held` of the `counted` events the checkpoint counts.
std::string spool_damaged_message(const Spool& spool, int64_t held, int64_t counted);

}  // namespace tributary::checkpoint
