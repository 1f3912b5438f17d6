#!/usr/bin/env python3
"""The pretrained CNN of examples/interop, trained in PyTorch on the clean stroke images.

Writes examples/interop/model/ (or --out DIR):
  pretrained.onnx  the trained model (eval mode, BatchNorm kept, a trailing Softmax as Keras-style
                   models have), exported by torch.onnx.export (opset 13)
  pretrained.tpm   python/tinyprop's conversion of the same nn.Sequential (what `tinyprop import`
                   of the ONNX file must reproduce; used by the example where the import is absent)
  pretrained.json  versions, training settings, and torch's accuracy on clean and shifted test data
Deterministic: fixed seeds, one torch thread (a rerun with the same versions writes the same bytes).
"""
import argparse
import json
import os
import platform
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "python"))
sys.path.insert(0, os.path.join(REPO, "examples", "interop"))
import interop_data  # noqa: E402
import tinyprop  # noqa: E402

TRAIN, TEST, EPOCHS, SEED = 3000, 1000, 8, 1313


def build():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 12, 1), nn.ReLU(), nn.AvgPool2d(2, count_include_pad=False), nn.Dropout(0.1),
        nn.Flatten(), nn.Linear(12 * 3 * 3, interop_data.CLASSES), nn.Softmax(dim=1))


def nchw(images):
    return torch.from_numpy(tinyprop.hwc_to_nchw(interop_data.as_float(images)))


def accuracy(model, images, labels):
    with torch.no_grad():
        return float((model(nchw(images)).argmax(1).numpy() == labels).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(REPO, "examples", "interop", "model"))
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(SEED)
    x, y = interop_data.strokes(TRAIN, SEED)
    tx, ty = interop_data.strokes(TEST, SEED + 1)
    sx, sy = interop_data.strokes(TEST, SEED + 2, interop_data.HOST_SHIFT)
    dx, dy = interop_data.strokes(TEST, SEED + 3, interop_data.DEVICE_SHIFT)
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = nchw(x), torch.from_numpy(y.astype(np.int64))
    g = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        model.train()
        for idx in torch.randperm(TRAIN, generator=g).split(32):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model[:-1](xt[idx]), yt[idx])  # softmax as the loss
            loss.backward()
            opt.step()
    model.eval()
    path = os.path.join(out, "pretrained.onnx")
    torch.onnx.export(model, xt[:1], path, opset_version=13, input_names=["input"],
                      output_names=["probabilities"], dynamic_axes={"input": {0: "N"}, "probabilities": {0: "N"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    onnx.checker.check_model(onnx.load(path))
    tinyprop.write_tpm(os.path.join(out, "pretrained.tpm"),
                       tinyprop.from_torch(model, (1, 12, 12),
                                           metadata=b'{"source": "refgen/make_interop_model.py"}'))
    info = {
        "generator": "refgen/make_interop_model.py", "torch": torch.__version__, "onnx": onnx.__version__,
        "numpy": np.__version__, "python": platform.python_version(), "opset": 13,
        "train": {"samples": TRAIN, "seed": SEED, "epochs": EPOCHS, "optimizer": "adam", "lr": 3e-3, "batch": 32},
        "torch_accuracy": {"clean_test": accuracy(model, tx, ty), "host_shift_test": accuracy(model, sx, sy),
                           "device_shift_test": accuracy(model, dx, dy),
                           "test_samples": TEST, "seeds": [SEED + 1, SEED + 2, SEED + 3]},
    }
    with open(os.path.join(out, "pretrained.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print(json.dumps(info["torch_accuracy"]))


if __name__ == "__main__":
    main()
