#!/usr/bin/env python3
"""ONNX fixtures made by torch: models exported by torch.onnx.export, fixed inputs, torch's outputs.

Writes tests/fixtures/onnx/ (or --out DIR):
  <model>.onnx   the model exported by torch.onnx.export (opset 13, eval mode, BatchNorm kept as
                 BatchNormalization nodes, no constant folding, so the importer does the folding)
  <model>.json   fixed inputs (NCHW, float32) and torch's outputs: "outputs" (the model's own,
                 after its trailing softmax) and "logits" (the same model without it); the ONNX
                 op types of the graph; the .tpm the Python package converts it to
  <model>.tpm    python/tinyprop's conversion of the same nn.Sequential (checked by tests/python)
  bad_*.onnx     malformed and unsupported files, described in bad.json with the error fragments
                 an importer's message must contain
  versions.json  torch, onnx, numpy and python versions and the command
Deterministic: fixed seeds, one torch thread; a rerun with the same versions writes the same bytes.
"""
import argparse
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "python"))
import golden_io  # noqa: E402
import tinyprop  # noqa: E402

OPSET = 13


class KerasDense(nn.Module):
    """A Keras Dense layer: kernel [in, out], y = x @ kernel + bias (ONNX MatMul + Add)."""
    def __init__(self, n_in, n_out):
        super().__init__()
        self.kernel = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.empty(n_out))
        nn.init.xavier_uniform_(self.kernel)
        nn.init.uniform_(self.bias, -0.1, 0.1)

    def forward(self, x):
        return torch.matmul(x, self.kernel) + self.bias

    def as_linear(self):
        m = nn.Linear(self.kernel.shape[0], self.kernel.shape[1])
        m.weight.data = self.kernel.data.t().contiguous()
        m.bias.data = self.bias.data.clone()
        return m


class ReshapeFlatten(nn.Module):
    """Keras' Flatten as exporters write it: a Reshape to the constant shape (-1, features)."""
    def __init__(self, features):
        super().__init__()
        self.features = features

    def forward(self, x):
        return x.reshape(-1, self.features)


