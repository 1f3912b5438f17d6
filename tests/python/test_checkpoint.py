"""Device checkpoint weights: checkpoints written by `tinyprop finetune` read into the base model,
flash images, and weights-only checkpoints written by Python that tinyprop restores."""
import struct
import zlib

import numpy as np

from tp_testutil import TempDirCase, run, run_json, toy_data, write_csv
import tinyprop
from tinyprop import checkpoint as ck_mod

SPEC, SHAPE = "cnn:6x6x2-c3k3-p2-d3", (6, 6, 2)


def frozen_first(path_in, path_out):
    """The same model with its first layer with parameters frozen (checkpoints skip it)."""
    m = tinyprop.read_tpm(path_in)
    m.layers[0].trainable = False
    tinyprop.write_tpm(path_out, m)
    return m


class CheckpointWeights(TempDirCase):
    def setUp(self):
        super().setUp()
        x, y = toy_data(40, SHAPE, 3, seed=11)
        self.csv = self.path("d.csv")
        write_csv(self.csv, x, y)
        self.pre = self.path("pre.tpm")
        run("train", "--model", SPEC, "--csv", self.csv, "--csv-shape", "6x6x2", "--epochs", "1",
            "--out", self.pre, "-q")
        self.base = frozen_first(self.pre, self.path("base.tpm"))

    def finetune(self, *extra, model_in=None, out="tuned.tpm"):
        run("finetune", "--model-in", model_in or self.path("base.tpm"), "--csv", self.csv,
            "--csv-shape", "6x6x2", "--method", "tinyprop", "--epochs", "1", "--batch", "1",
            "--out", self.path(out), "-q", *extra)
        return tinyprop.read_tpm(self.path(out))

    def test_checkpoint_applied_to_base_is_the_finetuned_model(self):
        tuned = self.finetune("--checkpoint-out", self.path("run.ck"))
        ck = tinyprop.read_checkpoint(self.path("run.ck"))
        self.assertEqual(ck.position, 40)
        got = tinyprop.apply_checkpoint(self.base, ck)
        np.testing.assert_array_equal(got.flat_params(), tuned.flat_params())
        # The frozen layer is the base's, the others moved.
        np.testing.assert_array_equal(got.params[0][0], self.base.params[0][0])
        self.assertFalse(np.array_equal(got.params[-1][0], self.base.params[-1][0]))

    def test_flash_image_newest_slot(self):
        # Two slots as the firmware's flash store lays them out: the final state (sequence 7) and
        # an earlier one (sequence 6, after 20 of the 40 samples).
        self.finetune("--checkpoint-out", self.path("run.ck"))
        self.finetune("--checkpoint-out", self.path("early.ck"), "--stop-after", "20", out="part.tpm")
        with open(self.path("run.ck"), "rb") as f:
            final = f.read()
        with open(self.path("early.ck"), "rb") as f:
            early = f.read()
        image = bytearray(b"\xff" * (2 * 4096 * (len(final) // 4096 + 1)))
        half = len(image) // 2

        def slot(at, seq, data):
            head = struct.pack("<IIIII8s", ck_mod.SLOT_MAGIC, seq, len(data), zlib.crc32(data), 0, b"\xff" * 8)
            image[at:at + 28] = head
            image[at + 28:at + 32] = struct.pack("<I", zlib.crc32(head))
            image[at + 32:at + 32 + len(data)] = data

        slot(0, 7, final)
        slot(half, 6, early)
        flash = self.path("flash.bin")
        for damaged, origin, want in ((False, "flash image slot 0 (sequence 7)", final),
                                      (True, "flash image slot 1 (sequence 6)", early)):
            if damaged:
                image[40] ^= 1  # slot 0's payload: the older slot is now the newest valid one
            with open(flash, "wb") as f:
                f.write(image)
            ck = tinyprop.read_checkpoint(flash)
            self.assertEqual(ck.origin, origin)
            np.testing.assert_array_equal(ck.params, ck_mod.parse_checkpoint(want).params)
            info = run_json("info", "--checkpoint", flash)  # tinyprop takes the same slot
            self.assertEqual((info["origin"], info["position"]), (origin, ck.position))
        self.assertEqual(ck.position, 20)

    def test_foreign_and_damaged_checkpoints_are_refused(self):
        self.finetune("--checkpoint-out", self.path("run.ck"))
        ck = tinyprop.read_checkpoint(self.path("run.ck"))
        pre = tinyprop.read_tpm(self.pre)  # every layer trainable: another spec hash
        with self.assertRaisesRegex(tinyprop.TinypropError, "another model"):
            tinyprop.apply_checkpoint(pre, ck)
        other = tinyprop.read_tpm(self.path("base.tpm"))
        other.params[0] = (other.params[0][0] + 1, other.params[0][1])
        with self.assertRaisesRegex(tinyprop.TinypropError, "frozen weights differ"):
            tinyprop.apply_checkpoint(other, ck)
        with open(self.path("run.ck"), "rb") as f:
            data = bytearray(f.read())
        data[100] ^= 8
        with self.assertRaisesRegex(tinyprop.TinypropError, "CRC mismatch"):
            ck_mod.parse_checkpoint(bytes(data), "x")

    def test_weights_checkpoint_from_python_resumes_like_the_model_file(self):
        # Python moves the weights (as a host-side edit would), writes them as a weights-only
        # checkpoint; tinyprop restores it onto the base and fine-tunes exactly as from a .tpm
        # holding those weights.
        edited = tinyprop.read_tpm(self.path("base.tpm"))
        w, b = edited.params[-1]
        edited.params[-1] = (w * np.float32(0.5), b + np.float32(0.25))
        tinyprop.write_tpm(self.path("edited.tpm"), edited)
        tinyprop.write_weights_checkpoint(self.path("py.ck"), edited)
        _, out, _ = run("info", "--checkpoint", self.path("py.ck"), "--model-in", self.path("base.tpm"))
        self.assertIn("weights", out)
        a = self.finetune("--resume", self.path("py.ck"), out="a.tpm")
        b_ = self.finetune(model_in=self.path("edited.tpm"), out="b.tpm")
        np.testing.assert_array_equal(a.flat_params(), b_.flat_params())
        self.assertFalse(np.array_equal(a.flat_params(), edited.flat_params()))  # it trained

    def test_spec_hash_matches_the_core(self):
        self.finetune("--checkpoint-out", self.path("run.ck"))
        ck = tinyprop.read_checkpoint(self.path("run.ck"))
        self.assertEqual(ck.spec_hash, ck_mod.spec_hash(self.base))
        self.assertEqual(ck.frozen_crc, ck_mod.frozen_crc(self.base))
