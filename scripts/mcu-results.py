#!/usr/bin/env python3
"""Runs the MCU fine-tuning matrix and writes docs/RESULTS_MCU.md (the target of `make mcu`).

For every configuration (scripts/mcu-configs.sh) and every firmware target it runs on (a QEMU
board, or a board with a build without its FPU), fine-tunes the host-pretrained MLP inside QEMU
with each method, counting instructions per phase with the plugin, and runs the same code built
for the host to check the result bit for bit. Then, per target, the core's footprint: its code
linked into the MLP firmware (link map), the whole core library, the RAM of the Model and
Trainer objects and the deepest stack use.

    scripts/mcu-results.py [--configs small large cores mlp16 micro] [--out docs/RESULTS_MCU.md]
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(REPO, "build", "mcu")
MNIST = os.environ.get("MCU_DATA") or os.path.join(
    os.environ.get("TINYPROP_DATA_DIR") or os.path.join(REPO, "data"), "mnist")

# The fine-tuning protocol on the device: SGD at batch size 1 (fused row updates, no gradient
# buffers), one pass over the fine-tuning stream, then the configuration's test images.
COMMON_ARGS = ["--lr", "0.001", "--epochs", "1"]
METHODS = [  # (label, firmware arguments)
    ("before", ["--method", "none"]),
    ("full", ["--method", "full"]),
    ("static r=0.1", ["--method", "static", "--ratio", "0.1"]),
    ("static r=0.3", ["--method", "static", "--ratio", "0.3"]),
    ("tinyprop", ["--method", "tinyprop", "--smin", "0.1", "--smax", "0.9", "--zeta", "0.5"]),
    ("tinypropv2", ["--method", "tinypropv2", "--smin", "0.1", "--smax", "0.9", "--zeta", "0.5",
                    "--tau", "0.1"]),
]
PHASES = ["forward", "selection", "backward", "update", "other"]
DEFAULT_CONFIGS = ["small", "large", "cores", "mlp16", "cnn", "micro"]


def configs_sh(expr, *args):
    """The output of a bash expression with scripts/mcu-configs.sh sourced ($1.. = args)."""
    return subprocess.run(["bash", "-c", 'source "$0"; ' + expr,
                           os.path.join(REPO, "scripts", "mcu-configs.sh")] + list(args),
                          check=True, capture_output=True, text=True).stdout.strip()


def target_info(target):
    out = configs_sh('echo "$(mcu_target_board "$1")|$(mcu_board_cpu "$1")|$(mcu_board_ram "$1")"',
                     target)
    board, cpu, ram = out.split("|")
    return {"board": board, "cpu": cpu, "ram": int(ram)}


def config(name):
    out = configs_sh('mcu_config "$1" && echo "$ARCH|$BOARDS|$PRETRAIN|$FINETUNE|$EPOCHS|$SEED|'
                     '$POOL|$CLASSES|$TEST_COUNT"', name)
    arch, boards, pre, fine, epochs, seed, pool, classes, test_count = out.split("|")
    return {"arch": arch, "boards": boards.split(), "pretrain": int(pre), "finetune": int(fine),
            "epochs": int(epochs), "seed": int(seed), "pool": int(pool), "classes": int(classes),
            "test_count": int(test_count)}


def parse(output):
    """Firmware lines 'kind key=value ...' -> {kind: {key: value}}."""
    parsed = {}
    for line in output.splitlines():
        words = line.split()
        if not words or words[0] not in ("mcu_finetune", "plan", "result", "counters", "memory",
                                         "insns"):
            continue
        parsed[words[0]] = dict(w.split("=", 1) for w in words[1:] if "=" in w)
    return parsed


def run(cmd, label):
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("mcu-results: %s failed (status %d):\n%s%s" % (label, p.returncode, p.stdout,
                                                                 p.stderr))
    return parse(p.stdout), time.time() - t0


def data_args(name, cfg):
    """The fine-tuning stream and the test set as mcu_prepare wrote them (pooled, filtered)."""
    d = os.path.join(BUILD, "data", name)
    return ["--train", d + "/finetune-images-idx3-ubyte", d + "/finetune-labels-idx1-ubyte",
            "--test", d + "/test-images-idx3-ubyte", d + "/test-labels-idx1-ubyte",
            "--test-count", str(cfg["test_count"])]


def elf_size(elf):
    out = subprocess.run(["arm-none-eabi-size", elf], check=True, capture_output=True,
                         text=True).stdout.splitlines()[1].split()
    text, data, bss = int(out[0]), int(out[1]), int(out[2])
    return {"text": text, "data": data, "bss": bss, "flash": text + data, "static_ram": data + bss}


def measure(configs):
    results = []
    for name in configs:
        cfg = config(name)
        host = os.path.join(BUILD, "host", "mcu_finetune_host_" + name)
        host_runs = {}
        for label, args in METHODS:
            host_runs[label], _ = run([host] + args + COMMON_ARGS + data_args(name, cfg),
                                      "host %s %s" % (name, label))
        for target in cfg["boards"]:
            info = target_info(target)
            board = info["board"]
            elf = os.path.join(BUILD, "fw-" + target, "mcu_finetune_%s.elf" % name)
            entry = {"config": name, **cfg, "board": target, "qemu_board": board,
                     "cpu": info["cpu"], "ram": info["ram"], "size": elf_size(elf),
                     "footprint": footprint(target, elf), "runs": {}}
            for label, args in METHODS:
                count = [] if label == "before" else ["--count"]
                r, seconds = run([os.path.join(REPO, "scripts", "mcu-run.sh")] + count +
                                 [board, elf] + args + COMMON_ARGS + data_args(name, cfg),
                                 "%s %s %s" % (target, name, label))
                r["seconds"] = round(seconds, 1)
                r["host"] = host_runs[label]["result"]
                entry["runs"][label] = r
                print("mcu-results: %-15s %-6s %-13s acc %s%%  %4.0f s" %
                      (target, name, label, r["result"]["acc"], seconds), file=sys.stderr)
            results.append(entry)
    return results


CORE_ARCHIVE = "libtinyprop_core.a"


def linked_core_bytes(map_path):
    """Bytes of code and read-only data of the core library linked into a firmware: the input
    sections from libtinyprop_core.a in the GNU ld map file (a section whose name is long has
    its address and size on the next line)."""
    total, pending = 0, None
    in_map = False
    with open(map_path) as f:
        for line in f:
            if line.startswith("Linker script and memory map"):
                in_map = True
                continue
            if not in_map:
                continue
            words = line.split()
            if len(words) == 1 and words[0].startswith((".text", ".rodata")):
                pending = words[0]
                continue
            if pending is not None and len(words) >= 3 and words[0].startswith("0x"):
                words = [pending] + words
            pending = None
            if (len(words) >= 4 and words[0].startswith((".text", ".rodata")) and
                    words[1].startswith("0x") and CORE_ARCHIVE + "(" in words[3]):
                total += int(words[2], 16)
    return total


def footprint(target, elf):
    """The core's flash in this firmware and as a whole library, the RAM of its big objects."""
    fw_dir = os.path.dirname(elf)
    archive = os.path.join(fw_dir, "tinyprop", CORE_ARCHIVE)
    lib = subprocess.run(["arm-none-eabi-size", "--totals", archive], check=True,
                         capture_output=True, text=True).stdout.splitlines()[-1].split()
    nm = subprocess.run(["arm-none-eabi-nm", "-S", "-C", elf], check=True, capture_output=True,
                        text=True).stdout.splitlines()
    objects = {}
    for line in nm:
        w = line.split(None, 3)  # address, size, type, demangled name (may hold spaces)
        if len(w) == 4 and w[3].split("::")[-1] in ("g_model", "g_trainer"):
            objects[w[3].split("::")[-1]] = (int(w[1], 16), w[2])
    cache = {}
    with open(os.path.join(fw_dir, "CMakeCache.txt")) as f:
        for line in f:
            m = re.match(r"(TINYPROP_MAX_LAYERS|TINYPROP_WITH_CONV|TINYPROP_WITH_POOL):\w+=(.*)", line)
            if m:
                cache[m.group(1)] = m.group(2).strip()
    kinds = [k for k, opt in (("conv", "TINYPROP_WITH_CONV"), ("pool", "TINYPROP_WITH_POOL"))
             if cache.get(opt, "ON").upper() not in ("OFF", "0", "FALSE", "NO")]
    return {"options": "%s layers, %s" % (cache.get("TINYPROP_MAX_LAYERS", "24"),
                                         "dense + " + " + ".join(kinds) if kinds else "dense only"),
            "core_linked": linked_core_bytes(elf[:-len(".elf")] + ".map"),
            "core_library": int(lib[0]) + int(lib[1]),
            "model_object": objects.get("g_model", (0, "?")),
            "trainer_object": objects.get("g_trainer", (0, "?"))}