def randomise_batchnorm(model, g):
    """Non-trivial running statistics and affine parameters, so folding is really tested."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(golden_io.uniform(g, (n,), -0.5, 0.5))
            m.running_var.copy_(golden_io.uniform(g, (n,), 0.5, 2.0))
            m.weight.data.copy_(golden_io.uniform(g, (n,), 0.5, 1.5))
            m.bias.data.copy_(golden_io.uniform(g, (n,), -0.3, 0.3))


def mlp():
    return nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3))


def cnn():
    # BatchNorm, depthwise conv, average and max pooling, dropout and a trailing softmax.
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8), nn.BatchNorm2d(8), nn.ReLU(),
        nn.AvgPool2d(2, count_include_pad=False),  # with the default True torch adds a no-op Pad
        nn.Conv2d(8, 6, 1), nn.LeakyReLU(0.1),
        nn.MaxPool2d(2, stride=1), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(6 * 2 * 2, 10), nn.BatchNorm1d(10), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(10, 4), nn.Softmax(dim=1))


def keras():
    # Keras-style: "same" 3x3 convolutions (padding 1: torch 1.13 cannot export padding="same"),
    # a Reshape flatten, Dense as MatMul + Add, Softmax at the end.
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1), nn.Sigmoid(),
        ReshapeFlatten(6 * 5 * 5), KerasDense(6 * 5 * 5, 12), nn.ReLU(), KerasDense(12, 5), nn.Softmax(dim=1))


def cnn_gap():
    # Global average pooling after a strided convolution, a Gemm head and a LogSoftmax.
    return nn.Sequential(
        nn.Conv2d(2, 6, 3, stride=2), nn.Tanh(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(6, 3), nn.LogSoftmax(dim=1))


MODELS = {  # name: (builder, per-sample input shape NCHW without N, what the output is)
    "mlp": (mlp, (12,), "logits"),
    "cnn": (cnn, (3, 12, 12), "softmax"),
    "keras": (keras, (1, 10, 10), "softmax"),
    "cnn_gap": (cnn_gap, (2, 9, 9), "log_softmax"),
}
SAMPLES = 4


def standard_sequential(model):
    """The same computation with only standard layers (what tinyprop.from_torch converts)."""
    mods = []
    for m in model:
        if isinstance(m, KerasDense):
            mods.append(m.as_linear())
        elif isinstance(m, ReshapeFlatten):
            mods.append(nn.Flatten())
        else:
            mods.append(m)
    return nn.Sequential(*mods).eval()


def export(model, x, path):
    torch.onnx.export(model, x, path, opset_version=OPSET, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return m


def write_model(out, name, builder, in_shape, kind, seed):
    torch.manual_seed(seed)
    g = golden_io.generator(seed + 1000)
    model = builder()
    randomise_batchnorm(model, g)
    model.eval()
    x = golden_io.uniform(g, (SAMPLES,) + in_shape, -1.0, 1.0)
    with torch.no_grad():
        y = model(x)
        logits = model[:-1](x) if kind != "logits" else y
    graph = export(model, x, os.path.join(out, name + ".onnx"))
    std = standard_sequential(model)
    with torch.no_grad():
        assert torch.equal(std(x), y) or torch.allclose(std(x), y, rtol=0, atol=1e-7)
    tpm = tinyprop.from_torch(std, in_shape, metadata=b'{"source": "refgen/make_onnx_fixtures.py"}')
    tinyprop.write_tpm(os.path.join(out, name + ".tpm"), tpm)
    golden_io.write(out, name + ".json", {
        "onnx": name + ".onnx",
        "tpm": name + ".tpm",
        "torch_layers": [type(m).__name__ for m in model],
        "onnx_ops": [n.op_type for n in graph.graph.node],
        "input_layout": "NCHW",
        "input_shape": [SAMPLES] + list(in_shape),
        "output": kind,
        "inputs": [golden_io.flat(s) for s in x],
        "outputs": [golden_io.flat(s) for s in y],
        "logits": [golden_io.flat(s) for s in logits],
    })


def write_bad(out, seed):
    """Files an importer must refuse, each with the fragments its one-line error must contain."""
    torch.manual_seed(seed)
    x = torch.zeros(1, 6)
    cases = []

    def node_of(m, op):
        return next(n.name for n in m.graph.node if n.op_type == op)

    m = export(nn.Sequential(nn.Linear(6, 5), nn.Softplus(), nn.Linear(5, 2)).eval(), x,
               os.path.join(out, "bad_unsupported_op.onnx"))
    cases.append({"file": "bad_unsupported_op.onnx", "why": "Softplus has no tinyprop layer",
                  "error_contains": ["Softplus", node_of(m, "Softplus")]})
    m = export(nn.Sequential(nn.Linear(6, 5), nn.Softmax(dim=1), nn.Linear(5, 2)).eval(), x,
               os.path.join(out, "bad_softmax_not_last.onnx"))
    cases.append({"file": "bad_softmax_not_last.onnx",
                  "why": "a Softmax is only supported as the last node (it becomes the loss)",
                  "error_contains": ["Softmax", node_of(m, "Softmax")]})
    m = export(nn.Sequential(nn.Conv2d(1, 2, 3, dilation=2), nn.Flatten(), nn.Linear(2 * 4 * 4, 2)).eval(),
               torch.zeros(1, 1, 8, 8), os.path.join(out, "bad_conv_dilation.onnx"))
    cases.append({"file": "bad_conv_dilation.onnx", "why": "dilated convolutions are not supported",
                  "error_contains": ["Conv", node_of(m, "Conv"), "dilation"]})
    with open(os.path.join(out, "mlp.onnx"), "rb") as f:
        whole = f.read()
    with open(os.path.join(out, "bad_truncated.onnx"), "wb") as f:
        f.write(whole[:len(whole) * 2 // 3])
    cases.append({"file": "bad_truncated.onnx", "why": "the first two thirds of mlp.onnx: not a parseable model",
                  "error_contains": ["bad_truncated.onnx"]})
    with open(os.path.join(out, "bad_not_onnx.onnx"), "wb") as f:
        f.write(b"this is a text file, not an ONNX model\n")
    cases.append({"file": "bad_not_onnx.onnx", "why": "text, not a protobuf",
                  "error_contains": ["bad_not_onnx.onnx"]})
    golden_io.write(out, "bad.json", {"cases": cases})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures", "onnx"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for i, (name, (builder, shape, kind)) in enumerate(MODELS.items()):
        write_model(args.out, name, builder, shape, kind, 1300 + i)
    write_bad(args.out, 1399)
    info = golden_io.meta("ONNX fixtures exported by torch.onnx.export")
    info.update({"onnx": onnx.__version__, "opset": OPSET})
    golden_io.write(args.out, "versions.json", info)


if __name__ == "__main__":
    main()
