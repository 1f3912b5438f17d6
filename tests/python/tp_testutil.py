"""Shared by the package's tests: the tinyprop binary, temporary folders, CSV data, runs."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "python"))  # the tests import tinyprop after this module


def tinyprop_bin():
    """The CLI the ctest names (TINYPROP_BIN), else the release build's."""
    path = os.environ.get("TINYPROP_BIN") or os.path.join(REPO, "build", "release", "tinyprop")
    if not os.access(path, os.X_OK):
        if os.environ.get("TINYPROP_REQUIRE_ALL") == "1":
            raise AssertionError(f"no tinyprop binary at {path}")
        raise unittest.SkipTest(f"no tinyprop binary at {path} (build it, or set TINYPROP_BIN)")
    return path


def have_torch():
    import importlib.util
    return importlib.util.find_spec("torch") is not None


def requires_torch(cls):
    """Class decorator: the tests need torch. Without it they skip, except under make test
    (TINYPROP_REQUIRE_ALL=1, which installs python3-torch), where a missing torch fails them."""
    if have_torch():
        return cls
    if os.environ.get("TINYPROP_REQUIRE_ALL") == "1":
        def setUp(self):
            raise AssertionError("torch is not installed (Debian's python3-torch; "
                                 "scripts/install-deps.sh refgen)")
        cls.setUp = setUp
        return cls
    return unittest.skip("torch not installed")(cls)


def run(*args, ok=True):
    """Runs tinyprop with args; returns (returncode, stdout, stderr)."""
    p = subprocess.run([tinyprop_bin(), *map(str, args)], capture_output=True, text=True)
    if ok and p.returncode != 0:
        raise AssertionError(f"tinyprop {' '.join(map(str, args))} failed: {p.stderr.strip()}")
    return p.returncode, p.stdout, p.stderr


def run_json(*args):
    return json.loads(run(*args, "--json", "-q")[1])


def write_csv(path, x, labels):
    """Rows of features (channels last for maps) with the label last."""
    x = np.asarray(x, np.float32).reshape(len(labels), -1)
    with open(path, "w", encoding="ascii") as f:
        for row, y in zip(x, labels):
            f.write(",".join(repr(float(v)) for v in row) + f",{int(y)}\n")


def toy_data(n, shape, classes, seed):
    """Learnable HWC samples: class k raises channel-mixed blob k, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    protos = rng.normal(0, 1, (classes,) + tuple(shape)).astype(np.float32)
    x = protos[labels] + rng.normal(0, 0.5, (n,) + tuple(shape)).astype(np.float32)
    return x.astype(np.float32), labels


def mean_ce(logits, labels):
    z = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(labels)), labels].mean())


class TempDirCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tinyprop-py-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)
