// The thread that reads the run's change stream while the replicator applies: it owns the
// stream, parses each event and queues it, in stream order, with a "drained" marker for every
// getMore that returned nothing and, last, the failure that ended the stream. The queue is
// bounded by entries and by bytes, so memory stays bounded whatever the source's write rate:
// when it is full the reader waits, and so does the source's cursor.
//
//   StreamReader reader(source, filter, position, options);  // opens the stream (or throws)
//   while (...) if (auto item = reader.pop(wait)) ...;        // events, markers, a failure
// Destroying the reader stops it (within a getMore's maxAwaitTimeMS) and drops what it queued.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <thread>

#include "bson/document.h"
#include "catalog/namespace_filter.h"
#include "copy/bounded_queue.h"
#include "mongo/change_stream.h"
#include "mongo/client.h"
#include "replicate/change_event.h"
#include "replicate/source_stream.h"

namespace tributary::replicate {

struct StreamItem {
    enum class Kind {
        kEvent,    // `event`, parsed
        kDrained,  // a getMore returned nothing: `token` is the stream's resume token after it
        kFailed,   // the stream ended with `failure` (nothing follows)
    };
    Kind kind = Kind::kEvent;
    std::optional<ChangeEvent> event;
    bson::Document token;
    std::exception_ptr failure;
};

struct StreamReaderOptions {
    int32_t batch_size = 0;  // the stream's batchSize
    bool expanded_events = false;
    size_t max_entries = 2000;            // events and markers queued at most
    size_t max_bytes = size_t(32) << 20;  // their size (the events' BSON) at most
};

class StreamReader {
  public:
    // Opens the stream at `position` on this thread (throws mongo::Error as
    // open_change_stream does), then starts reading it on the reader's own.
    StreamReader(mongo::ClientPool& source, const catalog::NamespaceFilter& filter,
                 const StreamPosition& position, const StreamReaderOptions& options);
    ~StreamReader();
    StreamReader(const StreamReader&) = delete;
    StreamReader& operator=(const StreamReader&) = delete;

    // The oldest queued item, or nullopt when none came within `timeout`.
    std::optional<StreamItem> pop(std::chrono::milliseconds timeout);

  private:
    void read();
    // Queues `item` (waiting while the queue is full); false once the reader is stopping.
    bool push(StreamItem item, size_t bytes);
    // The next item from the stream; an invalidate or a failure ends the reading.
    StreamItem next_item(size_t& bytes);
    void publish_depth() const;

    std::optional<mongo::ChangeStream> stream_;
    copy::BoundedQueue<StreamItem> queue_;
    std::atomic<int64_t> queued_events_{0};  // the queue's entries that are events
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace tributary::replicate
