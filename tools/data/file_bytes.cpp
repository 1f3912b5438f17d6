#include "data/file_bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <memory>

#include "util/error.h"

namespace tinyprop::host {
namespace {

constexpr size_t kChunk = 1 << 16;

struct FileCloser {
  void operator()(FILE* f) const { fclose(f); }
};

const char* file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

bool is_gzip_magic(const uint8_t* b, size_t n) { return n >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

std::string too_large(const std::string& path, uint64_t size, uint64_t max_bytes) {
  return path + ": file too large (" + std::to_string(size) + " bytes, limit " +
         std::to_string(max_bytes) + ")";
}

}  // namespace

FILE* open_regular_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever; it is cleared
  // again once the file is known to be regular (where it has no effect anyway).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) throw Error(path + ": cannot open: " + strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(path + ": cannot stat: " + strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": is " + file_type_name(st.st_mode) + ", expected a regular file");
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  FILE* f = fdopen(fd, "rb");
  if (f == nullptr) {
    const int err = errno;
    ::close(fd);
    throw Error(path + ": cannot open: " + strerror(err));
  }
  return f;
}

struct DataStream::Zlib {
  z_stream zs;
  bool initialised = false;
  ~Zlib() {
    if (initialised) inflateEnd(&zs);
  }
};

DataStream::DataStream(const std::string& path, uint64_t max_bytes)
    : path_(path), max_bytes_(max_bytes) {
  file_ = open_regular_file(path);
  struct stat st;
  if (fstat(fileno(file_), &st) != 0) {
    fclose(file_);
    file_ = nullptr;
    throw Error(path + ": cannot stat: " + strerror(errno));
  }
  stored_bytes_ = static_cast<uint64_t>(st.st_size);
  if (stored_bytes_ > max_bytes) {
    fclose(file_);
    file_ = nullptr;
    throw Error(too_large(path, stored_bytes_, max_bytes));
  }
  peek_len_ = read_raw(peek_, sizeof(peek_));
  gzip_ = is_gzip_magic(peek_, peek_len_);
  if (!gzip_) return;
  z_ = std::make_unique<Zlib>();
  memset(&z_->zs, 0, sizeof(z_->zs));
  if (inflateInit2(&z_->zs, 16 + MAX_WBITS) != Z_OK) throw Error(path + ": zlib init failed");
  z_->initialised = true;
  in_.resize(kChunk);
  memcpy(in_.data(), peek_, peek_len_);
  peek_at_ = peek_len_;  // consumed into the inflate input
  z_->zs.next_in = in_.data();
  z_->zs.avail_in = static_cast<uInt>(peek_len_);
}

DataStream::~DataStream() {
  if (file_ != nullptr) fclose(file_);
}

// Plain bytes: the sniffed magic first, then the file.
size_t DataStream::read_raw(uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n && peek_at_ < peek_len_) out[got++] = peek_[peek_at_++];
  while (got < n && !raw_eof_) {
    const size_t r = fread(out + got, 1, n - got, file_);
    got += r;
    if (r == 0) {
      if (ferror(file_)) throw Error(path_ + ": read error: " + strerror(errno));
      raw_eof_ = true;
    }
  }
  return got;
}

size_t DataStream::inflate_into(uint8_t* out, size_t n) {
  z_stream& zs = z_->zs;
  // Moves the unread input to the front of in_ and reads more behind it.
  const auto refill = [&] {
    if (raw_eof_) return;
    memmove(in_.data(), zs.next_in, zs.avail_in);
    const size_t kept = zs.avail_in;
    const size_t r = read_raw(in_.data() + kept, in_.size() - kept);
    zs.next_in = in_.data();
    zs.avail_in = static_cast<uInt>(kept + r);
  };
  zs.next_out = out;
  zs.avail_out = static_cast<uInt>(n);
  while (zs.avail_out > 0 && !stream_end_) {
    if (zs.avail_in == 0) refill();
    const int rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in < 2) refill();
      if (zs.avail_in == 0) {
        stream_end_ = true;
        break;
      }
      if (!is_gzip_magic(zs.next_in, zs.avail_in)) {
        uint64_t left = zs.avail_in;
        if (!raw_eof_) left += stored_bytes_ - static_cast<uint64_t>(ftello(file_));
        throw Error(path_ + ": " + std::to_string(left) + " bytes of garbage after the gzip stream");
      }
      inflateReset(&zs);  // another member follows (what `cat a.gz b.gz` produces)
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      if (raw_eof_) throw Error(path_ + ": gzip data is truncated");
      continue;
    }
    const std::string why = zs.msg != nullptr ? zs.msg : ("zlib error " + std::to_string(rc));
    throw Error(path_ + ": gzip data is corrupt: " + why);
  }
  return n - zs.avail_out;
}

size_t DataStream::read(uint8_t* out, size_t n) {
  const size_t got = gzip_ ? inflate_into(out, n) : read_raw(out, n);
  position_ += got;
  if (position_ > max_bytes_) {
    throw Error(path_ + ": decompressed data larger than " + std::to_string(max_bytes_) + " bytes");
  }
  return got;
}

std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes) {
  std::unique_ptr<FILE, FileCloser> f(open_regular_file(path));
  struct stat st;
  if (fstat(fileno(f.get()), &st) != 0) throw Error(path + ": cannot stat: " + strerror(errno));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) throw Error(too_large(path, size, max_bytes));
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (!bytes.empty() && fread(bytes.data(), 1, bytes.size(), f.get()) != bytes.size()) {
    throw Error(path + ": read error: " + strerror(errno));
  }
  return bytes;
}

std::vector<uint8_t> read_data_file(const std::string& path, uint64_t max_bytes) {
  DataStream s(path, max_bytes);
  std::vector<uint8_t> out;
  if (!s.gzipped()) out.reserve(static_cast<size_t>(s.stored_bytes()));
  uint8_t chunk[kChunk];
  for (;;) {
    const size_t got = s.read(chunk, sizeof(chunk));
    if (got == 0) break;
    out.insert(out.end(), chunk, chunk + got);
  }
  return out;
}

bool file_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace tinyprop::host
