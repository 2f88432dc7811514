// Checkpoint in the destination deployment: one document {_id: "sync"} in
// <state_db>.checkpoints, replaced with majority write concern so it survives a failover.
#include <stdexcept>

#include "checkpoint/checkpoint.h"
#include "mongo/collection.h"

namespace tributary::checkpoint {

namespace {

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
        bson::Document opts(BCON_NEW("upsert", BCON_BOOL(true), "writeConcern", "{", "w",
                                     BCON_UTF8("majority"), "}"));
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
        mongo::Collection(client.get(), state_db_, kCheckpointCollection).drop();
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
