// Namespace selection. System databases (admin, config, local), system.* collections and
// tributary's own state database are excluded before any user pattern is considered.
#include "catalog/namespace_filter.h"

#include <algorithm>
#include <stdexcept>

namespace tributary::catalog {

bool wildcard_match(std::string_view pattern, std::string_view text) {
    // Iterative glob with backtracking to the last '*': linear in practice, no recursion.
    size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

namespace {
std::vector<std::string> normalize(std::vector<std::string> patterns) {
    for (std::string& pattern : patterns) {
        if (pattern.empty()) throw std::invalid_argument("empty namespace pattern");
        if (pattern.find('.') == std::string::npos) pattern += ".*";
    }
    return patterns;
}

bool any_match(const std::vector<std::string>& patterns, const std::string& ns) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const std::string& pattern) { return wildcard_match(pattern, ns); });
}
}  // namespace

NamespaceFilter::NamespaceFilter(std::vector<std::string> databases,
                                 std::vector<std::string> include, std::vector<std::string> exclude,
                                 std::string state_db)
    : databases_(std::move(databases)),
      include_(normalize(std::move(include))),
      exclude_(normalize(std::move(exclude))),
      state_db_(std::move(state_db)) {}

bool NamespaceFilter::database_selected(const std::string& db) const {
    if (db == "admin" || db == "config" || db == "local" || db == state_db_) return false;
    return databases_.empty() ||
           std::find(databases_.begin(), databases_.end(), db) != databases_.end();
}

bool NamespaceFilter::matches(const std::string& db, const std::string& coll) const {
    if (!database_selected(db) || coll.rfind("system.", 0) == 0) return false;
    std::string ns = db + "." + coll;
    if (!include_.empty() && !any_match(include_, ns)) return false;
    return !any_match(exclude_, ns);
}

std::optional<std::string> NamespaceFilter::single_database() const {
    if (databases_.size() == 1) return databases_.front();
    return std::nullopt;
}

}  // namespace tributary::catalog
