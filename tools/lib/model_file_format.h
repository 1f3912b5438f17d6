// Constants of the .tpm byte layout (docs/MODEL_FORMAT.md is the full description).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace tinyprop::host::tpm {

inline constexpr uint8_t kMagic[4] = {'T', 'P', 'M', 'F'};
inline constexpr uint32_t kVersion = 1;

// Header: magic[4], u32 version, u64 file size, u32 flags.
inline constexpr size_t kHeaderBytes = 20;
inline constexpr size_t kVersionOffset = 4;
inline constexpr size_t kFileSizeOffset = 8;
inline constexpr size_t kFlagsOffset = 16;
inline constexpr uint32_t kFlagOptimizerState = 1u << 0;
inline constexpr uint32_t kKnownFlags = kFlagOptimizerState;

// Architecture: u32 h, w, c; u8 loss, 3 reserved bytes; u32 n_layers; then the layer records.
inline constexpr size_t kArchitectureBytes = 20;
// Layer record: u8 kind, u8 flags, u16 n_fields, u32 field[n_fields].
inline constexpr size_t kLayerRecordHeadBytes = 4;
inline constexpr uint8_t kLayerFlagTrainable = 1u << 0;
// Fields of every version-1 layer kind. Readers need at least these; further fields are
// extensions that must be zero for a reader that does not know them (zero = "as before").
inline constexpr uint16_t kFieldUnits = 0;  // dense: output neurons
inline constexpr uint16_t kFieldAlpha = 1;  // leaky ReLU slope, float bits
inline constexpr uint16_t kV1LayerFields = 2;

inline constexpr size_t kCrcBytes = 4;

// The layer kinds version 1 stores (dense and the elementwise activations). Other kinds (the
// window layers of issue 5) need their own fields first: see docs/MODEL_FORMAT.md.
inline bool stores_kind(uint8_t kind) { return kind <= 4; }

}  // namespace tinyprop::host::tpm
