// The spool reader's thread (replicate/spool_reader.h).
#include "replicate/spool_reader.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "checkpoint/crash_point.h"
#include "mongo/retry.h"
#include "replicate/change_event.h"
#include "status/progress.h"

namespace tributary::replicate {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxReopenAttempts = 30;

double megabytes(int64_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

// Seconds between now and the source time `token` stands for (0 when unknown).
int64_t seconds_behind(const bson_t* token) {
    auto time = mongo::resume_token_time(token);
    if (!time) return 0;
    const int64_t wall = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    return std::max<int64_t>(0, wall - int64_t(time->t));
}

}  // namespace

SpoolReader::SpoolReader(SpoolConfig config, mongo::ClientPool& source,
                         const catalog::NamespaceFilter& filter, checkpoint::Checkpoint& checkpoint,
                         checkpoint::Spool& spool, const std::atomic<bool>& stop)
    : config_(config),
      source_(source),
      filter_(filter),
      checkpoint_(checkpoint),
      spool_(spool),
      stop_(stop) {}

SpoolReader::~SpoolReader() {
    finishing_ = true;
    if (thread_.joinable()) thread_.join();
}

void SpoolReader::start() {
    thread_ = std::thread([this] { run(); });
}

void SpoolReader::finish() {
    finishing_ = true;
    if (thread_.joinable()) thread_.join();
    if (failure_) std::rethrow_exception(failure_);
}

void SpoolReader::run() {
    try {
        follow();
    } catch (...) {
        failure_ = std::current_exception();
        failed_ = true;
        if (std::atomic<bool>* stop = stop_on_failure_) *stop = true;
    }
}

void SpoolReader::follow() {
    const checkpoint::State state = checkpoint_.snapshot();
    StreamPosition position =
        state.spool.active()
            ? StreamPosition{state.spool.token.copy(), state.spool.start_after, {}}
            : StreamPosition{state.start.resume_token.copy(), false, state.start.operation_time};
    appended_ = state.spool.appended;
    bytes_ = state.spool.bytes;
    // Entries a crashed run wrote after its last saved position are read again from there.
    spool_.truncate(appended_);
    spdlog::info(
        "Following the change stream during the copy: spooling its events in {} (at most {:.0f} "
        "MB, --spool-max-mb), {} already spooled.",
        spool_.describe(), megabytes(config_.max_bytes), appended_);
    for (int attempt = 1; !finishing_ && !stop_;) {
        try {
            std::optional<mongo::ChangeStream> stream;
            open_change_stream(stream, source_, filter_, position,
                               static_cast<int32_t>(config_.batch_events), config_.expanded_events);
            read(*stream, position);
            attempt = 1;
        } catch (const mongo::Error& error) {
            if (!(error.is_transient() || error.is_connection_failure()) ||
                attempt >= kMaxReopenAttempts) {
                throw;
            }
            spdlog::warn(
                "Spool reader interrupted ({}); reading again from its last position "
                "(attempt {}).",
                error.what(), attempt);
            pending_.clear();
            pending_bytes_ = 0;
            mongo::sleep_unless_stopped(
                mongo::retry_delay(attempt++, std::chrono::milliseconds(100),
                                   std::chrono::seconds(5)),
                stop_);
        }
    }
    spdlog::info("Spool: {} events ({:.1f} MB) read during the copy, in {}.", appended_,
                 megabytes(bytes_), spool_.describe());
}

void SpoolReader::read(mongo::ChangeStream& stream, StreamPosition& position) {
    while (true) {
        const bool ending = finishing_ || stop_;
        const bson_t* raw = ending ? nullptr : stream.next();
        if (raw == nullptr) {
            if (auto failure = stream.error()) throw *failure;
            // Idle, or ending: what was read is spooled, and the high-water mark saved.
            append(stream.resume_token(), false, position);
            if (ending) return;
            report(position);
            continue;
        }
        const ChangeEvent event = ChangeEvent::parse(raw);
        status::counters().source_read(event.cluster_time().t);
        // Catalog events are all kept: they may concern the synced namespaces under other names.
        if (event.is_catalog_event() || filter_.matches(event.ns().db, event.ns().coll)) {
            if (pending_.empty()) pending_since_ = Clock::now();
            pending_.push_back(bson::Document::copy_of(raw));
            pending_bytes_ += raw->len;
        }
        if (event.type() == OperationType::kInvalidate) {
            // The stream ends here; it continues with startAfter this event's token.
            append(stream.resume_token(), true, position);
            return;
        }
        if (pending_.size() >= config_.batch_events || pending_bytes_ >= config_.batch_bytes ||
            Clock::now() - pending_since_ >= config_.max_batch_delay) {
            append(stream.resume_token(), false, position);
        }
        report(position);
    }
}

void SpoolReader::append(bson::Document token, bool start_after, StreamPosition& position) {
    if (token.empty()) return;
    if (pending_.empty() && bson::byte_equal(token.view(), position.resume_token.view())) return;
    if (!pending_.empty()) {
        if (bytes_ + int64_t(pending_bytes_) > config_.max_bytes) {
            throw SpoolFull(fmt::format(
                "the spool is full: the change events read during the copy would exceed "
                "--spool-max-mb {:.0f} ({:.1f} MB spooled in {}); rerun with a larger "
                "--spool-max-mb (the copy and the spool resume), or give the source an oplog "
                "that covers the copy",
                megabytes(config_.max_bytes), megabytes(bytes_), spool_.describe()));
        }
        spool_.append(appended_, pending_);
        // A crash here leaves entries past the saved position: the restart replaces them.
        if (appended_ > 0) checkpoint::crash_point("spool-half-written");
        appended_ += static_cast<int64_t>(pending_.size());
        bytes_ += static_cast<int64_t>(pending_bytes_);
        status::counters().spooled(appended_, bytes_);
        pending_.clear();
        pending_bytes_ = 0;
    }
    checkpoint_.save_spool_position(token.view(), start_after, appended_, bytes_);
    position = StreamPosition{std::move(token), start_after, {}};
}

void SpoolReader::report(const StreamPosition& position) {
    const auto elapsed = std::chrono::duration<double>(Clock::now() - last_report_).count();
    if (elapsed < std::chrono::duration<double>(config_.report_interval).count()) return;
    spdlog::info("Spool: {} events ({:.1f} MB) in {}, {:.0f} events/s, {}s behind the source.",
                 appended_, megabytes(bytes_), spool_.describe(),
                 static_cast<double>(appended_ - appended_at_last_report_) / elapsed,
                 seconds_behind(position.resume_token.view()));
    appended_at_last_report_ = appended_;
    last_report_ = Clock::now();
}

}  // namespace tributary::replicate
