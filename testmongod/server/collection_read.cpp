// The read path: _id-index candidate selection and _id-ordered walks (tributary copies large
// collections by _id ranges sorted on _id), views, $sample's random cursor, and find execution
// that copies candidates under the catalog lock and parses them after releasing it.
#include "server/collection_read.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <unordered_set>

#include "engine/projection.h"
#include "engine/random.h"
#include "engine/sort.h"
#include "server/storage_util.h"

namespace tmd {
namespace {

constexpr int kMaxViewDepth = 20;  // mongod's maximum view nesting depth

Document parse(const Record& record) {
    return to_document(record.doc);
}

bool is_operator_document(const Value& value) {
    return value.is_document() && !value.doc().empty() &&
           value.doc().fields().front().name.front() == '$';
}

// Values whose equality match is plain comparison (regexes match by pattern, arrays by element).
bool plain_equality(const Value& value) {
    return value.type() != BSON_TYPE_REGEX && !value.is_array() && !is_operator_document(value);
}

struct IdBounds {
    std::optional<Value> lower, upper;
    bool lower_inclusive = true, upper_inclusive = true;
};

// Reads {$gt, $gte, $lt, $lte, $eq} on _id into bounds; false for any other operator.
bool range_of(const Document& ops, IdBounds& bounds) {
    for (const auto& [op, value] : ops.fields()) {
        if (!plain_equality(value)) return false;
        if (op == "$gt" || op == "$gte" || op == "$eq") {
            if (!bounds.lower || compare_values(value, *bounds.lower) > 0) {
                bounds.lower = value;
                bounds.lower_inclusive = op != "$gt";
            }
        }
        if (op == "$lt" || op == "$lte" || op == "$eq") {
            if (!bounds.upper || compare_values(value, *bounds.upper) < 0) {
                bounds.upper = value;
                bounds.upper_inclusive = op != "$lt";
            }
        }
        if (op != "$gt" && op != "$gte" && op != "$lt" && op != "$lte" && op != "$eq") return false;
    }
    return true;
}

using IdIndex = std::map<Value, RecordId, ValueLess>;

// A stretch of the _id index: [first, last).
struct IdSpan {
    IdIndex::const_iterator first, last;
};

IdSpan id_span(const Collection& coll, const IdBounds& bounds) {
    const IdIndex& index = coll.id_index();
    auto first = !bounds.lower            ? index.begin()
                 : bounds.lower_inclusive ? index.lower_bound(*bounds.lower)
                                          : index.upper_bound(*bounds.lower);
    auto last = !bounds.upper            ? index.end()
                : bounds.upper_inclusive ? index.upper_bound(*bounds.upper)
                                         : index.lower_bound(*bounds.upper);
    // Bounds that exclude each other ({$gt: 5, $lt: 5}, {$gte: 9, $lte: 1}) select nothing.
    bool crossed = first == index.end() ||
                   (last != index.end() && index.key_comp()(last->first, first->first));
    return crossed ? IdSpan{index.end(), index.end()} : IdSpan{first, last};
}

std::vector<const Record*> id_range(const Collection& coll, const IdBounds& bounds) {
    IdSpan span = id_span(coll, bounds);
    std::vector<const Record*> result;
    for (auto it = span.first; it != span.last; ++it)
        result.push_back(coll.find_record(it->second));
    return result;
}

std::vector<const Record*> id_lookups(const Collection& coll, std::vector<Value> ids) {
    std::sort(ids.begin(), ids.end(), ValueLess{});
    std::vector<const Record*> result;
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i > 0 && values_equal(ids[i - 1], ids[i])) continue;
        auto it = coll.id_index().find(ids[i]);
        if (it != coll.id_index().end()) result.push_back(coll.find_record(it->second));
    }
    return result;
}

// The _id values of an {$in: [...]} or nothing when the $in holds regexes or arrays.
std::optional<std::vector<Value>> in_list(const Document& ops) {
    if (ops.size() != 1 || ops.fields()[0].name != "$in" || !ops.fields()[0].value.is_array()) {
        return std::nullopt;
    }
    std::vector<Value> values;
    for (const auto& value : ops.fields()[0].value.array()) {
        if (!plain_equality(value)) return std::nullopt;
        values.push_back(value);
    }
    return values;
}

