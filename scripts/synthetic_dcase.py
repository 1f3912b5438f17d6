#!/usr/bin/env python3
"""Generates a synthetic stand-in for the DCASE2020 Task 2 development set with SoX.

THE SOUND IS SYNTHETIC: stationary harmonic tones plus coloured noise, one signature per machine
ID. It exercises the pipeline (layout, WAV, log-mel, autoencoder, AUC) where the real dataset
cannot be downloaded; results on it say nothing about real machines.

Called by scripts/make-synthetic-dcase.sh (see there for usage). Only the standard library is
used, and only random.Random(str).random(), whose output is fixed across Python 3 versions, so
the same seed writes the same files (SoX runs with -R, its repeatable mode).

Layout (as DCASE2020 Task 2 dev), 16 kHz, 16-bit, mono:
  <out>/<type>/train/normal_id_XX_NNNNNNNN.wav
  <out>/<type>/test/normal_id_XX_NNNNNNNN.wav
  <out>/<type>/test/anomaly_id_XX_NNNNNNNN.wav

Per machine ID (drawn from the seed): fundamental f0 (in the ID's own slice of the type's range),
harmonic amplitudes, noise colour and level,
and a housing resonance (a peaking EQ). Per normal clip: f0 jitter +-1 %, level jitter +-1 dB, and a
different noise segment (SoX's repeatable noise is the same sequence every run, so each clip
skips a random length of it). Anomalous clips add one of:
  clicks   a train of short pulses (a loose part), 3-9 per second
  drift    f0 and all harmonics glide up or down by 2-6 % over the clip (speed fault)
  harmonic an extra tone: half of the time inharmonic at 1.3-6.7 x f0 (a new vibration mode),
           half of the time at a sibling ID's f0 (normal for that machine, not for this one)
  whine    a high tone 2.5-6 kHz beating at 3-12 Hz (a worn bearing)
each at a random strength, so that some are subtle.
"""
import argparse
import concurrent.futures
import os
import random
import shutil
import subprocess
import sys

RATE = 16000
# type: (f0 range Hz, harmonics, noise kind, noise level range, EQ centre range Hz)
MACHINE_TYPES = {
    "synth_fan": ((45.0, 90.0), 4, "pinknoise", (0.10, 0.18), (300.0, 1500.0)),
    "synth_pump": ((100.0, 220.0), 5, "brownnoise", (0.06, 0.12), (500.0, 2500.0)),
    "synth_valve": ((180.0, 400.0), 3, "whitenoise", (0.02, 0.05), (1000.0, 4000.0)),
}
ANOMALIES = ("clicks", "drift", "harmonic", "whine")


def rng_for(*parts):
    """A generator seeded by a string: independent of generation order and of Python version."""
    return random.Random("/".join(str(p) for p in parts))


def uniform(r, lo, hi):
    return lo + (hi - lo) * r.random()


def machine_signature(seed, mtype, index, n_ids):
    """ID `index` of n_ids gets its own slice of the type's f0 range, so siblings differ."""
    (f0_lo, f0_hi), n_harm, noise, (nl_lo, nl_hi), (eq_lo, eq_hi) = MACHINE_TYPES[mtype]
    r = rng_for(seed, mtype, index)
    width = (f0_hi - f0_lo) / n_ids
    return {
        "f0": f0_lo + width * (index + uniform(r, 0.15, 0.85)),
        "harm": [uniform(r, 0.3, 1.0) / (h + 1) ** 0.7 for h in range(n_harm)],
        "noise": noise,
        "noise_level": uniform(r, nl_lo, nl_hi),
        "eq_hz": uniform(r, eq_lo, eq_hi),
        "eq_q": uniform(r, 0.7, 2.0),
        "eq_db": uniform(r, 3.0, 9.0),
    }


