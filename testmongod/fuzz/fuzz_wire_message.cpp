// libFuzzer target over testmongod's message parser (server/wire.h): any byte string must parse
// or throw MongoError, never crash, hang or read out of bounds. Build: see docs/testmongod.md.
#include <cstdint>
#include <cstring>
#include <string>

#include "engine/error.h"
#include "server/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < tmd::wire::kHeaderSize) return 0;
    std::string message(reinterpret_cast<const char*>(data), size);
    // Make the header's length agree with the input so the parser goes past the length check,
    // as the network layer guarantees.
    int32_t length = static_cast<int32_t>(size);
    std::memcpy(message.data(), &length, sizeof length);
    try {
        auto request = tmd::wire::parse_request(std::move(message));
        for (const auto& sequence : request->sequences) {
            for (const auto& doc : sequence.documents)
                bson_count_keys(doc.get());
        }
    } catch (const tmd::MongoError&) {
    }
    return 0;
}
