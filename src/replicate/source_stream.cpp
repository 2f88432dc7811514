// Opening the run's change stream (replicate/source_stream.h).
#include "replicate/source_stream.h"

#include <string>
#include <vector>

namespace tributary::replicate {
namespace {

// {pipeline: [{$match: {"ns.db": {$in: [...]}}}]}: a cluster-wide stream only ships events of
// the synced databases (documents are still filtered client-side per collection).
bson::Document database_match(const std::vector<std::string>& databases) {
    bson::Document pipeline;
    bson_t stages, stage, match, field, in;
    bson_append_array_begin(pipeline.get(), "pipeline", -1, &stages);
    bson_append_document_begin(&stages, "0", -1, &stage);
    bson_append_document_begin(&stage, "$match", -1, &match);
    bson_append_document_begin(&match, "ns.db", -1, &field);
    bson_append_array_begin(&field, "$in", -1, &in);
    for (size_t i = 0; i < databases.size(); ++i) {
        bson_append_utf8(&in, std::to_string(i).c_str(), -1, databases[i].c_str(), -1);
    }
    bson_append_array_end(&field, &in);
    bson_append_document_end(&match, &field);
    bson_append_document_end(&stage, &match);
    bson_append_document_end(&stages, &stage);
    bson_append_array_end(pipeline.get(), &stages);
    return pipeline;
}

}  // namespace

void open_change_stream(std::optional<mongo::ChangeStream>& stream, mongo::ClientPool& source,
                        const catalog::NamespaceFilter& filter, const StreamPosition& position,
                        int32_t batch_size, bool expanded_events) {
    mongo::ChangeStreamOptions options;
    if (!position.resume_token.empty()) {
        auto& token = position.start_after ? options.start_after : options.resume_after;
        token = position.resume_token.copy();
    } else if (!position.operation_time.is_null()) {
        options.start_at_operation_time = position.operation_time;
    }
    options.batch_size = batch_size;
    options.max_await_time_ms = kMaxAwaitTimeMs;
    // 6.0+ sources report every catalog change as an event; older ones are polled (poll_catalog).
    options.show_expanded_events = expanded_events;
    mongo::WatchScope scope;
    std::optional<bson::Document> pipeline;
    if (auto db = filter.single_database()) {
        scope.db = *db;
    } else if (!filter.databases().empty()) {
        pipeline = database_match(filter.databases());
    }
    stream.reset();
    stream.emplace(source.lease(), scope, options, pipeline ? pipeline->view() : nullptr);
}

}  // namespace tributary::replicate
