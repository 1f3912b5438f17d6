#!/usr/bin/python3
"""PyTorch against tinyprop, side by side: per-sample training-step time of the same MLP.

For each MLP (784-128-64-10 and 784-32-16-10) and each case
  torch b1, torch b32                 (PyTorch, torch.set_num_threads(1), SGD lr 0.01,
                                       softmax cross-entropy, one step per batch)
  tinyprop full b1 / b32, tinyprop tinyprop b1 / b32
                                      (bench/torch_side_by_side_step, same inputs, same rule)
ROUNDS rounds run every case once, in a fresh random order each round, so that slow phases of
a shared machine hit all cases alike; each run times SAMPLES samples after a warm-up. Prints
markdown tables of the median ns per sample and the ratios PyTorch / tinyprop.

Inputs: the first 1,000 MNIST test images scaled to [0, 1] when data/mnist holds them (about
80 % exact zeros, which tinyprop's zero-skipping uses), else uniform [0, 1) values.

Usage: bench/torch_side_by_side.py <step binary> [rounds=11] [samples=2000]
"""
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

MLPS = ["784-128-64-10", "784-32-16-10"]
BATCHES = [1, 32]
LR = 0.01


def load_inputs(n=1000):
    path = os.path.join(os.environ.get("TINYPROP_DATA_DIR", "data"), "mnist",
                        "t10k-images-idx3-ubyte")
    if os.path.exists(path):
        raw = np.fromfile(path, dtype=np.uint8, offset=16, count=n * 784)
        if raw.size == n * 784:
            return (raw.astype(np.float32) / 255.0).reshape(n, 784), "MNIST test images"
    rng = np.random.default_rng(7)
    return rng.random((n, 784), dtype=np.float32), "uniform [0, 1) values (no data/mnist)"


def torch_model(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def torch_ns_per_sample(sizes, batch, x, y, samples, warmup):
    torch.manual_seed(7)
    model = torch_model(sizes)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = x.shape[0]
    steps = max(1, samples // batch)
    warm = max(1, warmup // batch)
    # Batches prepared up front (slicing is not part of a training step).
    starts = [(s * batch) % (n - batch + 1) for s in range(steps + warm)]
    xb = [x[s:s + batch] for s in starts]
    yb = [y[s:s + batch] for s in starts]

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb[i]), yb[i])
        loss.backward()
        opt.step()

    for i in range(warm):
        step(i)
    t0, c0 = time.perf_counter_ns(), time.process_time_ns()
    for i in range(warm, warm + steps):
        step(i)
    t1, c1 = time.perf_counter_ns(), time.process_time_ns()
    return (t1 - t0) / (steps * batch), (c1 - c0) / (steps * batch)


def tinyprop_ns_per_sample(binary, inputs_file, mlp, method, batch, samples, warmup):
    out = subprocess.run([binary, inputs_file, mlp, method, str(batch), str(warmup), str(samples)],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[1]), float(out[3])


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: torch_side_by_side.py <step binary> [rounds] [samples]")
    binary = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    samples = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    warmup = 200
    torch.set_num_threads(1)
    x_np, source = load_inputs()
    x = torch.from_numpy(x_np)
    y = torch.arange(x.shape[0]) % 10
    cases = []
    for mlp in MLPS:
        for b in BATCHES:
            cases.append((mlp, "torch", b))
            cases.append((mlp, "full", b))
            cases.append((mlp, "tinyprop", b))
    times = {c: [] for c in cases}  # (wall, cpu) ns per sample, one pair per round
    load_before = os.getloadavg()
    with tempfile.NamedTemporaryFile(suffix=".f32") as f:
        f.write(x_np.astype("<f4").tobytes())
        f.flush()
        rng = random.Random(1)
        for _ in range(rounds):
            order = cases[:]
            rng.shuffle(order)
            for mlp, who, b in order:
                sizes = [int(s) for s in mlp.split("-")]
                if who == "torch":
                    t = torch_ns_per_sample(sizes, b, x, y, samples, warmup)
                else:
                    t = tinyprop_ns_per_sample(binary, f.name, mlp, who, b, samples, warmup)
                times[(mlp, who, b)].append(t)
    load_after = os.getloadavg()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; inputs: {source}; "
          f"{rounds} rounds x {samples} samples per case (random order per round); "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after\n")
    print("First process CPU time per sample (on a shared machine wall time includes waiting "
          "for a core), then wall time.\n")
    for clock, name in ((1, "CPU time"), (0, "wall time")):
        med = {c: statistics.median(v[clock] for v in vs) for c, vs in times.items()}
        report(med, rounds, name)


def report(med, rounds, clock_name):
    for mlp in MLPS:
        print(f"**{mlp}, SGD lr {LR}, {clock_name} per sample of a training step "
              f"(median of {rounds})**\n")
        print("| case | batch 1 (ns/sample) | batch 32 (ns/sample) |")
        print("|---|---:|---:|")
        for who, name in (("torch", "PyTorch"), ("full", "tinyprop full"),
                          ("tinyprop", "tinyprop TinyProp")):
            print(f"| {name} | {med[(mlp, who, 1)]:.0f} | {med[(mlp, who, 32)]:.0f} |")
        t1, t32 = med[(mlp, "torch", 1)], med[(mlp, "torch", 32)]
        f1, tp1 = med[(mlp, "full", 1)], med[(mlp, "tinyprop", 1)]
        print()
        print(f"* PyTorch b1 / tinyprop full b1: **{t1 / f1:.1f}x** (target >= 20x: "
              f"{'holds' if t1 / f1 >= 20 else 'MISSED'})")
        print(f"* PyTorch b1 / tinyprop TinyProp b1: {t1 / tp1:.1f}x")
        print(f"* PyTorch b32 / tinyprop TinyProp b1: **{t32 / tp1:.2f}x** (target > 1: "
              f"{'holds' if t32 > tp1 else 'MISSED'})")
        print(f"* PyTorch b32 / tinyprop full b32: {t32 / med[(mlp, 'full', 32)]:.2f}x, "
              f"PyTorch b32 / tinyprop TinyProp b32: {t32 / med[(mlp, 'tinyprop', 32)]:.2f}x\n")


if __name__ == "__main__":
    main()
