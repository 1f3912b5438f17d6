#!/usr/bin/python3
"""Writes PyTorch golden data for tinyprop's core library to tests/fixtures/*.json.

Run from anywhere:  /usr/bin/python3 refgen/make_golden.py  [--out DIR]

Everything is float32 on the CPU with one thread and fixed seeds, and all inputs and initial
weights are generated here, so a rerun with the same torch/numpy writes byte-identical files.
Each fixture records the torch, numpy and python versions and the command that wrote it.

Fixtures (read by tests/golden/*.cpp):
  layers.json     per layer: dense forward/backward, ReLU, LeakyReLU, Sigmoid, Tanh, and the three
                  losses (softmax cross-entropy, binary cross-entropy, mean squared error)
  mlp_*.json      a small MLP: initial weights, data, forward + loss + all gradients for one
                  sample, and 10-step loss trajectories + final weights for torch.optim.SGD
                  (plain and momentum) and torch.optim.Adam at batch sizes 1 and 4

Conventions shared with the C++ side: W is [n_out, n_in] row-major (torch.nn.Linear.weight);
a batch's gradient is the mean of its per-sample gradients (reduction="mean" over the batch),
which is what tinyprop's trainer applies (sum of per-sample gradients times 1/B).
"""
import argparse
import os

import torch
import torch.nn.functional as F

from golden_io import f32, flat, generator, meta, rows, uniform, write

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Pre-activations of ReLU / LeakyReLU closer to 0 than this would make the golden data depend on
# float rounding (the kink flips the gradient), so the generator refuses such inputs.
KINK_MARGIN = 1e-4


# ---- float32 values in JSON, fixture files, seeded inputs: refgen/golden_io.py -----------------

def away_from_kink(z):
    """Moves values with |z| < 0.05 out to +-0.05, so ReLU-type goldens are rounding-proof."""
    sign = torch.where(z < 0, -1.0, 1.0)
    return torch.where(z.abs() < 0.05, 0.05 * sign, z)


# ---- per-layer fixtures --------------------------------------------------------------------------

def dense_case(g, n_in, n_out, batch):
    """y = x W^T + b for `batch` samples; gradients for a given upstream dy, summed over samples."""
    bound = (6.0 / n_in) ** 0.5
    w = uniform(g, (n_out, n_in), -bound, bound).requires_grad_()
    b = uniform(g, (n_out,), -0.5, 0.5).requires_grad_()
    x = torch.randn((batch, n_in), generator=g).requires_grad_()
    dy = torch.randn((batch, n_out), generator=g)
    y = F.linear(x, w, b)
    y.backward(dy)  # dW = dy^T x, db = sum_s dy[s], dx = dy W
    return {
        "n_in": n_in, "n_out": n_out, "batch": batch,
        "w": rows(w), "b": flat(b), "x": rows(x), "dy": rows(dy),
        "y": rows(y), "dw": rows(w.grad), "db": flat(b.grad), "dx": rows(x.grad),
    }


def activation_case(g, kind, alpha=None):
    # Spread over the interesting range: saturation of sigmoid/tanh at +-8, small values near 0
    # (but off ReLU's kink), and a few exact hand-picked points.
    x = torch.cat([torch.tensor([-8.0, -3.0, -0.5, 0.25, 1.0, 3.0, 8.0]),
                   away_from_kink(2.0 * torch.randn(17, generator=g))]).requires_grad_()
    dy = torch.randn(x.shape, generator=g)
    if kind == "relu":
        y = F.relu(x)
    elif kind == "leaky_relu":
        y = F.leaky_relu(x, negative_slope=alpha)
    elif kind == "sigmoid":
        y = torch.sigmoid(x)
    elif kind == "tanh":
        y = torch.tanh(x)
    else:
        raise ValueError(kind)
    y.backward(dy)
    case = {"kind": kind, "x": flat(x), "dy": flat(dy), "y": flat(y), "dx": flat(x.grad)}
    if alpha is not None:
        case["alpha"] = f32(alpha)
    return case


