// Counters and the periodic progress line. Rates are computed between two lines, so a quiet
// period logs nothing and a busy one shows the current throughput, not a lifetime average.
#include "status/progress.h"

#include <spdlog/spdlog.h>

#include <sstream>

namespace tributary::status {

Counters& counters() {
    static Counters instance;
    return instance;
}

ProgressReporter::ProgressReporter(std::chrono::seconds interval)
    : interval_(interval), thread_([this] { loop(); }) {}

ProgressReporter::~ProgressReporter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void ProgressReporter::loop() {
    Counters& c = counters();
    int64_t copied = c.documents_copied.load();
    int64_t applied = c.events_applied.load();
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
        int64_t now_copied = c.documents_copied.load();
        int64_t now_applied = c.events_applied.load();
        if (now_copied == copied && now_applied == applied) continue;
        double seconds = static_cast<double>(interval_.count());
        spdlog::info(
            "Progress: {} documents copied ({:.0f}/s), {} events applied ({:.0f}/s), "
            "lag {} s",
            now_copied, static_cast<double>(now_copied - copied) / seconds, now_applied,
            static_cast<double>(now_applied - applied) / seconds, c.lag_seconds.load());
        copied = now_copied;
        applied = now_applied;
    }
}

std::string prometheus_text(const Counters& c) {
    std::ostringstream out;
    auto metric = [&](const char* name, const char* type, const char* help, int64_t value) {
        out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
            << name << " " << value << "\n";
    };
    metric("tributary_documents_copied_total", "counter", "Documents copied by the initial copy.",
           c.documents_copied.load());
    metric("tributary_collections_copied_total", "counter", "Collections fully copied.",
           c.collections_copied.load());
    metric("tributary_events_applied_total", "counter", "Change events applied.",
           c.events_applied.load());
    metric("tributary_retries_total", "counter",
           "Operations retried after a transient failure (copy ranges, stream resumes, batches).",
           c.retries.load());
    metric("tributary_replication_lag_seconds", "gauge",
           "Seconds between the source's last applied event and now.", c.lag_seconds.load());
    return out.str();
}

}  // namespace tributary::status
