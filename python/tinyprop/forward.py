"""The forward pass of a .tpm model in numpy, as the core computes it (float32, HWC).

Inputs are batches of HWC samples, shape (N, H, W, C) or (N, H * W * C). The result is what the
last layer gives: the logits (the loss, e.g. the softmax of softmax cross-entropy, is not applied;
`softmax` below does that). Window semantics are the core's (docs/CONV.md): zero padding for
convolutions, padding never wins a maximum and is not counted in an average.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .tpm import Model, window_padding


def _windows(x: np.ndarray, layer, fill: float) -> np.ndarray:
    """(N, H_out, W_out, C, K_h, K_w) views of the padded input x (N, H, W, C)."""
    top, bottom, left, right = window_padding(layer, x.shape[1], x.shape[2])
    if top or bottom or left or right:
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    v = sliding_window_view(x, layer.kernel, axis=(1, 2))
    return v[:, ::layer.stride[0], ::layer.stride[1]]


def _avg_pool(x: np.ndarray, layer) -> np.ndarray:
    # Sum over the window divided by the number of real (unpadded) inputs in it.
    sums = _windows(x, layer, 0.0).sum(axis=(4, 5), dtype=np.float64)
    ones = np.ones((1,) + x.shape[1:3] + (1,), np.float64)
    counts = _windows(ones, layer, 0.0).sum(axis=(4, 5))
    return (sums / counts).astype(np.float32)


def layer_forward(layer, params, x: np.ndarray) -> np.ndarray:
    """One layer on a batch x (N, H, W, C) in float32; returns (N, H', W', C')."""
    k = layer.kind
    if k == "dense":
        w, b = params
        y = x.reshape(x.shape[0], -1).astype(np.float64) @ w.T.astype(np.float64) + b
        return y.astype(np.float32).reshape(x.shape[0], 1, 1, -1)
    if k == "relu":
        return np.maximum(x, np.float32(0))
    if k == "leaky_relu":
        return np.where(x > 0, x, np.float32(layer.alpha) * x).astype(np.float32)
    if k == "sigmoid":
        return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)
    if k == "tanh":
        return np.tanh(x)
    if k == "conv2d":
        w, b = params  # [C_out, K_h, K_w, C_in]
        v = _windows(x, layer, 0.0)  # N, Ho, Wo, C_in, K_h, K_w
        y = np.einsum("nhwcij,fijc->nhwf", v.astype(np.float64), w.astype(np.float64)) + b
        return y.astype(np.float32)
    if k == "depthwise_conv2d":
        w, b = params  # [C, K_h, K_w]
        v = _windows(x, layer, 0.0)
        y = np.einsum("nhwcij,cij->nhwc", v.astype(np.float64), w.astype(np.float64)) + b
        return y.astype(np.float32)
    if k == "max_pool2d":
        return _windows(x, layer, -np.inf).max(axis=(4, 5)).astype(np.float32)
    if k == "avg_pool2d":
        return _avg_pool(x, layer)
    if k == "global_avg_pool":
        return x.mean(axis=(1, 2), keepdims=True, dtype=np.float64).astype(np.float32)
    if k == "flatten":
        return x.reshape(x.shape[0], 1, 1, -1)
    raise ValueError(f"no forward for layer kind {k}")


def forward(model: Model, x: np.ndarray) -> np.ndarray:
    """The model's output (N, outputs) for a batch of HWC inputs (N, H, W, C) or (N, H*W*C)."""
    h, w, c = model.input_shape
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None]
    x = x.reshape(x.shape[0], h, w, c)
    for layer, params in zip(model.layers, model.params):
        x = layer_forward(layer, params, x)
    return x.reshape(x.shape[0], -1)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64) - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def nchw_to_hwc(x: np.ndarray) -> np.ndarray:
    """A batch in PyTorch's layout (N, C, H, W) as the core's (N, H, W, C)."""
    return np.ascontiguousarray(np.asarray(x).transpose(0, 2, 3, 1))


def hwc_to_nchw(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x).transpose(0, 3, 1, 2))
