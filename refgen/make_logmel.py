#!/usr/bin/python3
"""Writes reference log-mel features for tinyprop's audio pipeline to tests/fixtures/logmel_*.json.

Run from anywhere:  /usr/bin/python3 refgen/make_logmel.py  [--out DIR]

The reference follows librosa's definitions (librosa itself is not packaged in Debian 12), written
out with numpy and scipy in float64:
  * frames: numpy.pad(y, n_fft // 2, mode) when centred, hop samples apart
    (librosa.stft(center=True); pad mode "reflect" as in librosa < 0.10 and the DCASE2020 baseline)
  * window: scipy.signal.get_window("hann", n_fft, fftbins=True) (periodic Hann)
  * spectrum: |numpy.fft.rfft(window * frame)| ** power
  * mel filterbank: librosa.filters.mel (Slaney mel scale, or HTK; norm="slaney" area
    normalisation optional), self-checked against the values librosa documents for
    librosa.mel_frequencies(n_mels=40)
  * log: 20 / power * log10(mel + sys.float_info.epsilon) (the DCASE2020 baseline's formula)
The test signal is generated here (seeded numpy RandomState) and stored in the fixture as int16
samples, so the C++ test feeds exactly the same samples through its WAV reader.

Each fixture records the python, numpy and scipy versions and the command that wrote it; a rerun
with the same versions writes byte-identical files.
"""
import argparse
import json
import os
import platform
import sys

import numpy as np
import scipy
import scipy.signal

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def f32(v):
    """The shortest decimal that reads back as the same float32."""
    x = np.float32(v)
    assert np.isfinite(x)
    return float(repr(x))


# ---- librosa's mel scale, filterbank and STFT framing, in float64 --------------------------------

def hz_to_mel(f, htk):
    f = np.asanyarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep, mels)


def mel_to_hz(m, htk):
    m = np.asanyarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


def mel_frequencies(n, fmin, fmax, htk):
    return mel_to_hz(np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n), htk)


def mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk, slaney_norm):
    fftfreqs = np.linspace(0, sr / 2.0, 1 + n_fft // 2)
    mel_f = mel_frequencies(n_mels + 2, fmin, fmax, htk)
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    weights = np.zeros((n_mels, 1 + n_fft // 2))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    if slaney_norm:
        enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
        weights *= enorm[:, None]
    return weights


def log_mel(y, cfg):
    n_fft, hop = cfg["n_fft"], cfg["hop_length"]
    if cfg["padding"] != "none":
        y = np.pad(y, n_fft // 2, mode=cfg["padding"])
    n_frames = 1 + (len(y) - n_fft) // hop
    window = scipy.signal.get_window("hann", n_fft, fftbins=True)
    frames = np.stack([y[t * hop:t * hop + n_fft] for t in range(n_frames)])  # [frames, n_fft]
    spectrum = np.abs(np.fft.rfft(frames * window, axis=1)) ** cfg["power"]  # [frames, bins]
    fmax = cfg["fmax"] if cfg["fmax"] > 0 else cfg["sample_rate"] / 2.0
    w = mel_filterbank(cfg["sample_rate"], n_fft, cfg["n_mels"], cfg["fmin"], fmax,
                       cfg["mel_scale"] == "htk", cfg["slaney_norm"])
    mel = spectrum @ w.T  # [frames, n_mels]
    return 20.0 / cfg["power"] * np.log10(mel + sys.float_info.epsilon), w


def self_check():
    """librosa documents mel_frequencies(n_mels=40) (fmin 0, fmax 11025, Slaney) as these values."""
    documented = [0., 85.317, 170.635, 255.952, 341.269, 426.586, 511.904, 597.221, 682.538,
                  767.855, 853.173, 938.49, 1024.856, 1119.114, 1222.042, 1334.436, 1457.167,
                  1591.187, 1737.532, 1897.337, 2071.84, 2262.393, 2470.47, 2697.686, 2945.799,
                  3216.731, 3512.582, 3835.643, 4188.417, 4573.636, 4994.285, 5453.621, 5955.205,
                  6502.92, 7101.009, 7754.107, 8467.272, 9246.028, 10096.408, 11025.]
    got = mel_frequencies(40, 0.0, 11025.0, False)
    assert np.max(np.abs(got - documented)) < 2e-3, "mel scale does not match librosa's documented values"


# ---- test signal ------------------------------------------------------------------------------

def test_signal(sr, seconds, seed):
    """Harmonics of 220 Hz, a chirp 300 -> 6000 Hz, a click, and white noise at about -40 dBFS
    (so that no mel band is near silence, where float32 rounding would dominate)."""
    rng = np.random.RandomState(seed)
    t = np.arange(int(sr * seconds)) / sr
    y = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 440 * t + 0.3)
    y += 0.05 * np.sin(2 * np.pi * (300 * t + (6000 - 300) / (2 * seconds) * t ** 2))
    y[len(y) // 3] += 0.5
    y += 0.01 * rng.standard_normal(len(y))
    return np.clip(np.round(y * 32768.0), -32768, 32767).astype(np.int16)


CONFIGS = {
    # The DCASE2020 Task 2 baseline: 16 kHz, 1024-point FFT, hop 512, 128 mel bands, power 2.
    "logmel_dcase": dict(sample_rate=16000, n_fft=1024, hop_length=512, n_mels=128, frames=5,
                         power=2.0, fmin=0.0, fmax=0.0, mel_scale="slaney", slaney_norm=True,
                         padding="reflect", seconds=0.75, seed=20200601),
    # Every option changed: HTK scale, no area normalisation, zero padding, magnitude, a band limit.
    "logmel_htk_small": dict(sample_rate=16000, n_fft=512, hop_length=160, n_mels=40, frames=3,
                             power=1.0, fmin=50.0, fmax=7000.0, mel_scale="htk", slaney_norm=False,
                             padding="constant", seconds=0.3, seed=7),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures"))
    args = ap.parse_args()
    self_check()
    for name, cfg in CONFIGS.items():
        samples = test_signal(cfg["sample_rate"], cfg["seconds"], cfg["seed"])
        y = samples.astype(np.float64) / 32768.0  # what libsndfile / librosa.load return
        lm, w = log_mel(y, cfg)
        rows = []
        for m in range(w.shape[0]):
            nz = np.nonzero(w[m])[0]
            first = int(nz[0]) if len(nz) else 0
            last = int(nz[-1]) + 1 if len(nz) else 0
            rows.append({"first_bin": first, "weights": [f32(v) for v in w[m, first:last]]})
        doc = {
            "description": "Reference log-mel spectrogram (librosa definitions in numpy/scipy, float64) "
                           "of the int16 signal below; see refgen/make_logmel.py",
            "generator": {"command": "/usr/bin/python3 refgen/make_logmel.py",
                          "python": platform.python_version(), "numpy": np.__version__,
                          "scipy": scipy.__version__},
            "config": {k: v for k, v in cfg.items() if k not in ("seconds", "seed")},
            "signal_int16": samples.tolist(),
            "n_frames": int(lm.shape[0]),
            "log_mel": [[f32(v) for v in row] for row in lm],  # [frames][n_mels]
            "mel_filterbank": rows,                            # sparse rows of W [n_mels, bins]
        }
        path = os.path.join(args.out, name + ".json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        print("wrote %s (%d frames x %d mels, %d samples)" % (path, lm.shape[0], lm.shape[1], len(samples)))


if __name__ == "__main__":
    main()
