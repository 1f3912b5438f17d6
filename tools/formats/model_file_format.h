// Constants of the .tpm byte layout (docs/MODEL_FORMAT.md is the full description).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace tinyprop::host::tpm {

inline constexpr uint8_t kMagic[4] = {'T', 'P', 'M', 'F'};
// Still 1: the window layers (kinds 5-10) only added layer kinds and fields inside the layer
// records, which version 1 was designed to carry (docs/MODEL_FORMAT.md, "Layer records").
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
// Fields of every layer kind. Readers need at least the fields of the record's kind; further
// fields are extensions that must be zero for a reader that does not know them (zero = "as
// before").
inline constexpr uint16_t kFieldUnits = 0;  // dense: output neurons (0 for every other kind)
inline constexpr uint16_t kFieldAlpha = 1;  // leaky ReLU slope, float bits (stored for every kind)
inline constexpr uint16_t kV1LayerFields = 2;
// Window layers (conv2d, depthwise conv2d, max / avg pooling) carry 8 more.
inline constexpr uint16_t kFieldFilters = 2;  // conv2d: output channels (0 for the others)
inline constexpr uint16_t kFieldKernelH = 3;  // kernel_h, kernel_w: 1..65535
inline constexpr uint16_t kFieldKernelW = 4;
inline constexpr uint16_t kFieldStrideH = 5;  // stride_h, stride_w: 1..65535
inline constexpr uint16_t kFieldStrideW = 6;
inline constexpr uint16_t kFieldPadH = 7;  // pad_h, pad_w: 0..65535, 0 with pad_same
inline constexpr uint16_t kFieldPadW = 8;
inline constexpr uint16_t kFieldWindowFlags = 9;  // bit 0: pad_same ("same" padding)
inline constexpr uint16_t kWindowLayerFields = 10;
inline constexpr uint32_t kWindowFlagPadSame = 1u << 0;
inline constexpr uint32_t kKnownWindowFlags = kWindowFlagPadSame;

inline constexpr size_t kCrcBytes = 4;

// The layer kinds the format stores: dense and the elementwise activations (0-4) since the
// first version, the window layers, global average pooling and flatten (5-10) since conv.
inline constexpr uint8_t kMaxStoredKind = 10;
inline bool stores_kind(uint8_t kind) { return kind <= kMaxStoredKind; }
// Conv2D (5), DepthwiseConv2D (6), MaxPool2D (7), AvgPool2D (8): the kinds with window fields.
inline bool has_window_fields(uint8_t kind) { return kind >= 5 && kind <= 8; }
// Fields a record of this kind must have.
inline uint16_t fields_of_kind(uint8_t kind) {
  return has_window_fields(kind) ? kWindowLayerFields : kV1LayerFields;
}

}  // namespace tinyprop::host::tpm
