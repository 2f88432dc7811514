// Which namespaces a run syncs: the --db list, --include/--exclude "db.coll" patterns with '*'
// wildcards, and the namespaces that are never synced (admin/config/local, system.*, state db).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tributary::catalog {

// Shell-style match where '*' stands for any run of characters (including dots).
bool wildcard_match(std::string_view pattern, std::string_view text);

class NamespaceFilter {
  public:
    // `databases` empty: every user database. A pattern without a dot ("shop") means "shop.*".
    // Throws std::invalid_argument for an empty pattern.
    NamespaceFilter(std::vector<std::string> databases, std::vector<std::string> include,
                    std::vector<std::string> exclude, std::string state_db);

    // A database tributary may sync (user database, in --db when given).
    bool database_selected(const std::string& db) const;
    // A collection or view to sync: selected database, not system.*, included and not excluded.
    bool matches(const std::string& db, const std::string& coll) const;
    // The one database of the run when --db names exactly one (database-level change stream).
    std::optional<std::string> single_database() const;
    const std::vector<std::string>& databases() const { return databases_; }
    const std::string& state_db() const { return state_db_; }

  private:
    std::vector<std::string> databases_;
    std::vector<std::string> include_;
    std::vector<std::string> exclude_;
    std::string state_db_;
};

}  // namespace tributary::catalog
