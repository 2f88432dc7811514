// Counters and the periodic progress output. Logged rates are computed between two lines, so a
// quiet period logs nothing and a busy one shows the current throughput, not a lifetime average.
#include "status/progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mongo/change_stream.h"
#include "status/terminal.h"

namespace tributary::status {

using Clock = std::chrono::steady_clock;

const char* phase_name(Phase phase) {
    switch (phase) {
        case Phase::kStarting:
            return "starting";
        case Phase::kCatalog:
            return "catalog";
        case Phase::kCopying:
            return "copying";
        case Phase::kCatchingUp:
            return "catching up";
        case Phase::kLive:
            return "live";
        case Phase::kFinalizing:
            return "finalizing";
    }
    return "starting";
}

Counters& counters() {
    static Counters instance;
    return instance;
}

void Counters::set_phase(Phase phase) {
    std::lock_guard lock(mutex_);
    state_.phase = phase;
    beat_locked();
}

void Counters::start_collection(const std::string& ns, int64_t estimated_documents, int64_t done) {
    std::lock_guard lock(mutex_);
    CollectionProgress& progress = state_.collections[ns];
    progress = CollectionProgress{};
    progress.documents_total = estimated_documents;
    progress.documents_done = done;
    progress.documents_at_start = done;
    progress.started = Clock::now();
    beat_locked();
}

void Counters::add_copied(const std::string& ns, int64_t documents, int64_t bytes) {
    documents_copied += documents;
    std::lock_guard lock(mutex_);
    CollectionProgress& progress = state_.collections[ns];
    progress.documents_done += documents;
    progress.bytes_done += bytes;
    beat_locked();
}

void Counters::finish_collection(const std::string& ns) {
    ++collections_copied;
    std::lock_guard lock(mutex_);
    CollectionProgress& progress = state_.collections[ns];
    progress.complete = true;
    // The estimate was the metadata count: the copy's own count is exact.
    progress.documents_total = progress.documents_done;
}

void Counters::event_read(std::string_view type, const std::string& ns, uint32_t cluster_time) {
    std::lock_guard lock(mutex_);
    ++staged_by_type_[std::string(type)];
    ++staged_by_namespace_[ns];
    state_.newest_read_time = std::max(state_.newest_read_time, cluster_time);
    beat_locked();
}

void Counters::event_applied(std::string_view type, const std::string& ns, uint32_t cluster_time) {
    ++events_applied;
    std::lock_guard lock(mutex_);
    ++state_.events_by_type[std::string(type)];
    ++state_.events_by_namespace[ns];
    state_.newest_read_time = std::max(state_.newest_read_time, cluster_time);
    state_.applied_time = std::max(state_.applied_time, cluster_time);
    beat_locked();
}

void Counters::batch_applied(uint32_t cluster_time) {
    std::lock_guard lock(mutex_);
    for (const auto& [type, count] : staged_by_type_)
        state_.events_by_type[type] += count;
    for (const auto& [ns, count] : staged_by_namespace_)
        state_.events_by_namespace[ns] += count;
    staged_by_type_.clear();
    staged_by_namespace_.clear();
    state_.applied_time = std::max(state_.applied_time, cluster_time);
    state_.last_batch_failed = false;
    beat_locked();
}

void Counters::batch_failed() {
    ++errors;
    std::lock_guard lock(mutex_);
    state_.last_batch_failed = true;
}

void Counters::replication_starts_at(uint32_t cluster_time) {
    std::lock_guard lock(mutex_);
    state_.applied_time = std::max(state_.applied_time, cluster_time);
}

void Counters::source_time(uint32_t cluster_time) {
    std::lock_guard lock(mutex_);
    state_.source_time = std::max(state_.source_time, cluster_time);
    if (state_.phase == Phase::kCatchingUp && state_.catch_up_start_head == 0)
        state_.catch_up_start_head = source_head(state_);
}

void Counters::stream_opened() {
    std::lock_guard lock(mutex_);
    staged_by_type_.clear();
    staged_by_namespace_.clear();
    if (state_.phase != Phase::kCatchingUp) {
        state_.phase = Phase::kCatchingUp;
        state_.catch_up_started = Clock::now();
        state_.catch_up_start_time = state_.applied_time;
        state_.catch_up_start_head = state_.source_time == 0 ? 0 : source_head(state_);
    }
}

void Counters::caught_up(const bson_t* token) {
    const uint32_t through = mongo::resume_token_time(token).value_or(bson::Timestamp{}).t;
    std::lock_guard lock(mutex_);
    if (state_.phase == Phase::kCatchingUp) state_.phase = Phase::kLive;
    state_.newest_read_time = std::max(state_.newest_read_time, through);
    state_.applied_time = std::max(state_.applied_time, through);
    beat_locked();
}

void Counters::source_read(uint32_t cluster_time) {
    std::lock_guard lock(mutex_);
    state_.newest_read_time = std::max(state_.newest_read_time, cluster_time);
}

void Counters::spooled(int64_t events, int64_t bytes) {
    std::lock_guard lock(mutex_);
    if (!state_.spool_started && events > 0) state_.spool_started = Clock::now();
    state_.spool_events = events;
    state_.spool_bytes = bytes;
}

void Counters::checkpoint_saved() {
    std::lock_guard lock(mutex_);
    state_.checkpoint_saved = std::chrono::system_clock::now();
}

void Counters::warn(std::string message) {
    constexpr size_t kKeptWarnings = 20;
    std::lock_guard lock(mutex_);
    state_.warnings.push_back(std::move(message));
    if (state_.warnings.size() > kKeptWarnings) state_.warnings.pop_front();
}

Snapshot Counters::snapshot() const {
    Snapshot copy;
    {
        std::lock_guard lock(mutex_);
        copy = state_;
    }
    copy.documents_copied = documents_copied;
    copy.collections_copied = collections_copied;
    copy.events_applied = events_applied;
    copy.lag_seconds = lag_seconds;
    copy.retries = retries;
    copy.errors = errors;
    copy.read_queue_entries = read_queue_entries;
    copy.read_queue_events = read_queue_events;
    copy.read_queue_bytes = read_queue_bytes;
    return copy;
}

uint32_t source_head(const Snapshot& snapshot) {
    if (snapshot.phase != Phase::kCatchingUp) return snapshot.newest_read_time;
    return std::max(snapshot.newest_read_time, snapshot.source_time);
}

int64_t replication_lag(const Snapshot& snapshot) {
    if (snapshot.phase != Phase::kCatchingUp && snapshot.phase != Phase::kLive) return 0;
    return std::max<int64_t>(0, int64_t(source_head(snapshot)) - int64_t(snapshot.applied_time));
}

std::optional<double> catch_up_eta(const Snapshot& snapshot, Clock::time_point now) {
    if (snapshot.phase != Phase::kCatchingUp || snapshot.catch_up_start_time == 0 ||
        snapshot.catch_up_start_head == 0) {
        return std::nullopt;
    }
    const double elapsed = std::chrono::duration<double>(now - snapshot.catch_up_started).count();
    if (elapsed <= 0) return std::nullopt;
    const double applied = double(snapshot.applied_time) - double(snapshot.catch_up_start_time);
    const double moved = double(source_head(snapshot)) - double(snapshot.catch_up_start_head);
    const double closing = (applied - moved) / elapsed;  // lag seconds shed per second
    if (applied <= 0 || closing <= 0) return std::nullopt;
    return double(replication_lag(snapshot)) / closing;
}

double copy_rate(const CollectionProgress& progress, Clock::time_point now) {
    const double elapsed = std::chrono::duration<double>(now - progress.started).count();
    if (elapsed <= 0) return 0;
    return double(progress.documents_done - progress.documents_at_start) / elapsed;
}

ProgressReporter::ProgressReporter(std::chrono::seconds interval, bool terminal)
    : interval_(interval),
      terminal_(terminal),
      copied_(counters().documents_copied),
      applied_(counters().events_applied) {
    if (terminal_) {
        ticker_ = std::make_unique<Ticker>(std::chrono::seconds(1), [] {
            draw_terminal_lines(progress_lines(counters().snapshot(), Clock::now()));
        });
    } else {
        ticker_ = std::make_unique<Ticker>(interval_, [this] { log_line(); });
    }
}

ProgressReporter::~ProgressReporter() {
    ticker_.reset();
    if (terminal_) clear_terminal_lines();
}

void ProgressReporter::log_line() {
    Counters& c = counters();
    int64_t now_copied = c.documents_copied;
    int64_t now_applied = c.events_applied;
    if (now_copied == copied_ && now_applied == applied_) return;
    double seconds = static_cast<double>(interval_.count());
    spdlog::info(
        "Progress: {} documents copied ({:.0f}/s), {} events applied ({:.0f}/s), "
        "lag {} s",
        now_copied, static_cast<double>(now_copied - copied_) / seconds, now_applied,
        static_cast<double>(now_applied - applied_) / seconds, c.lag_seconds.load());
    copied_ = now_copied;
    applied_ = now_applied;
}

}  // namespace tributary::status
