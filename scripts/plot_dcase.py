#!/usr/bin/python3
"""Plots of a `tinyprop compare --scenario dcase-ae` run (Debian's /usr/bin/python3 +
python3-matplotlib).

usage: plot_dcase.py COMPARE_JSON OUT_DIR

Writes into OUT_DIR:
  auc_vs_backward.png  mean AUC after fine-tuning against backward MACs relative to full
                       backprop: the static sweep (and full) as a curve, every tinyprop /
                       tinypropv2 variant as a point, the pretrained model as a dashed line;
                       error bars: sample sd over the seeds of the per-seed mean AUC
  layer_ratio.png      mean backpropagation ratio k/N per dense layer, one line per method
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"full": "black", "static": "tab:blue", "tinyprop": "tab:red", "tinypropv2": "tab:green"}
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">"]


def title_of(doc):
    synthetic = " (SYNTHETIC sound)" if doc.get("synthetic") else ""
    quick = " quick" if doc.get("quick") else ""
    return (f'dcase-ae{quick}{synthetic}: {len(doc["machines"])} machines, '
            f'{len(doc["seeds"])} seeds, pretrain pool {doc["pretrain"]["pool"]}')


def plot_auc_vs_backward(doc, path):
    summary = doc["summary"]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    full = next((m for m in summary if m["kind"] == "full"), None)
    sweep = sorted((m for m in summary if m["kind"] == "static"), key=lambda m: m["backward_ratio"])
    if full is not None:
        sweep.append(full)
    if sweep:
        ax.errorbar([100 * m["backward_ratio"] for m in sweep], [100 * m["auc"] for m in sweep],
                    yerr=[100 * m["auc_seed_sd"] for m in sweep], color=COLORS["static"],
                    marker="o", capsize=3, label="static (meProp) sweep, and full")
        for m in sweep:
            if m["kind"] == "static":
                ax.annotate(f'r={m["ratio"]:g}', (100 * m["backward_ratio"], 100 * m["auc"]),
                            textcoords="offset points", xytext=(4, -12), fontsize=7,
                            color=COLORS["static"])
    if full is not None:
        ax.plot([100.0], [100 * full["auc"]], "*", markersize=14, color=COLORS["full"],
                label="full backprop")
        ax.axhspan(100 * full["auc"] - 1.0, 100 * full["auc"] + 1.0, color="0.9", zorder=0,
                   label="full +- 1 AUC point")
    ax.axvline(20.0, color="0.5", linestyle=":", linewidth=1, label="20 % of full backward")
    pretrained = next((m for m in summary if m["kind"] == "pretrained"), None)
    if pretrained is not None:
        ax.axhline(100 * pretrained["auc"], color="0.4", linestyle="--", linewidth=1,
                   label="pretrained, not fine-tuned")
    tiny = [m for m in summary if m["kind"] in ("tinyprop", "tinypropv2")]
    for i, m in enumerate(tiny):
        ax.errorbar([100 * m["backward_ratio"]], [100 * m["auc"]], yerr=[100 * m["auc_seed_sd"]],
                    fmt=MARKERS[i % len(MARKERS)], markersize=8, capsize=3,
                    color=COLORS[m["kind"]], alpha=0.85,
                    label=f'{m["method"]} ({m.get("parameters", "")})')
    ax.set_xlabel("backward multiply-accumulates [% of full backprop]")
    ax.set_ylabel("AUC after fine-tuning [%] (mean over machines and seeds)")
    ax.set_title(title_of(doc), fontsize=10)
    ax.set_xlim(0, 105)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_layer_ratio(doc, path):
    methods = [m for m in doc["summary"] if m["kind"] not in ("pretrained", "full")]
    fig, ax = plt.subplots(figsize=(8, 5))
    sizes = doc["model"].split("-")  # "640-128-...-640": layer i maps sizes[i] -> sizes[i + 1]
    n_layers = len(sizes) - 1
    xs = list(range(1, n_layers + 1))
    for i, m in enumerate(methods):
        style = "--" if m["kind"] == "static" else "-"
        ax.plot(xs, m["dense_layer_ratio"], style, marker=MARKERS[i % len(MARKERS)],
                color=COLORS.get(m["kind"], "gray") if m["kind"] != "static" else None,
                alpha=0.9, label=m["method"])
    ax.set_xticks(xs)
    ax.set_xticklabels([f"L{i}\n{sizes[i - 1]}-{sizes[i]}" for i in xs], fontsize=8)
    ax.set_xlabel("dense layer (input side first)")
    ax.set_ylabel("mean backpropagation ratio k/N")
    ax.set_yscale("log")
    ax.set_title(title_of(doc), fontsize=10)
    ax.grid(True, alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    out = argv[2]
    os.makedirs(out, exist_ok=True)
    plot_auc_vs_backward(doc, os.path.join(out, "auc_vs_backward.png"))
    plot_layer_ratio(doc, os.path.join(out, "layer_ratio.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
