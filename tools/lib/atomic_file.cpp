#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>

#include "error.h"

namespace tinyprop::host {
namespace {

std::string system_error(const std::string& what, int err) {
  return what + ": " + strerror(err);
}

std::string parent_dir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// write() may write less than asked (signals, pipes); loop until done.
bool write_all(int fd, const uint8_t* data, size_t n, int* err) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      return false;
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(system_error(path + ": cannot create " + tmp, errno));

  int err = 0;
  bool good = write_all(fd, bytes.data(), bytes.size(), &err);
  if (good && ::fsync(fd) != 0 && errno != EINVAL) {  // EINVAL: special files cannot sync
    err = errno;
    good = false;
  }
  if (::close(fd) != 0 && good) {
    err = errno;
    good = false;
  }
  if (!good) {
    ::unlink(tmp.c_str());
    throw Error(system_error(path + ": write failed (old file left unchanged)", err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    ::unlink(tmp.c_str());
    throw Error(system_error(path + ": cannot replace with " + tmp, err));
  }
  // Make the rename itself durable. Best effort: some file systems refuse to fsync a directory.
  const int dir = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
}

}  // namespace tinyprop::host
