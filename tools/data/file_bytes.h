// Reading data files, transparently decompressing gzip (detected by the magic bytes 1f 8b, not
// by the name): whole (read_data_file) or as a stream (DataStream) whose memory is one buffer
// whatever the file size.
#pragma once
#include <stdint.h>
#include <stdio.h>

#include <memory>
#include <string>
#include <vector>

namespace tinyprop::host {

// Files (after decompression) larger than this are refused: far above every dataset the tools
// handle (MNIST 47 MB, CIFAR-10 150 MB) and small enough that a corrupt size cannot exhaust memory.
inline constexpr uint64_t kMaxDataFileBytes = 1ull << 30;

// Opens path for reading only if it is a regular file: a FIFO, device, socket or directory is
// refused without blocking ("<path>: not a regular file (a FIFO)", "<path>: is a directory").
// Throws host::Error ("<path>: cannot open: ...").
FILE* open_regular_file(const std::string& path);

// A data file read front to back, gunzipped on the fly when it starts with the gzip magic
// (concatenated members are one stream). Memory: a 64 KiB input and a 64 KiB output buffer.
class DataStream {
 public:
  // Throws host::Error when the file cannot be opened or is not a regular file, or when its
  // stored size exceeds max_bytes.
  explicit DataStream(const std::string& path, uint64_t max_bytes = kMaxDataFileBytes);
  ~DataStream();
  DataStream(const DataStream&) = delete;
  DataStream& operator=(const DataStream&) = delete;

  // Copies up to n bytes of the (decompressed) data to out; returns how many, 0 only at the
  // end. Throws host::Error for read errors, corrupt or truncated gzip data and data beyond
  // max_bytes ("<path>: decompressed data larger than ... bytes").
  size_t read(uint8_t* out, size_t n);
  // Bytes handed out by read() so far.
  uint64_t position() const { return position_; }
  bool gzipped() const { return gzip_; }
  // The file's size as stored (compressed for gzip).
  uint64_t stored_bytes() const { return stored_bytes_; }
  const std::string& path() const { return path_; }

 private:
  size_t read_raw(uint8_t* out, size_t n);
  size_t inflate_into(uint8_t* out, size_t n);

  struct Zlib;
  std::string path_;
  uint64_t max_bytes_;
  FILE* file_ = nullptr;
  bool gzip_ = false;
  bool raw_eof_ = false;
  bool stream_end_ = false;  // the last gzip member ended and no input follows
  uint64_t stored_bytes_ = 0;
  uint64_t position_ = 0;
  std::vector<uint8_t> in_;  // raw input buffer (gzip only)
  std::unique_ptr<Zlib> z_;
  // Raw bytes read ahead while sniffing the magic, handed out first (plain files).
  uint8_t peek_[2] = {0, 0};
  size_t peek_len_ = 0, peek_at_ = 0;
};

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
