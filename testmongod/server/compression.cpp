// OP_COMPRESSED compressors over zlib, snappy and zstd; see compression.h.
#include "server/compression.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include "engine/error.h"

namespace tmd {
namespace {

// mongod answers undecodable compressed messages with a BadValue-family error; the connection
// can continue since the outer header was well formed.
[[noreturn]] void corrupt(const char* compressor) {
    throw MongoError(code::BadValue, std::string("Invalid ") + compressor + " compressed data");
}

std::string zlib_compress(const uint8_t* data, size_t size) {
    uLongf bound = compressBound(static_cast<uLong>(size));
    std::string out(bound, '\0');
    if (compress2(reinterpret_cast<Bytef*>(out.data()), &bound, data, static_cast<uLong>(size),
                  Z_DEFAULT_COMPRESSION) != Z_OK) {
        throw MongoError(code::InternalError, "zlib compression failed");
    }
    out.resize(bound);
    return out;
}

std::string zlib_decompress(const uint8_t* data, size_t size, size_t expected) {
    std::string out(expected, '\0');
    uLongf length = static_cast<uLongf>(expected);
    if (uncompress(reinterpret_cast<Bytef*>(out.data()), &length, data, static_cast<uLong>(size)) !=
            Z_OK ||
        length != expected) {
        corrupt("zlib");
    }
    return out;
}

std::string snappy_compress(const uint8_t* data, size_t size) {
    std::string out;
    snappy::Compress(reinterpret_cast<const char*>(data), size, &out);
    return out;
}

std::string snappy_decompress(const uint8_t* data, size_t size, size_t expected) {
    const char* input = reinterpret_cast<const char*>(data);
    size_t length = 0;
    if (!snappy::GetUncompressedLength(input, size, &length) || length != expected) {
        corrupt("snappy");
    }
    std::string out;
    if (!snappy::Uncompress(input, size, &out)) corrupt("snappy");
    return out;
}

std::string zstd_compress(const uint8_t* data, size_t size) {
    std::string out(ZSTD_compressBound(size), '\0');
    size_t length = ZSTD_compress(out.data(), out.size(), data, size, 1);
    if (ZSTD_isError(length)) throw MongoError(code::InternalError, "zstd compression failed");
    out.resize(length);
    return out;
}

std::string zstd_decompress(const uint8_t* data, size_t size, size_t expected) {
    std::string out(expected, '\0');
    size_t length = ZSTD_decompress(out.data(), out.size(), data, size);
    if (ZSTD_isError(length) || length != expected) corrupt("zstd");
    return out;
}

}  // namespace

std::optional<Compressor> compressor_by_name(std::string_view name) {
    if (name == "snappy") return Compressor::Snappy;
    if (name == "zlib") return Compressor::Zlib;
    if (name == "zstd") return Compressor::Zstd;
    if (name == "noop") return Compressor::Noop;
    return std::nullopt;
}

std::optional<Compressor> compressor_by_id(uint8_t id) {
    if (id > static_cast<uint8_t>(Compressor::Zstd)) return std::nullopt;
    return static_cast<Compressor>(id);
}

const char* compressor_name(Compressor compressor) {
    switch (compressor) {
        case Compressor::Snappy:
            return "snappy";
        case Compressor::Zlib:
            return "zlib";
        case Compressor::Zstd:
            return "zstd";
        case Compressor::Noop:
            break;
    }
    return "noop";
}

std::string compress(Compressor compressor, const uint8_t* data, size_t size) {
    switch (compressor) {
        case Compressor::Snappy:
            return snappy_compress(data, size);
        case Compressor::Zlib:
            return zlib_compress(data, size);
        case Compressor::Zstd:
            return zstd_compress(data, size);
        case Compressor::Noop:
            break;
    }
    return std::string(reinterpret_cast<const char*>(data), size);
}

std::string decompress(Compressor compressor, const uint8_t* data, size_t size,
                       size_t expected_size) {
    switch (compressor) {
        case Compressor::Snappy:
            return snappy_decompress(data, size, expected_size);
        case Compressor::Zlib:
            return zlib_decompress(data, size, expected_size);
        case Compressor::Zstd:
            return zstd_decompress(data, size, expected_size);
        case Compressor::Noop:
            break;
    }
    if (size != expected_size) corrupt("noop");
    return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace tmd
