// QueryRegex: a MongoDB regular expression (pattern + options i, m, s, x) compiled for matching
// strings, on top of std::regex since PCRE is not available in the build.
#pragma once

#include <regex>
#include <string>
#include <string_view>

namespace tmd {

class QueryRegex {
  public:
    // Throws MongoError(BadValue) on an unknown option letter or a pattern std::regex rejects.
    QueryRegex(std::string pattern, std::string options);

    bool search(std::string_view text) const;
    const std::string& pattern() const { return pattern_; }
    const std::string& options() const { return options_; }

  private:
    std::string pattern_;
    std::string options_;
    std::regex compiled_;
};

}  // namespace tmd
