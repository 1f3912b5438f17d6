"""PyTorch <-> .tpm: an nn.Sequential of the supported layers to a Model and back.

Layout rules (PyTorch is NCHW, the core HWC; docs/INTEROP.md):
* conv2d weights [C_out, C_in, K_h, K_w] -> [C_out, K_h, K_w, C_in]; depthwise [C, 1, K_h, K_w]
  -> [C, K_h, K_w];
* the first dense layer after a flatten of a C x H x W map: PyTorch's column c*H*W + h*W + w is
  the core's column (h*W + w)*C + c, so the columns are permuted;
* BatchNorm right after a Conv2d / Linear is folded into it (in float64, then rounded once):
  s = gamma / sqrt(var + eps), W' = s W (per output channel), b' = s (b - mean) + beta;
* a trailing Softmax / LogSoftmax is the softmax cross-entropy loss and is dropped;
* Dropout and Identity are dropped (eval-mode behaviour).
Anything else raises UnsupportedLayer naming the module and why. torch is imported lazily.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from .errors import TinypropError, UnsupportedLayer
from .tpm import Layer, Model, check_model, output_shape, window_padding


def _pair(v) -> Tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _leaves(module, prefix: str = ""):
    """(name, module) of the Sequential's layers, nested Sequentials flattened."""
    import torch.nn as nn
    for name, child in module.named_children():
        full = f"{prefix}{name}"
        if isinstance(child, nn.Sequential):
            yield from _leaves(child, full + ".")
        else:
            yield full, child


def _np(t) -> np.ndarray:
    return t.detach().cpu().double().numpy()


def _fold_bn(bn, params: Tuple[np.ndarray, np.ndarray]):
    """BatchNorm folded into the (float64) weights and bias of the layer before it."""
    w, b = params
    mean, var = _np(bn.running_mean), _np(bn.running_var)
    gamma = _np(bn.weight) if bn.weight is not None else np.ones_like(mean)
    beta = _np(bn.bias) if bn.bias is not None else np.zeros_like(mean)
    s = gamma / np.sqrt(var + bn.eps)
    return w * s.reshape((-1,) + (1,) * (w.ndim - 1)), s * (b - mean) + beta


def _window(kind: str, m, name: str, filters: int = 0) -> Layer:
    """A window layer from a Conv2d / MaxPool2d / AvgPool2d's geometry."""
    def refuse(why):
        raise UnsupportedLayer(f"layer '{name}' ({type(m).__name__}): {why}")
    if _pair(getattr(m, "dilation", 1)) != (1, 1):
        refuse("dilation is not supported")
    if getattr(m, "ceil_mode", False):
        refuse("ceil_mode=True is not supported")
    if getattr(m, "padding_mode", "zeros") != "zeros":
        refuse(f"padding_mode '{m.padding_mode}' (only zeros)")
    kernel, stride = _pair(m.kernel_size), _pair(m.stride if m.stride is not None else m.kernel_size)
    same = isinstance(m.padding, str) and m.padding == "same"
    if isinstance(m.padding, str) and not same:
        pad = (0, 0)  # "valid"
    else:
        pad = (0, 0) if same else _pair(m.padding)
    if same and stride != (1, 1):
        refuse("padding='same' with stride > 1")
    return Layer(kind=kind, filters=filters, kernel=kernel, stride=stride, pad=pad, pad_same=same)


