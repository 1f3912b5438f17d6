// The operator mapping of the ONNX import: one chain node at a time into core layers and their
// parameters (channels-last). Internal to tools/formats (onnx_import.cpp).
#pragma once
#include <stdint.h>

#include <string>
#include <vector>

#include "formats/onnx_graph.h"
#include "tinyprop/spec.h"

namespace tinyprop::host::onnx_io {

class LayerBuilder {
 public:
  // input_dims: the graph input without the batch, [C, H, W] or [F].
  LayerBuilder(const std::string& file_name, const std::vector<int64_t>& input_dims);
  // Maps one node; is_last: it is the chain's last (where a Softmax may stand).
  void add(const ChainNode& node, int64_t opset, bool is_last);
  // The spec (loss softmax cross-entropy, every layer trainable) and its parameters in
  // Model::params() order.
  ModelSpec finish(std::vector<float>* params);
  const std::vector<std::string>& layer_names() const { return names_; }
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  [[noreturn]] void fail(const ChainNode& n, const std::string& reason) const;
  Shape current() const;
  void push(const ChainNode& n, const LayerSpec& l, std::vector<float> w, std::vector<float> b);
  void add_dense(const ChainNode& n, std::vector<float> w_rows, uint32_t units,
                 std::vector<float> bias);
  void add_gemm(const ChainNode& n);
  void add_matmul(const ChainNode& n);
  void add_bias(const ChainNode& n);
  void add_conv(const ChainNode& n);
  void add_pool(const ChainNode& n, bool max);
  void add_flatten(const ChainNode& n, bool reshape);
  void fold_batch_norm(const ChainNode& n, int64_t opset);
  // Window attributes shared by Conv and the poolings: strides, pads, auto_pad, dilations.
  void read_window(const ChainNode& n, LayerSpec* l) const;

  std::string file_;
  ModelSpec spec_;
  std::vector<std::vector<float>> w_, b_;  // per spec layer, empty without parameters
  std::vector<std::string> names_, notes_;
  bool flat_ = false;         // the running ONNX tensor is [N, F] (else [N, C, H, W])
  bool reorder_next_ = false; // the next dense reads a flattened map: reorder its columns
  Shape flattened_;           // that map (h x w x c)
  int open_ = -1;             // the layer with parameters just before, for a BN or bias to fold
  bool bias_free_ = false;    // open_ came from a MatMul whose bias (an Add) may follow
  bool ended_ = false;        // a Softmax ended the chain
};

}  // namespace tinyprop::host::onnx_io
