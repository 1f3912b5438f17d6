// The .tpm model file: writing, reading and validating. Byte layout in docs/MODEL_FORMAT.md.
#include "formats/model_file.h"

#include <string.h>
#include <zlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "util/atomic_file.h"
#include "data/file_bytes.h"
#include "util/error.h"
#include "util/le_bytes.h"
#include "formats/model_file_format.h"

namespace tinyprop::host {
namespace {

// Far above any model a microcontroller trains; keeps a damaged size field from exhausting memory.
constexpr uint64_t kMaxModelFileBytes = 1ull << 31;

uint32_t crc_of(const uint8_t* data, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc32_z(0L, Z_NULL, 0), data, n));
}

// The record layout names the kinds by number (model_file_format.h); they must stay the core's.
static_assert(static_cast<uint8_t>(LayerKind::kTanh) == 4, "version-1 kinds are 0-4");
static_assert(static_cast<uint8_t>(LayerKind::kConv2D) == 5 &&
                  static_cast<uint8_t>(LayerKind::kDepthwiseConv2D) == 6 &&
                  static_cast<uint8_t>(LayerKind::kMaxPool2D) == 7 &&
                  static_cast<uint8_t>(LayerKind::kAvgPool2D) == 8,
              "tpm::has_window_fields names kinds 5-8");
static_assert(static_cast<uint8_t>(LayerKind::kFlatten) == tpm::kMaxStoredKind,
              "the format stores every kind up to flatten");

// Parameters of trainable layers (the ones an optimizer keeps moments for), in the trainer's
// order: per trainable layer n_weights + n_bias. The spec must be valid.
uint64_t trainable_param_count(const ModelSpec& spec) {
  uint64_t count = 0;
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    if (!layer_has_params(spec.layers[i].kind) || !spec.layers[i].trainable) continue;
    const LayerParamCount p = layer_param_count(spec, i);
    count += static_cast<uint64_t>(p.weights) + p.bias;
  }
  return count;
}

const char* optimizer_name(OptimizerKind k) {
  return k == OptimizerKind::kAdam ? "adam" : "sgd";
}

// Optimizer state sizes the trainer produces: m (SGD momentum) or m and v (Adam) per trainable
// parameter; plain SGD keeps nothing. Returns "" when fine, else the reason.
std::string check_optimizer_state(const ModelFile& f) {
  if (!f.has_optimizer_state) {
    return f.optimizer_state.empty() ? "" : "optimizer state given but has_optimizer_state is false";
  }
  const uint64_t t = trainable_param_count(f.spec);
  const uint64_t n = f.optimizer_state.size();
  const bool fits = f.optimizer == OptimizerKind::kAdam ? n == 2 * t : (n == 0 || n == t);
  if (fits) return "";
  const std::string expected = f.optimizer == OptimizerKind::kAdam
      ? std::to_string(2 * t)
      : "0 or " + std::to_string(t);
  return "optimizer state has " + std::to_string(n) + " floats, expected " + expected + " for " +
         optimizer_name(f.optimizer) + " on " + std::to_string(t) + " trainable parameters";
}


// The record fields of a layer, canonical: fields that mean nothing for the kind are written as
// zero (units of every layer but dense, filters of a pooling layer, pad_h / pad_w with "same"),
// so that a reader can refuse non-zero ones as damage. Version-1 kinds keep their two fields
// (an activation's units were always 0 in the specs the tools build).
std::vector<uint32_t> layer_fields(const LayerSpec& l) {
  const uint8_t kind = static_cast<uint8_t>(l.kind);
  uint32_t alpha_bits;
  memcpy(&alpha_bits, &l.alpha, sizeof(alpha_bits));
  std::vector<uint32_t> f(tpm::fields_of_kind(kind), 0u);
  f[tpm::kFieldUnits] = l.kind == LayerKind::kDense ? l.units : 0u;
  f[tpm::kFieldAlpha] = alpha_bits;
  if (!tpm::has_window_fields(kind)) return f;
  f[tpm::kFieldFilters] = l.kind == LayerKind::kConv2D ? l.filters : 0u;
  f[tpm::kFieldKernelH] = l.kernel_h;
  f[tpm::kFieldKernelW] = l.kernel_w;
  f[tpm::kFieldStrideH] = l.stride_h;
  f[tpm::kFieldStrideW] = l.stride_w;
  f[tpm::kFieldPadH] = l.pad_same ? 0u : l.pad_h;
  f[tpm::kFieldPadW] = l.pad_same ? 0u : l.pad_w;
  f[tpm::kFieldWindowFlags] = l.pad_same ? tpm::kWindowFlagPadSame : 0u;
  return f;
}

