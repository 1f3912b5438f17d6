// Reading whole data files into memory, transparently decompressing gzip (detected by the
// magic bytes 1f 8b, not by the name).
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

namespace tinyprop::host {

// Files (after decompression) larger than this are refused: far above every dataset the tools
// handle (MNIST 47 MB, CIFAR-10 150 MB) and small enough that a corrupt size cannot exhaust memory.
inline constexpr uint64_t kMaxDataFileBytes = 1ull << 30;

// The file's bytes, gunzipped if it starts with the gzip magic. Throws host::Error
// ("<path>: cannot open: ...", "<path>: gzip data is corrupt: ...", "<path>: larger than ...").
std::vector<uint8_t> read_data_file(const std::string& path, uint64_t max_bytes = kMaxDataFileBytes);

// The file's bytes exactly as stored (no decompression), refusing files above max_bytes.
std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes);

// True when the file exists and is a regular file.
bool file_exists(const std::string& path);

// Big-endian 32-bit integer at p (IDX headers are big-endian).
inline uint32_t read_be32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

}  // namespace tinyprop::host
