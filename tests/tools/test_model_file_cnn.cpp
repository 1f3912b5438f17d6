// The .tpm model file with convolutional layers (kinds 5-10): bitwise round trips of every window
// kind, the record layout, optimizer state sized as the trainer keeps it, canonical fields, and
// damaged or inconsistent window fields refused with a message naming the layer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/error.h"
#include "formats/model_file.h"
#include "formats/model_file_format.h"
#include "test_data_helpers.h"
#include "test_model_file_util.h"
#include "tinyprop/optimizer.h"
#include "tinyprop/tinyprop.h"

namespace tinyprop::host {
namespace {

using test::awkward_values;
using test::BoundTraining;
using test::contains;
using test::error_of;
using test::every_kind_cnn;
using test::expect_same;
using test::expect_same_spec;
using test::fix_size_and_crc;
using test::put_le32;
using test::TempDir;

// Trainable parameters by the bound model (not by the file code): per trainable layer with
// parameters n_weights + n_bias.
size_t trainable_params_of(const Model& m) {
  size_t t = 0;
  for (uint32_t i = 0; i < m.n_layers(); ++i) {
    const Layer& l = m.layer(i);
    if (layer_has_params(l.spec.kind) && l.spec.trainable) t += l.n_weights + l.n_bias;
  }
  return t;
}

// Offsets of the layer records, walking their heads (kind, flags, n_fields).
std::vector<size_t> record_offsets(const std::vector<uint8_t>& b, uint32_t n_layers) {
  std::vector<size_t> at;
  size_t p = tpm::kHeaderBytes + tpm::kArchitectureBytes;
  for (uint32_t i = 0; i < n_layers; ++i) {
    at.push_back(p);
    const size_t n_fields = b[p + 2] | static_cast<size_t>(b[p + 3]) << 8;
    p += tpm::kLayerRecordHeadBytes + 4 * n_fields;
  }
  at.push_back(p);  // the parameter count
  return at;
}

uint32_t le32_at(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint32_t>(b[at]) | static_cast<uint32_t>(b[at + 1]) << 8 |
         static_cast<uint32_t>(b[at + 2]) << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}

ModelFile cnn_file() {
  ModelFile f;
  f.spec = every_kind_cnn();
  f.params = awkward_values(f.spec.param_count(), 7);
  f.metadata = "{\"model\": \"every kind\"}";
  return f;
}

TEST(ModelFileCnn, RoundTripOfEveryWindowKindIsBitwise) {
  TempDir dir;
  const ModelFile f = cnn_file();
  ASSERT_EQ(f.spec.param_count(), 52u + 40u + 15u + 20u + 18u);
  save_model(dir.file("cnn.tpm"), f);
  const ModelFile back = load_model(dir.file("cnn.tpm"));
  expect_same(f, back);
  EXPECT_EQ(encode_model(back, "again"), encode_model(f, "first"));
}

TEST(ModelFileCnn, ParsedCnnRoundTripsThroughAFile) {
  TempDir dir;
  ModelFile f;
  f.spec = parse_model_spec("cnn:28x28x1-c8k3-p2-c16k3-p2-d10");
  f.params = awkward_values(f.spec.param_count(), 8);
  save_model(dir.file("m.tpm"), f);
  const ModelFile back = load_model(dir.file("m.tpm"));
  expect_same(f, back);
  EXPECT_EQ(describe_model_spec(back.spec), "cnn:28x28x1-c8k3-m2-c16k3-m2-d10");
}

TEST(ModelFileCnn, LayerParamCountIsTheBoundModels) {
  for (const ModelSpec& spec :
       {every_kind_cnn(), parse_model_spec("cnn:12x10x3-c6k3s2+same-dw5pad2-a2-d4"),
        parse_model_spec("mlp:7-5-3")}) {
    TrainConfig cfg;
    BoundTraining t(spec, cfg);
    ASSERT_TRUE(t.model.bound());
    uint32_t total = 0;
    for (uint32_t i = 0; i < spec.n_layers; ++i) {
      const LayerParamCount p = layer_param_count(spec, i);
      EXPECT_EQ(p.weights, t.model.layer(i).n_weights)
          << describe_model_spec(spec) << " layer " << i;
      EXPECT_EQ(p.bias, t.model.layer(i).n_bias) << describe_model_spec(spec) << " layer " << i;
      total += p.weights + p.bias;
    }
    EXPECT_EQ(total, t.model.param_count());
    EXPECT_EQ(layer_param_count(spec, spec.n_layers).weights, 0u);  // past the end
  }
}

// The optimizer state of a trainer that has taken steps on the CNN, gathered as `tinyprop train
// --save-optimizer-state` does: per trainable layer m_w, m_b[, v_w, v_b]. The frozen depthwise
// layer keeps no moments, so a count that included it would be refused.
TEST(ModelFileCnn, OptimizerStateIsSizedAsTheTrainerKeepsIt) {
  TempDir dir;
  for (const OptimizerKind kind : {OptimizerKind::kAdam, OptimizerKind::kSgd}) {
    TrainConfig cfg;
    cfg.optimizer.kind = kind;
    cfg.optimizer.momentum = kind == OptimizerKind::kSgd ? 0.9f : 0.0f;
    BoundTraining t(every_kind_cnn(), cfg);
    Rng rng(3);
    t.model.init_params(rng);
    std::vector<float> x(t.model.input_size());
    for (int step = 0; step < 3; ++step) {
      for (float& v : x) v = rng.normal();
      t.trainer.train_sample(x.data(), Target::of_label(static_cast<uint32_t>(step) % 3), nullptr);
    }
    ModelFile f;
    f.spec = every_kind_cnn();
    f.params.assign(t.model.params(), t.model.params() + t.model.param_count());
    f.has_optimizer_state = true;
    f.optimizer = kind;
    f.optimizer_steps = t.trainer.optimizer_steps();
    const uint32_t per_param = optimizer_state_per_param(cfg.optimizer);
    for (uint32_t i = 0; i < t.model.n_layers(); ++i) {
      const LayerTrainState& st = t.trainer.state(i);
      if (!st.trainable) continue;
      const Layer& l = t.model.layer(i);
      f.optimizer_state.insert(f.optimizer_state.end(), st.m_w, st.m_w + l.n_weights);
      f.optimizer_state.insert(f.optimizer_state.end(), st.m_b, st.m_b + l.n_bias);
      if (per_param == 2) {
        f.optimizer_state.insert(f.optimizer_state.end(), st.v_w, st.v_w + l.n_weights);
        f.optimizer_state.insert(f.optimizer_state.end(), st.v_b, st.v_b + l.n_bias);
      }
    }
    const size_t trainable = trainable_params_of(t.model);
    ASSERT_EQ(trainable, f.spec.param_count() - 40u);  // all but the frozen depthwise layer
    ASSERT_EQ(f.optimizer_state.size(), per_param * trainable);
    save_model(dir.file("m.tpm"), f);
    expect_same(f, load_model(dir.file("m.tpm")));

    f.optimizer_state.push_back(0.0f);
    const std::string msg = error_of([&] { save_model(dir.file("m.tpm"), f); });
    EXPECT_TRUE(contains(msg, "on " + std::to_string(trainable) + " trainable parameters")) << msg;
  }
}

// docs/MODEL_FORMAT.md: window kinds carry 10 fields, global pooling and flatten 2.
TEST(ModelFileCnn, RecordLayout) {
  const ModelFile f = cnn_file();
  const std::vector<uint8_t> b = encode_model(f, "m.tpm");
  const std::vector<size_t> rec = record_offsets(b, f.spec.n_layers);
  const uint32_t alpha_001 = test::bits_of(0.01f);
  struct Expected {
    uint32_t layer;
    uint8_t kind, flags;
    std::vector<uint32_t> fields;
  } cases[] = {
      // units, alpha, filters, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, flags
      {0, 5, 1, {0, alpha_001, 4, 3, 2, 2, 1, 1, 0, 0}},
      {1, 1, 0, {0, alpha_001}},
      {2, 6, 0, {0, alpha_001, 0, 3, 3, 1, 1, 0, 0, 1}},
      {3, 7, 0, {0, alpha_001, 0, 2, 2, 2, 2, 0, 0, 0}},
      {4, 8, 0, {0, alpha_001, 0, 3, 3, 1, 1, 1, 1, 0}},
      {5, 5, 1, {0, alpha_001, 3, 1, 1, 1, 1, 0, 0, 0}},
      {6, 2, 0, {0, test::bits_of(0.25f)}},
      {7, 9, 0, {0, alpha_001}},
      {8, 10, 0, {0, alpha_001}},
      {9, 0, 1, {5, alpha_001}},
  };
  for (const Expected& e : cases) {
    const size_t at = rec[e.layer];
    EXPECT_EQ(b[at], e.kind) << e.layer;
    EXPECT_EQ(b[at + 1], e.flags) << e.layer;
    ASSERT_EQ(b[at + 2] | b[at + 3] << 8, static_cast<int>(e.fields.size())) << e.layer;
    for (size_t k = 0; k < e.fields.size(); ++k) {
      EXPECT_EQ(le32_at(b, at + 4 + 4 * k), e.fields[k]) << "layer " << e.layer << " field " << k;
    }
  }
  EXPECT_EQ(le32_at(b, rec.back()), f.spec.param_count());
}

// Fields that mean nothing for a kind are written as zero, so a reader may refuse them as damage;
// the spec that comes back is the same model.
TEST(ModelFileCnn, WriterStoresCanonicalFields) {
  ModelFile f;
  f.spec.input = Shape{6, 6, 2};
  LayerSpec conv;
  conv.kind = LayerKind::kConv2D;
  conv.filters = 3;
  conv.kernel_h = conv.kernel_w = 3;
  conv.pad_same = true;
  conv.pad_h = 2;  // ignored with "same"
  conv.units = 9;  // ignored by a conv
  ASSERT_TRUE(ok(f.spec.add(conv)));
  LayerSpec pool;
  pool.kind = LayerKind::kMaxPool2D;
  pool.kernel_h = pool.kernel_w = 2;
  pool.stride_h = pool.stride_w = 2;
  pool.filters = 7;  // ignored by pooling
  ASSERT_TRUE(ok(f.spec.add(pool)));
  LayerSpec flatten;
  flatten.kind = LayerKind::kFlatten;
  flatten.units = 4;  // ignored
  ASSERT_TRUE(ok(f.spec.add(flatten)));
  ASSERT_TRUE(ok(f.spec.add_dense(2)));
  ASSERT_TRUE(ok(f.spec.validate()));
  f.params = awkward_values(f.spec.param_count(), 4);

  const std::vector<uint8_t> bytes = encode_model(f, "m.tpm");
  const ModelFile back = load_model_from_bytes(bytes, "m.tpm");
  EXPECT_EQ(back.spec.layers[0].pad_h, 0u);
  EXPECT_EQ(back.spec.layers[0].units, 0u);
  EXPECT_TRUE(back.spec.layers[0].pad_same);
  EXPECT_EQ(back.spec.layers[1].filters, 0u);
  EXPECT_EQ(back.spec.layers[2].units, 0u);
  ASSERT_EQ(back.spec.n_layers, f.spec.n_layers);
  for (uint32_t i = 0; i < f.spec.n_layers; ++i) {
    EXPECT_EQ(back.spec.output_shape(i).h, f.spec.output_shape(i).h) << i;
    EXPECT_EQ(back.spec.output_shape(i).w, f.spec.output_shape(i).w) << i;
    EXPECT_EQ(back.spec.output_shape(i).c, f.spec.output_shape(i).c) << i;
  }
  EXPECT_EQ(back.spec.param_count(), f.spec.param_count());
  EXPECT_EQ(encode_model(back, "m.tpm"), bytes);
}

// Window fields edited behind a valid size and CRC: every inconsistency is refused with the layer.
TEST(ModelFileCnn, BadWindowFieldsAreRefused) {
  ModelFile f;
  f.spec = parse_model_spec("cnn:8x8x1-c4k3-m2-d3");  // conv, relu, max pool, flatten, dense
  f.params = awkward_values(f.spec.param_count(), 5);
  const std::vector<uint8_t> good = encode_model(f, "m.tpm");
  const std::vector<size_t> rec = record_offsets(good, f.spec.n_layers);
  const size_t conv = rec[0], pool = rec[2], flat = rec[3];
  auto field = [](size_t record, uint16_t k) { return record + 4 + 4u * k; };
  auto load_edited = [&](auto edit) {
    std::vector<uint8_t> b = good;
    edit(&b);
    fix_size_and_crc(&b);
    return error_of([&] { load_model_from_bytes(b, "e.tpm"); });
  };
  auto set_field = [&](size_t record, uint16_t k, uint32_t v) {
    return load_edited([&](std::vector<uint8_t>* b) { put_le32(b, field(record, k), v); });
  };
  const struct {
    size_t record;
    uint16_t field;
    uint32_t value;
    const char* message;
  } cases[] = {
      {conv, tpm::kFieldKernelH, 0,
       "e.tpm: invalid model spec (invalid argument) at layer 0 (conv2d)"},
      {conv, tpm::kFieldStrideW, 0,
       "e.tpm: invalid model spec (invalid argument) at layer 0 (conv2d)"},
      {conv, tpm::kFieldPadH, 3,
       "e.tpm: invalid model spec (invalid argument) at layer 0 (conv2d)"},
      {conv, tpm::kFieldKernelW, 9, "e.tpm: invalid model spec (bad shape) at layer 0 (conv2d)"},
      {conv, tpm::kFieldFilters, 0, "e.tpm: invalid model spec (bad shape) at layer 0 (conv2d)"},
      {conv, tpm::kFieldKernelH, 70000,
       "e.tpm: layer 0: conv2d kernel_h 70000 out of range (max 65535)"},
      {conv, tpm::kFieldPadW, 0x10000,
       "e.tpm: layer 0: conv2d pad_w 65536 out of range (max 65535)"},
      {conv, tpm::kFieldUnits, 5, "e.tpm: layer 0: conv2d has units 5, must be 0"},
      {conv, tpm::kFieldWindowFlags, 2,
       "e.tpm: layer 0: conv2d has unknown window flags 2 (written by a newer tinyprop?)"},
      {pool, tpm::kFieldFilters, 5,
       "e.tpm: layer 2: max_pool2d has filters 5, must be 0 (only conv2d has filters)"},
      {pool, tpm::kFieldKernelH, 7,
       "e.tpm: invalid model spec (bad shape) at layer 2 (max_pool2d)"},  // 6x6 input
      {pool, tpm::kFieldStrideH, 0,
       "e.tpm: invalid model spec (invalid argument) at layer 2 (max_pool2d)"},
      {flat, tpm::kFieldUnits, 3, "e.tpm: layer 3: flatten has units 3, must be 0"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(set_field(c.record, c.field, c.value), c.message)
        << "field " << c.field << " = " << c.value;
  }
  // A consistent but different architecture: the parameter count no longer fits.
  auto mismatch = [&](const ModelSpec& changed) {
    return "e.tpm: param count mismatch: file has " + std::to_string(f.spec.param_count()) +
           ", the architecture needs " + std::to_string(changed.param_count());
  };
  ModelSpec changed = f.spec;
  changed.layers[0].filters = 5;
  EXPECT_EQ(set_field(conv, tpm::kFieldFilters, 5), mismatch(changed));
  // "same" padding is a flag; explicit padding beside it is ambiguous.
  std::string msg = load_edited([&](std::vector<uint8_t>* b) {
    put_le32(b, field(conv, tpm::kFieldWindowFlags), tpm::kWindowFlagPadSame);
    put_le32(b, field(conv, tpm::kFieldPadH), 1);
  });
  EXPECT_EQ(msg,
            "e.tpm: layer 0: conv2d has \"same\" padding and also pad 1x0 (must be 0 with same)");
  // With the flag alone the file is a different but valid model (8x8 conv output).
  changed = f.spec;
  changed.layers[0].pad_same = true;
  EXPECT_EQ(set_field(conv, tpm::kFieldWindowFlags, tpm::kWindowFlagPadSame), mismatch(changed));

  // A conv record cut to the two version-1 fields.
  msg = load_edited([&](std::vector<uint8_t>* b) {
    (*b)[conv + 2] = 2;
    b->erase(b->begin() + static_cast<ptrdiff_t>(field(conv, 2)),
             b->begin() + static_cast<ptrdiff_t>(field(conv, 10)));
  });
  EXPECT_EQ(msg, "e.tpm: layer 0: has 2 fields, needs 10 for conv2d");
  // An 11th field: skipped when zero, refused when set.
  auto with_extension = [&](uint8_t value) {
    return load_edited([&](std::vector<uint8_t>* b) {
      (*b)[conv + 2] = 11;
      const std::vector<uint8_t> ext = {value, 0, 0, 0};
      b->insert(b->begin() + static_cast<ptrdiff_t>(field(conv, 10)), ext.begin(), ext.end());
    });
  };
  EXPECT_EQ(with_extension(0), "(no error)");
  EXPECT_EQ(with_extension(1),
            "e.tpm: layer 0: extension field 10 is set (written by a newer tinyprop?)");
  // An unknown kind after the conv kinds.
  msg = load_edited([&](std::vector<uint8_t>* b) { (*b)[flat] = 11; });
  EXPECT_EQ(msg, "e.tpm: layer 3: unknown layer kind 11 (written by a newer tinyprop?)");
}

// As for MLP files: any single flipped bit is detected, and random edits behind a valid CRC
// end in a loaded model or a host::Error naming the file, never in a crash.
TEST(ModelFileCnn, EveryFlippedBitAndRandomEditsAreHandled) {
  ModelFile f = cnn_file();
  f.params.assign(f.spec.param_count(), 0.5f);
  const std::vector<uint8_t> good = encode_model(f, "m.tpm");
  for (size_t byte = 0; byte < good.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> bad = good;
      bad[byte] ^= static_cast<uint8_t>(1u << bit);
      const std::string msg = error_of([&] { load_model_from_bytes(bad, "bad.tpm"); });
      ASSERT_EQ(msg.rfind("bad.tpm: ", 0), 0u) << "byte " << byte << " bit " << bit << ": " << msg;
    }
  }
  Rng rng(77);
  size_t refused = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<uint8_t> b = good;
    // Edit within the layer records, where the new fields live.
    const size_t from = tpm::kHeaderBytes + tpm::kArchitectureBytes;
    const size_t at = from + rng.uniform_below(400);
    switch (rng.uniform_below(3)) {
      case 0:
        b[at] = static_cast<uint8_t>(rng.next_u32());
        break;
      case 1:
        b.erase(b.begin() + static_cast<ptrdiff_t>(at));
        break;
      default:
        b.insert(b.begin() + static_cast<ptrdiff_t>(at), static_cast<uint8_t>(rng.next_u32()));
        break;
    }
    fix_size_and_crc(&b);
    try {
      const ModelFile loaded = load_model_from_bytes(b, "fuzz.tpm");
      EXPECT_TRUE(ok(loaded.spec.validate()));
      EXPECT_EQ(loaded.params.size(), loaded.spec.param_count());
    } catch (const Error& e) {
      ++refused;
      EXPECT_EQ(std::string(e.what()).rfind("fuzz.tpm: ", 0), 0u) << e.what();
    }
  }
  EXPECT_GT(refused, 1000u);
}

TEST(ModelFileCnn, CopyParamsIntoABoundCnn) {
  const ModelFile f = cnn_file();
  TrainConfig cfg;
  BoundTraining t(f.spec, cfg);
  copy_params_into(f, t.model);
  for (uint32_t i = 0; i < t.model.param_count(); ++i) {
    EXPECT_EQ(test::bits_of(t.model.params()[i]), test::bits_of(f.params[i])) << i;
  }
  expect_same_spec(t.model.spec(), f.spec);
}

}  // namespace
}  // namespace tinyprop::host
