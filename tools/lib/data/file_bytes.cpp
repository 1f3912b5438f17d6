#include "data/file_bytes.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cstdio>
#include <memory>

#include "error.h"

namespace tinyprop::host {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { fclose(f); }
};

std::vector<uint8_t> read_raw(const std::string& path, uint64_t max_bytes) {
  std::unique_ptr<FILE, FileCloser> f(fopen(path.c_str(), "rb"));
  if (!f) throw Error(path + ": cannot open: " + strerror(errno));
  struct stat st;
  if (fstat(fileno(f.get()), &st) != 0) throw Error(path + ": cannot stat: " + strerror(errno));
  if (!S_ISREG(st.st_mode)) throw Error(path + ": not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    throw Error(path + ": file too large (" + std::to_string(size) + " bytes, limit " +
                std::to_string(max_bytes) + ")");
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (!bytes.empty() && fread(bytes.data(), 1, bytes.size(), f.get()) != bytes.size()) {
    throw Error(path + ": read error: " + strerror(errno));
  }
  return bytes;
}

bool is_gzip(const std::vector<uint8_t>& b, size_t at) {
  return b.size() >= at + 2 && b[at] == 0x1f && b[at + 1] == 0x8b;
}

// Inflates one or more concatenated gzip members (what `cat a.gz b.gz` produces is valid gzip).
std::vector<uint8_t> gunzip(const std::string& path, const std::vector<uint8_t>& in,
                            uint64_t max_bytes) {
  std::vector<uint8_t> out;
  z_stream zs;
  memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error(path + ": zlib init failed");
  struct End {
    z_stream* s;
    ~End() { inflateEnd(s); }
  } end{&zs};

  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());  // files are capped well below 4 GiB
  uint8_t chunk[1 << 16];
  for (;;) {
    zs.next_out = chunk;
    zs.avail_out = sizeof(chunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = sizeof(chunk) - zs.avail_out;
    if (out.size() + produced > max_bytes) {
      throw Error(path + ": decompressed data larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.insert(out.end(), chunk, chunk + produced);
    if (rc == Z_STREAM_END) {
      const size_t consumed = in.size() - zs.avail_in;
      if (zs.avail_in == 0) break;
      if (!is_gzip(in, consumed)) {
        throw Error(path + ": " + std::to_string(zs.avail_in) +
                    " bytes of garbage after the gzip stream");
      }
      inflateReset(&zs);  // another member follows
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      throw Error(path + ": gzip data is truncated");
    }
    const std::string why = zs.msg != nullptr ? zs.msg : ("zlib error " + std::to_string(rc));
    throw Error(path + ": gzip data is corrupt: " + why);
  }
  return out;
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes) {
  return read_raw(path, max_bytes);
}

std::vector<uint8_t> read_data_file(const std::string& path, uint64_t max_bytes) {
  std::vector<uint8_t> raw = read_raw(path, max_bytes);
  if (!is_gzip(raw, 0)) return raw;
  return gunzip(path, raw, max_bytes);
}

bool file_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace tinyprop::host
