#!/usr/bin/env python3
"""The core's footprint per Cortex-M core, with arm-none-eabi-gcc -Os.

For every core it compiles the core library (src/) twice, with every layer kind and with
TINYPROP_WITH_CONV=0 TINYPROP_WITH_POOL=0, and links tests/mcu/probes/probe_counters.cpp (a
16-32-16-4 MLP fine-tuned with TinyProp, RunCounters summed; PROBE_CNN=1 adds a convolution and a
pooling layer) with --gc-sections, then reports:

  flash   bytes of the core's own code and constants kept in the image (from the link map:
          input sections of the core's objects), MLP-only and with convolutions; the C
          library and libgcc helpers the image pulls in are shown apart ("runtime");
  RAM     sizeof ModelSpec, Model and Trainer (the objects a firmware keeps) and the section a
          global of each lands in (.bss: zero-filled, no flash image), and the MLP image's
          .data and .bss (the probe's own statics, its 8 KB arena among them, included);
  stack   the worst call path of Trainer::plan and of Trainer::train_sample, from GCC's
          -fcallgraph-info=su (frame sizes plus the static call graph; library calls count 0,
          calls through pointers are not followed; both are listed);
  double  whether an image links double-precision code (tests/mcu/check-no-double.sh): the
          training path and the counters must not, on any core.

  scripts/core-footprint.py [--cores cortex-m0plus,cortex-m4] [--json out.json] [--keep DIR]

Needs arm-none-eabi-gcc (scripts/install-deps.sh, mcu group). Prints a Markdown table.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# -mcpu and FPU/ABI per core, as a firmware for that core would be built.
CORES = {
    "cortex-m0plus": "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft",
    "cortex-m3": "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft",
    "cortex-m4": "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard",
    "cortex-m7": "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard",
    "cortex-m33": "-mcpu=cortex-m33 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard",
    "cortex-m55": "-mcpu=cortex-m55 -mthumb -mfloat-abi=hard",
}
CXXFLAGS = ("-Os -std=c++17 -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti "
            "-fno-threadsafe-statics -fno-use-cxa-atexit -ffp-contract=off -fcallgraph-info=su")
VARIANTS = {  # name: (core defines, probe defines)
    "mlp": ("-DTINYPROP_WITH_CONV=0 -DTINYPROP_WITH_POOL=0", "-DPROBE_CNN=0"),
    "mlp_all_kinds": ("", "-DPROBE_CNN=0"),
    "cnn": ("", "-DPROBE_CNN=1"),
}
PLAN = "_ZN8tinyprop7Trainer4planERKNS_9ModelSpecERKNS_11TrainConfigEPNS_10MemoryPlanENS_12FrozenParamsE"
TRAIN = "_ZN8tinyprop7Trainer12train_sampleEPKfNS_6TargetEPNS_12StepCountersE"
STUBS = r"""
#include <stddef.h>
void tp_port_write(const char* t, size_t n) { (void)t; (void)n; }
void tp_port_exit(int s) { (void)s; for (;;) {} }
"""


def sh(cmd, cwd=None):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("core-footprint: %s failed:\n%s%s" % (" ".join(cmd[:3]), r.stdout, r.stderr))
    return r.stdout


def compile_all(jobs, workers):
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for f in [pool.submit(sh, j) for j in jobs]:
            f.result()


def cxx():
    return ["arm-none-eabi-g++"]  # no ccache: a cache hit would not write the .ci call graph


def build(core, variant, work, workers):
    cpu = CORES[core].split()
    core_defs, probe_defs = VARIANTS[variant]
    out = os.path.join(work, core, variant)
    objdir = os.path.join(out, "core")
    os.makedirs(objdir, exist_ok=True)
    jobs, objs = [], []
    for src in sorted(glob.glob(os.path.join(REPO, "src", "*", "*.cpp"))):
        obj = os.path.join(objdir, os.path.basename(os.path.dirname(src)) + "_" +
                           os.path.basename(src)[:-4] + ".o")
        objs.append(obj)
        jobs.append(cxx() + cpu + CXXFLAGS.split() + core_defs.split() +
                    ["-I" + os.path.join(REPO, "include"), "-I" + os.path.join(REPO, "src"),
                     "-c", src, "-o", obj])
    probe = os.path.join(out, "probe.o")
    text_line = os.path.join(out, "text_line.o")  # the probe's console formatting
    example = os.path.join(REPO, "examples", "mcu_finetune")
    for src, obj in ((os.path.join(REPO, "tests", "mcu", "probes", "probe_counters.cpp"), probe),
                     (os.path.join(example, "text_line.cpp"), text_line)):
        jobs.append(cxx() + cpu + CXXFLAGS.split() + core_defs.split() + probe_defs.split() +
                    ["-I" + os.path.join(REPO, "include"), "-I" + os.path.join(REPO, "port", "cortex-m"),
                     "-I" + example, "-c", src, "-o", obj])
    stubs_c = os.path.join(out, "stubs.c")
    with open(stubs_c, "w") as f:
        f.write(STUBS)
    stubs = os.path.join(out, "stubs.o")
    jobs.append(["arm-none-eabi-gcc"] + cpu + ["-Os", "-c", stubs_c, "-o", stubs])
    compile_all(jobs, workers)
    elf = os.path.join(out, "probe.elf")
    mapfile = os.path.join(out, "probe.map")
    sh(["arm-none-eabi-gcc"] + cpu + ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs",
        "-Wl,--gc-sections", "-Wl,-e,main", "-Wl,-Map=" + mapfile, "-o", elf, probe, text_line, stubs] +
       objs + ["-lm"])
    return out, elf, mapfile


def map_sizes(mapfile, objdir):
    """Bytes of the kept input sections, per owner (core / probe / runtime) and kind."""
    sizes = {}
    text = open(mapfile).read()
    text = text[text.index("Linker script and memory map"):]
    section = None
    line_re = re.compile(r"^\s*(\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    for line in text.splitlines():
        if re.match(r"^ [.\w]", line) and len(line.split()) == 1:
            section = line.split()[0]
            continue
        m = line_re.match(line)
        if not m:
            continue
        name = m.group(1) or section
        size, owner_path = int(m.group(3), 16), m.group(4).strip()
        if not name or not name.startswith(".") or size == 0 or name.startswith(".debug"):
            continue
        if name.startswith((".comment", ".ARM.attributes")):
            continue
        kind = ("bss" if name.startswith((".bss", "COMMON")) else
                "data" if name.startswith(".data") else "text")
        owner = ("core" if owner_path.startswith(objdir) else
                 "probe" if owner_path.endswith(("probe.o", "text_line.o", "stubs.o")) else "runtime")
        sizes[(owner, kind)] = sizes.get((owner, kind), 0) + size
    return sizes


def symbol_sizes(elf):
    """{name: (bytes, section)} of the probe's globals (g_spec, g_model, g_trainer, ...)."""
    out = sh(["arm-none-eabi-objdump", "-t", "-C", elf])
    sizes = {}
    for line in out.splitlines():
        # "ADDRESS FLAGS SECTION<tab>SIZE NAME"; objects have the flag O.
        left, tab, right = line.partition("\t")
        fields, rest = left.split(), right.split(None, 1)
        if not tab or len(fields) < 3 or fields[-2] != "O" or len(rest) != 2:
            continue
        if rest[1].startswith("(anonymous namespace)::g_"):
            sizes[rest[1].split("::")[1]] = (int(rest[0], 16), fields[-1])
    return sizes


