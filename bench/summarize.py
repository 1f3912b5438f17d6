#!/usr/bin/env python3
"""Turns dense-backward benchmark output into the markdown tables of docs/BENCHMARKS.md.

  summarize.py timing <google-benchmark.json>   medians of repeated runs, sparse/full ratios
  summarize.py icount <icount.tsv>              callgrind instructions per call, ratios
  summarize.py zero-skip <google-benchmark.json> zero_skip_bench medians, skip/dense ratios

Ratios divide the sparse case by the full case of the same layer and variant, both taken from
the same run. The "r=1.00" row runs the same code as "full" (k = N, rows = null): in the timing
table its ratio shows the measurement noise; in the instruction table it must be exactly 1.
The selection rows are divided by the full backward of the "kernels" variant.
The last lines check the target: sparse backward at r = 0.1 (selection included) <= 0.15 x full.
"""
import csv
import json
import sys

TARGET_RATIO = 0.1
TARGET_MAX = 0.15
LAYERS = ["784x128", "128x64"]
VARIANTS = ["kernels", "fused_sgd"]
CASES = ["full", "r=1.00", "r=0.50", "r=0.20", "r=0.10", "r=0.05"]


def load_medians(path):
    """{run_name: benchmark entry of the 'median' aggregate} (times in ns)."""
    with open(path) as f:
        data = json.load(f)
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        b = dict(b)
        b["cpu_ns"] = b["cpu_time"] * scale[b["time_unit"]]
        b["real_ns"] = b["real_time"] * scale[b["time_unit"]]
        out[b["run_name"]] = b
    reps = data["benchmarks"][0].get("repetitions", "?") if data["benchmarks"] else "?"
    return out, reps, data.get("context", {})


def verdict(ratio):
    return "holds" if ratio <= TARGET_MAX else "MISSED"


def timing(path):
    med, reps, ctx = load_medians(path)
    print(f"Wall time: median of {reps} repetitions (random interleaving), CPU time per call; "
          f"ratio = sparse median / full median of the same run.\n")
    checks = []
    for layer in LAYERS:
        for variant in VARIANTS:
            full = med[f"backward/{layer}/{variant}/full"]
            print(f"**{layer}, {variant}**\n")
            print("| case | k | k/N | median CPU time (ns) | ratio | real-time ratio |")
            print("|---|---:|---:|---:|---:|---:|")
            for case in CASES:
                b = med[f"backward/{layer}/{variant}/{case}"]
                r_cpu = b["cpu_ns"] / full["cpu_ns"]
                r_real = b["real_ns"] / full["real_ns"]
                print(f"| {case} | {b['k']:.0f} | {b['k/N']:.3f} | {b['cpu_ns']:.0f} | "
                      f"{r_cpu:.3f} | {r_real:.3f} |")
                if case == f"r={TARGET_RATIO:.2f}":
                    checks.append((f"{layer} {variant}", r_cpu))
            print()
        print(f"**{layer}, selection alone (select_top_k)**\n")
        full = med[f"backward/{layer}/kernels/full"]
        print("| case | k | k/N | median CPU time (ns) | comparisons/call | share of full backward |")
        print("|---|---:|---:|---:|---:|---:|")
        for case in CASES[2:]:
            b = med[f"select/{layer}/{case}"]
            print(f"| {case} | {b['k']:.0f} | {b['k/N']:.3f} | {b['cpu_ns']:.0f} | "
                  f"{b['cmp/call']:.0f} | {b['cpu_ns'] / full['cpu_ns']:.4f} |")
        print()
    for name, r in checks:
        print(f"target (wall time, r={TARGET_RATIO}): {name}: {r:.3f} x full -> {verdict(r)}")


