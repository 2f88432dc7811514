// Checkpoint in the destination deployment: one document {_id: "sync"} in
// <state_db>.checkpoints, replaced with majority write concern so it survives a failover.
#include <chrono>
#include <stdexcept>

#include "checkpoint/checkpoint.h"
#include "mongo/collection.h"

namespace tributary::checkpoint {

namespace {

bson::Document majority() {
    return bson::Document(BCON_NEW("writeConcern", "{", "w", BCON_UTF8("majority"), "}"));
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class DestinationStore : public Store {
  public:
    DestinationStore(mongo::ClientPool& pool, std::string state_db)
        : pool_(pool), state_db_(std::move(state_db)) {}

    std::optional<State> load() override {
        mongo::ClientLease client = pool_.lease();
        mongo::Collection coll(client.get(), state_db_, kCheckpointCollection);
        bson::Document filter(BCON_NEW("_id", BCON_UTF8("sync")));
        mongo::Cursor cursor = coll.find(filter.view());
        const bson_t* doc = cursor.next();
        if (!doc) return std::nullopt;
        return State::from_bson(doc);
    }

    void save(const State& state) override {
        mongo::ClientLease client = pool_.lease();
        mongo::Collection coll(client.get(), state_db_, kCheckpointCollection);
        bson::Document filter(BCON_NEW("_id", BCON_UTF8("sync")));
        bson::Document opts = majority();
        BSON_APPEND_BOOL(opts.get(), "upsert", true);
        bson::Document replacement = state.to_bson();
        bson_error_t error;
        bson_t reply;
        bool ok = mongoc_collection_replace_one(coll.get(), filter.view(), replacement.view(),
                                                opts.view(), &reply, &error);
        bson::Document reply_doc(bson_copy(&reply));
        bson_destroy(&reply);
        if (!ok) throw mongo::Error::from(error, reply_doc.view());
    }

    void clear() override {
        mongo::ClientLease client = pool_.lease();
        mongo::Collection coll(client.get(), state_db_, kCheckpointCollection);
        bson::Document filter(BCON_NEW("_id", BCON_UTF8("sync")));
        bson_error_t error;
        if (!mongoc_collection_delete_one(coll.get(), filter.view(), majority().view(), nullptr,
                                          &error)) {
            throw mongo::Error::from(error);
        }
    }

    // {_id: "lease", host, pid, since, expiresAt}: taken by an upsert that matches only an
    // expired lease or this holder's own, so a live holder's document makes it fail with a
    // duplicate _id.
    std::optional<LeaseHolder> take_lease(const LeaseHolder& me,
                                          std::chrono::seconds duration) override {
        mongo::ClientLease client = pool_.lease();
        mongo::Collection coll(client.get(), state_db_, kCheckpointCollection);
        const int64_t now = now_ms();
        bson::Document filter(BCON_NEW("_id", BCON_UTF8("lease"), "$or", "[", "{", "expiresAt", "{",
                                       "$lt", BCON_DATE_TIME(now), "}", "}", "{", "host",
                                       BCON_UTF8(me.host.c_str()), "pid", BCON_INT64(me.pid),
                                       "since", BCON_UTF8(me.since.c_str()), "}", "]"));
        bson::Document update(BCON_NEW("$set", "{", "host", BCON_UTF8(me.host.c_str()), "pid",
                                       BCON_INT64(me.pid), "since", BCON_UTF8(me.since.c_str()),
                                       "expiresAt", BCON_DATE_TIME(now + duration.count() * 1000),
                                       "}"));
        bson::Document opts = majority();
        BSON_APPEND_BOOL(opts.get(), "upsert", true);
        bson_error_t error;
        if (mongoc_collection_update_one(coll.get(), filter.view(), update.view(), opts.view(),
                                         nullptr, &error)) {
            return std::nullopt;
        }
        if (error.code != mongo::codes::kDuplicateKey) throw mongo::Error::from(error);
        bson::Document lease_filter(BCON_NEW("_id", BCON_UTF8("lease")));
        mongo::Cursor cursor = coll.find(lease_filter.view());
        const bson_t* doc = cursor.next();
        if (!doc) return take_lease(me, duration);  // released meanwhile
        return LeaseHolder{mongo::get_string(doc, "host").value_or(""),
                           mongo::get_int(doc, "pid").value_or(0),
                           mongo::get_string(doc, "since").value_or("")};
    }

    void release_lease(const LeaseHolder& me) override {
        mongo::ClientLease client = pool_.lease();
        mongo::Collection coll(client.get(), state_db_, kCheckpointCollection);
        bson::Document filter(BCON_NEW("_id", BCON_UTF8("lease"), "host",
                                       BCON_UTF8(me.host.c_str()), "pid", BCON_INT64(me.pid),
                                       "since", BCON_UTF8(me.since.c_str())));
        bson_error_t error;
        mongoc_collection_delete_one(coll.get(), filter.view(), majority().view(), nullptr, &error);
    }

    std::string describe() const override {
        return pool_.redacted_uri() + " " + state_db_ + "." + kCheckpointCollection;
    }

  private:
    mongo::ClientPool& pool_;
    std::string state_db_;
};

}  // namespace

std::unique_ptr<Store> open_destination_store(mongo::ClientPool& destination,
                                              const std::string& state_db) {
    return std::make_unique<DestinationStore>(destination, state_db);
}

}  // namespace tributary::checkpoint