def call_graph(out):
    frames, edges = {}, {}
    node_re = re.compile(r'node: \{ title: "([^"]+)" label: "[^"]*\\n(\d+) bytes \(([^)]*)\)')
    edge_re = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
    for ci in glob.glob(os.path.join(out, "**", "*.ci"), recursive=True) + \
            glob.glob(os.path.join(out, "*.ci")):
        for line in open(ci):
            m = node_re.search(line)
            if m:
                frames[m.group(1)] = max(frames.get(m.group(1), 0), int(m.group(2)))
                continue
            m = edge_re.search(line)
            if m:
                edges.setdefault(m.group(1), set()).add(m.group(2))
    return frames, edges


def worst_path(root, frames, edges):
    """(bytes, path, unknown callees) of the deepest call path from root (no recursion)."""
    memo, unknown = {}, set()

    def depth(fn, stack):
        if fn in memo:
            return memo[fn]
        if fn in stack:
            unknown.add("recursion: " + fn)
            return 0, [fn]
        if fn not in frames:
            unknown.add(fn)
            return 0, [fn]
        best = (0, [])
        for callee in edges.get(fn, ()):
            d = depth(callee, stack | {fn})
            if d[0] > best[0]:
                best = d
        memo[fn] = (frames[fn] + best[0], [fn] + best[1])
        return memo[fn]

    bytes_, path = depth(root, frozenset())
    return bytes_, path, sorted(unknown)