def icount(path):
    with open(path) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    per = {(r["layer"], r["mode"], r["case"]): r for r in rows}
    print("Instructions per call (callgrind, exact); ratio = sparse / full.\n")
    checks = []
    for layer in LAYERS:
        for variant in VARIANTS:
            full = int(per[(layer, variant, "full")]["instructions_per_call"])
            print(f"**{layer}, {variant}**\n")
            print("| case | k | k/N | instructions/call | ratio |")
            print("|---|---:|---:|---:|---:|")
            for case in ["full", "1", "0.5", "0.2", "0.1", "0.05"]:
                r = per[(layer, variant, case)]
                ir = int(r["instructions_per_call"])
                k, n = int(r["k"]), int(r["n"])
                label = "full" if case == "full" else f"r={float(case):.2f}"
                print(f"| {label} | {k} | {k / n:.3f} | {ir:,} | {ir / full:.4f} |")
                if case == str(TARGET_RATIO):
                    checks.append((f"{layer} {variant}", ir / full))
            print()
        full = int(per[(layer, "kernels", "full")]["instructions_per_call"])
        print(f"**{layer}, selection alone (select_top_k)**\n")
        print("| case | k | instructions/call | share of full backward |")
        print("|---|---:|---:|---:|")
        for case in ["0.5", "0.2", "0.1", "0.05"]:
            r = per[(layer, "select", case)]
            ir = int(r["instructions_per_call"])
            print(f"| r={float(case):.2f} | {r['k']} | {ir:,} | {ir / full:.4f} |")
        print()
    for name, r in checks:
        print(f"target (instructions, r={TARGET_RATIO}): {name}: {r:.4f} x full -> {verdict(r)}")


def zero_skip(path):
    """skip against dense for every pair <prefix>/skip, <prefix>/dense of bench/zero_skip_bench."""
    med, reps, _ = load_medians(path)
    print(f"Zero-skipping: median of {reps} repetitions (random interleaving), CPU time per call; "
          f"ratio = skip median / dense median of the same run.\n")
    print("| case | dense (ns) | skip (ns) | ratio | MACs done / counted (skip) |")
    print("|---|---:|---:|---:|---:|")
    for name in sorted(n for n in med if n.endswith("/skip")):
        prefix = name[: -len("/skip")]
        dense = med.get(prefix + "/dense")
        if dense is None:
            continue
        skip = med[name]
        done = ""
        if "fwd_macs" in skip:
            counted = skip["fwd_macs"] + skip["bwd_macs"]
            done = f"{(skip['fwd_done'] + skip['bwd_done']) / counted:.3f}"
        print(f"| {prefix} | {dense['cpu_ns']:.0f} | {skip['cpu_ns']:.0f} | "
              f"{skip['cpu_ns'] / dense['cpu_ns']:.3f} | {done} |")
    step_bound(med)


def step_bound(med):
    """Full against TinyProp per training step: measured speed-up (CPU medians of the same run)
    against the MAC bound (F + B_full) / (F + B) with the MACs actually done."""
    prefix = "step/784-128-64-10/"
    rows = []
    for mode, label in (("skip", "zero-skipping on (default)"), ("dense", "zero-skipping off")):
        full = med.get(f"{prefix}full/mnist/{mode}")
        tiny = med.get(f"{prefix}tinyprop/mnist/{mode}")
        if full is None or tiny is None:
            continue
        done_full = full["fwd_done"] + full["bwd_done"]
        done_tiny = tiny["fwd_done"] + tiny["bwd_done"]
        speedup = full["cpu_ns"] / tiny["cpu_ns"]
        bound = done_full / done_tiny
        rows.append(f"| {label} | {full['cpu_ns'] / 1000:.2f} | {tiny['cpu_ns'] / 1000:.2f} | "
                    f"{speedup:.2f}x | {done_full:,.0f} / {done_tiny:,.0f} | {bound:.2f}x | "
                    f"**{speedup / bound:.2f}** |")
    if not rows:
        return
    print("\nTraining step 784-128-64-10 (SGD, batch 1, MNIST): full against TinyProp, CPU "
          "medians of this run; MAC bound = (F + B_full) / (F + B) with the MACs done.\n")
    print("| step | full CPU (us) | TinyProp CPU (us) | measured speed-up | "
          "MACs done full / TinyProp | MAC bound | measured / bound |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(r)


if __name__ == "__main__":
    modes = {"timing": timing, "icount": icount, "zero-skip": zero_skip}
    if len(sys.argv) != 3 or sys.argv[1] not in modes:
        sys.exit(__doc__)
    modes[sys.argv[1]](sys.argv[2])
