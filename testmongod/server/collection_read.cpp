// The read path: _id-index candidate selection (tributary copies large collections by _id
// ranges, which must not scan the collection), views, and find/count execution.
#include "server/collection_read.h"

#include <algorithm>

#include "engine/projection.h"
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

std::vector<const Record*> id_range(const Collection& coll, const IdBounds& bounds) {
    const auto& index = coll.id_index();
    auto first = !bounds.lower            ? index.begin()
                 : bounds.lower_inclusive ? index.lower_bound(*bounds.lower)
                                          : index.upper_bound(*bounds.lower);
    auto last = !bounds.upper            ? index.end()
                : bounds.upper_inclusive ? index.upper_bound(*bounds.upper)
                                         : index.lower_bound(*bounds.upper);
    std::vector<const Record*> result;
    for (auto it = first; it != index.end() && it != last; ++it) {
        if (bounds.lower && bounds.upper && compare_values(it->first, *bounds.upper) > 0) break;
        result.push_back(coll.find_record(it->second));
    }
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

// Documents from a view: the view pipeline followed by stages equivalent to the find options.
std::vector<StoredDoc> find_on_view(Catalog& catalog, const std::string& db,
                                    const std::string& coll, const FindQuery& query) {
    if (query.min || query.max) {
        throw MongoError(code::OptionNotSupportedOnView, "min/max not supported on a view");
    }
    ResolvedView view = resolve_view(catalog, db, coll);
    Array stages = view.pipeline;
    if (!query.filter.empty()) stages.push_back(stage("$match", Value::document(query.filter)));
    if (query.sort && !query.sort->empty())
        stages.push_back(stage("$sort", Value::document(*query.sort)));
    if (query.skip > 0) stages.push_back(stage("$skip", Value::int64(query.skip)));
    if (query.limit > 0) stages.push_back(stage("$limit", Value::int64(query.limit)));
    if (query.projection && !query.projection->empty()) {
        stages.push_back(stage("$project", Value::document(*query.projection)));
    }
    Pipeline pipeline(stages, reader_for(catalog, db));
    std::vector<Document> input;
    if (Collection* base = catalog.find(db, view.coll)) {
        for (const auto& [rid, record] : base->records())
            input.push_back(parse(record));
    }
    std::vector<StoredDoc> result;
    for (const auto& doc : pipeline.run(std::move(input)))
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

std::vector<const Record*> candidate_records(const Collection& coll, const Document& filter,
                                             bool* in_id_order) {
    if (in_id_order) *in_id_order = false;
    const Value* id = filter.get("_id");
    if (!id) return all_records(coll);
    if (is_operator_document(*id)) {
        if (auto ids = in_list(id->doc())) {
            if (in_id_order) *in_id_order = true;
            return id_lookups(coll, std::move(*ids));
        }
        IdBounds bounds;
        if (!range_of(id->doc(), bounds)) return all_records(coll);
        if (in_id_order) *in_id_order = true;
        return id_range(coll, bounds);
    }
    if (!plain_equality(*id)) return all_records(coll);
    if (in_id_order) *in_id_order = true;
    return id_lookups(coll, {*id});
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

std::vector<Document> read_documents(Catalog& catalog, const std::string& db,
                                     const std::string& coll) {
    ResolvedView view = resolve_view(catalog, db, coll);
    std::vector<Document> docs;
    if (Collection* base = catalog.find(db, view.coll)) {
        docs.reserve(base->count());
        for (const auto& [rid, record] : base->records())
            docs.push_back(parse(record));
    }
    if (view.pipeline.empty()) return docs;
    return Pipeline(view.pipeline, reader_for(catalog, db)).run(std::move(docs));
}

CollectionReader reader_for(Catalog& catalog, const std::string& db) {
    return [&catalog, db](const std::string& coll) { return read_documents(catalog, db, coll); };
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

// The _id index orders strings by their bytes, so under a non-simple collation a query cannot
// use it (manual, "Collation and Index Use": an index serves string comparisons only with the
// same collation); every record is then a candidate.
std::vector<const Record*> candidates_under(const Collection& coll, const Document& filter,
                                            const Collator* collator, bool* in_id_order = nullptr) {
    return candidate_records(coll, collator ? Document() : filter, in_id_order);
}

}  // namespace

void check_hint(const Collection* coll, const Value& hint) {
    hinted_key_pattern(coll, hint);
}

std::vector<StoredDoc> run_find(Catalog& catalog, const std::string& db, const std::string& coll,
                                const FindQuery& query) {
    Collection* c = catalog.find(db, coll);
    if (c && c->is_view()) return find_on_view(catalog, db, coll, query);
    Document pattern = query.hint ? hinted_key_pattern(c, *query.hint) : Document();
    if ((query.min || query.max) && pattern.empty()) {
        throw MongoError(51173,
                         "When using min()/max() a hint of which index to use must be specified");
    }
    Matcher matcher(query.filter, query.let, query.collator);
    std::optional<SortOrder> sort;
    if (query.sort && !query.sort->empty()) sort.emplace(*query.sort, query.collator);
    std::optional<Projection> projection;
    if (query.projection && !query.projection->empty()) projection.emplace(*query.projection);
    if (!c) return {};

    bool id_order = false;
    auto candidates = candidates_under(*c, query.filter, query.collator.get(), &id_order);
    size_t skip = static_cast<size_t>(query.skip);
    size_t wanted = query.limit > 0 ? static_cast<size_t>(query.limit) : SIZE_MAX;
    std::vector<StoredDoc> result;
    // Fast path: the stored bytes are the reply, no parsing.
    if (matcher.matches_everything() && !sort && !projection && !query.min && !query.max) {
        for (size_t i = skip; i < candidates.size() && result.size() < wanted; ++i) {
            result.push_back(candidates[i]->doc);
        }
        return result;
    }
    struct Hit {
        const Record* record;
        Document doc;
        MatchDetails details;
    };
    std::vector<Hit> hits;
    size_t enough = sort ? SIZE_MAX : (wanted == SIZE_MAX ? SIZE_MAX : skip + wanted);
    for (const Record* record : candidates) {
        Hit hit{record, parse(*record), {}};
        if (!matcher.matches(hit.doc, &hit.details)) continue;
        if (query.min && compare_key(key_of(hit.doc, pattern), *query.min, pattern) < 0) continue;
        if (query.max && compare_key(key_of(hit.doc, pattern), *query.max, pattern) >= 0) continue;
        hits.push_back(std::move(hit));
        if (hits.size() >= enough) break;
    }
    if (sort) {
        std::stable_sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) {
            return sort->compare(a.doc, b.doc) < 0;
        });
    }
    for (size_t i = skip; i < hits.size() && result.size() < wanted; ++i) {
        result.push_back(projection ? to_stored(projection->apply(hits[i].doc, &hits[i].details))
                                    : hits[i].record->doc);
    }
    return result;
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