// The inverse of layer_fields for a record of `kind` (l.kind already set), refusing fields that
// layer_fields never writes. `where` starts every message ("m.tpm: layer 2: ").
void set_layer_fields(const std::vector<uint32_t>& f, const std::string& where, LayerSpec* l) {
  const uint8_t kind = static_cast<uint8_t>(l->kind);
  const std::string name = layer_kind_name(l->kind);
  l->units = f[tpm::kFieldUnits];
  memcpy(&l->alpha, &f[tpm::kFieldAlpha], sizeof(l->alpha));
  if (l->kind != LayerKind::kDense && l->units != 0) {
    throw Error(where + name + " has units " + std::to_string(l->units) + ", must be 0");
  }
  if (!tpm::has_window_fields(kind)) return;
  if (l->kind != LayerKind::kConv2D && f[tpm::kFieldFilters] != 0) {
    throw Error(where + name + " has filters " + std::to_string(f[tpm::kFieldFilters]) +
                ", must be 0 (only conv2d has filters)");
  }
  l->filters = f[tpm::kFieldFilters];
  const struct {
    uint16_t field;
    const char* label;
    uint16_t* target;
  } u16_fields[] = {
      {tpm::kFieldKernelH, "kernel_h", &l->kernel_h},
      {tpm::kFieldKernelW, "kernel_w", &l->kernel_w},
      {tpm::kFieldStrideH, "stride_h", &l->stride_h},
      {tpm::kFieldStrideW, "stride_w", &l->stride_w},
      {tpm::kFieldPadH, "pad_h", &l->pad_h},
      {tpm::kFieldPadW, "pad_w", &l->pad_w},
  };
  for (const auto& u : u16_fields) {
    if (f[u.field] > 0xFFFFu) {
      throw Error(where + name + " " + u.label + " " + std::to_string(f[u.field]) +
                  " out of range (max 65535)");
    }
    *u.target = static_cast<uint16_t>(f[u.field]);
  }
  const uint32_t wflags = f[tpm::kFieldWindowFlags];
  if ((wflags & ~tpm::kKnownWindowFlags) != 0) {
    throw Error(where + name + " has unknown window flags " + std::to_string(wflags) +
                " (written by a newer tinyprop?)");
  }
  l->pad_same = (wflags & tpm::kWindowFlagPadSame) != 0;
  if (l->pad_same && (l->pad_h != 0 || l->pad_w != 0)) {
    throw Error(where + name + " has \"same\" padding and also pad " + std::to_string(l->pad_h) +
                "x" + std::to_string(l->pad_w) + " (must be 0 with same)");
  }
}

std::vector<uint8_t> encode(const ModelFile& f) {
  LeWriter w;
  w.bytes(tpm::kMagic, sizeof(tpm::kMagic));
  w.u32(tpm::kVersion);
  const size_t size_at = w.size();
  w.u64(0);  // file size, patched below
  w.u32(f.has_optimizer_state ? tpm::kFlagOptimizerState : 0u);

  const ModelSpec& s = f.spec;
  w.u32(s.input.h);
  w.u32(s.input.w);
  w.u32(s.input.c);
  w.u8(static_cast<uint8_t>(s.loss));
  w.u8(0);
  w.u8(0);
  w.u8(0);
  w.u32(s.n_layers);
  for (uint32_t i = 0; i < s.n_layers; ++i) {
    const LayerSpec& l = s.layers[i];
    const std::vector<uint32_t> fields = layer_fields(l);
    w.u8(static_cast<uint8_t>(l.kind));
    w.u8(l.trainable ? tpm::kLayerFlagTrainable : 0);
    w.u16(static_cast<uint16_t>(fields.size()));
    for (uint32_t v : fields) w.u32(v);
  }

  w.u32(static_cast<uint32_t>(f.params.size()));
  for (float v : f.params) w.f32(v);

  if (f.has_optimizer_state) {
    w.u8(static_cast<uint8_t>(f.optimizer));
    w.u8(0);
    w.u8(0);
    w.u8(0);
    w.u64(f.optimizer_steps);
    w.u32(static_cast<uint32_t>(f.optimizer_state.size()));
    for (float v : f.optimizer_state) w.f32(v);
  }

  w.u32(static_cast<uint32_t>(f.metadata.size()));
  w.bytes(f.metadata.data(), f.metadata.size());

  w.patch_u64(size_at, w.size() + tpm::kCrcBytes);
  w.u32(crc_of(w.data().data(), w.size()));
  return std::move(w.data());
}

