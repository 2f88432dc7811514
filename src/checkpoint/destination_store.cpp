// Checkpoint in the destination deployment, in <state_db>.checkpoints, written with majority
// write concern so it survives a failover: the run's fields as {_id: "sync"}, each collection's
// copy state as {_id: {ns: "<db.coll>"}, ns, phase, ...}, so a save writes the documents of what
// changed and never the whole state; the cutover request as {_id: "finalize"} and the lease as
// {_id: "lease"}. A checkpoint of format version 1 (one "sync" document holding every
// collection) is read as it is and rewritten in this layout by the first save.
#include <chrono>
#include <stdexcept>

#include "checkpoint/checkpoint.h"
#include "mongo/bulk.h"
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
        std::optional<bson::Document> doc = find("sync");
        if (!doc) return std::nullopt;
        State state = State::from_bson(doc->view());
        rewrite_all_ = State::version_of(doc->view()) < 2;
        if (rewrite_all_) return state;  // its collections were in the document
        mongo::ClientLease client = pool_.lease();
        mongo::Collection coll(client.get(), state_db_, kCheckpointCollection);
        bson::Document filter = bson::Document::from_json(R"({"_id.ns": {"$exists": true}})");
        mongo::Cursor cursor = coll.find(filter.view());
        while (const bson_t* entry = cursor.next())
            state.add_collection(entry);
        return state;
    }

    // One ordered bulk: the collections' documents first, then the run's, so the run's fields
    // (copy complete, resume token) are never durable before the copy states they follow.
    void save(const State& state, const Changes& changes) override {
        const Changes written = rewrite_all_ ? Changes::everything(state) : changes;
        mongo::ClientLease client = pool_.lease();
        mongo::Collection coll(client.get(), state_db_, kCheckpointCollection);
        mongoc_write_concern_t* concern = mongoc_write_concern_new();
        mongoc_write_concern_set_w(concern, MONGOC_WRITE_CONCERN_W_MAJORITY);
        mongoc_collection_set_write_concern(coll.get(), concern);
        mongoc_write_concern_destroy(concern);
        mongo::BulkWrite bulk(coll, true);
        for (const std::string& ns : written.collections) {
            bson::Document id(BCON_NEW("_id", "{", "ns", BCON_UTF8(ns.c_str()), "}"));
            auto found = state.collections.find(ns);
            if (found == state.collections.end()) {
                bulk.delete_one(id.view());
                continue;
            }
            bson::Document entry = id.copy();
            bson_concat(entry.get(), State::collection_to_bson(ns, found->second).view());
            bulk.replace_one(id.view(), entry.view(), true);
        }
        bson::Document run_id(BCON_NEW("_id", BCON_UTF8("sync")));
        if (written.run) bulk.replace_one(run_id.view(), state.run_to_bson().view(), true);
        if (bulk.empty()) return;
        mongo::BulkResult result = bulk.execute();
        if (!result.ok()) {
            throw std::runtime_error("cannot save the checkpoint in " + describe() + ": " +
                                     result.errors.front().message);
        }
        rewrite_all_ = false;
    }

    std::optional<bson::Document> load_request() override { return find("finalize"); }

    void save_request(const bson_t* request) override { replace("finalize", request); }

    // Everything but the lease, which the running sync keeps.
    void clear() override {
        mongo::ClientLease client = pool_.lease();
        mongo::Collection coll(client.get(), state_db_, kCheckpointCollection);
        bson::Document filter(BCON_NEW("_id", "{", "$ne", BCON_UTF8("lease"), "}"));
        bson_error_t error;
        if (!mongoc_collection_delete_many(coll.get(), filter.view(), majority().view(), nullptr,
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
        std::optional<bson::Document> lease = find("lease");
        if (!lease) return take_lease(me, duration);  // released meanwhile
        return LeaseHolder{mongo::get_string(lease->view(), "host").value_or(""),
                           mongo::get_int(lease->view(), "pid").value_or(0),
                           mongo::get_string(lease->view(), "since").value_or("")};
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
        bson::Document opts = majority();
        BSON_APPEND_BOOL(opts.get(), "upsert", true);
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
    bool rewrite_all_ = false;  // loaded in the version 1 layout: the next save writes everything
};

}  // namespace

std::unique_ptr<Store> open_destination_store(mongo::ClientPool& destination,
                                              const std::string& state_db) {
    return std::make_unique<DestinationStore>(destination, state_db);
}

}  // namespace tributary::checkpoint
