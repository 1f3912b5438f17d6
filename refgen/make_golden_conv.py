#!/usr/bin/python3
"""Writes PyTorch golden data for tinyprop's convolution and pooling layers to tests/fixtures/.

Run from anywhere:  /usr/bin/python3 refgen/make_golden_conv.py  [--out DIR]

Everything is float32 on the CPU with one thread and fixed seeds; all inputs and weights are
generated here, so a rerun with the same torch/numpy writes byte-identical files. Each fixture
records the torch, numpy and python versions and the command that wrote it.

Fixtures (read by tests/golden/test_conv_golden.cpp):
  conv_layers.json  per layer kind, several geometries: Conv2D, DepthwiseConv2D, MaxPool2D,
                    AvgPool2D, GlobalAvgPool: input, parameters, output, an upstream gradient dy,
                    and dx, dW, db
  conv_cnn.json     a small CNN with every layer kind (conv same/valid, depthwise, max and avg
                    pooling, flatten, dense): one-sample output + gradients, and 10-step loss
                    trajectories + final parameters for SGD, SGD momentum and Adam, batch 1 and 2
  conv_gap.json     a strided CNN with asymmetric "same" padding and global average pooling,
                    the same records

Layout conventions (tinyprop's, docs/CONV.md), converted here from torch's NCHW:
  feature maps  HWC (channels-last), flattened row-major: index (y * W + x) * C + c
  Conv2D        weights [C_out, K_h, K_w, C_in]      (torch [C_out, C_in, K_h, K_w])
  Depthwise     weights [C, K_h, K_w]                (torch [C, 1, K_h, K_w], groups = C)
  Flatten       flattens HWC, so a following dense layer's weight columns are in HWC order
  "same"        TF padding: out = ceil(in / s), total pad max((out - 1) s + k - in, 0), the
                smaller half before (top / left)
  pooling       padding never wins a max and is not counted in an average (TF "same" and
                torch's count_include_pad=False)
"""
import argparse
import math
import os

import torch
import torch.nn.functional as F

from golden_io import f32, flat, generator, meta, uniform, write

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ReLU inputs and max-pool runner-up gaps closer than this would make the golden data depend on
# float rounding (a kink flips the gradient); the generator refuses such data.
KINK_MARGIN = 1e-4


# ---- float32 values in JSON, fixture files, seeded inputs: refgen/golden_io.py -----------------

# ---- layout conversion ---------------------------------------------------------------------------

def hwc(t):
    """[1, C, H, W] (or [C, H, W]) -> flat HWC list."""
    if t.dim() == 4:
        t = t[0]
    return flat(t.permute(1, 2, 0))


def from_hwc(values, h, w, c):
    """Flat HWC tensor -> [1, C, H, W]."""
    return values.reshape(h, w, c).permute(2, 0, 1).unsqueeze(0).contiguous()


def conv_weight_ours(w_torch):
    """torch [C_out, C_in, K_h, K_w] -> ours [C_out, K_h, K_w, C_in]."""
    return w_torch.permute(0, 2, 3, 1)


def conv_weight_torch(w_ours):
    return w_ours.permute(0, 3, 1, 2).contiguous()


# ---- padding -------------------------------------------------------------------------------------

def axis_padding(n_in, k, s, pad):
    """(out, before, after) along one axis; pad is an int or "same"."""
    if pad == "same":
        out = (n_in + s - 1) // s
        total = max((out - 1) * s + k - n_in, 0)
        return out, total // 2, total - total // 2
    out = (n_in + 2 * pad - k) // s + 1
    return out, pad, pad


def geometry(h, w, k, s, pad):
    """Window geometry of a layer; pad is an int, [pad_h, pad_w] or "same"."""
    ph, pw = (pad, pad) if pad == "same" or isinstance(pad, int) else pad
    oh, top, bottom = axis_padding(h, k[0], s[0], ph)
    ow, left, right = axis_padding(w, k[1], s[1], pw)
    return {"out_h": oh, "out_w": ow, "pad_top": top, "pad_left": left,
            "torch_pad": (left, right, top, bottom)}


def pad_json(pad):
    if pad == "same":
        return "same"
    return [pad, pad] if isinstance(pad, int) else list(pad)


