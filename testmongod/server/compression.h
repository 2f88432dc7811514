// OP_COMPRESSED compressors: the ids and names of the wire protocol's compression spec
// (noop 0, snappy 1, zlib 2, zstd 3) and one compress/decompress pair per compressor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tmd {

enum class Compressor : uint8_t { Noop = 0, Snappy = 1, Zlib = 2, Zstd = 3 };

// "snappy", "zlib", "zstd" (and "noop") to an id; nullopt for names testmongod does not support.
std::optional<Compressor> compressor_by_name(std::string_view name);
std::optional<Compressor> compressor_by_id(uint8_t id);
const char* compressor_name(Compressor compressor);

std::string compress(Compressor compressor, const uint8_t* data, size_t size);
// Decompresses into exactly expected_size bytes; throws MongoError on corrupt input or a size
// mismatch.
std::string decompress(Compressor compressor, const uint8_t* data, size_t size,
                       size_t expected_size);

}  // namespace tmd
