// Test support: implementation of the independent comparator (comparator.h).
#include "support/comparator.h"

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>

namespace testsupport {
namespace {

struct CursorDeleter {
    void operator()(mongoc_cursor_t* cursor) const { mongoc_cursor_destroy(cursor); }
};
using Cursor = std::unique_ptr<mongoc_cursor_t, CursorDeleter>;

struct DatabaseDeleter {
    void operator()(mongoc_database_t* database) const { mongoc_database_destroy(database); }
};
struct CollectionDeleter {
    void operator()(mongoc_collection_t* collection) const {
        mongoc_collection_destroy(collection);
    }
};
using CollectionHandle = std::unique_ptr<mongoc_collection_t, CollectionDeleter>;

std::string canonical_json(const bson_t* doc) {
    char* text = bson_as_canonical_extended_json(doc, nullptr);
    std::string result = text ? text : "<invalid BSON>";
    bson_free(text);
    return result;
}

std::string shortened(std::string text) {
    constexpr size_t kLimit = 300;
    if (text.size() > kLimit) text = text.substr(0, kLimit) + "...";
    return text;
}

// A read that failed because its collection was renamed or dropped while it was read
// (NamespaceNotFound 26, QueryPlanKilled 175): a difference to poll past, not a failure.
struct ChangedWhileRead : std::runtime_error {
    using std::runtime_error::runtime_error;
};
constexpr uint32_t kNamespaceNotFound = 26;
constexpr uint32_t kQueryPlanKilled = 175;

// Every document a cursor returns, as owned copies; throws on a cursor error, so that a failed
// read is never mistaken for an empty side.
std::vector<Bson> drain(mongoc_cursor_t* raw, const std::string& what) {
    Cursor cursor(raw);
    std::vector<Bson> documents;
    const bson_t* doc = nullptr;
    while (mongoc_cursor_next(cursor.get(), &doc)) {
        Bson copy;
        bson_destroy(copy.get());
        bson_copy_to(doc, copy.get());
        documents.push_back(std::move(copy));
    }
    bson_error_t error;
    if (mongoc_cursor_error(cursor.get(), &error)) {
        const std::string message = "comparator: reading " + what + " failed: " + error.message;
        if (error.code == kNamespaceNotFound || error.code == kQueryPlanKilled) {
            throw ChangedWhileRead(message);
        }
        throw std::runtime_error(message);
    }
    return documents;
}

// The value of one field as canonical extended JSON, type included ({"$numberInt": "1"}).
std::string field_json(const bson_iter_t* iter) {
    bson_t wrapper = BSON_INITIALIZER;
    bson_append_value(&wrapper, "v", 1, bson_iter_value(const_cast<bson_iter_t*>(iter)));
    std::string json = canonical_json(&wrapper);
    bson_destroy(&wrapper);
    return json;
}

std::string id_json(const bson_t* doc) {
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, doc, "_id")) return "<no _id>";
    return field_json(&iter);
}

struct CollectionInfo {
    std::string type;     // "collection", "view", "timeseries"
    std::string options;  // canonical JSON of listCollections' `options`
    bool capped = false;
};

std::map<std::string, CollectionInfo> list_collections(Client& client, const std::string& db) {
    std::unique_ptr<mongoc_database_t, DatabaseDeleter> database(
        mongoc_client_get_database(client.get(), db.c_str()));
    std::map<std::string, CollectionInfo> result;
    for (const Bson& entry :
         drain(mongoc_database_find_collections_with_opts(database.get(), nullptr),
               "listCollections of " + db)) {
        std::string name = entry.string("name");
        if (name.rfind("system.", 0) == 0) continue;
        CollectionInfo info;
        info.type = entry.has("type") ? entry.string("type") : "collection";
        Bson options = entry.has("options") ? entry.document("options") : Bson();
        info.options = canonical_json(options.get());
        info.capped = options.has("capped") && options.boolean("capped");
        result[name] = std::move(info);
    }
    return result;
}

// Index specifications by name, each as its top-level fields in name order, without `v`
// (the index version a server picks) and without the caller's ignored fields.
std::map<std::string, std::string> list_indexes(mongoc_collection_t* collection,
                                                const CompareOptions& options,
                                                const std::string& ns) {
    std::map<std::string, std::string> result;
    for (const Bson& spec : drain(mongoc_collection_find_indexes_with_opts(collection, nullptr),
                                  "listIndexes of " + ns)) {
        std::map<std::string, std::string> fields;
        bson_iter_t iter;
        bson_iter_init(&iter, spec.get());
        while (bson_iter_next(&iter)) {
            std::string key = bson_iter_key(&iter);
            const auto& ignored = options.ignored_index_fields;
            if (key == "v" || key == "ns" ||
                std::find(ignored.begin(), ignored.end(), key) != ignored.end()) {
                continue;
            }
            fields[key] = field_json(&iter);
        }
        std::string described;
        for (const auto& [key, value] : fields)
            described += key + "=" + value + " ";
        result[spec.string("name")] = described;
    }
    return result;
}

