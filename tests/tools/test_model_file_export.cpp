// C header export: the generated header compiles as C and as C++, and a program built from it
// reads back every parameter bit and the architecture.
#include <gtest/gtest.h>
#include <string.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "util/error.h"
#include "formats/model_file.h"
#include "test_data_helpers.h"
#include "test_model_file_util.h"
#include "../missing_dependency.h"

namespace tinyprop::host {
namespace {

using test::contains;
using test::error_of;
using test::TempDir;
using test::write_text;

ModelFile small_model() {
  ModelFile f;
  f.spec.input = Shape{2, 2, 1};
  EXPECT_TRUE(ok(f.spec.add_dense(3, false)));
  EXPECT_TRUE(ok(f.spec.add_activation(LayerKind::kLeakyReLU, 0.125f)));
  EXPECT_TRUE(ok(f.spec.add_dense(2)));
  f.params.resize(f.spec.param_count());
  Rng rng(11);
  for (float& p : f.params) p = rng.normal() * 0.3f;
  // Values whose shortest decimal form is tricky, plus signed zero, a subnormal, an integer.
  f.params[0] = 0.1f;
  f.params[1] = -0.0f;
  f.params[2] = 1.0e-40f;
  f.params[3] = 3.0f;
  f.params[4] = 16777217.0f;  // rounds to 16777216 in binary32
  f.params[5] = 3.4028235e38f;
  f.metadata = "{\"note\": \"a */ inside metadata\"}";
  return f;
}

std::string read_text(const std::string& path) {
  const std::vector<uint8_t> b = test::read_bytes(path);
  return std::string(b.begin(), b.end());
}

// Runs a shell command; on failure returns its output for the assertion message.
bool run(const std::string& cmd, const std::string& log, std::string* output) {
  const int rc = std::system((cmd + " > " + log + " 2>&1").c_str());
  *output = read_text(log);
  return rc == 0;
}

// What the probe programs print: the architecture, then every parameter's bits in hex.
std::string expected_probe_output(const ModelFile& f) {
  char line[96];
  std::string s;
  snprintf(line, sizeof(line), "in %u %u %u out %u loss %u layers %u params %u\n", f.spec.input.h,
           f.spec.input.w, f.spec.input.c, f.spec.output_shape().size(), static_cast<unsigned>(f.spec.loss),
           f.spec.n_layers, f.spec.param_count());
  s += line;
  for (uint32_t i = 0; i < f.spec.n_layers; ++i) {
    const LayerSpec& l = f.spec.layers[i];
    uint32_t alpha;
    memcpy(&alpha, &l.alpha, 4);
    snprintf(line, sizeof(line), "layer %u kind %u units %u alpha %08x trainable %u\n", i,
             static_cast<unsigned>(l.kind), l.units, alpha, l.trainable ? 1u : 0u);
    s += line;
  }
  for (float p : f.params) {
    uint32_t b;
    memcpy(&b, &p, 4);
    snprintf(line, sizeof(line), "%08x\n", b);
    s += line;
  }
  s += "l2 w at 15 b at 21 size 6 2\n";  // layer 2: W [2, 3] after layer 0's 12 + 3 params
  return s;
}

const char* kCProbe = R"(#include <stdio.h>
#include <string.h>
#include "probe_model.h"
#include "probe_model.h" /* twice: the include guard must hold */

static unsigned bits(float v) { unsigned b; memcpy(&b, &v, sizeof(b)); return b; }

int main(void) {
  unsigned i;
  printf("in %u %u %u out %u loss %u layers %u params %u\n", PROBE_INPUT_H, PROBE_INPUT_W,
         PROBE_INPUT_C, PROBE_OUTPUT_SIZE, PROBE_LOSS, PROBE_N_LAYERS, PROBE_PARAM_COUNT);
  for (i = 0; i < PROBE_N_LAYERS; ++i) {
    printf("layer %u kind %u units %lu alpha %08x trainable %u\n", i, (unsigned)probe_layer_kinds[i],
           probe_layer_units[i], bits(probe_layer_alpha[i]), (unsigned)probe_layer_trainable[i]);
  }
  for (i = 0; i < PROBE_PARAM_COUNT; ++i) printf("%08x\n", bits(probe_params[i]));
  printf("l2 w at %u b at %u size %u %u\n", (unsigned)(probe_l2_w - probe_params),
         (unsigned)(probe_l2_b - probe_params), PROBE_L2_W_SIZE, PROBE_L2_B_SIZE);
  return 0;
}
)";

// The C++ probe rebuilds the spec with the header's template and prints it from the spec.
const char* kCxxProbe = R"(#include <stdio.h>
#include <string.h>
#include "tinyprop/spec.h"
#include "probe_model.h"

static unsigned bits(float v) { unsigned b; memcpy(&b, &v, sizeof(b)); return b; }

int main() {
  tinyprop::ModelSpec spec;
  probe_build_spec(&spec);
  printf("in %u %u %u out %u loss %u layers %u params %u\n", spec.input.h, spec.input.w, spec.input.c,
         PROBE_OUTPUT_SIZE, static_cast<unsigned>(spec.loss), spec.n_layers, PROBE_PARAM_COUNT);
  for (unsigned i = 0; i < spec.n_layers; ++i) {
    const tinyprop::LayerSpec& l = spec.layers[i];
    printf("layer %u kind %u units %u alpha %08x trainable %u\n", i, static_cast<unsigned>(l.kind),
           l.units, bits(l.alpha), l.trainable ? 1u : 0u);
  }
  for (unsigned i = 0; i < PROBE_PARAM_COUNT; ++i) printf("%08x\n", bits(probe_params[i]));
  printf("l2 w at %u b at %u size %u %u\n", static_cast<unsigned>(probe_l2_w - probe_params),
         static_cast<unsigned>(probe_l2_b - probe_params), PROBE_L2_W_SIZE, PROBE_L2_B_SIZE);
  return 0;
}
)";

