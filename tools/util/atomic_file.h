// Whole-file writes that never leave a half-written file where a good one was.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

namespace tinyprop::host {

// Writes bytes to a new temporary file in path's directory (path + ".tmp-XXXXXX", created
// exclusively: an existing file or a planted symbolic link of that name is never followed),
// flushes and fsyncs it, then renames it over path (rename is atomic on POSIX file systems) and
// fsyncs the directory. Only a regular file (or nothing) at path is replaced: a device, FIFO,
// socket, directory or symbolic link there is refused. A replaced file keeps its permission
// bits; a new one gets 0666 minus the umask. On any failure the temporary file is removed,
// path is left as it was, and host::Error names the path and the system error.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);

// The same for text.
void write_text_file(const std::string& path, const std::string& text);

// "" when path does not exist or is a regular file, else what it is ("a character device",
// "a symbolic link", ...): the outputs the tools refuse to replace.
std::string non_regular_kind(const std::string& path);

// True when both paths exist and are the same file (same device and inode; hard links and
// symbolic links included).
bool same_file(const std::string& a, const std::string& b);

}  // namespace tinyprop::host