std::vector<Bson> read_documents(mongoc_collection_t* collection, bool natural_order,
                                 const std::string& ns) {
    Bson filter;
    Bson opts =
        Bson::from_json(natural_order ? R"({"sort": {"$natural": 1}})" : R"({"sort": {"_id": 1}})");
    return drain(mongoc_collection_find_with_opts(collection, filter.get(), opts.get(), nullptr),
                 "documents of " + ns);
}

class Report {
  public:
    explicit Report(size_t limit) : limit_(limit) {}
    void add(std::string line) {
        if (lines_.size() < limit_) lines_.push_back(std::move(line));
    }
    bool full() const { return lines_.size() >= limit_; }
    std::vector<std::string> take() { return std::move(lines_); }

  private:
    size_t limit_;
    std::vector<std::string> lines_;
};

void compare_documents(const std::string& ns, const std::vector<Bson>& source,
                       const std::vector<Bson>& destination, bool capped, Report& report) {
    std::map<std::string, const Bson*> source_by_id;
    for (const Bson& doc : source)
        source_by_id[id_json(doc.get())] = &doc;
    for (const Bson& doc : destination) {
        std::string id = id_json(doc.get());
        auto found = source_by_id.find(id);
        if (found == source_by_id.end()) {
            report.add(ns + ": document " + id +
                       " only on the destination: " + shortened(doc.json()));
            continue;
        }
        if (!bson_equal(found->second->get(), doc.get())) {
            report.add(ns + ": document " + id + " differs: source " +
                       shortened(found->second->json()) + " destination " + shortened(doc.json()));
        }
        source_by_id.erase(found);
    }
    for (const auto& [id, doc] : source_by_id)
        report.add(ns + ": document " + id +
                   " missing on the destination: " + shortened(doc->json()));
    if (!capped || source.size() != destination.size()) return;
    for (size_t i = 0; i < source.size(); ++i) {
        if (id_json(source[i].get()) != id_json(destination[i].get())) {
            report.add(ns + ": capped collection's natural order differs at position " +
                       std::to_string(i));
            return;
        }
    }
}

void compare_collection(Client& source, Client& destination, const std::string& db,
                        const std::string& name, const CollectionInfo& info,
                        const CompareOptions& options, Report& report) {
    const std::string ns = db + "." + name;
    CollectionHandle source_coll(source.collection(db, name));
    CollectionHandle dest_coll(destination.collection(db, name));
    if (info.type == "collection") {
        auto source_indexes = list_indexes(source_coll.get(), options, ns);
        auto dest_indexes = list_indexes(dest_coll.get(), options, ns);
        for (const auto& [index, spec] : source_indexes) {
            auto found = dest_indexes.find(index);
            if (found == dest_indexes.end())
                report.add(ns + ": index '" + index + "' missing on the destination");
            else if (found->second != spec)
                report.add(ns + ": index '" + index + "' differs: source " + spec + "destination " +
                           found->second);
        }
        for (const auto& [index, spec] : dest_indexes)
            if (!source_indexes.count(index))
                report.add(ns + ": index '" + index + "' only on the destination");
    }
    if (info.type == "view") return;  // a view's documents follow from its (compared) options
    compare_documents(ns, read_documents(source_coll.get(), info.capped, ns),
                      read_documents(dest_coll.get(), info.capped, ns), info.capped, report);
}

void compare_database(Client& source, Client& destination, const std::string& db,
                      const CompareOptions& options, Report& report) {
    auto source_collections = list_collections(source, db);
    auto dest_collections = list_collections(destination, db);
    for (const auto& [name, info] : dest_collections)
        if (!source_collections.count(name))
            report.add(db + "." + name + ": " + info.type + " only on the destination");
    for (const auto& [name, info] : source_collections) {
        if (report.full()) return;
        auto found = dest_collections.find(name);
        if (found == dest_collections.end()) {
            report.add(db + "." + name + ": " + info.type + " missing on the destination");
            continue;
        }
        if (found->second.type != info.type || found->second.options != info.options) {
            report.add(db + "." + name + ": options differ: source " + info.type + " " +
                       info.options + " destination " + found->second.type + " " +
                       found->second.options);
        }
        // A collection renamed or dropped while it is read (QueryPlanKilled, NamespaceNotFound)
        // proves neither side equal: report it, so that a caller polling for convergence reads
        // again, instead of ending on an exception.
        try {
            compare_collection(source, destination, db, name, info, options, report);
        } catch (const ChangedWhileRead& error) {
            report.add(db + "." + name + ": could not be compared: " + error.what());
        }
    }
}

}  // namespace

std::vector<std::string> compare_databases(Client& source, Client& destination,
                                           const std::vector<std::string>& databases,
                                           const CompareOptions& options) {
    Report report(options.max_differences);
    for (const std::string& db : databases) {
        if (report.full()) break;
        compare_database(source, destination, db, options, report);
    }
    return report.take();
}

}  // namespace testsupport