def softmax_ce_cases(g):
    cases = []
    logits_list = [torch.randn(5, generator=g),
                   3.0 * torch.randn(10, generator=g),
                   torch.tensor([50.0, -20.0, 49.0, 0.0]),   # large logits: needs max-shift
                   torch.tensor([0.1, 0.1, 0.1])]            # ties
    labels = [2, 7, 1, 0]
    for z, label in zip(logits_list, labels):
        z = z.clone().requires_grad_()
        loss = F.cross_entropy(z.unsqueeze(0), torch.tensor([label]))
        loss.backward()
        cases.append({"logits": flat(z), "label": label, "loss": f32(loss.item()),
                      "dlogits": flat(z.grad)})
    # Soft labels (a probability vector): L = -sum y log softmax(z), dL/dz = softmax(z) - y.
    z = torch.randn(6, generator=g).requires_grad_()
    y = torch.softmax(torch.randn(6, generator=g), dim=0)
    loss = F.cross_entropy(z.unsqueeze(0), y.unsqueeze(0))
    loss.backward()
    cases.append({"logits": flat(z), "target": flat(y), "loss": f32(loss.item()),
                  "dlogits": flat(z.grad)})
    return cases


def bce_cases(g):
    """Binary cross-entropy on probabilities (torch.nn.BCELoss, mean over the outputs)."""
    cases = []
    for n, soft in [(6, False), (4, True), (1, False)]:
        p = uniform(g, (n,), 0.02, 0.98).requires_grad_()
        t = uniform(g, (n,), 0.0, 1.0) if soft else (torch.rand(n, generator=g) < 0.5).float()
        loss = F.binary_cross_entropy(p, t, reduction="mean")
        loss.backward()
        cases.append({"p": flat(p), "target": flat(t), "loss": f32(loss.item()),
                      "dp": flat(p.grad)})
    return cases


def mse_cases(g):
    """Mean squared error, mean over the outputs: L = mean((o - t)^2), dL/do = 2 (o - t) / n."""
    cases = []
    for n in [5, 3, 1]:
        o = torch.randn(n, generator=g).requires_grad_()
        t = torch.randn(n, generator=g)
        loss = F.mse_loss(o, t, reduction="mean")
        loss.backward()
        cases.append({"output": flat(o), "target": flat(t), "loss": f32(loss.item()),
                      "doutput": flat(o.grad)})
    return cases


def make_layers_fixture():
    g = generator(1234)
    return {
        "meta": meta("per-layer forward/backward and losses, torch.nn.functional in float32"),
        "seed": 1234,
        "dense": [dense_case(g, 7, 5, 3), dense_case(g, 13, 4, 1)],
        "activations": [activation_case(g, "relu"),
                        activation_case(g, "leaky_relu", 0.01),
                        activation_case(g, "leaky_relu", 0.1),
                        activation_case(g, "sigmoid"),
                        activation_case(g, "tanh")],
        "softmax_cross_entropy": softmax_ce_cases(g),
        "binary_cross_entropy": bce_cases(g),
        "mean_squared_error": mse_cases(g),
    }


# ---- MLP fixtures --------------------------------------------------------------------------------