// What a filter's _id condition selects from the _id index: listed values (equality, $in), a
// range, or nothing usable (no _id condition, or one the index cannot serve).
struct IdSelection {
    enum class Kind { kNone, kValues, kRange } kind = Kind::kNone;
    std::vector<Value> values;
    IdBounds bounds;
};

IdSelection id_selection(const Document& filter) {
    IdSelection selection;
    const Value* id = filter.get("_id");
    if (!id) return selection;
    if (!is_operator_document(*id)) {
        if (plain_equality(*id)) selection = {IdSelection::Kind::kValues, {*id}, {}};
        return selection;
    }
    if (auto ids = in_list(id->doc())) return {IdSelection::Kind::kValues, std::move(*ids), {}};
    IdBounds bounds;
    if (range_of(id->doc(), bounds)) selection = {IdSelection::Kind::kRange, {}, std::move(bounds)};
    return selection;
}

using Visit = std::function<bool(const Record&)>;

// Long copies release the shared lock every kRecordsPerLockHold records and take it again, as
// mongod's query plans yield their locks periodically (internalQueryExecYieldIterations,
// internalQueryExecYieldPeriodMS), so a writer waits for one chunk (well under a millisecond)
// rather than a whole collection. A read may then see writes made while it runs, as MongoDB's
// may (manual, "Cursor isolation").
constexpr size_t kRecordsPerLockHold = 4096;

// The collection a long copy reads, and the locks it yields: the caller's shared catalog lock and
// the collection's shared lock, which it holds while it lives (it must go before the caller's
// catalog lock).
class ReadYield {
  public:
    // `lock` nullptr: the caller holds the catalog lock exclusively, and the copy never yields.
    ReadYield(Catalog& catalog, SharedLock* lock, const Collection& coll)
        : catalog_(catalog),
          lock_(lock),
          coll_(&coll),
          coll_lock_(read_lock(coll, lock != nullptr)),
          uuid_(coll.uuid()) {}

    const Collection& coll() const { return *coll_; }
    // Counts one record copied; true when it is time to yield (the caller notes its place).
    bool due() { return lock_ && ++copied_ % kRecordsPerLockHold == 0; }
    // Lets writers in, then finds the collection again. One dropped or renamed meanwhile ends the
    // read as it ends mongod's (QueryPlanKilled, 175).
    void yield() {
        std::string db = coll_->db(), name = coll_->name();
        coll_lock_.unlock();
        lock_->unlock();
        lock_->lock();
        coll_ = catalog_.find(db, name);
        if (!coll_ || coll_->uuid() != uuid_) {
            throw MongoError(175, "collection " + db + "." + name +
                                      " was dropped or renamed while it was being read");
        }
        coll_lock_ = read_lock(*coll_);
    }

  private:
    Catalog& catalog_;
    SharedLock* lock_;
    const Collection* coll_;
    SharedLock coll_lock_;
    CollectionUuid uuid_;
    size_t copied_ = 0;
};

// Every record in natural order, until `visit` returns false; resumes after a yield at the next
// record id.
void walk_natural_order(ReadYield& reader, const Visit& visit) {
    std::optional<RecordId> resume = 0;
    while (resume) {
        const auto& records = reader.coll().records();
        auto it = records.lower_bound(*resume);
        resume.reset();
        for (; it != records.end(); ++it) {
            if (!visit(it->second)) return;
            if (reader.due()) {
                resume = it->first + 1;
                break;
            }
        }
        if (resume) reader.yield();
    }
}

// The records of the _id index between the bounds, in _id order (direction 1) or its reverse
// (-1), until `visit` returns false; resumes after a yield by narrowing the bounds to the keys
// not visited yet.
void walk_id_range(ReadYield& reader, IdBounds bounds, int direction, const Visit& visit) {
    bool more = true;
    while (more) {
        more = false;
        const Collection& coll = reader.coll();
        IdSpan span = id_span(coll, bounds);
        auto step = [&](IdIndex::const_iterator it) {
            if (!visit(*coll.find_record(it->second))) return false;
            if (!reader.due()) return true;
            (direction > 0 ? bounds.lower : bounds.upper) = it->first;
            (direction > 0 ? bounds.lower_inclusive : bounds.upper_inclusive) = false;
            more = true;
            return false;
        };
        if (direction > 0) {
            for (auto it = span.first; it != span.last;) {
                if (!step(it++)) break;
            }
        } else {
            for (auto it = span.last; it != span.first;) {
                if (!step(--it)) break;
            }
        }
        if (more) reader.yield();
    }
}

