// Spec runner: parsing skips.txt and matching its entries against spec files and tests.
#include "skips.h"

#include <fstream>
#include <stdexcept>

namespace spec {
namespace {

std::string trim(const std::string& text) {
    size_t begin = text.find_first_not_of(" \t\r");
    if (begin == std::string::npos) return "";
    size_t end = text.find_last_not_of(" \t\r");
    return text.substr(begin, end - begin + 1);
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// `file` is covered by `entry` when entry names the file itself (matching whole path components
// at the end) or one of the folders it is in.
bool covers(std::string entry, const std::string& file) {
    while (!entry.empty() && entry.back() == '/')
        entry.pop_back();
    if (file == entry || ends_with(file, "/" + entry)) return true;
    return file.rfind(entry + "/", 0) == 0 || file.find("/" + entry + "/") != std::string::npos;
}

}  // namespace

Skips Skips::load(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read skips file " + path);
    Skips skips;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        std::string text = trim(line);
        if (text.empty() || text[0] == '#') continue;
        size_t hash_reason = text.find("  #");
        std::string reason =
            hash_reason == std::string::npos ? "" : trim(text.substr(hash_reason + 3));
        if (reason.empty()) {
            throw std::runtime_error(path + ":" + std::to_string(number) +
                                     ": a skip needs a reason ('  # why')");
        }
        std::string target = trim(text.substr(0, hash_reason));
        size_t hash = target.find('#');
        Entry entry{target.substr(0, hash), "", reason};
        if (hash != std::string::npos) entry.description = target.substr(hash + 1);
        skips.entries_.push_back(std::move(entry));
    }
    return skips;
}

std::optional<std::string> Skips::reason(const std::string& file,
                                         const std::string& description) const {
    for (const auto& entry : entries_) {
        if (!covers(entry.path, file)) continue;
        if (entry.description.empty() || entry.description == description) return entry.reason;
    }
    return std::nullopt;
}

}  // namespace spec