def per_sample(run_):
    ins = run_["insns"]
    n = int(ins["windows"])
    phases = {p: int(ins[p]) / n for p in PHASES}
    phases["step"] = sum(phases[p] for p in PHASES)
    phases["backward_pass"] = phases["selection"] + phases["backward"] + phases["update"]
    c = run_["counters"]
    steps = int(run_["result"]["steps"])
    phases["fwd_macs"] = int(c["forward_macs"]) / steps
    phases["bwd_macs"] = int(c["backward_macs"]) / steps
    phases["bwd_macs_full"] = int(c["backward_macs_full"]) / steps
    return phases


def fmt_k(x):
    return "{:,.1f}k".format(x / 1000.0) if x >= 1000 else "{:,.0f}".format(x)


def by_core(results):
    """Results grouped by target (in the order of scripts/mcu-configs.sh), then configuration."""
    targets = configs_sh('echo "$MCU_ALL_TARGETS"').split()
    def key(e):
        t = targets.index(e["board"]) if e["board"] in targets else len(targets)
        c = DEFAULT_CONFIGS.index(e["config"]) if e["config"] in DEFAULT_CONFIGS else 99
        return (t, c)
    return sorted(results, key=key)


def model_name(arch):
    """'784-32-16-10' -> 'MLP 784-32-16-10'; 'cnn:28x28x1-c8k3-p2-d10' -> 'CNN 28x28x1-c8k3-p2-d10'."""
    kind, _, spec = arch.rpartition(":")
    return "%s %s" % ((kind or "mlp").upper(), spec)


