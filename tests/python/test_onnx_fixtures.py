"""The torch-made fixtures (tests/fixtures/onnx, refgen/make_onnx_fixtures.py) through the package.

The committed .tpm of each model is python/tinyprop's conversion of the torch model; its numpy
forward on the recorded inputs must give torch's recorded outputs within 1e-5 relative (no torch
needed). Where torch is installed, the generator's models are converted again and must give the
committed .tpm bytes, so the committed files cannot go stale.
"""
import json
import os
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "python"))
import tinyprop  # noqa: E402
from tp_testutil import requires_torch  # noqa: E402

FIXTURES = os.path.join(REPO, "tests", "fixtures", "onnx")
MODELS = ("mlp", "cnn", "keras", "cnn_gap")
RTOL = 1e-5


def load(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def relative_error(got, want):
    """max |got - want| / max |want|: relative to the output's scale (elementwise relative error
    is meaningless for outputs near zero)."""
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-30))


def package_outputs(fx):
    """The package's forward of the committed .tpm on the fixture inputs, mapped like torch's
    output (the trailing softmax / log-softmax the conversion turned into the loss)."""
    model = tinyprop.read_tpm(os.path.join(FIXTURES, fx["tpm"]))
    shape = fx["input_shape"]
    x = np.array(fx["inputs"], dtype=np.float32).reshape(shape)
    x = tinyprop.nchw_to_hwc(x) if len(shape) == 4 else x
    logits = tinyprop.forward(model, x)
    if fx["output"] == "softmax":
        return logits, tinyprop.softmax(logits)
    if fx["output"] == "log_softmax":
        z = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
        return logits, (z - np.log(np.exp(z).sum(axis=1, keepdims=True))).astype(np.float32)
    return logits, logits


class OnnxFixtureOutputs(unittest.TestCase):
    def test_outputs_match_torch(self):
        for name in MODELS:
            with self.subTest(model=name):
                fx = load(name)
                logits, out = package_outputs(fx)
                want = np.array(fx["outputs"], dtype=np.float32)
                want_logits = np.array(fx["logits"], dtype=np.float32)
                self.assertEqual(out.shape, want.shape)
                e_out, e_logits = relative_error(out, want), relative_error(logits, want_logits)
                print(f"  {name}: max relative error outputs {e_out:.2e}, logits {e_logits:.2e}",
                      file=sys.stderr)
                self.assertLess(e_out, RTOL)
                self.assertLess(e_logits, RTOL)

    def test_fixtures_are_not_trivial(self):
        # Outputs that differ per sample and per class: a constant output would match anything.
        for name in MODELS:
            want = np.array(load(name)["logits"])
            self.assertGreater(np.ptp(want, axis=0).min(), 1e-3, name)
            self.assertGreater(np.ptp(want, axis=1).min(), 1e-3, name)

    def test_bn_was_folded(self):
        # The CNN's BatchNorm layers are gone from the .tpm (folded), its dropout and softmax too.
        kinds = [l.kind for l in tinyprop.read_tpm(os.path.join(FIXTURES, "cnn.tpm")).layers]
        self.assertEqual(kinds, ["conv2d", "relu", "depthwise_conv2d", "relu", "avg_pool2d", "conv2d",
                                 "leaky_relu", "max_pool2d", "flatten", "dense", "relu", "dense"])

    def test_bad_cases_are_described(self):
        with open(os.path.join(FIXTURES, "bad.json"), encoding="utf-8") as f:
            cases = json.load(f)["cases"]
        self.assertGreaterEqual(len(cases), 4)
        for c in cases:
            self.assertTrue(os.path.isfile(os.path.join(FIXTURES, c["file"])), c["file"])
            self.assertTrue(c["error_contains"])


@requires_torch
class OnnxFixturesRegenerate(unittest.TestCase):
    """With torch: the generator's conversion reproduces the committed .tpm bytes."""

    def test_conversion_reproduces_committed_tpm(self):
        import contextlib
        import io
        import tempfile
        import torch  # noqa: F401
        sys.path.insert(0, os.path.join(REPO, "refgen"))
        import make_onnx_fixtures as gen
        with tempfile.TemporaryDirectory() as out:
            torch.set_num_threads(1)
            for i, (name, (builder, shape, kind)) in enumerate(gen.MODELS.items()):
                with contextlib.redirect_stdout(io.StringIO()):
                    gen.write_model(out, name, builder, shape, kind, 1300 + i)
                with open(os.path.join(out, name + ".tpm"), "rb") as a, \
                        open(os.path.join(FIXTURES, name + ".tpm"), "rb") as b:
                    self.assertEqual(a.read(), b.read(), name)


if __name__ == "__main__":
    unittest.main()