def from_torch(seq, input_shape: Sequence[int], loss: Optional[str] = None,
               trainable_last: Optional[int] = None, metadata: bytes = b"") -> Model:
    """Converts an nn.Sequential (eval-mode semantics) to a Model.

    input_shape: PyTorch's per-sample shape without the batch, (C, H, W) or (features,).
    loss: default softmax cross-entropy (a trailing Softmax/LogSoftmax also means it).
    trainable_last: only the last N layers with parameters are trainable (None: all).
    """
    import torch.nn as nn
    if len(input_shape) == 3:
        c, h, w = (int(v) for v in input_shape)
    elif len(input_shape) == 1:
        c, h, w = int(input_shape[0]), 1, 1
    else:
        raise TinypropError(f"input_shape {tuple(input_shape)}: expected (C, H, W) or (features,)")
    shape = (h, w, c)
    layers: List[Layer] = []
    params: list = []
    pending_flatten = None  # the (h, w, c) map a Flatten turned into a vector, for the next Linear
    last_param = None       # index into layers of the last layer with parameters, for BN folding
    leaves = list(_leaves(seq))
    ends_in_softmax = False
    for pos, (name, m) in enumerate(leaves):
        def refuse(why, m=m, name=name):
            raise UnsupportedLayer(f"layer '{name}' ({type(m).__name__}): {why}")
        new: Optional[Layer] = None
        p = None
        if isinstance(m, (nn.Dropout, nn.Dropout2d, nn.Identity)):
            continue
        if isinstance(m, (nn.Softmax, nn.LogSoftmax)):
            if pos != len(leaves) - 1:
                refuse("a softmax is supported only as the last layer (it becomes the loss)")
            if m.dim not in (1, -1, None):
                refuse(f"softmax over dim {m.dim} (only the class dimension 1)")
            ends_in_softmax = True
            continue
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            if last_param is None or last_param != len(layers) - 1:
                refuse("BatchNorm must follow a Conv2d or Linear directly (it is folded into it)")
            if not m.track_running_stats or m.running_mean is None:
                refuse("BatchNorm without running statistics cannot be folded")
            params[last_param] = _fold_bn(m, params[last_param])
            continue
        if isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                refuse("only Flatten(start_dim=1, end_dim=-1)")
            if shape[0] * shape[1] > 1:
                pending_flatten = shape
                new = Layer("flatten")
            else:
                continue  # 1 x 1 x C is already flat
        elif isinstance(m, nn.Linear):
            wt = _np(m.weight)
            if wt.shape[1] != shape[0] * shape[1] * shape[2]:
                refuse(f"in_features {wt.shape[1]}, the input has {shape[0] * shape[1] * shape[2]}")
            if shape[0] * shape[1] > 1 and pending_flatten is None:
                refuse("a Linear on a feature map needs a Flatten before it")
            if pending_flatten is not None:
                fh, fw, fc = pending_flatten  # columns C,H,W -> H,W,C
                wt = wt.reshape(-1, fc, fh, fw).transpose(0, 2, 3, 1).reshape(wt.shape[0], -1)
                pending_flatten = None
            bias = _np(m.bias) if m.bias is not None else np.zeros(wt.shape[0])
            new, p = Layer("dense", units=wt.shape[0]), (wt, bias)
        elif isinstance(m, nn.Conv2d):
            if shape[0] * shape[1] == 1 and len(input_shape) == 1:
                refuse("a Conv2d needs a (C, H, W) input_shape")
            wt = _np(m.weight)
            bias = _np(m.bias) if m.bias is not None else np.zeros(wt.shape[0])
            if m.groups == 1:
                new = _window("conv2d", m, name, filters=m.out_channels)
                p = (wt.transpose(0, 2, 3, 1), bias)
            elif m.groups == m.in_channels == m.out_channels:
                new = _window("depthwise_conv2d", m, name)
                p = (wt.reshape(wt.shape[0], wt.shape[2], wt.shape[3]), bias)
            else:
                refuse(f"groups={m.groups} (only 1 or depthwise with out_channels == in_channels)")
        elif isinstance(m, nn.MaxPool2d):
            if m.return_indices:
                refuse("return_indices=True is not supported")
            new = _window("max_pool2d", m, name)
        elif isinstance(m, nn.AvgPool2d):
            if m.divisor_override is not None:
                refuse("divisor_override is not supported")
            if m.count_include_pad and _pair(m.padding) != (0, 0):
                refuse("count_include_pad=True with padding (the core does not count padding)")
            new = _window("avg_pool2d", m, name)
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            if _pair(m.output_size) != (1, 1):
                refuse(f"output_size {m.output_size} (only 1, global average pooling)")
            new = Layer("global_avg_pool")
        elif isinstance(m, nn.ReLU):
            new = Layer("relu")
        elif isinstance(m, nn.LeakyReLU):
            new = Layer("leaky_relu", alpha=float(np.float32(m.negative_slope)))
        elif isinstance(m, nn.Sigmoid):
            new = Layer("sigmoid")
        elif isinstance(m, nn.Tanh):
            new = Layer("tanh")
        else:
            refuse("no tinyprop layer does this (supported: Linear, Conv2d (groups 1 or depthwise), "
                   "BatchNorm after Conv2d/Linear, ReLU, LeakyReLU, Sigmoid, Tanh, MaxPool2d, AvgPool2d, "
                   "AdaptiveAvgPool2d(1), Flatten, Dropout, Identity, a trailing Softmax/LogSoftmax)")
        try:
            shape = output_shape(new, shape, len(layers))
        except TinypropError as e:
            raise UnsupportedLayer(f"layer '{name}' ({type(m).__name__}): {e}") from None
        layers.append(new)
        params.append(p)
        if p is not None:
            last_param = len(layers) - 1
    if loss is None:
        loss = "softmax_cross_entropy"
    elif ends_in_softmax and loss != "softmax_cross_entropy":
        raise TinypropError(f"the model ends in a softmax but loss '{loss}' was asked for")
    params = [None if q is None else (q[0].astype(np.float32), q[1].astype(np.float32)) for q in params]
    with_params = [i for i, q in enumerate(params) if q is not None]
    if trainable_last is not None:
        frozen = set(with_params[:max(len(with_params) - trainable_last, 0)])
        for i in frozen:
            layers[i].trainable = False
    model = Model(input_shape=(h, w, c), layers=layers, params=params, loss=loss, metadata=metadata)
    check_model(model)
    return model