def report(results, command):
    results = by_core(results)
    gcc = subprocess.run(["arm-none-eabi-gcc", "--version"], capture_output=True,
                         text=True).stdout.splitlines()[0]
    qemu = subprocess.run(["qemu-system-arm", "--version"], capture_output=True,
                          text=True).stdout.splitlines()[0]
    L = []
    L.append("# Results on the microcontroller (QEMU)\n")
    L.append("Generated by `%s` (`make mcu`); do not edit by hand. Toolchain: %s, -O2, "
             "-ffp-contract=off; emulator: %s. Protocol, phases and the cost model: "
             "[MCU.md](MCU.md).\n" % (command, gcc, qemu))
    L.append("Fine-tuning on the device: SGD, learning rate 0.001, batch size 1, one pass over "
             "the fine-tuning stream, then the MNIST test images (each section says how many, and "
             "how the images were pooled for the small models). The model was pretrained "
             "on the host (full backprop, Adam 1e-3, batch 32) on other MNIST training images. "
             "Instructions are counted by the QEMU plugin (`tools/qemu-plugin`) for every "
             "training step and divided by the number of steps: instructions **per training "
             "sample**, skipped samples included.\n")
    L.append("*backward pass* = selection + backward + update (everything after the forward pass "
             "and the loss); with batch size 1 the weight gradient of a row is consumed inside "
             "its update and is counted under *update*. *predicted* = the cost model's "
             "speed-up for the k actually used, from the core's MAC counters: backward "
             "B_full / B, whole step (F + B_full) / (F + B) = 1 / `RunCounters::total_ratio()` "
             "(docs/ALGORITHM.md, Counters). *host* = the same code built for the "
             "host gives the same weight checksum (and so the same accuracy; the core computes "
             "exp and log itself, see MCU.md, same bits).\n")
    head, L = L, []
    summary, budgets = [], []
    for e in results:
        runs = e["runs"]
        full = per_sample(runs["full"])
        L.append("## %s on %s (%s), %s\n" % (e["config"], e["board"], e["cpu"],
                                            model_name(e["arch"])))
        side = 28 // e["pool"]
        data = "MNIST %dx%d%s" % (side, side, "" if e["pool"] == 1 else
                                 " (%dx%d pixel blocks averaged)" % (e["pool"], e["pool"]))
        if e["classes"] < 10:
            data += ", digits 0-%d only" % (e["classes"] - 1)
        L.append("{}. Pretrained on {:,} images ({} epochs), fine-tuned on {:,}, tested on {:,}; "
                 "accuracy before fine-tuning: **{}%**. Instructions per training sample:\n".format(
                     data, e["pretrain"], e["epochs"], e["finetune"],
                     int(runs["before"]["result"]["test"]), runs["before"]["result"]["acc"]))
        L.append("| method | forward | selection | backward | update | other | step | "
                 "backward pass vs full | backward speed-up (predicted) | step speed-up "
                 "(predicted) | measured / predicted step | mean k/N per layer, input side first | skipped | "
                 "accuracy | host |")
        L.append("|---|" + "---:|" * 13 + "---|")
        for label, _ in METHODS:
            if label == "before":
                continue
            r = runs[label]
            ps = per_sample(r)
            bwd_ratio = ps["backward_pass"] / full["backward_pass"]
            bwd_speed = full["backward_pass"] / ps["backward_pass"]
            pred_bwd = ps["bwd_macs_full"] / ps["bwd_macs"] if ps["bwd_macs"] else float("inf")
            step_speed = full["step"] / ps["step"]
            pred_step = (ps["fwd_macs"] + ps["bwd_macs_full"]) / (ps["fwd_macs"] + ps["bwd_macs"])
            steps = int(r["result"]["steps"])
            skipped = int(r["result"]["skipped"])
            same = (r["result"]["checksum"] == r["host"]["checksum"] and
                    r["result"]["acc"] == r["host"]["acc"])
            L.append("| %s | %s | %s | %s | %s | %s | **%s** | %.3f | %.1fx (%.1fx) | **%.2fx** "
                     "(%.2fx) | %.2f | %s | %.1f%% | %s%% | %s |" % (
                         label, fmt_k(ps["forward"]), fmt_k(ps["selection"]),
                         fmt_k(ps["backward"]), fmt_k(ps["update"]), fmt_k(ps["other"]),
                         fmt_k(ps["step"]), bwd_ratio, bwd_speed, pred_bwd, step_speed,
                         pred_step, step_speed / pred_step,
                         r["counters"]["kn"].replace("/", " / "),
                         100.0 * skipped / steps, r["result"]["acc"],
                         "same bits" if same else "**differs**"))
            if label in ("tinyprop", "tinypropv2"):
                summary.append((e, label, bwd_ratio, step_speed, pred_step, same,
                                float(r["result"]["acc"]) - float(runs["full"]["result"]["acc"])))
        mem = runs["full"]["memory"]
        plan = runs["full"]["plan"]
        size = e["size"]
        ram = e["ram"]
        # Spare = what neither the arena plan nor the stack used, as the firmware reports it;
        # the independent sum (static data + plan + stack) differs only by the < 16 bytes of
        # padding before the 16-byte aligned arena.
        spare = int(mem["spare"])
        used = ram - spare
        if ram <= 128 * 1024:
            budgets.append("**%d KB** (%s, %s): fine-tuning %s with SGD uses %s of %s bytes of "
                           "RAM (static data, arena plan and the deepest stack use together, with the "
                           "arena's alignment padding); "
                           "spare **%s bytes (%.1f%%)**." % (
                               ram // 1024, e["board"], e["config"], e["arch"], "{:,}".format(used),
                               "{:,}".format(ram), "{:,}".format(ram - used),
                               100.0 * (ram - used) / ram))
        L.append("")
        L.append("Memory (`arm-none-eabi-size`, the firmware's arena plan and its painted-stack "
                 "high-water mark): flash %s B (code %s + initialised data %s, of which the "
                 "model's weights %s); RAM: static data %s B (.data %s + .bss %s) + arena plan "
                 "%s B (parameters %s, activations %s, scratch %s, indices %s, optimizer state "
                 "%s, gradients %s) + stack %s B (of %s reserved) + alignment padding = **%s B of "
                 "%s B**, spare **%s B** (%.1f%%).\n" % (
                     "{:,}".format(size["flash"]), "{:,}".format(size["text"]),
                     "{:,}".format(size["data"]), "{:,}".format(int(plan["parameters"])),
                     "{:,}".format(size["static_ram"]), "{:,}".format(size["data"]),
                     "{:,}".format(size["bss"]), "{:,}".format(int(plan["total"])),
                     "{:,}".format(int(plan["parameters"])), plan["activations"],
                     plan["scratch"], plan["indices"], plan["optimizer_state"],
                     plan["gradients"], "{:,}".format(int(mem["stack_used"])),
                     "{:,}".format(int(mem["stack_reserved"])), "{:,}".format(used),
                     "{:,}".format(ram), "{:,}".format(ram - used), 100.0 * (ram - used) / ram))
    details, L = L, head
    L.append("## Targets\n")
    L.append("| configuration | method | backward pass vs full (target <= 0.20) | step speed-up | "
             "predicted | measured / predicted (target >= 0.80) | accuracy vs full | host |")
    L.append("|---|---|---:|---:|---:|---:|---:|---|")
    for e, label, bwd_ratio, step_speed, pred_step, same, dacc in summary:
        L.append("| %s, %s | %s | %.3f %s | %.2fx | %.2fx | %.2f %s | %+.2f pp | %s |" % (
            e["config"], e["board"], label, bwd_ratio, "met" if bwd_ratio <= 0.2 else "**missed**",
            step_speed, pred_step, step_speed / pred_step,
            "met" if step_speed / pred_step >= 0.8 else "**missed**", dacc,
            "same bits" if same else "**differs**"))
    L.append("")
    for b in budgets:
        L.append(b + "\n")
    L.extend(footprint_table(results))
    return "\n".join(L + details)


