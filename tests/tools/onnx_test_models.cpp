// The float64 NCHW reference of onnx_test_models.h: each operator as the ONNX operator
// documentation defines it, for batch 1.
#include "onnx_test_models.h"

#include <string.h>

#include <stdexcept>

namespace tinyprop::onnx_test {
namespace {

const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* key) {
  for (const onnx::AttributeProto& a : n.attribute()) {
    if (a.name() == key) return &a;
  }
  return nullptr;
}
int64_t get_int(const onnx::NodeProto& n, const char* key, int64_t d) {
  const onnx::AttributeProto* a = attr(n, key);
  return a ? a->i() : d;
}
double get_float(const onnx::NodeProto& n, const char* key, double d) {
  const onnx::AttributeProto* a = attr(n, key);
  return a ? static_cast<double>(a->f()) : d;
}
std::vector<int64_t> get_ints(const onnx::NodeProto& n, const char* key, std::vector<int64_t> d) {
  const onnx::AttributeProto* a = attr(n, key);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : d;
}
std::string get_string(const onnx::NodeProto& n, const char* key) {
  const onnx::AttributeProto* a = attr(n, key);
  return a ? a->s() : "NOTSET";
}

// Window geometry of Conv/MaxPool/AveragePool on an H x W input: output size and pad before.
struct Axis {
  int64_t out, pad;
};
Axis window_axis(int64_t in, int64_t k, int64_t s, int64_t pad_begin, int64_t pad_end,
                 const std::string& auto_pad) {
  if (auto_pad == "SAME_UPPER") {
    const int64_t out = (in + s - 1) / s;
    const int64_t total = std::max<int64_t>((out - 1) * s + k - in, 0);
    return {out, total / 2};
  }
  if (auto_pad == "VALID") return {(in - k) / s + 1, 0};
  return {(in + pad_begin + pad_end - k) / s + 1, pad_begin};
}

// Conv (group g) or pooling over x [C, H, W].
Tensor windowed(const onnx::NodeProto& n, const Tensor& x, const std::vector<double>* w,
                const std::vector<int64_t>& wd, const std::vector<double>* b, int kind) {
  const int64_t c = x.dims[0], h = x.dims[1], wi = x.dims[2];
  const std::vector<int64_t> ks = kind == 0 ? std::vector<int64_t>{wd[2], wd[3]} : get_ints(n, "kernel_shape", {});
  const std::vector<int64_t> st = get_ints(n, "strides", {1, 1});
  const std::vector<int64_t> pads = get_ints(n, "pads", {0, 0, 0, 0});
  const std::string ap = get_string(n, "auto_pad");
  const Axis ay = window_axis(h, ks[0], st[0], pads[0], pads[2], ap);
  const Axis ax = window_axis(wi, ks[1], st[1], pads[1], pads[3], ap);
  const int64_t group = get_int(n, "group", 1);
  const int64_t co = kind == 0 ? wd[0] : c;
  Tensor y{{co, ay.out, ax.out}, std::vector<double>(static_cast<size_t>(co * ay.out * ax.out))};
  for (int64_t o = 0; o < co; ++o) {
    for (int64_t oy = 0; oy < ay.out; ++oy) {
      for (int64_t ox = 0; ox < ax.out; ++ox) {
        double acc = kind == 1 ? -INFINITY : 0.0;
        int64_t count = 0;
        const int64_t cin_per = kind == 0 ? wd[1] : 1;
        const int64_t c0 = kind == 0 ? (o / (co / group)) * cin_per : o;
        for (int64_t ci = 0; ci < cin_per; ++ci) {
          for (int64_t ky = 0; ky < ks[0]; ++ky) {
            for (int64_t kx = 0; kx < ks[1]; ++kx) {
              const int64_t iy = oy * st[0] - ay.pad + ky, ix = ox * st[1] - ax.pad + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wi) continue;
              const double v = x.v[static_cast<size_t>(((c0 + ci) * h + iy) * wi + ix)];
              if (kind == 0) {
                acc += v * (*w)[static_cast<size_t>(((o * cin_per + ci) * ks[0] + ky) * ks[1] + kx)];
              } else if (kind == 1) {
                acc = std::max(acc, v);
              } else {
                acc += v;
                ++count;
              }
            }
          }
        }
        if (kind == 0 && b != nullptr) acc += (*b)[static_cast<size_t>(o)];
        if (kind == 2) acc /= static_cast<double>(count);
        y.v[static_cast<size_t>((o * ay.out + oy) * ax.out + ox)] = acc;
      }
    }
  }
  return y;
}

}  // namespace

std::vector<double> reference_floats(const onnx::TensorProto& t) {
  std::vector<double> out;
  if (t.has_raw_data()) {
    std::vector<float> f(t.raw_data().size() / 4);
    memcpy(f.data(), t.raw_data().data(), 4 * f.size());
    out.assign(f.begin(), f.end());
  } else {
    out.assign(t.float_data().begin(), t.float_data().end());
  }
  return out;
}

