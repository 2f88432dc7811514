// Event -> write translation. Every write is filtered by _id only, so it applies to the same
// document whatever the source's shard key, and each kind is chosen to be safe to replay.
#include "replicate/write_model.h"

#include <algorithm>
#include <string_view>

namespace tributary::replicate {
namespace {

bool is_unsafe_path(std::string_view path) {
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('.', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view component = path.substr(start, end - start);
        if (component.empty() || component.front() == '$') return true;
        start = end + 1;
    }
    return false;
}

// Field names inside $set values are stored literally; dots and '$' prefixes in them are
// rejected or reinterpreted by update operators on some versions, so they force a replace.
bool has_unsafe_field_name(const bson_iter_t& value) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&value) && !BSON_ITER_HOLDS_ARRAY(&value)) return false;
    bson_iter_t child;
    bson_iter_recurse(&value, &child);
    const bool is_document = BSON_ITER_HOLDS_DOCUMENT(&value);
    while (bson_iter_next(&child)) {
        std::string_view key = bson_iter_key(&child);
        if (is_document && (key.empty() || key.front() == '$' || key.find('.') != key.npos)) {
            return true;
        }
        if (has_unsafe_field_name(child)) return true;
    }
    return false;
}

// A path listed in disambiguatedPaths means what its dotted form says in $set/$unset only when
// every component is a field name that a dotted path can spell: no array index (kept for the
// lookup: $set "a.0" creates a field "0" where the destination lacks the array), no dot, no '$'.
bool dotted_form_is_exact(const std::vector<PathComponent>& components) {
    return std::ranges::all_of(components, [](const PathComponent& component) {
        return !component.is_array_index && !component.field.empty() &&
               component.field.find_first_of(".$") == std::string::npos;
    });
}

bool is_exact_path(const UpdateDescription& update, std::string_view path) {
    auto listed = update.disambiguated_paths.find(path);
    if (listed != update.disambiguated_paths.end() && !dotted_form_is_exact(listed->second)) {
        return false;
    }
    return !is_unsafe_path(path);
}

void append_document(bson_t* parent, const char* key, const bson_t* child) {
    bson_append_document(parent, key, -1, child);
}

bson::Document truncation_update(const std::vector<TruncatedArray>& arrays) {
    // {$push: {field: {$each: [], $slice: n}}} keeps the first n elements: the documented way
    // to apply truncatedArrays, and a no-op when the array is already that short.
    bson::Document update;
    bson_t push;
    bson_append_document_begin(update.get(), "$push", 5, &push);
    for (const auto& array : arrays) {
        bson_t spec;
        bson_t each;
        bson_append_document_begin(&push, array.field.c_str(), -1, &spec);
        bson_append_array_begin(&spec, "$each", 5, &each);
        bson_append_array_end(&spec, &each);
        bson_append_int32(&spec, "$slice", 6, array.new_size);
        bson_append_document_end(&push, &spec);
    }
    bson_append_document_end(update.get(), &push);
    return update;
}

bson::Document set_unset_update(const UpdateDescription& update) {
    bson::Document result;
    if (!bson_empty(update.updated_fields.view())) {
        append_document(result.get(), "$set", update.updated_fields.view());
    }
    if (!update.removed_fields.empty()) {
        bson_t unset;
        bson_append_document_begin(result.get(), "$unset", 6, &unset);
        for (const auto& field : update.removed_fields) {
            bson_append_utf8(&unset, field.c_str(), -1, "", 0);
        }
        bson_append_document_end(result.get(), &unset);
    }
    return result;
}

WriteOp update_op(const bson_t* document_key, bson::Document body) {
    return WriteOp{WriteKind::kUpdate, id_filter(document_key), std::move(body), false};
}

Translation translate_update(const ChangeEvent& event) {
    Translation result;
    const auto& update = event.update_description();
    if (!update || is_ambiguous(*update)) {
        if (event.full_document()) {
            result.ops.push_back(replace_with_document(event.full_document()));
        } else {
            result.needs_current_document = true;
        }
        return result;
    }
    // Truncations go in their own update, first: the new values of the remaining elements
    // ($set "a.1") would conflict with a $push on "a" in the same update.
    if (!update->truncated_arrays.empty()) {
        result.ops.push_back(
            update_op(event.document_key(), truncation_update(update->truncated_arrays)));
    }
    bson::Document body = set_unset_update(*update);
    if (!body.empty()) result.ops.push_back(update_op(event.document_key(), std::move(body)));
    return result;
}

}  // namespace

bool is_ambiguous(const UpdateDescription& update) {
    bson_iter_t iter;
    bson_iter_init(&iter, update.updated_fields.view());
    while (bson_iter_next(&iter)) {
        if (!is_exact_path(update, bson_iter_key(&iter)) || has_unsafe_field_name(iter)) {
            return true;
        }
    }
    for (const auto& field : update.removed_fields) {
        if (!is_exact_path(update, field)) return true;
    }
    for (const auto& array : update.truncated_arrays) {
        if (!is_exact_path(update, array.field)) return true;
    }
    return false;
}

WriteOp replace_with_document(const bson_t* document) {
    return WriteOp{WriteKind::kReplace, id_filter(document), bson::Document::copy_of(document),
                   true};
}

WriteOp insert_of(const bson_t* document) {
    return WriteOp{WriteKind::kInsert, id_filter(document), bson::Document::copy_of(document),
                   false};
}

WriteOp delete_by_id(const bson_t* document) {
    return WriteOp{WriteKind::kDelete, id_filter(document), bson::Document(), false};
}

Translation translate(const ChangeEvent& event) {
    Translation result;
    switch (event.type()) {
        case OperationType::kInsert:
        case OperationType::kReplace:
            if (!event.full_document()) {
                result.needs_current_document = true;
            } else if (event.type() == OperationType::kInsert) {
                result.ops.push_back(insert_of(event.full_document()));
            } else {
                result.ops.push_back(replace_with_document(event.full_document()));
            }
            break;
        case OperationType::kUpdate:
            result = translate_update(event);
            break;
        case OperationType::kDelete:
            result.ops.push_back(delete_by_id(event.document_key()));
            break;
        default:
            break;
    }
    return result;
}

}  // namespace tributary::replicate
