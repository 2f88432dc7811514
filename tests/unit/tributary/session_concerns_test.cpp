// The read and write concerns of the connections a command opens: source reads (the copy, the
// lookups that feed destination writes) at majority, destination writes at --write-concern.
#include <gtest/gtest.h>

#include "cli/config.h"
#include "cli/session.h"
#include "mongo/client.h"

namespace tributary {
namespace {

const mongoc_write_concern_t* write_concern_of(Deployment& deployment) {
    mongo::ClientLease client = deployment.pool->lease();
    return mongoc_client_get_write_concern(client.get());
}

std::string read_concern_of(Deployment& deployment) {
    mongo::ClientLease client = deployment.pool->lease();
    const char* level = mongoc_read_concern_get_level(mongoc_client_get_read_concern(client.get()));
    return level ? level : "";
}

TEST(SessionConcerns, DestinationWritesAreMajorityByDefaultWhateverTheUriSays) {
    mongo::Instance instance;
    Config config;
    Deployment destination = open_deployment("destination", "mongodb://127.0.0.1:1/?w=1", config);
    EXPECT_TRUE(mongoc_write_concern_get_wmajority(write_concern_of(destination)));
}

TEST(SessionConcerns, WriteConcernSettingGivesTheNumberOfMembers) {
    mongo::Instance instance;
    Config config;
    config.write_concern = "2";
    Deployment destination = open_deployment("destination", "mongodb://127.0.0.1:1/", config);
    EXPECT_FALSE(mongoc_write_concern_get_wmajority(write_concern_of(destination)));
    EXPECT_EQ(mongoc_write_concern_get_w(write_concern_of(destination)), 2);
}

TEST(SessionConcerns, SourceReadsAreMajorityUnlessTheUriChoosesALevel) {
    mongo::Instance instance;
    Config config;
    Deployment source = open_deployment("source", "mongodb://127.0.0.1:1/", config);
    EXPECT_EQ(read_concern_of(source), "majority");
    Deployment chosen =
        open_deployment("source", "mongodb://127.0.0.1:1/?readConcernLevel=local", config);
    EXPECT_EQ(read_concern_of(chosen), "local");
}

}  // namespace
}  // namespace tributary