# ---- layer functions in NCHW with tinyprop's semantics -------------------------------------------

def conv2d(x, w_ours, b, stride, geo):
    return F.conv2d(F.pad(x, geo["torch_pad"]), conv_weight_torch(w_ours), b, stride=stride)


def depthwise(x, w_ours, b, stride, geo):
    c = x.shape[1]
    return F.conv2d(F.pad(x, geo["torch_pad"]), w_ours.unsqueeze(1), b, stride=stride, groups=c)


def max_pool(x, k, stride, geo):
    return F.max_pool2d(F.pad(x, geo["torch_pad"], value=-math.inf), k, stride)


def avg_pool(x, k, stride, geo):
    """Mean over the real inputs of each window: window sum / window count of real inputs."""
    total = F.avg_pool2d(F.pad(x, geo["torch_pad"]), k, stride, divisor_override=1)
    ones = torch.ones((1, 1) + tuple(x.shape[2:]))
    count = F.avg_pool2d(F.pad(ones, geo["torch_pad"]), k, stride, divisor_override=1)
    return total / count


def max_pool_margin(x, k, stride, geo):
    """Smallest gap between the winner and the runner-up over all windows (ties would make the
    routed gradient depend on the scan order). Windows won by an exact 0 are left out: after a
    ReLU those are all-zero windows whose gradient the ReLU discards whichever zero wins (a
    winner barely above 0 is caught by the ReLU margin)."""
    xp = F.pad(x.detach(), geo["torch_pad"], value=-math.inf)
    cols = F.unfold(xp.reshape(-1, 1, *xp.shape[2:]), k, stride=stride)  # [N*C, k*k, L]
    if cols.shape[1] < 2:
        return float("inf")
    top2 = cols.topk(2, dim=1).values
    gap = top2[:, 0, :] - top2[:, 1, :]
    keep = torch.isfinite(gap) & (top2[:, 0, :] != 0)
    return gap[keep].min().item() if keep.any() else float("inf")


# ---- per-layer fixtures --------------------------------------------------------------------------

def conv_case(g, h, w, c_in, c_out, k, s, pad, dw=False):
    geo = geometry(h, w, k, s, pad)
    x = torch.randn((1, c_in, h, w), generator=g).requires_grad_()
    if dw:
        c_out = c_in
        bound = (6.0 / (k[0] * k[1])) ** 0.5
        w_ours = uniform(g, (c_in, k[0], k[1]), -bound, bound).requires_grad_()
    else:
        bound = (6.0 / (k[0] * k[1] * c_in)) ** 0.5
        w_ours = uniform(g, (c_out, k[0], k[1], c_in), -bound, bound).requires_grad_()
    b = uniform(g, (c_out,), -0.5, 0.5).requires_grad_()
    y = (depthwise if dw else conv2d)(x, w_ours, b, tuple(s), geo)
    assert y.shape[2:] == (geo["out_h"], geo["out_w"])
    dy = torch.randn(y.shape, generator=g)
    y.backward(dy)
    return {
        "in_h": h, "in_w": w, "in_c": c_in, "out_c": c_out, "kernel": list(k), "stride": list(s),
        "pad": pad_json(pad), "out_h": geo["out_h"], "out_w": geo["out_w"],
        "pad_top": geo["pad_top"], "pad_left": geo["pad_left"],
        "x": hwc(x), "w": flat(w_ours), "b": flat(b), "y": hwc(y), "dy": hwc(dy),
        "dx": hwc(x.grad), "dw": flat(w_ours.grad), "db": flat(b.grad),
    }


def pool_case(g, kind, h, w, c, k, s, pad):
    geo = geometry(h, w, k, s, pad)
    # A shuffled ladder of distinct values keeps every max-pool window's winner clear.
    x = (torch.randperm(h * w * c, generator=g).float() * 0.01 - 1.0).reshape(1, c, h, w)
    x.requires_grad_()
    y = (max_pool if kind == "max" else avg_pool)(x, tuple(k), tuple(s), geo)
    assert y.shape[2:] == (geo["out_h"], geo["out_w"])
    if kind == "max" and max_pool_margin(x, tuple(k), tuple(s), geo) < KINK_MARGIN:
        raise RuntimeError("max-pool tie in golden data")
    dy = torch.randn(y.shape, generator=g)
    y.backward(dy)
    return {
        "in_h": h, "in_w": w, "in_c": c, "out_c": c, "kernel": list(k), "stride": list(s),
        "pad": pad_json(pad), "out_h": geo["out_h"], "out_w": geo["out_w"],
        "pad_top": geo["pad_top"], "pad_left": geo["pad_left"],
        "x": hwc(x), "y": hwc(y), "dy": hwc(dy), "dx": hwc(x.grad),
    }