Tensor reference_forward(const onnx::ModelProto& m, const std::vector<float>& x, bool stop_before_softmax) {
  const onnx::GraphProto& g = m.graph();
  std::map<std::string, const onnx::TensorProto*> consts;
  for (const onnx::TensorProto& t : g.initializer()) consts[t.name()] = &t;
  Tensor cur;
  for (int i = 1; i < g.input(0).type().tensor_type().shape().dim_size(); ++i) {
    cur.dims.push_back(g.input(0).type().tensor_type().shape().dim(i).dim_value());
  }
  cur.v.assign(x.begin(), x.end());
  auto input = [&](const onnx::NodeProto& n, int k) {
    return reference_floats(*consts.at(n.input(k)));
  };
  auto dims = [&](const onnx::NodeProto& n, int k) {
    const onnx::TensorProto& t = *consts.at(n.input(k));
    return std::vector<int64_t>(t.dims().begin(), t.dims().end());
  };
  for (const onnx::NodeProto& n : g.node()) {
    const std::string& op = n.op_type();
    if (op == "Gemm" || op == "MatMul") {
      const std::vector<double> b = input(n, 1);
      const std::vector<int64_t> bd = dims(n, 1);
      const bool tb = op == "Gemm" && get_int(n, "transB", 0) != 0;
      const int64_t in = tb ? bd[1] : bd[0], out = tb ? bd[0] : bd[1];
      std::vector<double> y(static_cast<size_t>(out), 0.0);
      for (int64_t o = 0; o < out; ++o) {
        for (int64_t k = 0; k < in; ++k) {
          y[static_cast<size_t>(o)] += cur.v[static_cast<size_t>(k)] *
                                       b[static_cast<size_t>(tb ? o * in + k : k * out + o)];
        }
      }
      if (op == "Gemm" && n.input_size() > 2) {
        const std::vector<double> c = input(n, 2);
        for (int64_t o = 0; o < out; ++o) y[static_cast<size_t>(o)] += c[static_cast<size_t>(o)];
      }
      cur = Tensor{{out}, y};
    } else if (op == "Add") {
      const std::vector<double> c = input(n, 1);
      for (size_t o = 0; o < cur.v.size(); ++o) cur.v[o] += c[o];
    } else if (op == "Conv") {
      const std::vector<double> w = input(n, 1);
      const std::vector<double> b = n.input_size() > 2 ? input(n, 2) : std::vector<double>();
      cur = windowed(n, cur, &w, dims(n, 1), n.input_size() > 2 ? &b : nullptr, 0);
    } else if (op == "MaxPool" || op == "AveragePool") {
      cur = windowed(n, cur, nullptr, {}, nullptr, op == "MaxPool" ? 1 : 2);
    } else if (op == "GlobalAveragePool") {
      const int64_t c = cur.dims[0], hw = cur.dims[1] * cur.dims[2];
      Tensor y{{c, 1, 1}, std::vector<double>(static_cast<size_t>(c), 0.0)};
      for (int64_t k = 0; k < c; ++k) {
        for (int64_t j = 0; j < hw; ++j) y.v[static_cast<size_t>(k)] += cur.v[static_cast<size_t>(k * hw + j)];
        y.v[static_cast<size_t>(k)] /= static_cast<double>(hw);
      }
      cur = y;
    } else if (op == "BatchNormalization") {
      const std::vector<double> s = input(n, 1), bb = input(n, 2), mean = input(n, 3), var = input(n, 4);
      const double eps = get_float(n, "epsilon", 1e-5f);
      const size_t c = static_cast<size_t>(cur.dims[0]), per = cur.v.size() / c;
      for (size_t k = 0; k < c; ++k) {
        for (size_t j = 0; j < per; ++j) {
          double& v = cur.v[k * per + j];
          v = s[k] * (v - mean[k]) / sqrt(var[k] + eps) + bb[k];
        }
      }
    } else if (op == "Relu" || op == "LeakyRelu" || op == "Sigmoid" || op == "Tanh") {
      const double alpha = get_float(n, "alpha", 0.01f);
      for (double& v : cur.v) {
        if (op == "Relu") v = v > 0 ? v : 0.0;
        if (op == "LeakyRelu") v = v > 0 ? v : alpha * v;
        if (op == "Sigmoid") v = 1.0 / (1.0 + exp(-v));
        if (op == "Tanh") v = tanh(v);
      }
    } else if (op == "Flatten" || op == "Reshape") {
      cur.dims = {static_cast<int64_t>(cur.v.size())};
    } else if (op == "Dropout" || op == "Identity") {
    } else if (op == "Softmax" || op == "LogSoftmax") {
      if (stop_before_softmax) break;
      double mx = -INFINITY, sum = 0.0;
      for (double v : cur.v) mx = std::max(mx, v);
      for (double v : cur.v) sum += exp(v - mx);
      for (double& v : cur.v) v = op == "Softmax" ? exp(v - mx) / sum : v - mx - log(sum);
    } else {
      throw std::runtime_error("reference_forward: no " + op);
    }
  }
  return cur;
}

std::vector<float> nchw_to_hwc(const std::vector<float>& x, uint32_t c, uint32_t h, uint32_t w) {
  std::vector<float> y(x.size());
  for (uint32_t k = 0; k < c; ++k)
    for (uint32_t i = 0; i < h; ++i)
      for (uint32_t j = 0; j < w; ++j) y[(static_cast<size_t>(i) * w + j) * c + k] = x[(static_cast<size_t>(k) * h + i) * w + j];
  return y;
}

std::vector<float> tinyprop_forward(const host::ModelFile& f, const std::vector<float>& x_nchw) {
  host::InferenceModel net(f.spec);
  if (!ok(net.model().load_params(f.params.data(), static_cast<uint32_t>(f.params.size())))) {
    throw std::runtime_error("load_params failed");
  }
  const Shape in = f.spec.input;
  const std::vector<float> x = nchw_to_hwc(x_nchw, in.c, in.h, in.w);
  const float* y = net.model().forward(x.data());
  return std::vector<float>(y, y + f.spec.output_shape().size());
}

std::vector<float> random_input(const std::vector<int64_t>& dims, uint32_t seed) {
  size_t n = 1;
  for (int64_t d : dims) n *= static_cast<size_t>(d);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) x[&v - x.data()] = u(rng);
  return x;
}

}  // namespace tinyprop::onnx_test
