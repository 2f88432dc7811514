// Checkpoint in the destination deployment: one document {_id: "sync"} in
// <state_db>.checkpoints, replaced with majority write concern so it survives a failover; the
// cutover request beside it as {_id: "finalize"}.
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
        std::optional<bson::Document> doc = find("sync");
        if (!doc) return std::nullopt;
        return State::from_bson(doc->view());
    }

    void save(const State& state) override { replace("sync", state.to_bson().view()); }

    std::optional<bson::Document> load_request() override { return find("finalize"); }

    void save_request(const bson_t* request) override { replace("finalize", request); }

    void clear() override {
        mongo::ClientLease client = pool_.lease();
        mongo::Collection(client.get(), state_db_, kCheckpointCollection).drop();
    }

    std::string describe() const override {
        return pool_.redacted_uri() + " " + state_db_ + "." + kCheckpointCollection;
    }

  private:
    std::optional<bson::Document> find(const char* id) {
        mongo::ClientLease client = pool_.lease();
        mongo::Collection coll(client.get(), state_db_, kCheckpointCollection);
        bson::Document filter(BCON_NEW("_id", BCON_UTF8(id)));
        mongo::Cursor cursor = coll.find(filter.view());
        const bson_t* doc = cursor.next();
        if (!doc) return std::nullopt;
        return bson::Document::copy_of(doc);
    }

    // Replaces (or inserts) document {_id: id, ...body} with majority write concern.
    void replace(const char* id, const bson_t* body) {
        mongo::ClientLease client = pool_.lease();
        mongo::Collection coll(client.get(), state_db_, kCheckpointCollection);
        bson::Document filter(BCON_NEW("_id", BCON_UTF8(id)));
        bson::Document opts(BCON_NEW("upsert", BCON_BOOL(true), "writeConcern", "{", "w",
                                     BCON_UTF8("majority"), "}"));
        bson::Document replacement;
        BSON_APPEND_UTF8(replacement.get(), "_id", id);
        bson_copy_to_excluding_noinit(body, replacement.get(), "_id", nullptr);
        bson_error_t error;
        bson_t reply;
        bool ok = mongoc_collection_replace_one(coll.get(), filter.view(), replacement.view(),
                                                opts.view(), &reply, &error);
        bson::Document reply_doc(bson_copy(&reply));
        bson_destroy(&reply);
        if (!ok) throw mongo::Error::from(error, reply_doc.view());
    }

    mongo::ClientPool& pool_;
    std::string state_db_;
};

}  // namespace

std::unique_ptr<Store> open_destination_store(mongo::ClientPool& destination,
                                              const std::string& state_db) {
    return std::make_unique<DestinationStore>(destination, state_db);
}

}  // namespace tributary::checkpoint