class Mlp(torch.nn.Module):
    """A sequential model described the way tinyprop's ModelSpec is: a flat list of layers."""

    def __init__(self, n_input, layers):
        super().__init__()
        self.layer_specs = layers
        self.mods = torch.nn.ModuleList()
        self.min_kink_distance = float("inf")
        n = n_input
        for spec in layers:
            if spec["kind"] == "dense":
                self.mods.append(torch.nn.Linear(n, spec["units"]))
                n = spec["units"]
            else:
                self.mods.append(torch.nn.Identity())  # activations are applied in forward()

    def forward(self, x):
        for spec, mod in zip(self.layer_specs, self.mods):
            kind = spec["kind"]
            if kind == "dense":
                x = mod(x)
            elif kind == "relu":
                self.note_kink(x)
                x = F.relu(x)
            elif kind == "leaky_relu":
                self.note_kink(x)
                x = F.leaky_relu(x, negative_slope=spec["alpha"])
            elif kind == "sigmoid":
                x = torch.sigmoid(x)
            elif kind == "tanh":
                x = torch.tanh(x)
            else:
                raise ValueError(kind)
        return x

    def note_kink(self, z):
        self.min_kink_distance = min(self.min_kink_distance, z.detach().abs().min().item())

    def dense_layers(self):
        """(model layer index, nn.Linear) for every dense layer."""
        return [(i, m) for i, m in enumerate(self.mods) if isinstance(m, torch.nn.Linear)]

    def params_json(self):
        return [{"layer": i, "w": rows(m.weight), "b": flat(m.bias)} for i, m in self.dense_layers()]

    def grads_json(self):
        return [{"layer": i, "dw": rows(m.weight.grad), "db": flat(m.bias.grad)}
                for i, m in self.dense_layers()]


def loss_fn(kind, out, target):
    """Mean over the batch (and, for BCE/MSE, over the outputs), as tinyprop's losses define."""
    if kind == "softmax_cross_entropy":
        return F.cross_entropy(out, target, reduction="mean")
    if kind == "binary_cross_entropy":
        # Per sample the loss is a mean over outputs; the batch mean of those is the overall mean.
        return F.binary_cross_entropy(out, target, reduction="mean")
    if kind == "mean_squared_error":
        return F.mse_loss(out, target, reduction="mean")
    raise ValueError(kind)


def per_sample_losses(kind, out, target):
    return [loss_fn(kind, out[s:s + 1], target[s:s + 1]).item() for s in range(out.shape[0])]


def build(spec, init):
    model = Mlp(spec["input"], spec["layers"])
    with torch.no_grad():
        for p, (_, m) in zip(init, model.dense_layers()):
            m.weight.copy_(p["w"])
            m.bias.copy_(p["b"])
    return model


def make_optimizer(cfg, params):
    if cfg["kind"] == "sgd":
        return torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"])
    if cfg["kind"] == "adam":
        return torch.optim.Adam(params, lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]),
                                eps=cfg["epsilon"])
    raise ValueError(cfg["kind"])


