#!/usr/bin/env python3
"""PyTorch -> tinyprop -> Cortex-M -> PyTorch: the round trip of examples/interop/README.md.

  /usr/bin/python3 examples/interop/run.py [--quick] [--out DIR] [--tinyprop PATH]

1. data: stroke images (interop_data.py): the deployment's shift for the host, a device whose
   sensor drifted further for the device (fine-tuning and test sets of each)
2. import: model/pretrained.onnx (trained in PyTorch) -> pre.tpm with `tinyprop import`, checked
   against model/pretrained.tpm (the Python package's conversion of the same torch model)
3. host fine-tuning with TinyProp on shifted data: `tinyprop finetune` -> host.tpm
4. export for firmware: `tinyprop export --freeze 2` -> model.h (frozen backbone, trainable head)
5. device fine-tuning: the firmware (examples/mcu_finetune) built for the Cortex-M4 board
   mps2-an386 with model.h, run under QEMU on the device's own shifted samples; it checkpoints
   its training state into its flash file
6. back: the flash image's newest checkpoint read into host.tpm's architecture -> device.tpm
   (python/tinyprop), its parameters' checksum checked against the firmware's
7. evaluated in PyTorch (tinyprop.to_torch; numpy when torch is absent) on both test sets
8. device.tpm as ONNX (`tinyprop export --format onnx`, NCHW), checked by onnx.checker where
   python3-onnx is installed, re-imported with identical parameters
Everything is written under --out (default build/interop). Exit status 0 when every check holds.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "python"))
sys.path.insert(0, HERE)
import interop_data as data  # noqa: E402
import tinyprop  # noqa: E402

FREEZE = 2  # layers with parameters frozen on the device: the convolutional backbone
SIZES = {  # host fine-tuning, device fine-tuning, test samples, epochs host / device
    "full": dict(host=2000, device=500, test=1000, host_epochs=3, device_epochs=2),
    "quick": dict(host=300, device=100, test=200, host_epochs=1, device_epochs=1),
}
SKIP = 77  # ctest's SKIP_RETURN_CODE: the ARM toolchain or QEMU is missing


def log(msg):
    print(f"interop: {msg}", flush=True)


def sh(*cmd, cwd=None, quiet=False):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd)
    if p.returncode != 0:
        sys.exit(f"interop: failed ({p.returncode}): {' '.join(map(str, cmd))}\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return p.stdout


def tp_json(tp, *args):
    return json.loads(sh(tp, *args, "--json", "-q"))


def fnv1a64(params):
    """The firmware's checksum: FNV-1a (64 bit) over the parameters' little-endian bytes."""
    h = 0xcbf29ce484222325
    for b in np.asarray(params, "<f4").tobytes():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def make_data(out, n):
    sets = {"host": data.strokes(n["host"], 21, data.HOST_SHIFT),
            "test": data.strokes(n["test"], 23, data.HOST_SHIFT),
            "device": data.strokes(n["device"], 22, data.DEVICE_SHIFT),
            "device_test": data.strokes(n["test"], 25, data.DEVICE_SHIFT),
            "clean_test": data.strokes(n["test"], 24)}
    for name, (x, y) in sets.items():
        data.write_csv(os.path.join(out, name + ".csv"), x, y)
        data.write_idx(os.path.join(out, name + "-images.idx"), os.path.join(out, name + "-labels.idx"), x, y)
    return sets


def import_model(tp, out):
    """pre.tpm from the ONNX file, checked against the package's conversion of the same torch model."""
    onnx_path = os.path.join(HERE, "model", "pretrained.onnx")
    pre = os.path.join(out, "pre.tpm")
    sh(tp, "import", onnx_path, "--out", pre, "-q")
    imported = tinyprop.read_tpm(pre).flat_params()
    package = tinyprop.read_tpm(os.path.join(HERE, "model", "pretrained.tpm")).flat_params()
    same = bool(np.array_equal(imported, package))
    log(f"tinyprop import {os.path.relpath(onnx_path, REPO)}: {imported.size} parameters, "
        f"{'bit for bit' if same else 'NOT'} the package's conversion of the torch model")
    return pre, same