bool have_compiler(const char* name) {
  return std::system((std::string("command -v ") + name + " > /dev/null 2>&1").c_str()) == 0;
}

TEST(ModelFileExport, HeaderTextHasGuardProvenanceAndExactLiterals) {
  TempDir dir;
  const ModelFile f = small_model();
  export_c_header(dir.file("m.h"), f, "probe", "runs/m.tpm");
  const std::string h = read_text(dir.file("m.h"));
  EXPECT_TRUE(contains(h, "#ifndef PROBE_TINYPROP_MODEL_H_\n#define PROBE_TINYPROP_MODEL_H_"));
  EXPECT_TRUE(contains(h, "Source: runs/m.tpm"));
  EXPECT_TRUE(contains(h, "Model: input 2x2x1 -> dense 3 (frozen) -> leaky_relu(0.125) -> dense 2"));
  EXPECT_TRUE(contains(h, "a * / inside metadata"));  // "*/" must not end the comment early
  EXPECT_TRUE(contains(h, "#define PROBE_PARAM_COUNT 23u"));
  EXPECT_TRUE(contains(h, "#define PROBE_L0_W_SIZE 12u"));
  EXPECT_TRUE(contains(h, "  0.100000001f, -0.0f, 9.9999461e-41f, 3.0f, 16777216.0f, 3.40282347e+38f,"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.h.tmp")));
  export_c_header(dir.file("m2.h"), f, "probe");
  EXPECT_TRUE(contains(read_text(dir.file("m2.h")), "Source: (in-memory model)"));
}

TEST(ModelFileExport, CompilesAsCAndReadsBackEveryBit) {
  if (!have_compiler("cc")) {
    TINYPROP_MISSING_DEPENDENCY("no C compiler (cc) on PATH");
  }
  TempDir dir;
  const ModelFile f = small_model();
  export_c_header(dir.file("probe_model.h"), f, "probe", "test");
  write_text(dir.file("probe.c"), kCProbe);
  std::string out;
  for (const char* std : {"c99", "c11"}) {
    const std::string exe = dir.file(std::string("probe_") + std);
    ASSERT_TRUE(run("cc -std=" + std::string(std) + " -Wall -Wextra -Wpedantic -Werror -Wdouble-promotion -o " +
                        exe + " " + dir.file("probe.c") + " -I" + dir.path(),
                    dir.file("cc.log"), &out))
        << out;
    ASSERT_TRUE(run(exe, dir.file("out.txt"), &out)) << out;
    EXPECT_EQ(out, expected_probe_output(f));
  }
}

TEST(ModelFileExport, CompilesAsCxxAndRebuildsTheSpec) {
  if (!have_compiler("c++")) {
    TINYPROP_MISSING_DEPENDENCY("no C++ compiler (c++) on PATH");
  }
  TempDir dir;
  const ModelFile f = small_model();
  export_c_header(dir.file("probe_model.h"), f, "probe");
  write_text(dir.file("probe.cpp"), kCxxProbe);
  std::string out;
  const std::string exe = dir.file("probe_cxx");
  ASSERT_TRUE(run("c++ -std=c++17 -fno-exceptions -fno-rtti -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror -o " +
                      exe + " " + dir.file("probe.cpp") + " -I" + dir.path() + " -I" TINYPROP_SOURCE_DIR "/include",
                  dir.file("cxx.log"), &out))
      << out;
  ASSERT_TRUE(run(exe, dir.file("out.txt"), &out)) << out;
  EXPECT_EQ(out, expected_probe_output(f));
}

TEST(ModelFileExport, RefusesBadSymbolsAndNonFiniteParams) {
  TempDir dir;
  ModelFile f = small_model();
  for (const char* bad : {"", "9lives", "my-model", "a b"}) {
    EXPECT_TRUE(contains(error_of([&] { export_c_header(dir.file("m.h"), f, bad); }), "is not a C identifier")) << bad;
  }
  f.spec.layers[1].kind = static_cast<LayerKind>(11);
  EXPECT_TRUE(contains(error_of([&] { export_c_header(dir.file("m.h"), f, "ok_name"); }),
                       "layer 1 has kind 11, which cannot be exported"));
  f = small_model();
  f.params[7] = std::nanf("");
  EXPECT_TRUE(contains(error_of([&] { export_c_header(dir.file("m.h"), f, "ok_name"); }), "parameter 7 is not finite"));
  f.params.pop_back();
  EXPECT_TRUE(contains(error_of([&] { export_c_header(dir.file("m.h"), f, "ok_name"); }), "22 parameters"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.h")));
}

// A C program that binds the exported model in one call through the C API, with the frozen
// first layer left in the header's array: every bit read back, the frozen layer's weights are
// the header's own, and a header whose weights were edited is refused.
const char* const kCApiProbe = R"(#include <stdio.h>
#include <string.h>
#include "tinyprop/tinyprop_c.h"
#include "probe_model.h"
static tp_model model;
static tp_trainer trainer;
static unsigned char arena[16384] __attribute__((aligned(16)));
int main(void) {
  tp_train_config cfg;
  float back[PROBE_PARAM_COUNT];
  size_t needed = 0;
  tp_status s;
  tp_train_config_default(&cfg);
  s = tp_bind_exported(&probe_export, &cfg, TP_FROZEN_IN_PLACE, arena, sizeof arena, &model,
                       &trainer, &needed);
  if (s != TP_OK) { printf("bind: %s\n", tp_status_name(s)); return 1; }
  if (tp_model_read_params(&model, back, PROBE_PARAM_COUNT) != TP_OK) return 2;
  printf("bits %s needed %u\n", memcmp(back, probe_params, sizeof back) == 0 ? "same" : "differ",
         (unsigned)needed);
  return 0;
}
)";

TEST(ModelFileExport, BindsInOneCallThroughTheCApi) {
  if (!have_compiler("cc")) {
    TINYPROP_MISSING_DEPENDENCY("no C compiler (cc) on PATH");
  }
  TempDir dir;
  const ModelFile f = small_model();  // its first dense layer is frozen
  export_c_header(dir.file("probe_model.h"), f, "probe", "test");
  write_text(dir.file("probe.c"), kCApiProbe);
  const std::string build = std::string("cc -std=c99 -Wall -Wextra -Wpedantic -Werror -o ") +
                            dir.file("probe_capi") + " " + dir.file("probe.c") + " -I" +
                            dir.path() + " -I" TINYPROP_SOURCE_DIR "/include " TINYPROP_CORE_LIB
                            " " TINYPROP_CORE_LINK_FLAGS " -lm";
  std::string out;
  ASSERT_TRUE(run(build, dir.file("cc.log"), &out)) << out;
  ASSERT_TRUE(run(dir.file("probe_capi"), dir.file("out.txt"), &out)) << out;
  // Trainable: dense 3 -> 2 (8 floats = 32 bytes of parameters); the frozen 4 -> 3 stays out.
  ModelSpec spec = f.spec;
  TrainConfig cfg;
  MemoryPlan plan;
  ASSERT_TRUE(ok(Trainer::plan(spec, cfg, &plan, FrozenParams::kInPlace)));
  EXPECT_EQ(plan.of(Region::kParameters), 32u);
  EXPECT_EQ(out, "bits same needed " + std::to_string(plan.total()) + "\n");

  // Edit one weight literal: the checksum no longer matches, nothing is bound.
  std::string header = read_text(dir.file("probe_model.h"));
  const size_t at = header.find("3.0f,");
  ASSERT_NE(at, std::string::npos);
  header.replace(at, 5, "3.5f,");
  write_text(dir.file("probe_model.h"), header);
  ASSERT_TRUE(run(build, dir.file("cc.log"), &out)) << out;
  EXPECT_FALSE(run(dir.file("probe_capi"), dir.file("out.txt"), &out));
  EXPECT_EQ(out, "bind: exported model does not match its parameters\n");
}

// ---- CNN export --------------------------------------------------------------------------

ModelFile cnn_model() {
  ModelFile f;
  f.spec = test::every_kind_cnn();
  f.params.resize(f.spec.param_count());
  Rng rng(12);
  for (float& p : f.params) p = rng.normal() * 0.3f;
  f.params[0] = 0.1f;
  f.params[1] = -0.0f;
  f.params[2] = 1.0e-40f;
  return f;
}

// Probe programs for a CNN header, written per spec: the architecture (from the tables in C, from
// the rebuilt spec in C++), every parameter's bits, each window layer's macros and each parameter
// layer's pointers into the params array.
std::string cnn_probe(const ModelSpec& spec, bool cxx) {
  std::string p = "#include <stdio.h>\n#include <string.h>\n";
  if (cxx) p += "#include \"tinyprop/spec.h\"\n";
  p += "#include \"probe_model.h\"\n#include \"probe_model.h\"\n\n"
       "static unsigned bits(float v) { unsigned b; memcpy(&b, &v, sizeof(b)); return b; }\n\n"
       "int main(void) {\n  unsigned i;\n";
  if (cxx) {
    p += "  tinyprop::ModelSpec spec;\n  probe_build_spec(&spec);\n"
         "  printf(\"in %u %u %u out %u loss %u layers %u params %u\\n\", spec.input.h, "
         "spec.input.w, spec.input.c,"
         " PROBE_OUTPUT_SIZE, (unsigned)spec.loss, spec.n_layers, PROBE_PARAM_COUNT);\n"
         "  for (i = 0; i < spec.n_layers; ++i) {\n"
         "    const tinyprop::LayerSpec& l = spec.layers[i];\n"
         "    printf(\"layer %u kind %u units %u alpha %08x trainable %u filters %u kernel %u %u "
         "stride %u %u pad %u %u same %u\\n\","
         " i, (unsigned)l.kind, l.units, bits(l.alpha), l.trainable ? 1u : 0u, l.filters, "
         "(unsigned)l.kernel_h,"
         " (unsigned)l.kernel_w, (unsigned)l.stride_h, (unsigned)l.stride_w, (unsigned)l.pad_h, "
         "(unsigned)l.pad_w,"
         " l.pad_same ? 1u : 0u);\n  }\n";
  } else {
    p += "  printf(\"in %u %u %u out %u loss %u layers %u params %u\\n\", PROBE_INPUT_H, "
         "PROBE_INPUT_W, PROBE_INPUT_C,"
         " PROBE_OUTPUT_SIZE, PROBE_LOSS, PROBE_N_LAYERS, PROBE_PARAM_COUNT);\n"
         "  for (i = 0; i < PROBE_N_LAYERS; ++i) {\n"
         "    printf(\"layer %u kind %u units %lu alpha %08x trainable %u filters %lu kernel %u %u "
         "stride %u %u pad %u %u same %u\\n\","
         " i, (unsigned)probe_layer_kinds[i], probe_layer_units[i], bits(probe_layer_alpha[i]),"
         " (unsigned)probe_layer_trainable[i], probe_layer_filters[i], "
         "(unsigned)probe_layer_kernel_h[i],"
         " (unsigned)probe_layer_kernel_w[i], (unsigned)probe_layer_stride_h[i], "
         "(unsigned)probe_layer_stride_w[i],"
         " (unsigned)probe_layer_pad_h[i], (unsigned)probe_layer_pad_w[i], "
         "(unsigned)probe_layer_pad_same[i]);\n  }\n";
  }
  p += "  for (i = 0; i < PROBE_PARAM_COUNT; ++i) printf(\"%08x\\n\", bits(probe_params[i]));\n";
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const std::string L = "PROBE_L" + std::to_string(i);
    const std::string l = "probe_l" + std::to_string(i);
    p += "  printf(\"l" + std::to_string(i) + " out %u %u %u\\n\", " + L + "_OUT_H, " + L +
         "_OUT_W, " + L + "_OUT_C);\n";
    if (layer_has_window(spec.layers[i].kind)) {
      p += "  printf(\"l" + std::to_string(i) +
           " in %u %u %u kernel %u %u stride %u %u pad %u %u\\n\", " + L + "_IN_H, " + L +
           "_IN_W, " + L + "_IN_C, " + L + "_KERNEL_H, " + L + "_KERNEL_W, " + L + "_STRIDE_H, " +
           L + "_STRIDE_W, " + L + "_PAD_TOP, " + L + "_PAD_LEFT);\n";
    }
    if (spec.layers[i].kind == LayerKind::kConv2D) {
      p += "  printf(\"l" + std::to_string(i) + " filters %u\\n\", " + L + "_FILTERS);\n";
    }
    if (layer_has_params(spec.layers[i].kind)) {
      p += "  printf(\"l" + std::to_string(i) + " w at %u b at %u size %u %u\\n\", (unsigned)(" +
           l + "_w - probe_params), (unsigned)(" + l + "_b - probe_params), " + L + "_W_SIZE, " +
           L + "_B_SIZE);\n";
    }
  }
  return p + "  return 0;\n}\n";
}

// The same lines from the spec and a bound model (not from the exporter's own arithmetic).
std::string expected_cnn_probe_output(const ModelFile& f) {
  const ModelSpec& spec = f.spec;
  TrainConfig cfg;
  test::BoundTraining t(spec, cfg);
  char line[256];
  std::string s;
  snprintf(line, sizeof(line), "in %u %u %u out %u loss %u layers %u params %u\n", spec.input.h,
           spec.input.w, spec.input.c, spec.output_shape().size(), static_cast<unsigned>(spec.loss),
           spec.n_layers, spec.param_count());
  s += line;
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const LayerSpec& l = spec.layers[i];
    snprintf(line, sizeof(line),
             "layer %u kind %u units %u alpha %08x trainable %u filters %u kernel %u %u stride %u "
             "%u pad %u %u same %u\n",
             i, static_cast<unsigned>(l.kind), l.units, test::bits_of(l.alpha),
             l.trainable ? 1u : 0u, l.filters, unsigned{l.kernel_h}, unsigned{l.kernel_w},
             unsigned{l.stride_h}, unsigned{l.stride_w}, unsigned{l.pad_h}, unsigned{l.pad_w},
             l.pad_same ? 1u : 0u);
    s += line;
  }
  for (float p : f.params) {
    snprintf(line, sizeof(line), "%08x\n", test::bits_of(p));
    s += line;
  }
  for (uint32_t i = 0; i < spec.n_layers; ++i) {
    const LayerSpec& l = spec.layers[i];
    const Shape in = i == 0 ? spec.input : spec.output_shape(i - 1);
    const Shape out = spec.output_shape(i);
    snprintf(line, sizeof(line), "l%u out %u %u %u\n", i, out.h, out.w, out.c);
    s += line;
    if (layer_has_window(l.kind)) {
      snprintf(line, sizeof(line), "l%u in %u %u %u kernel %u %u stride %u %u pad %u %u\n", i, in.h,
               in.w, in.c, unsigned{l.kernel_h}, unsigned{l.kernel_w}, unsigned{l.stride_h},
               unsigned{l.stride_w}, window_rows(l, in.h).pad_before,
               window_cols(l, in.w).pad_before);
      s += line;
    }
    if (l.kind == LayerKind::kConv2D) {
      snprintf(line, sizeof(line), "l%u filters %u\n", i, l.filters);
      s += line;
    }
    if (layer_has_params(l.kind)) {
      const Layer& bound = t.model.layer(i);
      snprintf(line, sizeof(line), "l%u w at %u b at %u size %u %u\n", i,
               static_cast<unsigned>(bound.w - t.model.params()),
               static_cast<unsigned>(bound.b - t.model.params()), bound.n_weights, bound.n_bias);
      s += line;
    }
  }
  return s;
}

TEST(ModelFileExport, CnnHeaderDescribesLayoutAndGeometry) {
  TempDir dir;
  const ModelFile f = cnn_model();
  export_c_header(dir.file("m.h"), f, "probe");
  const std::string h = read_text(dir.file("m.h"));
  EXPECT_TRUE(contains(h, "conv2d W [C_out, K_h, K_w, C_in], b [C_out]")) << h;
  EXPECT_TRUE(contains(h, "/* layer 0: conv2d 9x8x2 -> 5x7x4 */"));
  EXPECT_TRUE(contains(h, "/* layer 2: depthwise_conv2d 5x7x4 -> 5x7x4 (frozen) */"));
  EXPECT_TRUE(
      contains(h, "#define PROBE_L2_PAD_TOP 1u\n#define PROBE_L2_PAD_LEFT 1u"));  // "same", 3x3
  EXPECT_TRUE(contains(h,
                       "probe_params + PROBE_L0_W_OFFSET; /* [PROBE_L0_FILTERS, PROBE_L0_KERNEL_H, "
                       "PROBE_L0_KERNEL_W, PROBE_L0_IN_C] */"));
  EXPECT_TRUE(contains(h,
                       "probe_params + PROBE_L2_W_OFFSET; /* [PROBE_L2_IN_C, PROBE_L2_KERNEL_H, "
                       "PROBE_L2_KERNEL_W] */"));
  EXPECT_TRUE(contains(h,
                       "static const unsigned short probe_layer_kernel_w[PROBE_N_LAYERS] "
                       "PROBE_UNUSED = {2, 0, 3, 2, 3, 1, 0, 0, 0, 0, 0, 0};"));
  EXPECT_TRUE(contains(h,
                       "static const unsigned char probe_layer_pad_same[PROBE_N_LAYERS] "
                       "PROBE_UNUSED = {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};"));
}

TEST(ModelFileExport, CnnCompilesAsCAndReadsBackEveryBit) {
  if (!have_compiler("cc")) {
    TINYPROP_MISSING_DEPENDENCY("no C compiler (cc) on PATH");
  }
  TempDir dir;
  const ModelFile f = cnn_model();
  export_c_header(dir.file("probe_model.h"), f, "probe", "test");
  write_text(dir.file("probe.c"), cnn_probe(f.spec, false));
  std::string out;
  for (const char* std : {"c99", "c11"}) {
    const std::string exe = dir.file(std::string("probe_") + std);
    ASSERT_TRUE(run("cc -std=" + std::string(std) +
                        " -Wall -Wextra -Wpedantic -Werror -Wdouble-promotion -o " + exe + " " +
                        dir.file("probe.c") + " -I" + dir.path(),
                    dir.file("cc.log"), &out))
        << out;
    ASSERT_TRUE(run(exe, dir.file("out.txt"), &out)) << out;
    EXPECT_EQ(out, expected_cnn_probe_output(f));
  }
}

TEST(ModelFileExport, CnnCompilesAsCxxAndRebuildsTheSpec) {
  if (!have_compiler("c++")) {
    TINYPROP_MISSING_DEPENDENCY("no C++ compiler (c++) on PATH");
  }
  TempDir dir;
  for (const ModelFile& f : {cnn_model(), [] {
                               ModelFile g;
                               g.spec = parse_model_spec("cnn:28x28x1-c8k3-p2-c16k3s2+same-a2-d10");
                               g.params.assign(g.spec.param_count(), 0.25f);
                               return g;
                             }()}) {
    export_c_header(dir.file("probe_model.h"), f, "probe");
    write_text(dir.file("probe.cpp"), cnn_probe(f.spec, true));
    std::string out;
    const std::string exe = dir.file("probe_cxx");
    ASSERT_TRUE(
        run("c++ -std=c++17 -fno-exceptions -fno-rtti -Wall -Wextra -Wpedantic -Wshadow "
            "-Wconversion -Werror -o " +
                exe + " " + dir.file("probe.cpp") + " -I" + dir.path() +
                " -I" TINYPROP_SOURCE_DIR "/include",
            dir.file("cxx.log"), &out))
        << out;
    ASSERT_TRUE(run(exe, dir.file("out.txt"), &out)) << out;
    EXPECT_EQ(out, expected_cnn_probe_output(f));
  }
}

}  // namespace
}  // namespace tinyprop::host
