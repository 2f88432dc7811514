// The status API's answers. Rates and ETAs are computed here from the snapshot, so the copy and
// the replicator only count.
#include "status/report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <ctime>
#include <sstream>

namespace tributary::status {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

json optional_number(std::optional<double> value) {
    return value ? json(*value) : json(nullptr);
}

std::optional<double> copy_eta(const CollectionProgress& progress, Clock::time_point now) {
    const double rate = copy_rate(progress, now);
    if (progress.complete) return 0.0;
    if (progress.documents_total < 0 || rate <= 0) return std::nullopt;
    return std::max(0.0, double(progress.documents_total - progress.documents_done) / rate);
}

// Bytes of the whole collection, from the average size of the documents copied so far.
std::optional<double> estimated_bytes(const CollectionProgress& progress) {
    if (progress.documents_total < 0 || progress.documents_done <= progress.documents_at_start) {
        return std::nullopt;
    }
    const double average =
        double(progress.bytes_done) / double(progress.documents_done - progress.documents_at_start);
    return average * double(progress.documents_total);
}

json collection_json(const CollectionProgress& progress, Clock::time_point now) {
    return {{"documents_done", progress.documents_done},
            {"documents_total",
             progress.documents_total < 0 ? json(nullptr) : json(progress.documents_total)},
            {"bytes_done", progress.bytes_done},
            {"bytes_total_estimated", optional_number(estimated_bytes(progress))},
            {"documents_per_second", copy_rate(progress, now)},
            {"eta_seconds", optional_number(copy_eta(progress, now))},
            {"complete", progress.complete}};
}

std::optional<double> checkpoint_age(const Snapshot& snapshot) {
    if (!snapshot.checkpoint_saved) return std::nullopt;
    return std::chrono::duration<double>(std::chrono::system_clock::now() -
                                         *snapshot.checkpoint_saved)
        .count();
}

json cluster_time_json(uint32_t seconds) {
    return seconds == 0 ? json(nullptr) : json(iso_utc(seconds));
}

json spool_json(const Snapshot& snapshot, Clock::time_point now) {
    std::optional<double> rate;
    if (snapshot.spool_started) {
        const double elapsed = seconds_between(*snapshot.spool_started, now);
        if (elapsed > 0) rate = double(snapshot.spool_bytes) / elapsed;
    }
    return {{"events", snapshot.spool_events},
            {"bytes", snapshot.spool_bytes},
            {"bytes_per_second", optional_number(rate)}};
}

// A Prometheus label value: backslash, double quote and newline escaped.
std::string label(const std::string& value) {
    std::string escaped;
    for (char c : value) {
        if (c == '\\' || c == '"') escaped += '\\';
        escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    return escaped;
}

class PrometheusWriter {
  public:
    void family(const char* name, const char* type, const char* help) {
        out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    }
    void sample(const char* name, double value) { out_ << name << " " << number(value) << "\n"; }
    void sample(const char* name, const char* label_name, const std::string& label_value,
                double value) {
        out_ << name << "{" << label_name << "=\"" << label(label_value) << "\"} " << number(value)
             << "\n";
    }
    void metric(const char* name, const char* type, const char* help, double value) {
        family(name, type, help);
        sample(name, value);
    }
    template <typename Map, typename Value>
    void per_label(const char* name, const char* type, const char* help, const char* label_name,
                   const Map& values, Value value_of) {
        family(name, type, help);
        for (const auto& [key, entry] : values)
            sample(name, label_name, key, double(value_of(entry)));
    }
    std::string text() const { return out_.str(); }

  private:
    // Shortest exact form: 3000, not 3000.0 or 3e+03.
    static std::string number(double value) { return fmt::format("{}", value); }
    std::ostringstream out_;
};

}  // namespace

std::string iso_utc(int64_t seconds) {
    const std::time_t time = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&time, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::string time_and_age(int64_t seconds, std::chrono::system_clock::time_point now) {
    const int64_t now_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    return fmt::format("{} ({} s ago)", iso_utc(seconds), now_seconds - seconds);
}

std::string status_json(const Snapshot& snapshot, Clock::time_point now) {
    json collections = json::object();
    for (const auto& [ns, progress] : snapshot.collections)
        collections[ns] = collection_json(progress, now);
    json document = {
        {"phase", phase_name(snapshot.phase)},
        {"collections", collections},
        {"documents_copied", snapshot.documents_copied},
        {"collections_copied", snapshot.collections_copied},
        {"events_applied",
         {{"total", snapshot.events_applied},
          {"by_type", snapshot.events_by_type},
          {"by_namespace", snapshot.events_by_namespace}}},
        {"lag_seconds", replication_lag(snapshot)},
        {"estimated_seconds_to_catch_up", optional_number(catch_up_eta(snapshot, now))},
        {"newest_event_read", cluster_time_json(snapshot.newest_read_time)},
        {"last_event_applied", cluster_time_json(snapshot.applied_time)},
        {"checkpoint_age_seconds", optional_number(checkpoint_age(snapshot))},
        {"retries", snapshot.retries},
        {"errors", snapshot.errors},
        {"last_batch_failed", snapshot.last_batch_failed},
        {"seconds_since_progress", seconds_between(snapshot.last_activity, now)},
        {"spool", spool_json(snapshot, now)},
        {"read_queue",
         {{"entries", snapshot.read_queue_entries},
          {"events", snapshot.read_queue_events},
          {"bytes", snapshot.read_queue_bytes}}},
        {"warnings", snapshot.warnings}};
    return document.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string prometheus_text(const Snapshot& snapshot, Clock::time_point now) {
    PrometheusWriter out;
    // The first five series predate the status API: names and meaning unchanged.
    out.metric("tributary_documents_copied_total", "counter",
               "Documents copied by the initial copy.", double(snapshot.documents_copied));
    out.metric("tributary_collections_copied_total", "counter", "Collections fully copied.",
               double(snapshot.collections_copied));
    out.metric("tributary_events_applied_total", "counter", "Change events applied.",
               double(snapshot.events_applied));
    out.metric("tributary_retries_total", "counter",
               "Operations retried after a transient failure (copy ranges, stream resumes, "
               "batches).",
               double(snapshot.retries));
    out.metric("tributary_replication_lag_seconds", "gauge",
               "Seconds between the source's last applied event and now.",
               double(snapshot.lag_seconds));
    out.metric("tributary_errors_total", "counter",
               "Failures seen (each retried one, and the last one).", double(snapshot.errors));
    out.metric("tributary_stream_lag_seconds", "gauge",
               "Source cluster time of the newest event read minus that of the last applied.",
               double(replication_lag(snapshot)));
    if (auto eta = catch_up_eta(snapshot, now)) {
        out.metric("tributary_catch_up_eta_seconds", "gauge",
                   "Estimated seconds until replication has caught up (while catching up).", *eta);
    }
    if (auto age = checkpoint_age(snapshot)) {
        out.metric("tributary_checkpoint_age_seconds", "gauge",
                   "Seconds since the checkpoint was last saved.", *age);
    }
    out.metric("tributary_last_batch_failed", "gauge",
               "1 while the last attempt to apply a batch failed.",
               snapshot.last_batch_failed ? 1 : 0);
    out.metric("tributary_spool_events", "gauge", "Change events spooled during the copy.",
               double(snapshot.spool_events));
    out.metric("tributary_spool_bytes", "gauge", "Bytes of change events spooled during the copy.",
               double(snapshot.spool_bytes));
    out.metric("tributary_read_queue_entries", "gauge",
               "Change events and drained markers read from the stream, not yet taken to apply.",
               double(snapshot.read_queue_entries));
    out.metric("tributary_read_queue_events", "gauge", "The change events among them.",
               double(snapshot.read_queue_events));
    out.metric("tributary_read_queue_bytes", "gauge", "Bytes of the events in the read queue.",
               double(snapshot.read_queue_bytes));
    out.family("tributary_phase", "gauge", "1 for the phase the run is in, 0 for the others.");
    for (Phase phase : {Phase::kStarting, Phase::kCatalog, Phase::kCopying, Phase::kCatchingUp,
                        Phase::kLive, Phase::kFinalizing}) {
        out.sample("tributary_phase", "phase", phase_name(phase), phase == snapshot.phase ? 1 : 0);
    }
    out.per_label("tributary_collection_documents_copied", "gauge",
                  "Documents of the collection copied.", "namespace", snapshot.collections,
                  [](const CollectionProgress& p) { return p.documents_done; });
    out.per_label("tributary_collection_documents_total", "gauge",
                  "Documents of the collection on the source (estimated until copied; -1 "
                  "unknown).",
                  "namespace", snapshot.collections,
                  [](const CollectionProgress& p) { return p.documents_total; });
    out.per_label("tributary_collection_bytes_copied", "gauge",
                  "Bytes (BSON) of the collection copied in this run.", "namespace",
                  snapshot.collections, [](const CollectionProgress& p) { return p.bytes_done; });
    out.per_label("tributary_collection_copy_complete", "gauge", "1 once the collection is copied.",
                  "namespace", snapshot.collections,
                  [](const CollectionProgress& p) { return p.complete ? 1 : 0; });
    out.per_label("tributary_events_applied_by_type_total", "counter",
                  "Change events applied, by operation type.", "type", snapshot.events_by_type,
                  [](int64_t count) { return count; });
    out.per_label("tributary_events_applied_by_namespace_total", "counter",
                  "Change events applied, by namespace.", "namespace", snapshot.events_by_namespace,
                  [](int64_t count) { return count; });
    return out.text();
}

Health health(const Snapshot& snapshot, Clock::time_point now, std::chrono::seconds stall_timeout) {
    if (snapshot.last_batch_failed) return {false, "the last batch failed to apply"};
    const double idle = seconds_between(snapshot.last_activity, now);
    if (idle > double(stall_timeout.count())) {
        return {false, fmt::format("no progress for {:.0f} s (--stall-timeout {})", idle,
                                   stall_timeout.count())};
    }
    return {};
}

}  // namespace tributary::status
