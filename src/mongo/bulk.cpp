// Bulk writes: collects operations into one mongoc_bulk_operation_t and splits the reply into
// counts and per-operation write errors (which callers repair) versus fatal failures (thrown).
#include "mongo/bulk.h"

namespace tributary::mongo {

BulkWrite::BulkWrite(const Collection& collection, bool ordered) {
    bson_t opts = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&opts, "ordered", ordered);
    bulk_.reset(mongoc_collection_create_bulk_operation_with_opts(collection.get(), &opts));
    bson_destroy(&opts);
    // Every document tributary writes is one the source accepted: documents that predate the
    // source's validator, or that validationLevel moderate leaves unchecked, must not be refused
    // by the same validator on the destination (bypassDocumentValidation on insert and update).
    mongoc_bulk_operation_set_bypass_document_validation(bulk_.get(), true);
}

void BulkWrite::added(bool ok, bson_error_t& error) {
    if (!ok) throw Error::from(error);
    ++count_;
}

namespace {
// Documents tributary writes are the source's, which the source server accepted: libmongoc's
// client-side check of them (UTF-8 of every string, empty keys) only costs CPU per document
// (the largest single item of a replication profile, bench/RESULTS.md) and would refuse a
// document whose strings an old source stored unchecked. "validate: false" skips it
// (mongoc_bulk_operation_insert_with_opts, _replace_one_with_opts, _update_one_with_opts: "Set to
// false to skip client-side validation").
bson_t write_opts() {
    bson_t opts = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&opts, "validate", false);
    return opts;
}

bson_t upsert_opts(bool upsert) {
    bson_t opts = write_opts();
    BSON_APPEND_BOOL(&opts, "upsert", upsert);
    return opts;
}
}  // namespace

void BulkWrite::insert(const bson_t* document) {
    bson_error_t error;
    bson_t opts = write_opts();
    bool ok = mongoc_bulk_operation_insert_with_opts(bulk_.get(), document, &opts, &error);
    bson_destroy(&opts);
    added(ok, error);
}

void BulkWrite::replace_one(const bson_t* filter, const bson_t* replacement, bool upsert) {
    bson_error_t error;
    bson_t opts = upsert_opts(upsert);
    bool ok = mongoc_bulk_operation_replace_one_with_opts(bulk_.get(), filter, replacement, &opts,
                                                          &error);
    bson_destroy(&opts);
    added(ok, error);
}

void BulkWrite::update_one(const bson_t* filter, const bson_t* update, bool upsert) {
    bson_error_t error;
    bson_t opts = upsert_opts(upsert);
    bool ok =
        mongoc_bulk_operation_update_one_with_opts(bulk_.get(), filter, update, &opts, &error);
    bson_destroy(&opts);
    added(ok, error);
}

void BulkWrite::delete_one(const bson_t* filter) {
    bson_error_t error;
    added(mongoc_bulk_operation_remove_one_with_opts(bulk_.get(), filter, nullptr, &error), error);
}

void BulkWrite::bind(Session& session) {
    mongoc_bulk_operation_set_client_session(bulk_.get(), session.get());
}

namespace {
std::vector<WriteError> write_errors(const bson_t* reply) {
    std::vector<WriteError> errors;
    bson_iter_t iter;
    bson_iter_t item;
    if (!bson_iter_init_find(&iter, reply, "writeErrors") || !bson_iter_recurse(&iter, &item)) {
        return errors;
    }
    while (bson_iter_next(&item)) {
        uint32_t length = 0;
        const uint8_t* data = nullptr;
        bson_iter_document(&item, &length, &data);
        bson_t error_doc;
        if (!bson_init_static(&error_doc, data, length)) continue;
        errors.push_back({static_cast<uint32_t>(get_int(&error_doc, "index").value_or(0)),
                          static_cast<uint32_t>(get_int(&error_doc, "code").value_or(0)),
                          get_string(&error_doc, "errmsg").value_or("")});
    }
    return errors;
}

bool has_write_concern_errors(const bson_t* reply) {
    bson_iter_t iter;
    bson_iter_t item;
    return bson_iter_init_find(&iter, reply, "writeConcernErrors") &&
           bson_iter_recurse(&iter, &item) && bson_iter_next(&item);
}
}  // namespace

BulkResult BulkWrite::execute() {
    BulkResult result;
    if (count_ == 0) return result;
    bson_t reply;
    bson_error_t error;
    bool ok = mongoc_bulk_operation_execute(bulk_.get(), &reply, &error) != 0;
    result.inserted = get_int(&reply, "nInserted").value_or(0);
    result.matched = get_int(&reply, "nMatched").value_or(0);
    result.modified = get_int(&reply, "nModified").value_or(0);
    result.upserted = get_int(&reply, "nUpserted").value_or(0);
    result.deleted = get_int(&reply, "nRemoved").value_or(0);
    result.errors = write_errors(&reply);
    if (!ok && (result.errors.empty() || has_write_concern_errors(&reply))) {
        // No per-operation error to repair: network, command or write-concern failure.
        Error failure = Error::from(error, &reply);
        bson_destroy(&reply);
        throw failure;
    }
    bson_destroy(&reply);
    return result;
}

}  // namespace tributary::mongo
