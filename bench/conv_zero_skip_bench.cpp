// Conv2D zero-skipping against the dense kernels on MNIST (docs/CONV.md, "Zero-skipping"):
// the two conv layers of cnn:28x28x1-c8k3-p2-c16k3-p2-d10, the first on the test images, the
// second on their ReLU + 2x2 max-pool maps (He-uniform weights, zero bias: realistic zeros).
//
// Usage: conv_zero_skip_bench <mnist images idx> time [reps=9]
//          prints, per layer and part (forward, wgrad), the median ns per call of the dense
//          and the skipping kernel (interleaved, one image per call) and the MACs done share
//        conv_zero_skip_bench <mnist images idx> count <1|2> <forward|wgrad> <dense|skip> <calls>
//          runs only tp_conv_zs_measured (for callgrind --toggle-collect)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "tinyprop/kernels/conv.h"
#include "tinyprop/rng.h"

using namespace tinyprop;

namespace {

constexpr uint32_t kImages = 256;

WindowGeometry valid3x3(uint32_t in_hw, uint32_t in_c, uint32_t out_c) {
  WindowGeometry g;
  g.in_h = g.in_w = in_hw;
  g.in_c = in_c;
  g.out_c = out_c;
  g.k_h = g.k_w = 3;
  g.stride_h = g.stride_w = 1;
  g.out_h = g.out_w = in_hw - 2;
  return g;
}

struct Layer {
  WindowGeometry g;
  std::vector<float> x;  // kImages inputs
  std::vector<float> w, dy, y, dw;
  size_t in_n() const { return static_cast<size_t>(g.in_h) * g.in_w * g.in_c; }
  size_t out_n() const { return static_cast<size_t>(g.out_h) * g.out_w * g.out_c; }
};

void init(Layer* l, Rng& rng) {
  const size_t n_w = static_cast<size_t>(l->g.out_c) * 9 * l->g.in_c;
  const float bound = 1.0f;
  l->w.resize(n_w);
  for (float& v : l->w) v = rng.uniform(-bound, bound);
  l->dy.resize(l->out_n());
  for (float& v : l->dy) v = 0.1f * rng.normal();
  l->y.resize(l->out_n());
  l->dw.assign(n_w, 0.0f);
}

// y = maxpool2(relu(conv(x))) for one image of layer 1 -> the input of layer 2.
void relu_pool(const Layer& l1, const float* x, float* out) {
  std::vector<float> y(l1.out_n());
  conv2d_forward(y.data(), x, l1.w.data(), nullptr, l1.g);
  const uint32_t h = l1.g.out_h / 2, c = l1.g.out_c, w = l1.g.out_w;
  for (uint32_t oy = 0; oy < h; ++oy) {
    for (uint32_t ox = 0; ox < h; ++ox) {
      for (uint32_t ch = 0; ch < c; ++ch) {
        float m = 0.0f;  // relu
        for (uint32_t dy = 0; dy < 2; ++dy) {
          for (uint32_t dx = 0; dx < 2; ++dx) {
            m = std::max(m, y[((2 * oy + dy) * w + 2 * ox + dx) * c + ch]);
          }
        }
        out[(oy * h + ox) * c + ch] = m;
      }
    }
  }
}

uint64_t run_one(Layer& l, uint32_t image, bool wgrad, bool skip) {
  const float* x = l.x.data() + static_cast<size_t>(image) * l.in_n();
  if (!wgrad) {
    if (skip) return conv2d_forward_skip_zeros(l.y.data(), x, l.w.data(), nullptr, l.g);
    conv2d_forward(l.y.data(), x, l.w.data(), nullptr, l.g);
    return static_cast<uint64_t>(l.out_n()) * 9 * l.g.in_c;
  }
  if (skip) {
    return conv2d_accumulate_weight_grad_skip_zeros(l.dw.data(), x, l.dy.data(), nullptr,
                                                    static_cast<uint32_t>(l.out_n()), l.g);
  }
  conv2d_accumulate_weight_grad(l.dw.data(), x, l.dy.data(), nullptr,
                                static_cast<uint32_t>(l.out_n()), l.g);
  return static_cast<uint64_t>(l.out_n()) * 9 * l.g.in_c;
}

}  // namespace

