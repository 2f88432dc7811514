// Dotted paths ("a.b.0.c") over Documents: splitting, and the traversals MongoDB applies when a
// query, sort or projection names a path that crosses arrays.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/value.h"

namespace tmd {

using FieldPath = std::vector<std::string>;

FieldPath split_path(std::string_view path);
std::string join_path(const FieldPath& parts, size_t count);

// A path component usable as an array index: decimal digits without a leading zero ("0", "12").
std::optional<size_t> array_index_of(std::string_view part);

// Receives each value a query path reaches (nullptr where it reaches nothing) and the position
// in the first array crossed on the way, if any. Returning true stops the traversal.
using PathVisitor = std::function<bool(const Value* value, std::optional<size_t> array_position)>;

// Visits what a query path reaches, with MongoDB's array semantics: an array met before the end
// of the path is searched element by element (documents are descended into, scalars skipped, a
// numeric component also indexes it; an array holding no documents yields nothing). With
// `expand_leaf_arrays`, an array at the end of the path is visited whole and then element by
// element. Returns whether a visit returned true.
bool visit_path(const Document& doc, const FieldPath& path, bool expand_leaf_arrays,
                const PathVisitor& visit);

// The value at a path without array traversal, except that numeric components index arrays.
const Value* lookup_path(const Document& doc, const FieldPath& path);

}  // namespace tmd