// Visits the records the filter's _id condition selects, in _id order (direction 1) or its
// reverse (-1), as an IXSCAN of the _id index does; without such a condition every record, in
// natural order for direction 0 (a COLLSCAN), else along the whole _id index. Stops when `visit`
// returns false.
void walk_records(ReadYield& reader, const Document& filter, int direction, const Visit& visit) {
    IdSelection selection = id_selection(filter);
    if (selection.kind == IdSelection::Kind::kValues) {  // a listed few: no yield needed
        auto records = id_lookups(reader.coll(), std::move(selection.values));
        if (direction < 0) std::reverse(records.begin(), records.end());
        for (const Record* record : records) {
            if (!visit(*record)) return;
        }
    } else if (selection.kind == IdSelection::Kind::kNone && direction == 0) {
        walk_natural_order(reader, visit);
    } else {
        walk_id_range(reader, std::move(selection.bounds), direction < 0 ? -1 : 1, visit);
    }
}

std::vector<const Record*> all_records(const Collection& coll) {
    std::vector<const Record*> result;
    result.reserve(coll.count());
    for (const auto& [rid, record] : coll.records())
        result.push_back(&record);
    return result;
}

Value stage(const char* name, Value spec) {
    Document doc;
    doc.push_back(name, std::move(spec));
    return Value::document(std::move(doc));
}

// The key of a document under an index key pattern, for min/max: the first value of each path.
IndexKey key_of(const Document& doc, const Document& pattern) {
    IndexKey key;
    for (const auto& field : pattern.fields()) {
        auto values = path_values(doc, field.name);
        key.push_back(values.empty() ? Value::null() : values.front());
    }
    return key;
}

// Compares a key with a min/max bound document field by field, honouring index directions.
int compare_key(const IndexKey& key, const Document& bound, const Document& pattern) {
    for (size_t i = 0; i < key.size() && i < bound.size(); ++i) {
        int direction =
            pattern.fields()[i].value.is_number() && pattern.fields()[i].value.as_double() < 0 ? -1
                                                                                               : 1;
        int c = compare_values(key[i], bound.fields()[i].value) * direction;
        if (c != 0) return c;
    }
    return 0;
}

// Documents from a view (copied under the lock): the view pipeline followed by stages equivalent
// to the find options, run without the lock.
std::vector<StoredDoc> find_on_view(Catalog& catalog, const std::string& db, StoredView view,
                                    const FindQuery& query) {
    Array& stages = view.pipeline;
    if (!query.filter.empty()) stages.push_back(stage("$match", Value::document(query.filter)));
    if (query.sort && !query.sort->empty())
        stages.push_back(stage("$sort", Value::document(*query.sort)));
    if (query.skip > 0) stages.push_back(stage("$skip", Value::int64(query.skip)));
    if (query.limit > 0) stages.push_back(stage("$limit", Value::int64(query.limit)));
    if (query.projection && !query.projection->empty()) {
        stages.push_back(stage("$project", Value::document(*query.projection)));
    }
    std::vector<StoredDoc> result;
    for (const auto& doc : run_stored_view(std::move(view), snapshot_reader_for(catalog, db)))
        result.push_back(to_stored(doc));
    return result;
}

// The key pattern of the index a hint names; empty for {$natural: ±1}.
Document hinted_key_pattern(const Collection* coll, const Value& hint) {
    if (hint.is_document() && hint.doc().size() == 1 && hint.doc().fields()[0].name == "$natural") {
        return Document();
    }
    if (coll) {
        for (const auto& index : coll->indexes()) {
            if ((hint.is_string() && index.name() == hint.str()) ||
                (hint.is_document() && compare_documents(index.key_pattern(), hint.doc()) == 0)) {
                return index.key_pattern();
            }
        }
    }
    throw MongoError(code::BadValue, "hint provided does not correspond to an existing index");
}

}  // namespace

