"""The package's .tpm codec and numpy forward against the C++ tools (tinyprop train/eval/info)."""
import os
import struct
import unittest
import zlib

import numpy as np

from tp_testutil import TempDirCase, mean_ce, run, run_json, toy_data, write_csv
import tinyprop
from tinyprop import Layer, Model

# Every layer kind the format stores, between them: padded, strided, "same", rectangular.
TRAINED_SPECS = {
    "mlp": ("mlp:6-8-5-3:sigmoid", (1, 1, 6)),
    "cnn": ("cnn:8x8x2-c4k3s2+same-dw3pad1-a2s1-m2pad1-c3k1-gap:leaky_relu", (8, 8, 2)),
    "cnn_dense": ("cnn:9x7x2-c4k3x2pad1x0-p2-d5-d3:tanh", (9, 7, 2)),
}


def python_model(rng):
    """A model written by Python only: every kind, asymmetric "same" padding, a frozen layer."""
    layers = [Layer("conv2d", filters=3, kernel=(3, 2), stride=(2, 1), pad_same=True, trainable=False),
              Layer("leaky_relu", alpha=float(np.float32(0.2))),
              Layer("depthwise_conv2d", kernel=(2, 2), pad=(1, 1)), Layer("sigmoid"),
              Layer("max_pool2d", kernel=(2, 2), stride=(1, 1), pad=(1, 0)),
              Layer("avg_pool2d", kernel=(3, 3), stride=(2, 2), pad=(1, 1)), Layer("tanh"),
              Layer("flatten"), Layer("dense", units=6), Layer("relu"), Layer("dense", units=3)]
    m = Model(input_shape=(7, 6, 2), layers=layers, params=[None] * len(layers))
    at = m.input_shape
    for i, (l, shape) in enumerate(zip(layers, m.shapes())):
        ps = tinyprop.tpm.param_shapes(l, at)
        if ps:
            m.params[i] = tuple(rng.normal(0, 0.6, s).astype(np.float32) for s in ps)
        at = shape
    return m


class TrainedByTinyprop(TempDirCase):
    """A .tpm written by `tinyprop train` is read by Python: same bytes back, same forward."""

    def test_read_reencode_and_forward(self):
        for name, (spec, shape) in TRAINED_SPECS.items():
            with self.subTest(model=name):
                x, y = toy_data(60, shape, 3, seed=len(name))
                csv = self.path(name + ".csv")
                write_csv(csv, x, y)
                tpm = self.path(name + ".tpm")
                shape_arg = "x".join(map(str, shape))
                run("train", "--model", spec, "--csv", csv, "--csv-shape", shape_arg, "--epochs", "2",
                    "--out", tpm, "-q")
                with open(tpm, "rb") as f:
                    raw = f.read()
                model = tinyprop.read_tpm(tpm)
                self.assertEqual(tinyprop.encode(model), raw)  # canonical: same bytes
                ev = run_json("eval", "--model-in", tpm, "--csv", csv, "--csv-shape", shape_arg)
                logits = tinyprop.forward(model, x)
                acc = float((logits.argmax(axis=1) == y).mean())
                self.assertAlmostEqual(acc, ev["accuracy"], places=6)
                loss = mean_ce(logits, y)
                self.assertLess(abs(loss - ev["loss"]) / ev["loss"], 1e-5, (loss, ev["loss"]))

    def test_optimizer_state_round_trips(self):
        x, y = toy_data(20, (1, 1, 6), 3, seed=9)
        csv, tpm = self.path("d.csv"), self.path("adam.tpm")
        write_csv(csv, x, y)
        run("train", "--model", "mlp:6-4-3", "--csv", csv, "--optimizer", "adam",
            "--batch", "1", "--epochs", "1", "--save-optimizer-state", "--out", tpm, "-q")
        model = tinyprop.read_tpm(tpm)
        self.assertEqual(model.optimizer, "adam")
        self.assertEqual(model.optimizer_steps, 20)
        self.assertEqual(model.optimizer_state.size, 2 * model.flat_params().size)
        with open(tpm, "rb") as f:
            self.assertEqual(tinyprop.encode(model), f.read())