def gap_case(g, h, w, c):
    x = torch.randn((1, c, h, w), generator=g).requires_grad_()
    y = x.mean(dim=(2, 3))
    dy = torch.randn(y.shape, generator=g)
    y.backward(dy)
    return {"in_h": h, "in_w": w, "in_c": c, "x": hwc(x), "y": flat(y), "dy": flat(dy),
            "dx": hwc(x.grad)}


def make_layers_fixture():
    g = generator(4321)
    conv = [conv_case(g, 7, 7, 3, 4, (3, 3), (1, 1), 0),
            conv_case(g, 8, 7, 2, 3, (3, 3), (2, 2), 1),
            conv_case(g, 6, 5, 3, 2, (3, 3), (1, 1), "same"),
            conv_case(g, 8, 6, 2, 3, (3, 3), (2, 2), "same"),
            conv_case(g, 7, 6, 3, 2, (2, 3), (2, 1), [1, 0]),
            conv_case(g, 12, 12, 1, 8, (3, 3), (1, 1), 0),
            conv_case(g, 9, 9, 8, 16, (3, 3), (1, 1), 1)]
    dw = [conv_case(g, 7, 7, 3, 3, (3, 3), (1, 1), 0, dw=True),
          conv_case(g, 8, 7, 4, 4, (3, 3), (2, 2), 1, dw=True),
          conv_case(g, 8, 6, 2, 2, (3, 3), (2, 2), "same", dw=True),
          conv_case(g, 5, 6, 5, 5, (2, 3), (1, 2), [1, 1], dw=True)]
    pools = []
    for kind in ("max", "avg"):
        pools += [dict(kind=kind, **pool_case(g, kind, 8, 6, 3, (2, 2), (2, 2), 0)),
                  dict(kind=kind, **pool_case(g, kind, 7, 5, 2, (2, 2), (2, 2), 0)),
                  dict(kind=kind, **pool_case(g, kind, 7, 8, 2, (3, 3), (2, 2), 1)),
                  dict(kind=kind, **pool_case(g, kind, 5, 6, 3, (3, 3), (1, 1), 0)),
                  dict(kind=kind, **pool_case(g, kind, 6, 8, 2, (3, 3), (2, 2), "same"))]
    return {
        "meta": meta("conv / pooling layers forward and backward, torch.nn.functional in "
                     "float32, converted to channels-last (HWC)"),
        "seed": 4321,
        "conv2d": conv,
        "depthwise_conv2d": dw,
        "pool": pools,
        "global_avg_pool": [gap_case(g, 5, 3, 4), gap_case(g, 1, 1, 3), gap_case(g, 6, 7, 2)],
    }


# ---- whole CNNs ----------------------------------------------------------------------------------