std::vector<const Record*> candidate_records(const Collection& coll, const Document& filter) {
    IdSelection selection = id_selection(filter);
    switch (selection.kind) {
        case IdSelection::Kind::kValues:
            return id_lookups(coll, std::move(selection.values));
        case IdSelection::Kind::kRange:
            return id_range(coll, selection.bounds);
        case IdSelection::Kind::kNone:
            break;
    }
    return all_records(coll);
}

ResolvedView resolve_view(Catalog& catalog, const std::string& db, const std::string& coll) {
    ResolvedView view{coll, {}};
    for (int depth = 0; depth <= kMaxViewDepth; ++depth) {
        Collection* c = catalog.find(db, view.coll);
        if (!c || !c->is_view()) return view;
        Array pipeline;
        if (const Value* p = c->options().get("pipeline"); p && p->is_array())
            pipeline = p->array();
        pipeline.insert(pipeline.end(), view.pipeline.begin(), view.pipeline.end());
        view.pipeline = std::move(pipeline);
        view.coll = c->options().get("viewOn")->str();
    }
    throw MongoError(126,  // ViewDepthLimitExceeded
                     "View depth too deep or view cycle detected; maximum depth is 20");
}

StoredView stored_view(Catalog& catalog, const std::string& db, const std::string& coll,
                       SharedLock* lock) {
    ResolvedView view = resolve_view(catalog, db, coll);
    StoredView stored{{}, std::move(view.pipeline)};
    if (Collection* base = catalog.find(db, view.coll)) {
        stored.docs.reserve(base->count());
        ReadYield reader(catalog, lock, *base);
        walk_natural_order(reader, [&](const Record& record) {
            stored.docs.push_back(record.doc);
            return true;
        });
    }
    return stored;
}

std::vector<Document> run_stored_view(StoredView view, const CollectionReader& reader) {
    std::vector<Document> docs;
    docs.reserve(view.docs.size());
    for (const StoredDoc& stored : view.docs)
        docs.push_back(to_document(stored));
    if (view.pipeline.empty()) return docs;
    return Pipeline(view.pipeline, reader).run(std::move(docs));
}

std::vector<Document> read_documents(Catalog& catalog, const std::string& db,
                                     const std::string& coll) {
    return run_stored_view(stored_view(catalog, db, coll, nullptr), reader_for(catalog, db));
}

CollectionReader reader_for(Catalog& catalog, const std::string& db) {
    return [&catalog, db](const std::string& coll) { return read_documents(catalog, db, coll); };
}

CollectionReader snapshot_reader_for(Catalog& catalog, const std::string& db) {
    return [&catalog, db](const std::string& coll) {
        StoredView view;
        {
            SharedLock lock(catalog.mutex());
            view = stored_view(catalog, db, coll, &lock);
        }
        return run_stored_view(std::move(view), snapshot_reader_for(catalog, db));
    };
}

std::optional<std::vector<StoredDoc>> random_cursor_sample(const Collection& coll, int64_t size) {
    constexpr size_t kMinDocuments = 100;
    constexpr double kMaxSampleRatio = 0.05;
    // Record ids are dense unless many documents were deleted. A drawn id that names no record is
    // drawn again, which keeps every record equally likely; below this density that would take
    // too many draws, and the sample comes from the scan instead.
    constexpr double kMinIdDensity = 0.5;
    size_t count = coll.count();
    if (count <= kMinDocuments || size < 0 ||
        static_cast<double>(size) >= kMaxSampleRatio * static_cast<double>(count)) {
        return std::nullopt;
    }
    RecordId first = coll.records().begin()->first, last = coll.records().rbegin()->first;
    if (static_cast<double>(count) < kMinIdDensity * static_cast<double>(last - first + 1))
        return std::nullopt;
    std::uniform_int_distribution<RecordId> draw(first, last);
    // mongod's random cursor can return a document twice; $sample skips the repeats (manual 5.3,
    // "$sample": "WiredTiger or in-memory storage engine, $sample does not return duplicate
    // documents"; DocumentSourceSampleFromRandomCursor::getNextNonDuplicateDocument).
    std::unordered_set<RecordId> chosen;
    std::vector<StoredDoc> sample;
    while (sample.size() < static_cast<size_t>(size)) {
        RecordId rid = draw(thread_random());
        const Record* record = coll.find_record(rid);
        if (record && chosen.insert(rid).second) sample.push_back(record->doc);
    }
    return sample;
}

