// Atlas Search index management on a mongod that is not part of Atlas (manual, "Atlas Search
// Database Commands": createSearchIndexes, dropSearchIndex, updateSearchIndex and the
// $listSearchIndexes stage exist from 6.0.7/7.0 and need a search process mongod alone does not
// have). mongod answers them with 31082 SearchNotEnabled (src/mongo/db/query/search/
// search_index_common.cpp); servers before 6.0 do not know them (CommandNotFound, and the
// pipeline parser's 40324 for the stage).
#include "server/server_state.h"
#include "server/storage_util.h"

namespace tmd {
namespace {

bool has_search_index_commands(const CommandRequest& request) {
    return request.server->profile().max_wire_version >= 17;  // 6.0+
}

[[noreturn]] void throw_search_not_enabled() {
    throw MongoError(code::SearchNotEnabled,
                     "Using Atlas Search Database Commands and the $listSearchIndexes aggregation "
                     "stage requires additional configuration. Please connect to Atlas or an "
                     "AtlasCLI local deployment to enable. For more information on how to "
                     "connect, see https://dochub.mongodb.org/core/atlas-cli-deploy-local-reqs");
}

void cmd_search_index(const CommandRequest& request, bson_t* /*reply*/) {
    if (!has_search_index_commands(request)) {
        throw MongoError(code::CommandNotFound, "no such command: '" + request.name + "'");
    }
    throw_search_not_enabled();
}

}  // namespace

void check_search_stages(const CommandRequest& request, const Array& stages) {
    if (!has_search_index_commands(request)) return;  // the pipeline parser refuses the stage
    for (const auto& stage : stages) {
        if (stage.is_document() && stage.doc().get("$listSearchIndexes")) {
            throw_search_not_enabled();
        }
    }
}

void register_search_index_commands(CommandRegistry& registry) {
    for (const char* name : {"createSearchIndexes", "dropSearchIndex", "updateSearchIndex"}) {
        registry.add(name, cmd_search_index);
    }
}

}  // namespace tmd