class Cnn(torch.nn.Module):
    """A sequential model in tinyprop's ModelSpec terms. Parameters are held in tinyprop's
    layout (conv [C_out, K_h, K_w, C_in], depthwise [C, K_h, K_w], dense [units, n_in] with
    n_in in HWC order); activations flow as NCHW."""

    def __init__(self, spec, init):
        super().__init__()
        self.spec = spec
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        self.param_layers = []
        self.min_margin = float("inf")
        for i, layer in enumerate(spec["layers"]):
            if layer["kind"] in ("conv2d", "depthwise_conv2d", "dense"):
                p = init[len(self.param_layers)]
                self.weights.append(torch.nn.Parameter(p["w"].clone()))
                self.biases.append(torch.nn.Parameter(p["b"].clone()))
                self.param_layers.append(i)

    def forward(self, x):
        h, w, c = self.spec["input"]
        x = x.reshape(-1, h, w, c).permute(0, 3, 1, 2)  # HWC samples -> NCHW
        p = 0
        for layer in self.spec["layers"]:
            kind = layer["kind"]
            if kind in ("conv2d", "depthwise_conv2d", "max_pool2d", "avg_pool2d"):
                k, s = tuple(layer["kernel"]), tuple(layer["stride"])
                geo = geometry(x.shape[2], x.shape[3], k, s, layer["pad"])
            if kind == "conv2d":
                x = conv2d(x, self.weights[p], self.biases[p], s, geo)
                p += 1
            elif kind == "depthwise_conv2d":
                x = depthwise(x, self.weights[p], self.biases[p], s, geo)
                p += 1
            elif kind == "max_pool2d":
                self.min_margin = min(self.min_margin, max_pool_margin(x, k, s, geo))
                x = max_pool(x, k, s, geo)
            elif kind == "avg_pool2d":
                x = avg_pool(x, k, s, geo)
            elif kind == "global_avg_pool":
                x = x.mean(dim=(2, 3), keepdim=True)
            elif kind == "flatten":
                x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1, 1, 1)  # HWC order
            elif kind == "dense":
                flat_in = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
                x = F.linear(flat_in, self.weights[p], self.biases[p]).reshape(x.shape[0], -1, 1, 1)
                p += 1
            elif kind == "relu":
                self.min_margin = min(self.min_margin, x.detach().abs().min().item())
                x = F.relu(x)
            elif kind == "tanh":
                x = torch.tanh(x)
            elif kind == "sigmoid":
                x = torch.sigmoid(x)
            else:
                raise ValueError(kind)
        return x.reshape(x.shape[0], -1)

    def params_json(self):
        return [{"layer": i, "w": flat(w), "b": flat(b)}
                for i, w, b in zip(self.param_layers, self.weights, self.biases)]

    def grads_json(self):
        return [{"layer": i, "dw": flat(w.grad), "db": flat(b.grad)}
                for i, w, b in zip(self.param_layers, self.weights, self.biases)]


def initial_params(g, spec):
    """He-uniform weights (tinyprop's init) and non-zero biases, in tinyprop's layout."""
    init = []
    h, w, c = spec["input"]
    for layer in spec["layers"]:
        kind = layer["kind"]
        if kind in ("conv2d", "depthwise_conv2d", "max_pool2d", "avg_pool2d"):
            k, s = layer["kernel"], layer["stride"]
            geo = geometry(h, w, k, s, layer["pad"])
            if kind == "conv2d":
                fan_in = k[0] * k[1] * c
                shape = (layer["filters"], k[0], k[1], c)
                c = layer["filters"]
            elif kind == "depthwise_conv2d":
                fan_in = k[0] * k[1]
                shape = (c, k[0], k[1])
            h, w = geo["out_h"], geo["out_w"]
            if kind in ("conv2d", "depthwise_conv2d"):
                bound = (6.0 / fan_in) ** 0.5
                init.append({"w": uniform(g, shape, -bound, bound),
                             "b": uniform(g, (shape[0],), -0.2, 0.2)})
        elif kind == "global_avg_pool":
            h, w = 1, 1
        elif kind == "flatten":
            h, w, c = 1, 1, h * w * c
        elif kind == "dense":
            n_in = h * w * c
            bound = (6.0 / n_in) ** 0.5
            init.append({"w": uniform(g, (layer["units"], n_in), -bound, bound),
                         "b": uniform(g, (layer["units"],), -0.2, 0.2)})
            h, w, c = 1, 1, layer["units"]
    return init, h * w * c


OPTIMIZERS = [
    {"name": "sgd", "kind": "sgd", "lr": 0.05, "momentum": 0.0},
    {"name": "sgd_momentum", "kind": "sgd", "lr": 0.05, "momentum": 0.9},
    {"name": "adam", "kind": "adam", "lr": 5e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
]


def make_optimizer(cfg, params):
    if cfg["kind"] == "sgd":
        return torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"])
    return torch.optim.Adam(params, lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]),
                            eps=cfg["epsilon"])


