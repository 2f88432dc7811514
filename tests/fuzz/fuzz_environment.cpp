// libFuzzer target over tributary's settings from the environment and their validation
// (cli/config.h): any values of the original script's variables (PRIMARY_MONGO_URI,
// SECONDARY_MONGO_URI, DATABASE_NAME, LOGGING_LEVEL) must become a Config or a UserError, never
// a crash or another exception. The input holds the four values separated by NUL bytes.
#include <cstdint>
#include <cstring>
#include <map>
#include <string>

#include "cli/config.h"
#include "cli/exit_codes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const char* const kNames[] = {"PRIMARY_MONGO_URI", "SECONDARY_MONGO_URI",
                                         "DATABASE_NAME", "LOGGING_LEVEL"};
    std::string input(reinterpret_cast<const char*>(data), size);
    std::map<std::string, std::string> environment;
    size_t start = 0;
    for (const char* name : kNames) {
        if (start > input.size()) break;
        size_t end = input.find('\0', start);
        environment[name] = input.substr(start, end == std::string::npos ? end : end - start);
        start = end == std::string::npos ? input.size() + 1 : end + 1;
    }
    auto getenv = [&](const char* name) -> const char* {
        auto found = environment.find(name);
        return found == environment.end() ? nullptr : found->second.c_str();
    };
    try {
        tributary::to_config(tributary::settings_from_environment(getenv));
    } catch (const tributary::UserError&) {
    }
    return 0;
}
