// Whole-file writes that never leave a half-written file where a good one was.
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

namespace tinyprop::host {

// Writes bytes to path + ".tmp", flushes and fsyncs it, then renames it over path (rename is
// atomic on POSIX file systems) and fsyncs the directory. On any failure the temporary file is
// removed, path is left as it was, and host::Error names the path and the system error.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace tinyprop::host
