// Spec runner: tests/spec/skips.txt, the list of spec files, folders and single tests the runner
// does not run, each with the reason why.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace spec {

class Skips {
  public:
    // Lines: `<file-or-dir>[#<test description>]  # reason`; blank lines and lines starting
    // with '#' are comments. Throws std::runtime_error for an entry without a reason.
    static Skips load(const std::string& path);

    // The reason to skip the test `description` of the file shown as `file` (a path ending with
    // the entry's path), if an entry covers it.
    std::optional<std::string> reason(const std::string& file,
                                      const std::string& description) const;

    // A reason of the form "pending: ...": behaviour not built yet, not a permanent limitation.
    static bool is_pending(const std::string& reason) { return reason.rfind("pending:", 0) == 0; }

  private:
    struct Entry {
        std::string path;
        std::string description;  // empty: the whole file or folder
        std::string reason;
    };
    std::vector<Entry> entries_;
};

}  // namespace spec
