// The stream reader's thread (replicate/stream_reader.h).
#include "replicate/stream_reader.h"

#include "status/progress.h"

namespace tributary::replicate {

StreamReader::StreamReader(mongo::ClientPool& source, const catalog::NamespaceFilter& filter,
                           const StreamPosition& position, const StreamReaderOptions& options)
    : queue_(options.max_entries, options.max_bytes) {
    open_change_stream(stream_, source, filter, position, options.batch_size,
                       options.expanded_events);
    thread_ = std::thread([this] { read(); });
}

StreamReader::~StreamReader() {
    stopping_ = true;
    queue_.close();  // a push waiting for room returns
    thread_.join();  // a getMore in flight ends within maxAwaitTimeMS
    status::counters().read_queue_entries = 0;
    status::counters().read_queue_events = 0;
    status::counters().read_queue_bytes = 0;
}

std::optional<StreamItem> StreamReader::pop(std::chrono::milliseconds timeout) {
    std::optional<StreamItem> item = queue_.pop_for(timeout);
    if (!item) return item;
    if (item->kind == StreamItem::Kind::kEvent) --queued_events_;
    publish_depth();
    return item;
}

void StreamReader::read() {
    while (!stopping_) {
        size_t bytes = 0;
        StreamItem item = next_item(bytes);
        // The server closes the cursor after an invalidate: the replicator reopens past it.
        const bool last = item.kind == StreamItem::Kind::kFailed ||
                          (item.event && item.event->type() == OperationType::kInvalidate);
        if (!push(std::move(item), bytes) || last) return;
    }
}

StreamItem StreamReader::next_item(size_t& bytes) {
    StreamItem item;
    try {
        if (const bson_t* raw = stream_->next()) {
            bytes = raw->len;
            item.event = ChangeEvent::parse(raw);
            // The lag counts from the newest event read, queued or not.
            status::counters().source_read(item.event->cluster_time().t);
        } else if (auto failure = stream_->error()) {
            item.kind = StreamItem::Kind::kFailed;
            item.failure = std::make_exception_ptr(*failure);
        } else {
            item.kind = StreamItem::Kind::kDrained;
            item.token = stream_->resume_token();
        }
    } catch (...) {  // an event that does not parse: reported where the replicator pops it
        item = StreamItem{StreamItem::Kind::kFailed, std::nullopt, {}, std::current_exception()};
    }
    return item;
}

bool StreamReader::push(StreamItem item, size_t bytes) {
    // Counted before it can be popped (and uncounted when the push gives up), so the published
    // number of queued events never goes below zero.
    const bool event = item.kind == StreamItem::Kind::kEvent;
    if (event) ++queued_events_;
    if (!queue_.push(std::move(item), bytes)) {
        if (event) --queued_events_;
        return false;
    }
    publish_depth();
    return true;
}

void StreamReader::publish_depth() const {
    const auto [entries, bytes] = queue_.depth();
    status::counters().read_queue_entries = static_cast<int64_t>(entries);
    status::counters().read_queue_events = queued_events_.load();
    status::counters().read_queue_bytes = static_cast<int64_t>(bytes);
}

}  // namespace tributary::replicate