OPTIMIZERS = [
    {"name": "sgd", "kind": "sgd", "lr": 0.1, "momentum": 0.0},
    {"name": "sgd_momentum", "kind": "sgd", "lr": 0.1, "momentum": 0.9},
    {"name": "adam", "kind": "adam", "lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
]


def trajectory(spec, init, x, target, opt_cfg, batch, steps):
    """`steps` optimizer steps; step s trains on samples [s B, (s + 1) B) in order."""
    model = build(spec, init)
    opt = make_optimizer(opt_cfg, model.parameters())
    sample_losses, step_losses = [], []
    for s in range(steps):
        xb, tb = x[s * batch:(s + 1) * batch], target[s * batch:(s + 1) * batch]
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(spec["loss"], out, tb)
        with torch.no_grad():
            sample_losses += per_sample_losses(spec["loss"], out, tb)
        step_losses.append(loss.item())
        loss.backward()
        opt.step()
    if model.min_kink_distance < KINK_MARGIN:
        raise RuntimeError(f"{opt_cfg['name']} b{batch}: a ReLU input came within "
                           f"{model.min_kink_distance:g} of 0; choose another seed")
    cfg = {k: (f32(v) if isinstance(v, float) else v) for k, v in opt_cfg.items()}
    return {
        "name": f"{opt_cfg['name']}_b{batch}", "optimizer": cfg, "batch_size": batch,
        "steps": steps, "sample_losses": [f32(v) for v in sample_losses],
        "step_losses": [f32(v) for v in step_losses], "final": model.params_json(),
    }


def make_mlp_fixture(name, description, spec, seed, steps=10, max_batch=4):
    g = generator(seed)
    n_samples = steps * max_batch
    # Initial weights: He-uniform like tinyprop's init, plus non-zero biases so that bias
    # gradients and updates are exercised from the first step.
    init = []
    n = spec["input"]
    for layer in spec["layers"]:
        if layer["kind"] != "dense":
            continue
        bound = (6.0 / n) ** 0.5
        init.append({"w": uniform(g, (layer["units"], n), -bound, bound),
                     "b": uniform(g, (layer["units"],), -0.2, 0.2)})
        n = layer["units"]
    n_out = n
    x = torch.randn((n_samples, spec["input"]), generator=g)
    if spec["loss"] == "softmax_cross_entropy":
        target = torch.randint(0, n_out, (n_samples,), generator=g)
        data = {"x": rows(x), "labels": target.tolist()}
    elif spec["loss"] == "binary_cross_entropy":
        target = (torch.rand((n_samples, n_out), generator=g) < 0.5).float()
        data = {"x": rows(x), "targets": rows(target)}
    else:
        target = uniform(g, (n_samples, n_out), -1.0, 1.0)
        data = {"x": rows(x), "targets": rows(target)}

    # Forward, loss and every gradient for one sample.
    model = build(spec, init)
    out = model(x[:1])
    loss = loss_fn(spec["loss"], out, target[:1])
    loss.backward()
    single = {"sample": 0, "output": flat(out[0]), "loss": f32(loss.item()),
              "grads": model.grads_json()}
    if model.min_kink_distance < KINK_MARGIN:
        raise RuntimeError(f"{name}: a ReLU input is too close to 0; choose another seed")

    trajectories = [trajectory(spec, init, x, target, opt, batch, steps)
                    for batch in (1, max_batch) for opt in OPTIMIZERS]
    json_spec = {"input": spec["input"], "loss": spec["loss"],
                 "layers": [{k: (f32(v) if isinstance(v, float) else v) for k, v in l.items()}
                            for l in spec["layers"]]}
    return name, {
        "meta": meta(description), "seed": seed, "model": json_spec,
        "initial": build(spec, init).params_json(), "data": data,
        "single_sample": single, "trajectories": trajectories,
    }


MLPS = [
    ("mlp_relu_ce.json", "6-8-5-3 MLP, ReLU, softmax cross-entropy on labels", 2024, {
        "input": 6, "loss": "softmax_cross_entropy",
        "layers": [{"kind": "dense", "units": 8}, {"kind": "relu"},
                   {"kind": "dense", "units": 5}, {"kind": "relu"},
                   {"kind": "dense", "units": 3}]}),
    ("mlp_tanh_sigmoid_mse.json", "6-8-5-3 MLP, Tanh then Sigmoid, linear output, MSE", 2025, {
        "input": 6, "loss": "mean_squared_error",
        "layers": [{"kind": "dense", "units": 8}, {"kind": "tanh"},
                   {"kind": "dense", "units": 5}, {"kind": "sigmoid"},
                   {"kind": "dense", "units": 3}]}),
    ("mlp_leaky_bce.json", "6-8-4 MLP, LeakyReLU(0.1), sigmoid output, binary cross-entropy",
     2026, {
        "input": 6, "loss": "binary_cross_entropy",
        "layers": [{"kind": "dense", "units": 8}, {"kind": "leaky_relu", "alpha": 0.1},
                   {"kind": "dense", "units": 4}, {"kind": "sigmoid"}]}),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures"),
                        help="output directory (default: tests/fixtures)")
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: the same summation order on every run
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    write(args.out, "layers.json", make_layers_fixture())
    for file_name, description, seed, spec in MLPS:
        name, obj = make_mlp_fixture(file_name, description, spec, seed)
        write(args.out, name, obj)


if __name__ == "__main__":
    main()