// Parses the CRC-checked body. Every inconsistency throws with `name` in front.
ModelFile decode(const std::string& name, const std::vector<uint8_t>& bytes) {
  const size_t body = bytes.size() - tpm::kCrcBytes;
  LeReader r(name, bytes.data(), body);
  r.str(tpm::kHeaderBytes - 4);  // magic, version and size were checked by the caller
  const uint32_t flags = r.u32();
  if ((flags & ~tpm::kKnownFlags) != 0) {
    throw Error(name + ": unknown header flags " + std::to_string(flags) + " (newer format?)");
  }

  ModelFile f;
  ModelSpec& s = f.spec;
  s.input.h = r.u32();
  s.input.w = r.u32();
  s.input.c = r.u32();
  const uint8_t loss = r.u8();
  if (loss > static_cast<uint8_t>(LossKind::kMeanSquaredError)) {
    throw Error(name + ": unknown loss kind " + std::to_string(loss));
  }
  s.loss = static_cast<LossKind>(loss);
  if (r.u8() != 0 || r.u8() != 0 || r.u8() != 0) throw Error(name + ": reserved bytes not zero");
  const uint32_t n_layers = r.u32();
  if (n_layers > kMaxLayers) {
    throw Error(name + ": " + std::to_string(n_layers) + " layers, this build supports at most " +
                std::to_string(kMaxLayers));
  }
  s.n_layers = n_layers;
  for (uint32_t i = 0; i < n_layers; ++i) {
    const std::string where = name + ": layer " + std::to_string(i) + ": ";
    LayerSpec& l = s.layers[i];
    l = LayerSpec{};  // fields the file leaves out for this kind keep the LayerSpec defaults
    const uint8_t kind = r.u8();
    if (!tpm::stores_kind(kind)) {
      throw Error(where + "unknown layer kind " + std::to_string(kind) +
                  " (written by a newer tinyprop?)");
    }
    l.kind = static_cast<LayerKind>(kind);
    const uint8_t lflags = r.u8();
    if ((lflags & ~tpm::kLayerFlagTrainable) != 0) throw Error(where + "unknown layer flags");
    l.trainable = (lflags & tpm::kLayerFlagTrainable) != 0;
    const uint16_t n_fields = r.u16();
    const uint16_t known = tpm::fields_of_kind(kind);
    if (n_fields < known) {
      throw Error(where + "has " + std::to_string(n_fields) + " fields, needs " +
                  std::to_string(known) + " for " + layer_kind_name(l.kind));
    }
    std::vector<uint32_t> fields(known);
    for (uint32_t& v : fields) v = r.u32();
    for (uint16_t k = known; k < n_fields; ++k) {
      if (r.u32() != 0) {
        throw Error(where + "extension field " + std::to_string(k) +
                    " is set (written by a newer tinyprop?)");
      }
    }
    set_layer_fields(fields, where, &l);
  }
  const std::string bad_spec = spec_problem(s);
  if (!bad_spec.empty()) throw Error(name + ": " + bad_spec);

  const uint32_t n_params = r.u32();
  if (n_params != s.param_count()) {
    throw Error(name + ": param count mismatch: file has " + std::to_string(n_params) +
                ", the architecture needs " + std::to_string(s.param_count()));
  }
  r.need(static_cast<size_t>(n_params) * 4);
  f.params.resize(n_params);
  for (float& v : f.params) v = r.f32();

  if ((flags & tpm::kFlagOptimizerState) != 0) {
    f.has_optimizer_state = true;
    const uint8_t kind = r.u8();
    if (kind > static_cast<uint8_t>(OptimizerKind::kAdam)) {
      throw Error(name + ": unknown optimizer kind " + std::to_string(kind));
    }
    f.optimizer = static_cast<OptimizerKind>(kind);
    if (r.u8() != 0 || r.u8() != 0 || r.u8() != 0) throw Error(name + ": reserved bytes not zero");
    f.optimizer_steps = r.u64();
    const uint32_t n_state = r.u32();
    r.need(static_cast<size_t>(n_state) * 4);
    f.optimizer_state.resize(n_state);
    for (float& v : f.optimizer_state) v = r.f32();
    const std::string bad = check_optimizer_state(f);
    if (!bad.empty()) throw Error(name + ": " + bad);
  }

  const uint32_t meta_len = r.u32();
  f.metadata = r.str(meta_len);
  if (r.remaining() != 0) {
    throw Error(name + ": malformed: " + std::to_string(r.remaining()) +
                " unparsed bytes before the CRC");
  }
  return f;
}

}  // namespace