def trajectory(spec, init, x, labels, opt_cfg, batch, steps):
    model = Cnn(spec, init)
    opt = make_optimizer(opt_cfg, model.parameters())
    step_losses = []
    for s in range(steps):
        xb, yb = x[s * batch:(s + 1) * batch], labels[s * batch:(s + 1) * batch]
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb, reduction="mean")
        step_losses.append(loss.item())
        loss.backward()
        opt.step()
    if model.min_margin < KINK_MARGIN:
        raise RuntimeError(f"{opt_cfg['name']} b{batch}: a kink within {model.min_margin:g}; "
                           "choose another seed")
    cfg = {k: (f32(v) if isinstance(v, float) else v) for k, v in opt_cfg.items()}
    return {"name": f"{opt_cfg['name']}_b{batch}", "optimizer": cfg, "batch_size": batch,
            "steps": steps, "step_losses": [f32(v) for v in step_losses],
            "final": model.params_json()}


def make_cnn_fixture(description, spec, seed, steps=10, max_batch=2):
    g = generator(seed)
    init, n_out = initial_params(g, spec)
    h, w, c = spec["input"]
    n = steps * max_batch
    x = torch.randn((n, h * w * c), generator=g)  # HWC samples
    labels = torch.randint(0, n_out, (n,), generator=g)

    model = Cnn(spec, init)
    out = model(x[:1])
    loss = F.cross_entropy(out, labels[:1])
    loss.backward()
    if model.min_margin < KINK_MARGIN:
        raise RuntimeError("a kink too close in the single-sample record; choose another seed")
    single = {"sample": 0, "output": flat(out[0]), "loss": f32(loss.item()),
              "grads": model.grads_json()}
    trajectories = [trajectory(spec, init, x, labels, opt, batch, steps)
                    for batch in (1, max_batch) for opt in OPTIMIZERS]
    return {
        "meta": meta(description), "seed": seed, "model": spec,
        "initial": Cnn(spec, init).params_json(),
        "data": {"x": [flat(r) for r in x], "labels": labels.tolist()},
        "single_sample": single, "trajectories": trajectories,
    }


CNNS = [
    ("conv_cnn.json",
     "10x9x2 CNN: conv4 k3 same, relu, maxpool 2, depthwise k3 p1, tanh, conv6 k2, avgpool 2 s1, "
     "relu, flatten, dense 5; softmax cross-entropy", 3040, {
         "input": [10, 9, 2], "loss": "softmax_cross_entropy",
         "layers": [
             {"kind": "conv2d", "filters": 4, "kernel": [3, 3], "stride": [1, 1], "pad": "same"},
             {"kind": "relu"},
             {"kind": "max_pool2d", "kernel": [2, 2], "stride": [2, 2], "pad": [0, 0]},
             {"kind": "depthwise_conv2d", "kernel": [3, 3], "stride": [1, 1], "pad": [1, 1]},
             {"kind": "tanh"},
             {"kind": "conv2d", "filters": 6, "kernel": [2, 2], "stride": [1, 1], "pad": [0, 0]},
             {"kind": "avg_pool2d", "kernel": [2, 2], "stride": [1, 1], "pad": [0, 0]},
             {"kind": "relu"},
             {"kind": "flatten"},
             {"kind": "dense", "units": 5}]}),
    ("conv_gap.json",
     "7x8x3 CNN: conv4 k3 s2 p1, relu, depthwise k3 s2 same (asymmetric), sigmoid, global avg "
     "pool, dense 3; softmax cross-entropy", 3032, {
         "input": [7, 8, 3], "loss": "softmax_cross_entropy",
         "layers": [
             {"kind": "conv2d", "filters": 4, "kernel": [3, 3], "stride": [2, 2], "pad": [1, 1]},
             {"kind": "relu"},
             {"kind": "depthwise_conv2d", "kernel": [3, 3], "stride": [2, 2], "pad": "same"},
             {"kind": "sigmoid"},
             {"kind": "global_avg_pool"},
             {"kind": "dense", "units": 3}]}),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures"),
                        help="output directory (default: tests/fixtures)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    write(args.out, "conv_layers.json", make_layers_fixture())
    for name, description, seed, spec in CNNS:
        write(args.out, name, make_cnn_fixture(description, spec, seed))


if __name__ == "__main__":
    main()
