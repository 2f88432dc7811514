// libFuzzer target over tributary's config file parsing (cli/config.h): any file content, read as
// YAML or as TOML (the first input byte chooses), must become settings or a UserError (the
// one-line usage message, exit 2), never a crash, a hang or another exception.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "cli/config.h"
#include "cli/exit_codes.h"

namespace {

std::string write_temporary(const char* extension, const uint8_t* data, size_t size) {
    std::string path = "/tmp/tributary-fuzz-config-" + std::to_string(getpid()) + extension;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data), size);
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const char* extension = data[0] % 2 ? ".toml" : ".yaml";
    std::string path = write_temporary(extension, data + 1, size - 1);
    try {
        tributary::to_config(tributary::settings_from_file(path));
    } catch (const tributary::UserError&) {
    }
    std::remove(path.c_str());
    return 0;
}