std::optional<Variables> let_of(const Document& body, const std::string& command) {
    auto let = document_argument(body, command, "let");
    if (!let) return std::nullopt;
    return Variables::from_let(*let);
}

std::shared_ptr<const Collator> collation_of(const Document& spec, const std::string& where,
                                             const Collection* coll) {
    if (auto collation = document_argument(spec, where, "collation")) {
        return Collator::from_spec(*collation);
    }
    const Value* fallback = coll ? coll->options().get("collation") : nullptr;
    return fallback && fallback->is_document() ? Collator::from_spec(fallback->doc()) : nullptr;
}

namespace {

// Candidates for a write, whose unique lock is held throughout. Under a non-simple collation
// every record is one (see scan_for_find).
std::vector<const Record*> candidates_under(const Collection& coll, const Document& filter,
                                            const Collator* collator) {
    return candidate_records(coll, collator ? Document() : filter);
}

}  // namespace

void check_hint(const Collection* coll, const Value& hint) {
    hinted_key_pattern(coll, hint);
}

namespace {

// The parsed parts of a find.
struct FindPlan {
    FindPlan(const FindQuery& query, Document hinted_pattern)
        : matcher(query.filter, query.let, query.collator), pattern(std::move(hinted_pattern)) {
        if (query.sort && !query.sort->empty()) sort.emplace(*query.sort, query.collator);
        if (query.projection && !query.projection->empty()) projection.emplace(*query.projection);
    }
    Matcher matcher;
    std::optional<SortOrder> sort;
    std::optional<Projection> projection;
    Document pattern;  // the hinted index's key pattern, for min/max
};

// What a find copied from storage under the lock.
struct FindInput {
    std::vector<StoredDoc> docs;  // the candidates, in the order read
    bool matched = false;         // every candidate satisfies the filter (and min/max)
    bool sorted = false;          // the candidates are in the find's sort order
};

// The direction of a sort on _id alone ({_id: 1} or {_id: -1}), else 0.
int id_sort_direction(const FindQuery& query) {
    if (!query.sort || query.sort->size() != 1) return 0;
    const Field& key = query.sort->fields().front();
    if (key.name != "_id" || !key.value.is_number()) return 0;
    double direction = key.value.as_double();
    return direction == 1 ? 1 : direction == -1 ? -1 : 0;
}

// Whether a collation could order the _id index differently from its binary order: it only
// changes how strings compare (also inside documents), so only when an _id is a string, a symbol
// or a document. Keys of a type bracket are contiguous in the index (canonical type order).
bool collation_reorders_ids(const Collection& coll, const Collator* collator) {
    if (!collator) return false;
    auto first_string_or_later = coll.id_index().lower_bound(Value::string(""));
    return first_string_or_later != coll.id_index().end() &&
           canonical_type_rank(first_string_or_later->first.type()) <=
               canonical_type_rank(BSON_TYPE_DOCUMENT);
}

// A sort on _id walks the _id index in its direction (no sort). With a filter on _id alone the
// filter is matched against the record's _id under the lock (no parsing) and the walk stops once
// skip + limit documents matched; any other filter is matched after the lock is released.
// Whether every record between a range's bounds on the _id index matches the range: both bounds
// are set and of one canonical type (between two numbers the index holds only numbers), so type
// bracketing excludes nothing the walk visits; a NaN bound is left to the matcher ({$gte: NaN}
// matches only NaN, which the index orders below every number).
bool bounds_decide(const Document& filter) {
    const IdSelection selection = id_selection(filter);
    if (selection.kind != IdSelection::Kind::kRange) return false;
    const IdBounds& bounds = selection.bounds;
    if (!bounds.lower || !bounds.upper) return false;
    auto nan = [](const Value& v) { return v.is_number() && std::isnan(v.as_double()); };
    return canonical_type_rank(bounds.lower->type()) == canonical_type_rank(bounds.upper->type()) &&
           !nan(*bounds.lower) && !nan(*bounds.upper);
}

FindInput walk_for_id_sort(ReadYield& reader, const FindQuery& query, const FindPlan& plan,
                           int direction) {
    bool id_only = query.filter.size() == 1 && query.filter.fields().front().name == "_id";
    // The records the walk visits match already: no {_id} document to build and match per record.
    const bool matched_by_bounds = id_only && bounds_decide(query.filter);
    FindInput input{{}, plan.matcher.matches_everything() || id_only, true};
    size_t enough = input.matched && query.limit > 0
                        ? static_cast<size_t>(query.skip) + static_cast<size_t>(query.limit)
                        : SIZE_MAX;
    walk_records(reader, query.filter, direction, [&](const Record& record) {
        if (id_only && !matched_by_bounds) {
            Document id;
            id.push_back("_id", record.id);
            if (!plan.matcher.matches(id)) return true;
        }
        input.docs.push_back(record.doc);
        return input.docs.size() < enough;
    });
    return input;
}

// Any other find: the filter's candidates in scan order; when every candidate is a result in
// that order, only the first skip + limit. The _id index orders strings by their bytes, so under
// a non-simple collation a query cannot use it (manual, "Collation and Index Use": an index
// serves string comparisons only with the same collation); every record is then a candidate.
FindInput scan_for_find(ReadYield& reader, const FindQuery& query, const FindPlan& plan) {
    FindInput input{{}, plan.matcher.matches_everything() && !query.min && !query.max, !plan.sort};
    size_t enough = input.matched && input.sorted && query.limit > 0
                        ? static_cast<size_t>(query.skip) + static_cast<size_t>(query.limit)
                        : SIZE_MAX;
    walk_records(reader, query.collator ? Document() : query.filter, 0, [&](const Record& record) {
        input.docs.push_back(record.doc);
        return input.docs.size() < enough;
    });
    return input;
}

// The caller holds the shared lock, which `reader` may yield.
FindInput read_for_find(ReadYield& reader, const FindQuery& query, const FindPlan& plan) {
    int direction = id_sort_direction(query);
    if (direction != 0 && !query.min && !query.max &&
        !collation_reorders_ids(reader.coll(), query.collator.get())) {
        return walk_for_id_sort(reader, query, plan, direction);
    }
    return scan_for_find(reader, query, plan);
}

// Without the lock: filters, sorts, skips, limits and projects what read_for_find copied,
// parsing only the documents it has to.
std::vector<StoredDoc> finish_find(FindInput input, const FindQuery& query, const FindPlan& plan) {
    size_t skip = static_cast<size_t>(query.skip);
    size_t wanted = query.limit > 0 ? static_cast<size_t>(query.limit) : SIZE_MAX;
    std::vector<StoredDoc> result;
    if (input.matched && input.sorted && !plan.projection) {  // the stored bytes are the reply
        for (size_t i = skip; i < input.docs.size() && result.size() < wanted; ++i)
            result.push_back(std::move(input.docs[i]));
        return result;
    }
    struct Hit {
        StoredDoc stored;
        Document doc;
        MatchDetails details;
    };
    std::vector<Hit> hits;
    size_t enough = input.sorted && wanted != SIZE_MAX ? skip + wanted : SIZE_MAX;
    for (StoredDoc& stored : input.docs) {
        Hit hit{std::move(stored), {}, {}};
        hit.doc = to_document(hit.stored);
        if (!plan.matcher.matches(hit.doc, &hit.details)) continue;
        if (query.min && compare_key(key_of(hit.doc, plan.pattern), *query.min, plan.pattern) < 0)
            continue;
        if (query.max && compare_key(key_of(hit.doc, plan.pattern), *query.max, plan.pattern) >= 0)
            continue;
        hits.push_back(std::move(hit));
        if (hits.size() >= enough) break;
    }
    if (!input.sorted) {
        std::stable_sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) {
            return plan.sort->compare(a.doc, b.doc) < 0;
        });
    }
    for (size_t i = skip; i < hits.size() && result.size() < wanted; ++i) {
        result.push_back(plan.projection
                             ? to_stored(plan.projection->apply(hits[i].doc, &hits[i].details))
                             : std::move(hits[i].stored));
    }
    return result;
}