def accuracy_numpy(model, images, labels):
    return float((tinyprop.forward(model, data.as_float(images)).argmax(1) == labels).mean())


def accuracy_torch(model, images, labels):
    """In PyTorch when it is installed (the model as an nn.Sequential), else in numpy."""
    try:
        import torch
    except ImportError:
        return accuracy_numpy(model, images, labels), "numpy (torch not installed)"
    net = tinyprop.to_torch(model)
    x = torch.from_numpy(tinyprop.hwc_to_nchw(data.as_float(images)))
    with torch.no_grad():
        return float((net(x).argmax(1).numpy() == labels).mean()), f"PyTorch {torch.__version__}"


def build_firmware(out, header):
    tools = [shutil.which(t) for t in ("arm-none-eabi-gcc", "qemu-system-arm", "cmake", "ninja")]
    if not all(tools):
        msg = "the ARM toolchain, QEMU, cmake or ninja is missing (scripts/install-deps.sh mcu)"
        if os.environ.get("TINYPROP_REQUIRE_ALL") == "1":
            sys.exit(f"interop: {msg}")
        log(f"SKIP: {msg}")
        sys.exit(SKIP)
    fw = os.path.join(out, "fw-mps2-an386")
    args = ["cmake", "-S", os.path.join(REPO, "examples", "mcu_finetune"), "-B", fw, "-G", "Ninja",
            "-DCMAKE_BUILD_TYPE=Release", f"-DCMAKE_TOOLCHAIN_FILE={REPO}/cmake/arm-none-eabi.cmake",
            "-DMCU_BOARD=mps2-an386", "-DTINYPROP_ARM_CPU=cortex-m4", f"-DMCU_MODELS=interop={header}"]
    if shutil.which("ccache"):
        args += ["-DCMAKE_C_COMPILER_LAUNCHER=ccache", "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]
    sh(*args)
    sh("cmake", "--build", fw, "-j", "2", "--target", "mcu_finetune_interop")
    return os.path.join(fw, "mcu_finetune_interop.elf")


def run_device(out, elf, n):
    flash = os.path.join(out, "flash.bin")
    if os.path.exists(flash):
        os.unlink(flash)  # a fresh device: no checkpoint to resume
    total = n["device"] * n["device_epochs"]
    d = lambda name: os.path.join(out, name)  # noqa: E731
    text = sh(os.path.join(REPO, "scripts", "mcu-run.sh"), "mps2-an386", elf, "--method", "tinyprop",
              "--lr", "0.01", "--epochs", n["device_epochs"],
              "--train", d("device-images.idx"), d("device-labels.idx"),
              "--test", d("device_test-images.idx"), d("device_test-labels.idx"), "--test-count", n["test"],
              "--flash", flash, "--checkpoint-every", total)
    with open(d("device.log"), "w", encoding="utf-8") as f:
        f.write(text)
    result = next(l for l in text.splitlines() if l.startswith("result "))
    fields = dict(re.findall(r"(\w+)=(\S+)", result))
    return flash, fields


def export_onnx(tp, out, device_tpm, checks):
    """Step 8: the device's model as ONNX and back."""
    path, back = os.path.join(out, "device.onnx"), os.path.join(out, "device-reimported.tpm")
    sh(tp, "export", "--model-in", device_tpm, "--format", "onnx", "--out", path, "-q")
    try:
        import onnx
        onnx.checker.check_model(onnx.load(path))
        checks["onnx.checker accepts device.onnx"] = True
    except ImportError:
        if os.environ.get("TINYPROP_REQUIRE_ALL") == "1":  # make test installs python3-onnx
            raise SystemExit("interop: python3-onnx is not installed (scripts/install-deps.sh cli)")
        log("python3-onnx not installed: onnx.checker skipped")
    sh(tp, "import", path, "--out", back, "-q")
    checks["device.onnx re-imports to identical parameters"] = bool(np.array_equal(
        tinyprop.read_tpm(back).flat_params(), tinyprop.read_tpm(device_tpm).flat_params()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few samples (the make test version)")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "interop"))
    ap.add_argument("--tinyprop", default=os.path.join(REPO, "build", "release", "tinyprop"))
    a = ap.parse_args()
    n = SIZES["quick" if a.quick else "full"]
    out, tp = os.path.abspath(a.out), a.tinyprop
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    sets = make_data(out, n)
    csv = lambda name: ["--csv", os.path.join(out, name + ".csv"), "--csv-shape", "12x12x1"]  # noqa: E731
    tests = ("clean_test", "test", "device_test")
    rows = {}

    def evaluate(label, model_path):
        rows[label] = [tp_json(tp, "eval", "--model-in", model_path, *csv(t))["accuracy"] for t in tests]

    pre, import_same = import_model(tp, out)
    evaluate("pretrained in PyTorch, imported (tinyprop eval)", pre)

    host = os.path.join(out, "host.tpm")
    sh(tp, "finetune", "--model-in", pre, *csv("host"), "--method", "tinyprop", "--lr", "0.01",
       "--epochs", n["host_epochs"], "--seed", 1, "--out", host, "-q")
    evaluate("fine-tuned on the host, TinyProp (tinyprop eval)", host)

    header = os.path.join(out, "model.h")
    sh(tp, "export", "--model-in", host, "--out", header, "--symbol", "mcu_model", "--freeze", FREEZE, "-q")
    elf = build_firmware(out, header)
    flash, device = run_device(out, elf, n)
    rows["fine-tuned on the device (firmware under QEMU)"] = [None, None, float(device["acc"]) / 100]

    # Back: the device's checkpoint into the architecture it trained (the head trainable).
    base = tinyprop.read_tpm(host)
    for i in [i for i, p in enumerate(base.params) if p is not None][:FREEZE]:
        base.layers[i].trainable = False
    ck = tinyprop.read_checkpoint(flash)
    tuned = tinyprop.apply_checkpoint(base, ck, flash)
    device_tpm = os.path.join(out, "device.tpm")
    tinyprop.write_tpm(device_tpm, tuned)
    got_sum = f"0x{fnv1a64(tuned.flat_params()):016x}"
    accs, where = zip(*(accuracy_torch(tuned, *sets[t]) for t in tests))
    rows[f"device weights back in {where[0]}"] = list(accs)
    evaluate("device weights back (tinyprop eval)", device_tpm)
    checks = {
        "tinyprop import = the package's conversion": import_same,
        "checkpoint position = samples trained": ck.position == n["device"] * n["device_epochs"],
        "parameter checksum = firmware's": got_sum == device["checksum"],
        "frozen backbone unchanged": all(np.array_equal(tuned.params[i][0], base.params[i][0])
                                         for i, l in enumerate(base.layers)
                                         if l.kind in tinyprop.tpm.PARAM_KINDS and not l.trainable),
        "device test accuracy there = firmware's": abs(accs[2] - float(device["acc"]) / 100) < 0.5 / n["test"],
    }
    export_onnx(tp, out, device_tpm, checks)
    summary = {"sizes": n, "tests": tests, "accuracy": rows, "checks": checks,
               "firmware_checksum": device["checksum"], "checkpoint": ck.origin,
               "seconds": round(time.time() - t0, 1)}
    with open(os.path.join(out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
    pct = lambda v: "      -" if v is None else f"{100 * v:6.2f}%"  # noqa: E731
    print(f"\naccuracy on {n['test']} test images each:  clean | host shift | device shift")
    for k, v in rows.items():
        print(f"  {pct(v[0])}  {pct(v[1])}  {pct(v[2])}   {k}")
    for k, v in checks.items():
        print(f"  {'ok  ' if v else 'FAIL'} {k}")
    print(f"({summary['seconds']} s; {os.path.relpath(out, REPO)}/summary.json)")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