std::vector<uint8_t> encode_model(const ModelFile& file, const std::string& name) {
  for (uint32_t i = 0; i < file.spec.n_layers && i < kMaxLayers; ++i) {
    const LayerKind kind = file.spec.layers[i].kind;
    if (!tpm::stores_kind(static_cast<uint8_t>(kind))) {
      throw Error(name + ": cannot save: layer " + std::to_string(i) + " has kind " +
                  std::to_string(static_cast<unsigned>(kind)) +
                  ", which the .tpm format does not know");
    }
  }
  const std::string bad_spec = spec_problem(file.spec);
  if (!bad_spec.empty()) throw Error(name + ": cannot save: " + bad_spec);
  if (file.params.size() != file.spec.param_count()) {
    throw Error(name + ": cannot save: " + std::to_string(file.params.size()) +
                " parameters given, the architecture needs " + std::to_string(file.spec.param_count()));
  }
  const std::string bad_opt = check_optimizer_state(file);
  if (!bad_opt.empty()) throw Error(name + ": cannot save: " + bad_opt);
  if (file.metadata.size() > 0xFFFFFFFFu) throw Error(name + ": cannot save: metadata too long");
  return encode(file);
}

void save_model(const std::string& path, const ModelFile& file) {
  write_file_atomic(path, encode_model(file, path));
}

ModelFile load_model(const std::string& path) {
  return load_model_from_bytes(read_file_bytes(path, kMaxModelFileBytes), path);
}

ModelFile load_model_from_bytes(const std::vector<uint8_t>& b, const std::string& path) {
  if (b.size() < sizeof(tpm::kMagic) || !std::equal(tpm::kMagic, tpm::kMagic + 4, b.begin())) {
    throw Error(path + ": bad magic (not a tinyprop .tpm model file)");
  }
  LeReader header(path, b.data(), b.size());
  header.need(tpm::kHeaderBytes);
  header.u32();
  const uint32_t version = header.u32();
  if (version != tpm::kVersion) {
    throw Error(path + ": unsupported format version " + std::to_string(version) +
                " (this build reads version " + std::to_string(tpm::kVersion) + ")");
  }
  const uint64_t declared = header.u64();
  if (b.size() < declared) {
    throw Error(path + ": truncated: expected " + std::to_string(declared) + " bytes, got " +
                std::to_string(b.size()));
  }
  if (b.size() > declared) {
    throw Error(path + ": " + std::to_string(b.size() - declared) + " trailing bytes after the " +
                std::to_string(declared) + " the header declares");
  }
  if (b.size() < tpm::kHeaderBytes + tpm::kArchitectureBytes + tpm::kCrcBytes) {
    throw Error(path + ": truncated: " + std::to_string(b.size()) + " bytes is too short");
  }
  const size_t body = b.size() - tpm::kCrcBytes;
  LeReader trailer(path, b.data() + body, tpm::kCrcBytes);
  const uint32_t stored = trailer.u32();
  if (stored != crc_of(b.data(), body)) throw Error(path + ": CRC mismatch (file damaged)");
  return decode(path, b);
}

void copy_params_into(const ModelFile& file, Model& model) {
  if (!model.bound()) throw Error("copy_params_into: the model is not bound");
  if (file.params.size() != model.param_count()) {
    throw Error("model file has " + std::to_string(file.params.size()) +
                " parameters, the bound model " + std::to_string(model.param_count()));
  }
  std::copy(file.params.begin(), file.params.end(), model.params());
}

}  // namespace tinyprop::host
