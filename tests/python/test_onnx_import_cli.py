"""`tinyprop import` of the torch-made ONNX fixtures, checked from Python: the imported model's
forward gives torch's outputs within 1e-5 relative, and its parameters are bit for bit the
package's conversion of the same torch model; every malformed or unsupported file is refused with the fragments bad.json names."""
import json
import os
import sys
import unittest

import numpy as np

from tp_testutil import TempDirCase, run
from test_onnx_fixtures import FIXTURES, MODELS, RTOL, load, relative_error
import tinyprop


class OnnxImport(TempDirCase):
    def test_imported_models_give_torch_outputs(self):
        for name in MODELS:
            with self.subTest(model=name):
                fx = load(name)
                out = self.path(name + ".tpm")
                run("import", os.path.join(FIXTURES, fx["onnx"]), "--out", out, "-q")
                imported = tinyprop.read_tpm(out)
                shape = fx["input_shape"]
                x = np.array(fx["inputs"], dtype=np.float32).reshape(shape)
                x = tinyprop.nchw_to_hwc(x) if len(shape) == 4 else x
                logits = tinyprop.forward(imported, x)
                want = np.array(fx["logits"], dtype=np.float32)
                err = relative_error(logits, want)
                print(f"  {name}: tinyprop import, max relative error of the logits {err:.2e}", file=sys.stderr)
                self.assertLess(err, RTOL)
                package = tinyprop.read_tpm(os.path.join(FIXTURES, fx["tpm"]))
                self.assertEqual([l.kind for l in imported.layers], [l.kind for l in package.layers])
                # Both fold BatchNorm in float64 and round once: the same float32 bits.
                np.testing.assert_array_equal(imported.flat_params(), package.flat_params())

    def test_bad_files_are_refused_naming_the_problem(self):
        with open(os.path.join(FIXTURES, "bad.json"), encoding="utf-8") as f:
            cases = json.load(f)["cases"]
        for c in cases:
            with self.subTest(file=c["file"]):
                out = self.path("x.tpm")
                code, _, err = run("import", os.path.join(FIXTURES, c["file"]), "--out", out, ok=False)
                self.assertNotEqual(code, 0)
                self.assertEqual(len(err.strip().splitlines()), 1, err)
                self.assertTrue(err.startswith("tinyprop: error: "), err)
                for fragment in c["error_contains"]:
                    self.assertIn(fragment, err)
                self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
