"""nn.Sequential <-> .tpm (needs torch; skipped without it: the fixture test covers the
conversion's results without torch)."""
import unittest

import numpy as np

from tp_testutil import TempDirCase, have_torch, mean_ce, requires_torch, run, run_json, toy_data, write_csv
import tinyprop

if have_torch():
    import torch
    import torch.nn as nn


def cnn():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4), nn.BatchNorm2d(4), nn.Tanh(),
        nn.MaxPool2d(2, stride=1), nn.Dropout(0.2), nn.Flatten(), nn.Linear(4 * 2 * 2, 6),
        nn.BatchNorm1d(6), nn.LeakyReLU(0.05), nn.Linear(6, 3), nn.Softmax(dim=1))


def randomised(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=g) - 0.5)
    return model.eval()


@requires_torch
class TorchToTpm(TempDirCase):
    def setUp(self):
        super().setUp()
        torch.manual_seed(0)
        self.x = torch.rand(16, 2, 6, 6) * 2 - 1

    def test_converted_model_gives_torch_outputs_in_numpy_and_in_tinyprop(self):
        net = randomised(cnn())
        with torch.no_grad():
            want = net(self.x).numpy()
            logits = net[:-1](self.x).numpy()
        model = tinyprop.from_torch(net, (2, 6, 6))
        got = tinyprop.forward(model, tinyprop.nchw_to_hwc(self.x.numpy()))
        np.testing.assert_allclose(got, logits, rtol=0, atol=1e-5 * np.abs(logits).max())
        np.testing.assert_allclose(tinyprop.softmax(got), want, rtol=0, atol=1e-6)
        # tinyprop eval on the same samples (HWC rows): the same loss as torch's.
        labels = np.arange(16) % 3
        csv, tpm = self.path("d.csv"), self.path("m.tpm")
        write_csv(csv, tinyprop.nchw_to_hwc(self.x.numpy()), labels)
        tinyprop.write_tpm(tpm, model)
        ev = run_json("eval", "--model-in", tpm, "--csv", csv, "--csv-shape", "6x6x2")
        self.assertLess(abs(ev["loss"] - mean_ce(logits, labels)) / ev["loss"], 1e-5)

    def test_layouts_matter(self):
        # Without the NCHW -> HWC conversion the outputs are wrong: the rules are needed.
        net = randomised(cnn())
        model = tinyprop.from_torch(net, (2, 6, 6))
        good = tinyprop.forward(model, tinyprop.nchw_to_hwc(self.x.numpy()))
        w, b = model.params[0]
        model.params[0] = (w.transpose(0, 3, 1, 2).reshape(w.shape), b)  # torch's bytes as is
        bad = tinyprop.forward(model, tinyprop.nchw_to_hwc(self.x.numpy()))
        self.assertGreater(np.abs(good - bad).max(), 1e-2)

    def test_back_to_torch_and_again(self):
        net = randomised(cnn())
        model = tinyprop.from_torch(net, (2, 6, 6), trainable_last=2)
        self.assertEqual([l.trainable for l, p in zip(model.layers, model.params) if p], [False, False, True, True])
        back = tinyprop.to_torch(model)
        with torch.no_grad():
            np.testing.assert_allclose(torch.softmax(back(self.x), 1).numpy(), net(self.x).numpy(), atol=1e-6)
        again = tinyprop.from_torch(back, (2, 6, 6), trainable_last=2)
        self.assertEqual(tinyprop.encode(again), tinyprop.encode(model))  # exact parameters

    def test_padding_torch_cannot_express_is_explicit(self):
        # Asymmetric "same" padding (stride 2, even input) and pooling padding above half a window.
        from tinyprop import Layer, Model
        layers = [Layer("conv2d", filters=3, kernel=(3, 3), stride=(2, 2), pad_same=True), Layer("relu"),
                  Layer("avg_pool2d", kernel=(2, 2), stride=(1, 1), pad_same=True),
                  Layer("max_pool2d", kernel=(2, 2), stride=(1, 1), pad=(1, 1)), Layer("flatten"),
                  Layer("dense", units=3)]
        m = Model((6, 6, 2), layers, [None] * 6)
        rng = np.random.default_rng(1)
        shapes = [(6, 6, 2)] + m.shapes()
        for i, l in enumerate(layers):
            ps = tinyprop.tpm.param_shapes(l, shapes[i])
            m.params[i] = ps and tuple(rng.normal(0, 1, s).astype(np.float32) for s in ps)
        want = tinyprop.forward(m, tinyprop.nchw_to_hwc(self.x.numpy()))
        with torch.no_grad():
            got = tinyprop.to_torch(m)(self.x).numpy()
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())

    def test_tinyprop_trained_models_in_torch(self):
        # Models `tinyprop train` wrote, every window kind among them, give tinyprop's eval loss
        # as nn.Sequentials fed NCHW tensors.
        specs = {"cnn:8x8x2-c4k3s2+same-dw3pad1-a2s1-m2pad1-c3k1-gap:leaky_relu": (8, 8, 2),
                 "cnn:9x7x2-c4k3x2pad1x0-p2-d5-d3:tanh": (9, 7, 2), "mlp:6-8-5-3:sigmoid": (1, 1, 6)}
        for spec, shape in specs.items():
            with self.subTest(spec=spec):
                x, y = toy_data(40, shape, 3, seed=7)
                csv, tpm = self.path("d.csv"), self.path("m.tpm")
                write_csv(csv, x, y)
                arg = "x".join(map(str, shape))
                run("train", "--model", spec, "--csv", csv, "--csv-shape", arg, "--epochs", "2", "--out", tpm, "-q")
                net = tinyprop.to_torch(tinyprop.read_tpm(tpm))
                xt = torch.from_numpy(tinyprop.hwc_to_nchw(x) if shape[:2] != (1, 1) else x.reshape(40, -1))
                with torch.no_grad():
                    loss = float(nn.functional.cross_entropy(net(xt), torch.from_numpy(y)))
                ev = run_json("eval", "--model-in", tpm, "--csv", csv, "--csv-shape", arg)
                self.assertLess(abs(loss - ev["loss"]) / ev["loss"], 1e-5, (loss, ev["loss"]))

    def test_unsupported_layers_name_themselves(self):
        cases = [
            (nn.Sequential(nn.Linear(4, 4), nn.GELU(), nn.Linear(4, 2)), "layer '1' (GELU)"),
            (nn.Sequential(nn.Linear(4, 4), nn.Softmax(dim=1), nn.Linear(4, 2)), "only as the last layer"),
            (nn.Sequential(nn.ReLU(), nn.BatchNorm1d(4), nn.Linear(4, 2)), "must follow a Conv2d or Linear"),
            (nn.Sequential(nn.Sequential(nn.Linear(4, 4)), nn.Sequential(nn.LSTM(4, 4))), "layer '1.0' (LSTM)"),
            (nn.Sequential(nn.Conv2d(4, 4, 3, dilation=2)), "dilation"),
            (nn.Sequential(nn.Conv2d(4, 6, 1, groups=2)), "groups=2"),
            (nn.Sequential(nn.AvgPool2d(3, 1, 1)), "count_include_pad=True"),
            (nn.Sequential(nn.MaxPool2d(2, ceil_mode=True)), "ceil_mode"),
        ]
        for net, fragment in cases:
            with self.subTest(fragment=fragment):
                shape = (4, 6, 6) if isinstance(net[0], (nn.Conv2d, nn.AvgPool2d, nn.MaxPool2d)) else (4,)
                with self.assertRaises(tinyprop.UnsupportedLayer) as e:
                    tinyprop.from_torch(net.eval(), shape)
                self.assertIn(fragment, str(e.exception))


if __name__ == "__main__":
    unittest.main()
