// libFuzzer target over tributary's URI handling (mongo/client.h): any string must redact without
// crashing, and the redacted form must parse or give std::invalid_argument, never showing a
// password to libmongoc other than the "***" placeholder.
#include <mongoc/mongoc.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "mongo/client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static tributary::mongo::Instance instance;
    std::string text(reinterpret_cast<const char*>(data), size);
    std::string redacted = tributary::mongo::redact_uri(text);
    try {
        // libmongoc as the oracle: wherever it reads a password from the redacted text, that
        // password is the placeholder.
        tributary::mongo::Uri redacted_uri(redacted);
        const char* password = mongoc_uri_get_password(redacted_uri.get());
        if (password && std::string(password) != "***") std::abort();
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
