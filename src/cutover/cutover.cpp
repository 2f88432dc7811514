// Unique conversions after catch-up, and the cutover: restore, verify, record "finalized".
#include "cutover/cutover.h"

#include <spdlog/spdlog.h>

#include "catalog/neutralized_indexes.h"
#include "mongo/collection.h"
#include "mongo/server_info.h"
#include "verify/verify.h"

namespace tributary::cutover {

namespace {

std::string time_text(bson::Timestamp time) {
    return std::to_string(time.t) + "." + std::to_string(time.i);
}

}  // namespace

Cutover::Cutover(mongo::ClientPool& source, mongo::ClientPool& destination,
                 int32_t destination_wire_version, const catalog::NamespaceFilter& filter,
                 checkpoint::Checkpoint& checkpoint)
    : source_(source),
      destination_(destination),
      destination_wire_version_(destination_wire_version),
      filter_(filter),
      checkpoint_(checkpoint) {}

void Cutover::schedule_unique_conversion() {
    mongo::ClientLease client = source_.lease();
    checkpoint_.schedule_unique_conversion(mongo::fetch_operation_time(client.get()));
}

bool Cutover::on_progress(bson::Timestamp applied_through) {
    // Caught up with the time a unique index was created at (and, as those times follow the
    // copy's end, with every document state the copy read): the destination's documents are
    // the source's as of then, which its unique index held without duplicates.
    bson::Timestamp due = checkpoint_.snapshot().unique_conversion_at;
    if (!due.is_null() && !applied_through.is_null() && applied_through >= due) {
        convert_unique_indexes(due);
    }
    if (answer_requests_) take_request();
    reached_ = target_ && !applied_through.is_null() && applied_through >= *target_;
    return reached_;
}

void Cutover::convert_unique_indexes(bson::Timestamp due) {
    mongo::ClientLease source = source_.lease();
    mongo::ClientLease destination = destination_.lease();
    size_t converted = 0;
    for (const auto& index : catalog::find_neutralized(source.get(), destination.get(), filter_)) {
        if (!index.uniqueness) continue;
        try {
            catalog::restore(destination.get(), destination_wire_version_, index, false);
            ++converted;
        } catch (const mongo::Error& error) {
            if (!catalog::is_duplicate_key_error(error)) throw;
            spdlog::warn(
                "Index '{}' on '{}' cannot become unique: caught up with the source, the "
                "destination holds duplicate keys ({}); the source itself holds them (or they "
                "were written to the destination outside tributary). It stays non-unique.",
                index.name(), index.ns(), error.what());
        }
    }
    if (converted > 0) {
        spdlog::info("Replication caught up: made {} index(es) unique on secondary database.",
                     converted);
    }
    checkpoint_.clear_unique_conversion(due);
}

void Cutover::take_request() {
    std::optional<bson::Document> request = checkpoint_.load_request();
    if (!request || mongo::get_string(request->view(), "state").value_or("") != kRequested) {
        return;
    }
    auto target = mongo::get_timestamp(request->view(), "target");
    if (!target) return;
    target_ = *target;
    spdlog::info(
        "Finalize requested: applying the source's changes up to {}, then restoring "
        "indexes and verifying.",
        time_text(*target));
    bson::Document accepted(
        BCON_NEW("state", BCON_UTF8(kAccepted), "target", BCON_TIMESTAMP(target->t, target->i)));
    checkpoint_.save_request(accepted.view());
}

Outcome Cutover::finalize() {
    mongo::ClientLease source = source_.lease();
    mongo::ClientLease destination = destination_.lease();
    size_t restored = 0;
    size_t not_unique = 0;
    for (const auto& index : catalog::find_neutralized(source.get(), destination.get(), filter_)) {
        try {
            catalog::restore(destination.get(), destination_wire_version_, index, true);
            ++restored;
        } catch (const mongo::Error& error) {
            if (!catalog::is_duplicate_key_error(error)) throw;
            ++not_unique;
            // The destination now equals the source: the duplicates are the source's own.
            spdlog::warn(
                "Index '{}' on '{}' cannot become unique: the source itself holds documents "
                "with duplicate keys ({}); it stays non-unique on the destination.",
                index.name(), index.ns(), error.what());
        }
    }
    verify::Report report = verify::compare(source_, destination_, filter_);
    checkpoint_.mark_finalized();
    size_t differing = 0;
    for (const auto& collection : report.collections)
        differing += collection.equal() ? 0 : 1;
    Outcome outcome;
    outcome.equal = report.equal();
    outcome.summary = "Finalized: " + std::to_string(report.collections.size()) +
                      " collection(s), " + std::to_string(restored) + " index(es) restored" +
                      (not_unique ? ", " + std::to_string(not_unique) + " left non-unique" : "") +
                      (outcome.equal ? ", verify equal"
                                     : ", verify found " + std::to_string(differing) +
                                           " collection(s) differing:\n" + report.table());
    if (answer_requests_) {
        bson::Document done(BCON_NEW("state", BCON_UTF8(kDone), "equal", BCON_BOOL(outcome.equal),
                                     "summary", BCON_UTF8(outcome.summary.c_str())));
        checkpoint_.save_request(done.view());
    }
    return outcome;
}

}  // namespace tributary::cutover