def clip_command(sig, siblings, r, seconds, anomaly, path):
    """The sox command line for one clip; r: the clip's own generator; siblings: the signatures
    of the other IDs of the same type."""
    level = 10 ** (uniform(r, -1.0, 1.0) / 20.0)
    f0 = sig["f0"] * uniform(r, 0.99, 1.01)
    offset = uniform(r, 0.0, 4.0)  # skip this much of SoX's fixed noise sequence
    length = offset + seconds
    tones, gains = [], []
    drift = None
    if anomaly == "drift":
        drift = (1.0 if r.random() < 0.5 else -1.0) * uniform(r, 0.02, 0.06)
    for h, amp in enumerate(sig["harm"]):
        f = f0 * (h + 1)
        if drift is not None:
            # linear glide; the first `offset` seconds are cut, so start the sweep there
            tones.append("sine %.3f-%.3f" % (f, f * (1.0 + drift * length / seconds)))
        else:
            tones.append("sine %.3f" % f)
        gains.append(0.22 * amp * uniform(r, 0.9, 1.1))
    tones.append(sig["noise"])
    gains.append(sig["noise_level"] * uniform(r, 0.9, 1.1))
    if anomaly == "clicks":
        # square wave with a 2-4 % duty cycle: one sharp edge pair per period
        tones.append("square %.3f 0 0 %.2f" % (uniform(r, 3.0, 9.0), uniform(r, 2.0, 4.0)))
        gains.append(uniform(r, 0.01, 0.06))
    elif anomaly == "harmonic":
        if siblings and r.random() < 0.5:
            # a tone that is normal for a sibling machine: only a model of THIS machine's normal
            # flags it, which is what per-machine fine-tuning is for
            other = siblings[int(r.random() * len(siblings)) % len(siblings)]
            tones.append("sine %.3f" % (other["f0"] * uniform(r, 0.99, 1.01)))
        else:
            tones.append("sine %.3f" % (f0 * uniform(r, 1.3, 6.7)))
        gains.append(uniform(r, 0.01, 0.06))
    elif anomaly == "whine":
        f = uniform(r, 2500.0, 6000.0)
        beat = uniform(r, 3.0, 12.0)
        tones += ["sine %.3f" % f, "sine %.3f" % (f + beat)]
        g = uniform(r, 0.002, 0.015)
        gains += [g, g]
    remix = ",".join("%dv%.5f" % (i + 1, g * level) for i, g in enumerate(gains))
    synth = " ".join(tones)
    return (["sox", "-R", "-n", "-r", str(RATE), "-b", "16", "-c", "1", path, "synth", "%.4f" % length]
            + synth.split() + ["remix", remix, "highpass", "30",
                               "equalizer", "%.1f" % sig["eq_hz"], "%.2fq" % sig["eq_q"], "%.2f" % sig["eq_db"],
                               "trim", "%.4f" % offset, "%.4f" % seconds])


def plan(args):
    jobs = []
    for mtype in args.types:
        sigs = [machine_signature(args.seed, mtype, m, args.ids) for m in range(args.ids)]
        for m in range(args.ids):
            mid = "id_%02d" % (2 * m)  # DCASE dev IDs are even numbers: id_00, id_02, ...
            sig = sigs[m]
            siblings = sigs[:m] + sigs[m + 1:]
            base = os.path.join(args.out, mtype)
            for i in range(args.train):
                r = rng_for(args.seed, mtype, mid, "train", i)
                path = os.path.join(base, "train", "normal_%s_%08d.wav" % (mid, i))
                jobs.append(clip_command(sig, siblings, r, args.seconds, None, path))
            for i in range(args.test_normal):
                r = rng_for(args.seed, mtype, mid, "test-normal", i)
                path = os.path.join(base, "test", "normal_%s_%08d.wav" % (mid, i))
                jobs.append(clip_command(sig, siblings, r, args.seconds, None, path))
            for i in range(args.test_anomaly):
                r = rng_for(args.seed, mtype, mid, "test-anomaly", i)
                kind = ANOMALIES[i % len(ANOMALIES)]
                path = os.path.join(base, "test", "anomaly_%s_%08d.wav" % (mid, i))
                jobs.append(clip_command(sig, siblings, r, args.seconds, kind, path))
    return jobs


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("sox failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr.strip()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--types", default=",".join(MACHINE_TYPES))
    ap.add_argument("--ids", type=int, default=3, help="machine IDs per type")
    ap.add_argument("--train", type=int, default=40, help="normal training clips per ID")
    ap.add_argument("--test-normal", type=int, default=24)
    ap.add_argument("--test-anomaly", type=int, default=24)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    args.types = [t for t in args.types.split(",") if t]
    for t in args.types:
        if t not in MACHINE_TYPES:
            sys.exit("synthetic_dcase: unknown machine type %r (have %s)" % (t, ", ".join(MACHINE_TYPES)))
    if shutil.which("sox") is None:
        sys.exit("synthetic_dcase: sox not found (Debian: apt-get install --no-install-recommends sox)")
    for t in args.types:
        for part in ("train", "test"):
            os.makedirs(os.path.join(args.out, t, part), exist_ok=True)
    jobs = plan(args)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(run, jobs))
    with open(os.path.join(args.out, "SYNTHETIC.txt"), "w") as f:
        f.write("Synthetic machine sounds generated by scripts/make-synthetic-dcase.sh with SoX "
                "(seed %d, %d types x %d IDs, %d train + %d normal + %d anomalous test clips of %.1f s per ID).\n"
                "Not real DCASE2020 data.\n" % (args.seed, len(args.types), args.ids, args.train,
                                                 args.test_normal, args.test_anomaly, args.seconds))
    print("synthetic_dcase: wrote %d clips to %s" % (len(jobs), args.out))


if __name__ == "__main__":
    main()