class WrittenByPython(TempDirCase):
    """A .tpm written by Python is read by `tinyprop info` and `tinyprop eval`."""

    def test_info_and_eval_read_it(self):
        model = python_model(np.random.default_rng(3))
        tpm = self.path("py.tpm")
        tinyprop.write_tpm(tpm, model)
        info = run_json("info", "--model-in", tpm)
        self.assertEqual([l["kind"] for l in info["layers"]], [l.kind for l in model.layers])
        self.assertEqual([l["trainable"] for l in info["layers"] if l["params"] > 0], [False, True, True, True])
        x, y = toy_data(30, (7, 6, 2), 3, seed=4)
        csv = self.path("d.csv")
        write_csv(csv, x, y)
        ev = run_json("eval", "--model-in", tpm, "--csv", csv, "--csv-shape", "7x6x2")
        logits = tinyprop.forward(model, x)
        self.assertGreater(np.ptp(logits), 0.1)  # not a degenerate model
        loss = mean_ce(logits, y)
        self.assertLess(abs(loss - ev["loss"]) / ev["loss"], 1e-5, (loss, ev["loss"]))
        self.assertAlmostEqual(float((logits.argmax(1) == y).mean()), ev["accuracy"], places=6)

    def test_new_file_gets_umask_mode(self):
        tpm = self.path("m.tpm")
        tinyprop.write_tpm(tpm, python_model(np.random.default_rng(1)))
        umask = os.umask(0)
        os.umask(umask)
        self.assertEqual(os.stat(tpm).st_mode & 0o777, 0o666 & ~umask)


class DamageIsRefusedAlike(TempDirCase):
    """Python refuses damaged files with the C++ loader's message (after the path)."""

    def cpp_error(self, path):
        code, _, err = run("info", "--model-in", path, ok=False)
        self.assertNotEqual(code, 0)
        return err.strip().removeprefix("tinyprop: error: ")

    def test_same_messages(self):
        good = tinyprop.encode(python_model(np.random.default_rng(2)))
        bad = {
            "magic": b"XPMF" + good[4:],
            "truncated": good[:-7],
            "trailing": good + b"\0\0\0",
            "crc": good[:60] + bytes([good[60] ^ 4]) + good[61:],
        }
        for what, data in bad.items():
            with self.subTest(damage=what):
                path = self.path(what + ".tpm")
                with open(path, "wb") as f:
                    f.write(data)
                with self.assertRaises(tinyprop.TinypropError) as e:
                    tinyprop.read_tpm(path)
                self.assertEqual(str(e.exception), self.cpp_error(path))

    def test_optimizer_state_of_the_wrong_size(self):
        x, y = toy_data(10, (1, 1, 6), 3, seed=9)
        csv, tpm = self.path("d.csv"), self.path("adam.tpm")
        write_csv(csv, x, y)
        run("train", "--model", "mlp:6-4-3", "--csv", csv, "--optimizer", "adam", "--epochs", "1",
            "--save-optimizer-state", "--out", tpm, "-q")
        with open(tpm, "rb") as f:
            good = f.read()
        model = tinyprop.decode(good)
        n = model.optimizer_state.size  # 2T: keep T floats (SGD-momentum's size, not Adam's)
        meta = 4 + len(model.metadata)
        at = len(good) - 4 - meta - 4 * n - 4  # the u32 count before the moments
        body = bytearray(good[:at] + struct.pack("<I", n // 2) + good[at + 4:at + 4 + 2 * n]
                         + good[len(good) - 4 - meta:len(good) - 4])
        body[8:16] = struct.pack("<Q", len(body) + 4)
        path = self.path("half.tpm")
        with open(path, "wb") as f:
            f.write(bytes(body) + struct.pack("<I", zlib.crc32(bytes(body))))
        with self.assertRaises(tinyprop.TinypropError) as e:
            tinyprop.read_tpm(path)
        self.assertIn("optimizer state has", str(e.exception))
        self.assertEqual(str(e.exception), self.cpp_error(path))
        model.optimizer_state = model.optimizer_state[: n // 2]
        with self.assertRaisesRegex(tinyprop.TinypropError, "expected 86 for adam on 43"):
            tinyprop.encode(model)

    def test_every_flipped_bit_of_the_header_and_layers_is_refused(self):
        good = tinyprop.encode(python_model(np.random.default_rng(5)))
        for byte in range(0, 140):
            for bit in (0, 5):
                data = bytearray(good)
                data[byte] ^= 1 << bit
                with self.assertRaises(tinyprop.TinypropError):
                    tinyprop.decode(bytes(data))

    def test_bad_models_are_refused_before_writing(self):
        m = python_model(np.random.default_rng(6))
        m.params[0] = (m.params[0][0][:, :1], m.params[0][1])
        with self.assertRaisesRegex(tinyprop.TinypropError, r"layer 0 \(conv2d\): W has shape"):
            tinyprop.encode(m)


if __name__ == "__main__":
    unittest.main()
