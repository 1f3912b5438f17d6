"""A .tpm Model as an nn.Sequential with its weights loaded (the inverse of torch_convert).

The Sequential takes PyTorch's NCHW input (N, C, H, W), or (N, features) for a model whose input
is 1 x 1 x features, and returns the logits (the loss's softmax is not a layer, as in tinyprop).
Weights are laid back out NCHW (docs/INTEROP.md); padding that PyTorch's layers cannot express
(TF "same" with an odd total, pooling padding above half the window) becomes an explicit pad.
"""
from __future__ import annotations

import numpy as np

from .errors import UnsupportedLayer
from .tpm import Model, window_padding


def _modules():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Pad(nn.Module):
        """Constant padding (left, right, top, bottom) before a window layer."""
        def __init__(self, pads, value):
            super().__init__()
            self.pads, self.value = pads, value

        def forward(self, x):
            return F.pad(x, self.pads, value=self.value)

    class AvgPoolNoPad(nn.Module):
        """Average pooling over explicit padding that counts only the real inputs."""
        def __init__(self, kernel, stride, pads):
            super().__init__()
            self.kernel, self.stride, self.pads = kernel, stride, pads

        def forward(self, x):
            s = F.avg_pool2d(F.pad(x, self.pads), self.kernel, self.stride, divisor_override=1)
            ones = torch.ones_like(x[:1, :1])
            n = F.avg_pool2d(F.pad(ones, self.pads), self.kernel, self.stride, divisor_override=1)
            return s / n

    class HwcFlatten(nn.Module):
        """Flatten in the core's H,W,C order (a flatten that no dense layer follows)."""
        def forward(self, x):
            return x.permute(0, 2, 3, 1).flatten(1)

    return torch, nn, Pad, AvgPoolNoPad, HwcFlatten


def to_torch(model: Model):
    """nn.Sequential computing the model's forward pass in float32, eval mode."""
    torch, nn, Pad, AvgPoolNoPad, HwcFlatten = _modules()
    mods = []
    h, w, c = model.input_shape
    at = (h, w, c)
    shapes = model.shapes()
    as_vector = h == 1 and w == 1  # the Sequential's tensor is (N, C) rather than (N, C, H, W)
    flat_from = None  # the map (h, w, c) an nn.Flatten flattened in C,H,W order, for the next dense

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))

    for i, (layer, p) in enumerate(zip(model.layers, model.params)):
        k = layer.kind
        if k in ("conv2d", "depthwise_conv2d", "max_pool2d", "avg_pool2d"):
            if as_vector:
                mods.append(nn.Unflatten(1, (at[2], 1, 1)))
                as_vector = False
            top, bottom, left, right = window_padding(layer, at[0], at[1])
            sym = top == bottom and left == right
            kern, stride = tuple(layer.kernel), tuple(layer.stride)
            pool_ok = 2 * top <= kern[0] and 2 * left <= kern[1]  # PyTorch's limit for pooling
            native = (top, left) if sym and (k in ("conv2d", "depthwise_conv2d") or pool_ok) else (0, 0)
            explicit = (left, right, top, bottom) if native == (0, 0) and (top or bottom or left or right) else None
            if k == "max_pool2d":
                if explicit:
                    mods.append(Pad(explicit, float("-inf")))
                mods.append(nn.MaxPool2d(kern, stride, native))
            elif k == "avg_pool2d":
                if explicit:
                    mods.append(AvgPoolNoPad(kern, stride, explicit))
                else:
                    mods.append(nn.AvgPool2d(kern, stride, native, count_include_pad=False))
            else:
                if explicit:
                    mods.append(Pad(explicit, 0.0))
                wt, b = p
                if k == "conv2d":
                    m = nn.Conv2d(at[2], layer.filters, kern, stride, native)
                    m.weight.data = t(wt.transpose(0, 3, 1, 2))
                else:
                    m = nn.Conv2d(at[2], at[2], kern, stride, native, groups=at[2])
                    m.weight.data = t(wt.reshape(at[2], 1, kern[0], kern[1]))
                m.bias.data = t(b)
                mods.append(m)
        elif k == "dense":
            wt, b = p
            if not as_vector:
                mods.append(nn.Flatten())
                flat_from, as_vector = at, True
            if flat_from is not None:
                ah, aw, ac = flat_from  # core columns H,W,C -> PyTorch's C,H,W after its Flatten
                wt = wt.reshape(-1, ah, aw, ac).transpose(0, 3, 1, 2).reshape(wt.shape[0], -1)
                flat_from = None
            m = nn.Linear(wt.shape[1], wt.shape[0])
            m.weight.data, m.bias.data = t(wt), t(b)
            mods.append(m)
        elif k == "relu":
            mods.append(nn.ReLU())
        elif k == "leaky_relu":
            mods.append(nn.LeakyReLU(float(np.float32(layer.alpha))))
        elif k == "sigmoid":
            mods.append(nn.Sigmoid())
        elif k == "tanh":
            mods.append(nn.Tanh())
        elif k == "global_avg_pool":
            mods.append(nn.AdaptiveAvgPool2d(1))
        elif k == "flatten":
            if not as_vector:
                if _dense_follows(model, i):
                    mods.append(nn.Flatten())  # the dense layer's columns are permuted instead
                    flat_from = at
                else:  # the core's flat order is H,W,C: what follows must see that order
                    mods.append(HwcFlatten())
                as_vector = True
        else:
            raise UnsupportedLayer(f"layer {i} ({k}): no PyTorch counterpart")
        at = shapes[i]
    seq = nn.Sequential(*mods)
    seq.eval()
    return seq



def _dense_follows(model: Model, i: int) -> bool:
    """Whether the first layer after i that is not an elementwise activation is dense."""
    for layer in model.layers[i + 1:]:
        if layer.kind not in ("relu", "leaky_relu", "sigmoid", "tanh"):
            return layer.kind == "dense"
    return False
