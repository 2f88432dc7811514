// QueryRegex: translates the PCRE options MongoDB accepts into std::regex (ECMAScript) terms.
// "s" (dot matches newline) and "x" (extended) are rewritten in the pattern since std::regex has
// no such flags.
#include "engine/regex.h"

#include "engine/error.h"

namespace tmd {
namespace {

// Rewrites the pattern outside character classes: drops unescaped whitespace and #-comments
// for "x"; turns "." into "[\s\S]" for "s".
std::string rewrite_pattern(const std::string& pattern, bool extended, bool dot_all) {
    std::string out;
    bool in_class = false;
    for (size_t i = 0; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            out += c;
            out += pattern[++i];
        } else if (in_class) {
            in_class = c != ']';
            out += c;
        } else if (c == '[') {
            in_class = true;
            out += c;
        } else if (extended && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            continue;
        } else if (extended && c == '#') {
            while (i + 1 < pattern.size() && pattern[i + 1] != '\n')
                ++i;
        } else if (dot_all && c == '.') {
            out += "[\\s\\S]";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

QueryRegex::QueryRegex(std::string pattern, std::string options)
    : pattern_(std::move(pattern)), options_(std::move(options)) {
    auto flags = std::regex::ECMAScript;
    bool extended = false, dot_all = false;
    for (char option : options_) {
        switch (option) {
            case 'i':
                flags |= std::regex::icase;
                break;
            case 'm':
                flags |= std::regex::multiline;
                break;
            case 'x':
                extended = true;
                break;
            case 's':
                dot_all = true;
                break;
            case 'u':
                break;  // UTF-8 is always on in mongod
            default:
                throw MongoError(51108, std::string("invalid flag in regex options: ") + option);
        }
    }
    try {
        compiled_ = std::regex(rewrite_pattern(pattern_, extended, dot_all), flags);
    } catch (const std::regex_error& error) {
        throw MongoError(51091, "Regular expression is invalid: " + std::string(error.what()));
    }
}

bool QueryRegex::search(std::string_view text) const {
    return std::regex_search(text.begin(), text.end(), compiled_);
}

}  // namespace tmd
