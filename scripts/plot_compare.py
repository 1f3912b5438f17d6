#!/usr/bin/python3
"""Plots of a `tinyprop compare` run (run with Debian's /usr/bin/python3 + python3-matplotlib).

usage: plot_compare.py COMPARE_JSON OUT_DIR

Writes into OUT_DIR:
  accuracy_vs_backward.png  test accuracy after fine-tuning against backward MACs relative to
                            full backprop: the static sweep as a curve, tinyprop variants as points
  ratio_trace.png           per-layer backpropagation ratio k/N over the fine-tuning steps
                            (tinyprop at its defaults and tinypropv2; mean over seeds)
  accuracy_curve.png        test accuracy during fine-tuning (mean over seeds)
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {
    "full": "black",
    "static": "tab:blue",
    "static-matched": "tab:cyan",
    "tinyprop": "tab:red",
    "tinypropv2": "tab:green",
    "budget": "tab:purple",
}


def mean(values):
    return sum(values) / len(values) if values else 0.0


def title_of(doc):
    p = doc["protocol"]
    return (f'{doc["scenario"]}{" (quick)" if doc["quick"] else ""}: {p["model"]}, '
            f'fine-tuned on {p["finetune_samples"]} at batch 1, {len(doc["seeds"])} seeds')


def plot_accuracy_vs_backward(doc, path):
    methods = doc["methods"]
    full = next(m for m in methods if m["group"] == "full")
    fig, ax = plt.subplots(figsize=(8, 5.5))
    static = sorted((m for m in methods if m["group"] == "static"),
                    key=lambda m: m["backward_rel"]["mean"])
    xs = [m["backward_rel"]["mean"] for m in static] + [1.0]
    ys = [100 * m["accuracy_after"]["mean"] for m in static] + [100 * full["accuracy_after"]["mean"]]
    es = [100 * m["accuracy_after"]["sd"] for m in static] + [100 * full["accuracy_after"]["sd"]]
    ax.errorbar(xs, ys, yerr=es, color=COLORS["static"], marker="o", capsize=3,
                label="static (meProp) sweep r = 0.05 ... 0.5, and full")
    for m in static:
        ax.annotate(f'r={m["sparsity"]["ratio"]:g}', (m["backward_rel"]["mean"],
                    100 * m["accuracy_after"]["mean"]), textcoords="offset points",
                    xytext=(4, -12), fontsize=7, color=COLORS["static"])
    ax.errorbar([1.0], [100 * full["accuracy_after"]["mean"]], fmt="*", markersize=14,
                color=COLORS["full"], label="full backprop")
    grid_labelled = False
    for m in methods:
        g = m["group"]
        if g not in ("tinyprop", "tinypropv2", "static-matched"):
            continue
        x, y = m["backward_rel"]["mean"], 100 * m["accuracy_after"]["mean"]
        grid_point = g == "tinyprop" and not m["is_default"]
        marker = {"tinyprop": "D" if m["is_default"] else "s", "tinypropv2": "^",
                  "static-matched": "v"}[g]
        label = m["label"] + (" (default)" if m["is_default"] else "")
        if g == "static-matched":
            label = f'static at tinyprop default\'s ratio (r={m["ratio_used"]["mean"]:.3f})'
        if grid_point:
            label = None if grid_labelled else "tinyprop grid (S_min/S_max/zeta)"
            grid_labelled = True
            s = m["sparsity"]
            ax.annotate(f'{s["s_min"]:g}/{s["s_max"]:g}/{s["zeta"]:g}', (x, y),
                        textcoords="offset points", xytext=(5, 3), fontsize=7,
                        color=COLORS[g])
        ax.errorbar([x], [y], yerr=[100 * m["accuracy_after"]["sd"]], fmt=marker,
                    markersize=6 if grid_point else 9, capsize=3, color=COLORS[g],
                    alpha=0.6 if grid_point else 1.0, label=label)
    # The budget rule's curve: its budgets in order of compute, the default marked.
    budget = sorted((m for m in methods if m["group"] == "budget"
                     and m["sparsity"].get("budget_split") == "equal-macs"
                     and m["sparsity"].get("budget_adaptive", True)),
                    key=lambda m: m["backward_rel"]["mean"])
    if budget:
        ax.errorbar([m["backward_rel"]["mean"] for m in budget],
                    [100 * m["accuracy_after"]["mean"] for m in budget],
                    yerr=[100 * m["accuracy_after"]["sd"] for m in budget], color=COLORS["budget"],
                    marker="P", markersize=8, capsize=3, label="budget rule (ours), budgets")
        for m in budget:
            ax.annotate(f'b={m["sparsity"]["budget"]:g}' + (" (default)" if m.get("is_budget_default") else ""),
                        (m["backward_rel"]["mean"], 100 * m["accuracy_after"]["mean"]),
                        textcoords="offset points", xytext=(5, 5), fontsize=7, color=COLORS["budget"])
    ax.axhline(100 * full["accuracy_after"]["mean"] - 1.0, color="grey", linestyle="--",
               linewidth=0.8, label="full - 1 pp")
    ax.axvline(0.2, color="grey", linestyle=":", linewidth=0.8, label="20% of full (5x)")
    ax.set_xscale("log")
    ax.set_xlabel("backward MACs relative to full backprop (log scale)")
    ax.set_ylabel("test accuracy after fine-tuning (%)")
    # Zoom on the interesting band; runs that collapsed are drawn as arrows on the bottom edge
    # with their real accuracy written next to them, instead of squashing the axis.
    top = max(ys + [100 * m["accuracy_after"]["mean"] for m in methods])
    floor = 100 * full["accuracy_after"]["mean"] - 12
    lowest = min(100 * m["accuracy_after"]["mean"] for m in methods)
    if lowest < floor:
        ax.set_ylim(floor, top + 1.5)
        collapsed = sorted((m for m in methods if 100 * m["accuracy_after"]["mean"] < floor),
                           key=lambda m: m["backward_rel"]["mean"])
        for i, m in enumerate(collapsed):
            acc = 100 * m["accuracy_after"]["mean"]
            g = m["group"]
            x = m["backward_rel"]["mean"]
            ax.plot([x], [floor + 0.35], marker="v", markersize=9, color=COLORS[g],
                    clip_on=False)
            name = (f'static r={m["ratio_used"]["mean"]:.3f} (= tinyprop default)'
                    if g == "static-matched" else m["label"])
            ax.annotate(f"{name}: {acc:.1f}%", (x, floor + 0.35), textcoords="offset points",
                        xytext=(-8, 10 + 11 * i), fontsize=7, color=COLORS[g],
                        arrowprops={"arrowstyle": "-", "color": COLORS[g], "lw": 0.5})
    ax.set_title(title_of(doc), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def mean_trace(doc, label):
    runs = [r for r in doc["runs"] if r["label"] == label and r["trace"]]
    if not runs:
        return None
    steps = [p["step"] for p in runs[0]["trace"]]
    n_layers = len(runs[0]["trace"][0]["ratio"])
    ratio = [[mean([r["trace"][i]["ratio"][l] for r in runs]) for i in range(len(steps))]
             for l in range(n_layers)]
    skip = [mean([r["trace"][i]["skip_rate"] for r in runs]) for i in range(len(steps))]
    return steps, ratio, skip


def plot_ratio_trace(doc, path):
    wanted = [m for m in doc["methods"] if m["is_default"] or m["group"] == "tinypropv2"]
    fig, axes = plt.subplots(1, max(1, len(wanted)), figsize=(6 * max(1, len(wanted)), 4.5),
                             squeeze=False)
    for ax, m in zip(axes[0], wanted):
        t = mean_trace(doc, m["label"])
        if t is None:
            continue
        steps, ratio, skip = t
        for l, series in enumerate(ratio):
            ax.plot(steps, series, marker=".", label=f'layer {doc["layers"][l]}')
        if m["group"] == "tinypropv2":
            ax.plot(steps, skip, color="grey", linestyle="--", label="skip rate")
        ax.set_xlabel("fine-tuning samples")
        ax.set_ylabel("mean k/N in the window")
        ax.set_title(m["label"] + (" (default)" if m["is_default"] else ""), fontsize=9)
        ax.set_ylim(0, 1)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("backpropagation ratio per layer over fine-tuning (mean over seeds) - "
                 + title_of(doc), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_accuracy_curve(doc, path):
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for m in doc["methods"]:
        runs = [r for r in doc["runs"] if r["label"] == m["label"]]
        if not runs:
            continue
        steps = [p["step"] for p in runs[0]["curve"]]
        acc = [100 * mean([r["curve"][i]["accuracy"] for r in runs]) for i in range(len(steps))]
        g = m["group"]
        emphasis = g in ("full", "tinypropv2", "static-matched") or m["is_default"]
        label = m["label"] + (" (default)" if m["is_default"] else "")
        if g == "static-matched":
            label = f'static at tinyprop default\'s ratio (r={m["ratio_used"]["mean"]:.3f})'
        ax.plot(steps, acc, color=COLORS[g], linewidth=2.0 if emphasis else 0.8,
                alpha=1.0 if emphasis else 0.45, marker="o" if emphasis else None,
                markersize=3, label=label)
    full = next(m for m in doc["methods"] if m["group"] == "full")
    floor = 100 * full["accuracy_before"]["mean"] - 10
    ax.set_ylim(bottom=max(0, floor))
    ax.set_xlabel("fine-tuning samples")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("test accuracy during fine-tuning (mean over seeds) - " + title_of(doc),
                 fontsize=8)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=6, loc="lower right", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        doc = json.load(f)
    out = argv[2]
    os.makedirs(out, exist_ok=True)
    plot_accuracy_vs_backward(doc, os.path.join(out, "accuracy_vs_backward.png"))
    plot_ratio_trace(doc, os.path.join(out, "ratio_trace.png"))
    plot_accuracy_curve(doc, os.path.join(out, "accuracy_curve.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