extern "C" __attribute__((noinline)) uint64_t tp_conv_zs_measured(Layer* l, bool wgrad, bool skip,
                                                                 uint32_t calls) {
  uint64_t macs = 0;
  for (uint32_t i = 0; i < calls; ++i) macs += run_one(*l, i % kImages, wgrad, skip);
  return macs;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <t10k-images-idx3-ubyte> time [reps] | count <1|2> "
                    "<forward|wgrad> <dense|skip> <calls>\n", argv[0]);
    return 2;
  }
  FILE* f = fopen(argv[1], "rb");
  if (f == nullptr) {
    fprintf(stderr, "conv_zero_skip_bench: error: cannot open %s\n", argv[1]);
    return 1;
  }
  std::vector<unsigned char> raw(16 + static_cast<size_t>(kImages) * 784);
  const size_t got = fread(raw.data(), 1, raw.size(), f);
  fclose(f);
  if (got != raw.size()) {
    fprintf(stderr, "conv_zero_skip_bench: error: %s holds fewer than %u images\n", argv[1], kImages);
    return 1;
  }
  Rng rng(16);
  Layer l1, l2;
  l1.g = valid3x3(28, 1, 8);
  l2.g = valid3x3(13, 8, 16);
  init(&l1, rng);
  init(&l2, rng);
  l1.x.resize(static_cast<size_t>(kImages) * 784);
  for (size_t i = 0; i < l1.x.size(); ++i) l1.x[i] = static_cast<float>(raw[16 + i]) / 255.0f;
  l2.x.resize(static_cast<size_t>(kImages) * l2.in_n());
  for (uint32_t i = 0; i < kImages; ++i) relu_pool(l1, l1.x.data() + i * 784, l2.x.data() + i * l2.in_n());

  if (strcmp(argv[2], "count") == 0 && argc == 7) {
    Layer* l = argv[3][0] == '1' ? &l1 : &l2;
    const uint64_t macs = tp_conv_zs_measured(l, strcmp(argv[4], "wgrad") == 0,
                                              strcmp(argv[5], "skip") == 0,
                                              static_cast<uint32_t>(atoi(argv[6])));
    printf("macs %llu\n", static_cast<unsigned long long>(macs));
    return 0;
  }
  const int reps = argc > 3 ? atoi(argv[3]) : 9;
  printf("| layer | part | dense (ns/call) | skip (ns/call) | ratio | MACs done / counted |\n");
  printf("|---|---|---:|---:|---:|---:|\n");
  const char* names[] = {"28x28x1-c8k3", "13x13x8-c16k3"};
  Layer* layers[] = {&l1, &l2};
  for (int li = 0; li < 2; ++li) {
    for (int part = 0; part < 2; ++part) {
      std::vector<double> t[2];
      uint64_t macs[2] = {0, 0};
      for (int r = 0; r < reps; ++r) {
        for (int s = 0; s < 2; ++s) {  // interleaved: dense, skip, dense, skip, ...
          const auto t0 = std::chrono::steady_clock::now();
          macs[s] = tp_conv_zs_measured(layers[li], part == 1, s == 1, kImages);
          const auto t1 = std::chrono::steady_clock::now();
          t[s].push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / kImages);
        }
      }
      double med[2];
      for (int s = 0; s < 2; ++s) {
        std::sort(t[s].begin(), t[s].end());
        med[s] = t[s][t[s].size() / 2];
      }
      printf("| %s | %s | %.0f | %.0f | %.3f | %.3f |\n", names[li], part == 0 ? "forward" : "wgrad",
             med[0], med[1], med[1] / med[0],
             static_cast<double>(macs[1]) / static_cast<double>(macs[0]));
    }
  }
  return 0;
}
