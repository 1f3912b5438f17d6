"""The example's data: 12 x 12 grayscale stroke images of 4 classes, and the same under a shift.

Class k is a line segment at 45 k degrees (0 horizontal, 1 rising diagonal, 2 vertical, 3 falling
diagonal), jittered by up to 8 degrees, 6 to 10 px long, 1 to 1.8 px thick, centred within 2 px of
the middle, on a noisy background. *Shifted* data is what a sensor mounted slightly rotated and
offset, with a weaker contrast, sees: every stroke turned further, moved, and the intensities
mapped x' = contrast x + brightness (bytes). HOST_SHIFT is the deployment's shift (the host
fine-tunes for it); DEVICE_SHIFT is one device's sensor, which has drifted further (the device
fine-tunes for it). Deterministic for a seed; pure numpy.
Images are bytes, as the firmware's IDX files hold them; the tools scale them by 1/255.
"""
import struct

import numpy as np

SIZE = 12
CLASSES = 4
NO_SHIFT = dict(rotate=0.0, dx=0.0, dy=0.0, contrast=1.0, brightness=0.0)
HOST_SHIFT = dict(rotate=20.0, dx=1.0, dy=1.0, contrast=0.75, brightness=30.0)
DEVICE_SHIFT = dict(rotate=32.0, dx=1.0, dy=-1.0, contrast=0.6, brightness=45.0)


def strokes(n, seed, shift=NO_SHIFT):
    """(images uint8 [n, 12, 12], labels uint8 [n]); the random draws do not depend on the shift."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, n).astype(np.uint8)
    angle = np.deg2rad(45.0 * labels + rng.uniform(-8, 8, n) + shift["rotate"])
    length = rng.uniform(6, 10, n)
    thick = rng.uniform(1.0, 1.8, n)
    centre = (SIZE - 1) / 2 + rng.uniform(-2, 2, (n, 2)) + np.array([shift["dx"], shift["dy"]])
    level = rng.uniform(150, 255, n)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    images = np.empty((n, SIZE, SIZE), np.uint8)
    for i in range(n):
        dx, dy = np.cos(angle[i]), -np.sin(angle[i])  # image y grows downwards
        px, py = xx - centre[i, 0], yy - centre[i, 1]
        along = px * dx + py * dy
        across = np.abs(-px * dy + py * dx)
        ink = np.clip(thick[i] / 2 + 0.5 - across, 0, 1) * np.clip(length[i] / 2 + 0.5 - np.abs(along), 0, 1)
        img = level[i] * ink + rng.normal(12, 8, (SIZE, SIZE))
        img = shift["contrast"] * img + shift["brightness"]
        images[i] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return images, labels


def as_float(images):
    """Bytes scaled as the tools scale IDX pixels: byte / 255 in float32 (HWC, one channel)."""
    return (images.astype(np.float32) / np.float32(255)).reshape(len(images), SIZE, SIZE, 1)


def write_idx(images_path, labels_path, images, labels):
    with open(images_path, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, len(images), SIZE, SIZE) + images.tobytes())
    with open(labels_path, "wb") as f:
        f.write(struct.pack(">II", 0x801, len(labels)) + labels.astype(np.uint8).tobytes())


def write_csv(path, images, labels):
    """The float features (channels last) and the label, for `tinyprop --csv --csv-shape 12x12x1`."""
    x = as_float(images).reshape(len(images), -1)
    with open(path, "w", encoding="ascii") as f:
        for row, y in zip(x, labels):
            f.write(",".join(repr(float(v)) for v in row) + f",{int(y)}\n")
