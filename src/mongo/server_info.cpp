// Deployment facts from hello (wire version, replica set) and the current cluster time.
// Wire versions per MongoDB's table: 9 = 4.4, 13 = 5.0, 17 = 6.0, 21 = 7.0, 25 = 8.0.
#include "mongo/server_info.h"

#include "mongo/collection.h"

namespace tributary::mongo {

std::string ServerInfo::version_family() const {
    struct Release {
        int32_t wire;
        const char* family;
    };
    static constexpr Release kReleases[] = {{25, "8.0"}, {21, "7.0"}, {17, "6.0"}, {13, "5.0"},
                                            {9, "4.4"},  {8, "4.2"},  {7, "4.0"}};
    for (const Release& release : kReleases) {
        if (max_wire_version >= release.wire) return release.family;
    }
    return "older than 4.0";
}

ServerInfo fetch_server_info(mongoc_client_t* client) {
    bson::Document command(BCON_NEW("hello", BCON_INT32(1)));
    bson::Document reply = run_command(client, "admin", command.view());
    ServerInfo info;
    info.max_wire_version =
        static_cast<int32_t>(get_int(reply.view(), "maxWireVersion").value_or(0));
    info.set_name = get_string(reply.view(), "setName").value_or("");
    info.me = get_string(reply.view(), "me").value_or("");
    info.is_mongos = get_string(reply.view(), "msg").value_or("") == "isdbgrid";
    return info;
}

bson::Timestamp fetch_operation_time(mongoc_client_t* client) {
    bson::Document command(BCON_NEW("ping", BCON_INT32(1)));
    bson::Document reply = run_command(client, "admin", command.view());
    return get_timestamp(reply.view(), "operationTime").value_or(bson::Timestamp{});
}

}  // namespace tributary::mongo