def demangle(names):
    if not names:
        return []
    r = subprocess.run(["arm-none-eabi-c++filt"], input="\n".join(names), capture_output=True,
                       text=True)
    return [re.sub(r"\(.*", "", n) for n in r.stdout.splitlines()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cores", default=",".join(CORES))
    ap.add_argument("--json")
    ap.add_argument("--keep", help="build directory to keep (default: a temporary one)")
    ap.add_argument("-j", type=int, default=2)
    args = ap.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="tp-footprint-")
    results = []
    for core in args.cores.split(","):
        if core not in CORES:
            sys.exit("core-footprint: unknown core '%s' (%s)" % (core, ", ".join(CORES)))
        row = {"core": core, "flags": CORES[core]}
        for variant in VARIANTS:
            out, elf, mapfile = build(core, variant, work, args.j)
            sizes = map_sizes(mapfile, os.path.join(out, "core"))
            row[variant] = {
                "core_flash": sizes.get(("core", "text"), 0) + sizes.get(("core", "data"), 0),
                "core_data": sizes.get(("core", "data"), 0),
                "runtime_flash": sizes.get(("runtime", "text"), 0) + sizes.get(("runtime", "data"), 0),
                "image_data": sum(v for (_, kind), v in sizes.items() if kind == "data"),
                "image_bss": sum(v for (_, kind), v in sizes.items() if kind == "bss"),
                "objects": symbol_sizes(elf),
                "double": subprocess.run([os.path.join(REPO, "tests", "mcu", "check-no-double.sh"), elf],
                                         capture_output=True, text=True).stdout.strip() or "none",
            }
            if variant == "mlp":
                frames, edges = call_graph(out)
                for name, root in (("plan", PLAN), ("train_sample", TRAIN)):
                    b, path, unknown = worst_path(root, frames, edges)
                    row["stack_" + name] = {"bytes": b, "path": demangle(path),
                                            "not_followed": demangle(unknown)}
        results.append(row)
        print("core-footprint: %s done" % core, file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print("| core | core flash, MLP only (conv, pool off) | MLP, every kind compiled in | "
          "with conv + pool | runtime helpers (MLP) | ModelSpec / Model / Trainer RAM | "
          "their section | MLP image .data / .bss | stack: Trainer::plan | "
          "stack: train_sample | double precision linked |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|")
    big = ("g_spec", "g_model", "g_trainer")
    for r in results:
        o = r["mlp"]["objects"]
        doubles = "none" if all(r[v]["double"] == "none" for v in VARIANTS) else "**yes**"
        sections = sorted({o[n][1] if n in o else "missing" for n in big})
        print("| %s | %d | %d | %d | %d | %s | %s | %d / %d | %d | %d | %s |" % (
            r["core"], r["mlp"]["core_flash"], r["mlp_all_kinds"]["core_flash"],
            r["cnn"]["core_flash"], r["mlp"]["runtime_flash"],
            " / ".join(str(o.get(n, (0, ""))[0]) for n in big),
            ", ".join("`%s`" % x for x in sections), r["mlp"]["image_data"],
            r["mlp"]["image_bss"], r["stack_plan"]["bytes"],
            r["stack_train_sample"]["bytes"], doubles))
    for r in results[:1]:
        for name in ("plan", "train_sample"):
            s = r["stack_" + name]
            print("\n%s, %s: %s; not followed: %s" % (
                r["core"], name, " > ".join(s["path"]), ", ".join(s["not_followed"]) or "none"))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