// The key pattern of the index a find's plan reads: the hinted one, the _id index for a sort on
// _id alone or a filter read through it (read_for_find, candidate_records), otherwise none (a
// collection scan).
Document plan_index_pattern(const Collection& coll, const FindQuery& query, const FindPlan& plan) {
    if (!plan.pattern.empty()) return plan.pattern;
    bool id_walk = id_sort_direction(query) != 0 && !query.min && !query.max &&
                   !collation_reorders_ids(coll, query.collator.get());
    bool id_lookup = !query.collator && id_selection(query.filter).kind != IdSelection::Kind::kNone;
    return id_walk || id_lookup ? Document::from_json(R"({"_id": 1})") : Document();
}

// returnKey (manual, "find"): each result becomes its key in the plan's index, named by the key
// pattern's fields; an empty document when the plan read no index.
std::vector<StoredDoc> index_keys(std::vector<StoredDoc> results, const Document& pattern) {
    for (StoredDoc& stored : results) {
        IndexKey key = key_of(to_document(stored), pattern);
        Document doc;
        for (size_t i = 0; i < key.size(); ++i)
            doc.push_back(pattern.fields()[i].name, std::move(key[i]));
        stored = to_stored(doc);
    }
    return results;
}

}  // namespace

std::vector<StoredDoc> run_find(Catalog& catalog, const std::string& db, const std::string& coll,
                                const FindQuery& query) {
    std::shared_lock lock(catalog.mutex());
    Collection* c = catalog.find(db, coll);
    if (c && c->is_view()) {
        if (query.min || query.max) {
            throw MongoError(code::OptionNotSupportedOnView, "min/max not supported on a view");
        }
        StoredView view = stored_view(catalog, db, coll, &lock);
        lock.unlock();
        return find_on_view(catalog, db, std::move(view), query);
    }
    Document pattern = query.hint ? hinted_key_pattern(c, *query.hint) : Document();
    if ((query.min || query.max) && pattern.empty()) {
        throw MongoError(51173,
                         "When using min()/max() a hint of which index to use must be specified");
    }
    FindPlan plan(query, std::move(pattern));
    if (!c) return {};
    FindInput input = [&] {
        ReadYield reader(catalog, &lock, *c);
        return read_for_find(reader, query, plan);
    }();
    Document index_pattern = query.return_key ? plan_index_pattern(*c, query, plan) : Document();
    lock.unlock();
    std::vector<StoredDoc> results = finish_find(std::move(input), query, plan);
    return query.return_key ? index_keys(std::move(results), index_pattern) : results;
}

