#include "util/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "util/error.h"

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

// Permission bits of a new file: 0666 minus the process umask (read without changing it for
// good: umask() can only be read by setting it).
mode_t new_file_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return static_cast<mode_t>(0666 & ~mask);
}

}  // namespace

std::string non_regular_kind(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return "";
  if (S_ISLNK(st.st_mode)) return "a symbolic link";
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISCHR(st.st_mode)) return "a character device";
  if (S_ISBLK(st.st_mode)) return "a block device";
  if (S_ISFIFO(st.st_mode)) return "a FIFO";
  if (S_ISSOCK(st.st_mode)) return "a socket";
  return "not a regular file";
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string kind = non_regular_kind(path);
  if (!kind.empty()) {
    throw Error(path + ": is " + kind + "; only a regular file is replaced (old file left unchanged)");
  }
  struct stat old {};
  const bool replacing = ::stat(path.c_str(), &old) == 0;
  // mkostemp: O_CREAT | O_EXCL with a unique name, so nothing already there (a stale file, a
  // symbolic link planted to redirect the write) is opened.
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) throw Error(system_error(path + ": cannot create a temporary file " + tmp, errno));

  int err = 0;
  bool good = ::fchmod(fd, replacing ? (old.st_mode & 07777) : new_file_mode()) == 0;
  if (!good) err = errno;
  good = good && write_all(fd, bytes.data(), bytes.size(), &err);
  if (good && ::fsync(fd) != 0 && errno != EINVAL) {  // EINVAL: the file system cannot sync
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

void write_text_file(const std::string& path, const std::string& text) {
  write_file_atomic(path, std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace tinyprop::host
