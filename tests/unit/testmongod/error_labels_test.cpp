// The labels testmongod's dispatcher attaches to error replies, as mongod's ErrorLabelBuilder
// does (RetryableWriteError, ResumableChangeStreamError, NonResumableChangeStreamError).
#include <bson/bson.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/error.h"
#include "server/dispatch.h"
#include "server/server_state.h"

namespace tmd {
namespace {

bool has_label(const std::vector<std::string>& labels, const std::string& label) {
    return std::find(labels.begin(), labels.end(), label) != labels.end();
}

TEST(ErrorLabels, ChangeStreamFatalErrorIsNonResumableOnGetMore) {
    ServerState server{ServerOptions{}};
    bson_t* body = BCON_NEW("getMore", BCON_INT64(1), "collection", "c");
    auto labels = server_error_labels(server, "getMore", body, code::ChangeStreamFatalError, false);
    EXPECT_TRUE(has_label(labels, "NonResumableChangeStreamError"));
    EXPECT_FALSE(has_label(labels, "ResumableChangeStreamError"));
    bson_destroy(body);
}

TEST(ErrorLabels, ChangeStreamHistoryLostIsNonResumableOnAggregate) {
    ServerState server{ServerOptions{}};
    bson_t* body =
        BCON_NEW("aggregate", "c", "pipeline", "[", "{", "$changeStream", "{", "}", "}", "]");
    auto labels =
        server_error_labels(server, "aggregate", body, code::ChangeStreamHistoryLost, false);
    EXPECT_TRUE(has_label(labels, "NonResumableChangeStreamError"));
    bson_destroy(body);
}

TEST(ErrorLabels, OrdinaryErrorHasNoChangeStreamLabel) {
    ServerState server{ServerOptions{}};
    bson_t* body = BCON_NEW("find", "c");
    auto labels = server_error_labels(server, "find", body, code::BadValue, false);
    EXPECT_TRUE(labels.empty());
    bson_destroy(body);
}

}  // namespace
}  // namespace tmd