def footprint_table(results):
    """Per target: the core's flash (linked into the MLP firmware, and the whole library), the
    RAM of the Model and Trainer objects, the deepest stack use of any run on it."""
    L = ["## The core's footprint per core\n",
         "*core in the MLP firmware* = code and read-only data of `libtinyprop_core.a` linked into "
         "the fine-tuning firmware of the first configuration listed (an MLP: dense layers only; "
         "from its link map; the C library and libgcc's soft-float helpers not included). *whole "
         "core library* = every object of the library as built for that target "
         "(`arm-none-eabi-size`): with convolutions and pooling where they are built in, which "
         "is what an image using every layer kind could link at most; the micro:bit's build "
         "leaves them out (TINYPROP_WITH_CONV=OFF, TINYPROP_WITH_POOL=OFF) and holds 8 layers. *Model*, *Trainer* = the firmware's static objects (`arm-none-eabi-nm -S`; "
         "section d = .data, b/B = .bss). *stack* = the deepest use of the painted stack over every "
         "run on that target (a training step, evaluation, argument parsing).\n",
         "| target | core | core options (TINYPROP_MAX_LAYERS, layer kinds built) | core in the "
         "MLP firmware | whole core library | Model | Trainer | stack high-water mark |",
         "|---|---|---|---:|---:|---:|---:|---:|"]
    seen = {}
    for e in results:
        stack = max(int(r["memory"]["stack_used"]) for r in e["runs"].values() if "memory" in r)
        if e["board"] in seen:
            seen[e["board"]]["stack"] = max(seen[e["board"]]["stack"], stack)
            continue
        seen[e["board"]] = {"e": e, "stack": stack}
    for target, v in seen.items():
        e, fp = v["e"], v["e"]["footprint"]
        L.append("| %s (%s) | %s | %s | {:,} B | {:,} B | {:,} B (%s) | {:,} B (%s) | {:,} B |".format(
            fp["core_linked"], fp["core_library"], fp["model_object"][0],
            fp["trainer_object"][0], v["stack"]) % (
                target, e["config"], e["cpu"], fp.get("options", "24 layers, dense + conv + pool"),
                fp["model_object"][1], fp["trainer_object"][1]))
    L.append("")
    return L


