// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF):
// the same value zlib's crc32() and the .tpm model file use. Incremental: start with
// crc32_update(0, ...) and feed the previous result back in for the next chunk.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace tinyprop {

uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t n);

}  // namespace tinyprop