std::vector<MatchedRecord> matching_documents(const Collection& coll, const Document& filter,
                                              const Matcher& matcher,
                                              const std::optional<Document>& sort, size_t limit,
                                              const std::shared_ptr<const Collator>& collator) {
    std::optional<SortOrder> order;
    if (sort && !sort->empty()) order.emplace(*sort, collator);
    std::vector<MatchedRecord> hits;
    for (const Record* record : candidates_under(coll, filter, collator.get())) {
        Document doc = parse(*record);
        if (!matcher.matches(doc)) continue;
        hits.push_back(MatchedRecord{coll.id_index().at(record->id), std::move(doc)});
        if (!order && limit && hits.size() >= limit) break;
    }
    if (order) {
        std::stable_sort(hits.begin(), hits.end(), [&](const auto& a, const auto& b) {
            return order->compare(a.doc, b.doc) < 0;
        });
    }
    if (limit && hits.size() > limit) hits.resize(limit);
    return hits;
}

std::vector<RecordId> matching_records(const Collection& coll, const Document& filter,
                                       const Matcher& matcher, const std::optional<Document>& sort,
                                       size_t limit,
                                       const std::shared_ptr<const Collator>& collator) {
    std::vector<RecordId> result;
    for (const MatchedRecord& hit :
         matching_documents(coll, filter, matcher, sort, limit, collator))
        result.push_back(hit.rid);
    return result;
}

}  // namespace tmd