# Sections after this line of the report are written by hand (runs this script does not make,
# e.g. the frozen-weights-in-flash firmware of tests/consumer): a rewrite keeps them.
KEPT_MARKER = "<!-- kept by scripts/mcu-results.py: the sections below are not regenerated -->"


def kept_sections(path):
    """The hand-written tail of an existing report, from KEPT_MARKER on ('' if none)."""
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        old = f.read()
    at = old.find(KEPT_MARKER)
    return old[at:] if at >= 0 else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS)
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "RESULTS_MCU.md"))
    ap.add_argument("--json", default=os.path.join(BUILD, "results.json"))
    ap.add_argument("--no-build", action="store_true", help="use the existing build")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite the report from the --json file of an earlier run")
    args = ap.parse_args()
    if args.report_only:
        with open(args.json) as f:
            results = json.load(f)
        args.configs = list(dict.fromkeys(e["config"] for e in results))
    else:
        if not args.no_build:
            subprocess.run([os.path.join(REPO, "scripts", "mcu-build.sh")] + args.configs,
                           check=True)
        results = measure(args.configs)
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    command = "scripts/mcu-results.py --configs " + " ".join(args.configs)
    text = report(results, command)
    kept = kept_sections(args.out)
    if kept:
        text = text.rstrip("\n") + "\n\n" + kept
    with open(args.out, "w") as f:
        f.write(text)
    print("mcu-results: wrote %s and %s" % (os.path.relpath(args.out, REPO),
                                            os.path.relpath(args.json, REPO)), file=sys.stderr)


if __name__ == "__main__":
    main()
