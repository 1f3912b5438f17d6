"""Shared by the PyTorch golden-data generators (make_golden.py, make_golden_conv.py): float32
values in JSON, the readable fixture layout, provenance, and seeded inputs. Every fixture these
helpers write is byte-identical for the same torch/numpy versions.
"""
import json
import os
import platform
import sys

import numpy as np
import torch


# ---- float32 values in JSON ----------------------------------------------------------------------

def f32(v):
    """The shortest decimal that reads back as the same float32 (numpy's repr), as a Python float.

    json writes that float with repr(), i.e. the same short decimal. Parsing it as a double and
    rounding to float recovers the float32 exactly (53 >= 2 * 24 + 2, so no double rounding).
    """
    x = np.float32(v)
    if not np.isfinite(x):
        raise ValueError("non-finite value in golden data")
    out = float(repr(x))
    assert np.float32(out) == x
    return out


def flat(t):
    """A tensor as a flat list of float32 values (row-major)."""
    return [f32(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def rows(t):
    """A 2-D tensor as a list of rows."""
    return [flat(r) for r in t]


def dump(obj, indent=0):
    """JSON with one line per list of numbers, so fixtures stay readable and diff well."""
    pad = " " * indent
    if isinstance(obj, dict):
        if all(not isinstance(v, (dict, list)) for v in obj.values()):
            return json.dumps(obj)  # a small record of scalars: one line
        items = [f'{pad} {json.dumps(k)}: {dump(v, indent + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and obj and all(isinstance(v, (dict, list)) for v in obj):
        items = [f"{pad} {dump(v, indent + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj)


def meta(description):
    """Provenance of a fixture: the script that ran (refgen/<name>), its command and versions."""
    return {
        "description": description,
        "generator": "refgen/" + os.path.basename(sys.argv[0]),
        "command": " ".join(["/usr/bin/python3"] + sys.argv),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "dtype": "float32",
        "torch_threads": torch.get_num_threads(),
    }


def write(out_dir, name, obj):
    path = os.path.join(out_dir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(dump(obj) + "\n")
    print(f"wrote {os.path.relpath(path)}")


def generator(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def uniform(g, shape, lo, hi):
    return lo + (hi - lo) * torch.rand(shape, generator=g, dtype=torch.float32)
