"""The device checkpoint's weights (docs/CHECKPOINTS.md, format version 1).

A checkpoint stores only the trainable layers' parameters (frozen layers are covered by a CRC-32
of their weights), so the weights are read *into* the base model the run started from:
`apply_checkpoint(base, read_checkpoint(path))` is the fine-tuned model. The file may be a
checkpoint (magic TPCK) or a device's flash image (the firmware's --flash file: two slots of
whole 4 KB sectors, each a 32-byte TPSL header and a checkpoint); the newest valid slot is taken.
`write_weights_checkpoint` writes a weights-only checkpoint that the firmware's --resume-from and
`tinyprop finetune --resume` restore (the optimizer starts afresh, as for any weights-only one).
"""
from __future__ import annotations

import dataclasses
import struct
import zlib
from typing import List, Optional

import numpy as np

from .errors import TinypropError
from .tpm import Model, PARAM_KINDS, LOSSES, KINDS

MAGIC = b"TPCK"
VERSION = 1
HEADER_BYTES = 80
FLAG_FULL, FLAG_GRADIENTS = 1, 2
SLOT_MAGIC = 0x4C535054  # "TPSL" read as a little-endian u32
SLOT_HEADER_BYTES = 32
DEVICE_SECTOR, DEVICE_SLOTS = 4096, 2
_HEADER = "<4sHHIIIIIIQQffffIIBBBBI"  # the 80 bytes, in the order of the format table


@dataclasses.dataclass
class Checkpoint:
    flags: int
    total_bytes: int
    spec_hash: int
    config_hash: int
    frozen_crc: int
    trainable_params: int
    optimizer_steps: int
    position: int
    learning_rate: float
    last_loss: float
    batch_size: int
    optimizer: int
    method: int
    y_max: np.ndarray        # per trainable layer
    params: np.ndarray       # the trainable layers' W and b, layer order
    origin: str = "checkpoint file"


class _Crc:
    """The core's Hasher: zlib CRC-32 over little-endian u32s."""
    def __init__(self):
        self.crc = 0

    def u32(self, v: int):
        self.crc = zlib.crc32(struct.pack("<I", v & 0xFFFFFFFF), self.crc)

    def f32(self, v: float):
        self.crc = zlib.crc32(struct.pack("<f", v), self.crc)


def spec_hash(model: Model) -> int:
    """checkpoint_spec_hash: the architecture as the core hashes it."""
    h = _Crc()
    for v in model.input_shape:
        h.u32(v)
    h.u32(LOSSES.index(model.loss))
    h.u32(len(model.layers))
    for l in model.layers:
        h.u32(KINDS.index(l.kind))
        h.u32(l.units)
        h.f32(l.alpha)
        h.u32(1 if l.trainable else 0)
        h.u32(l.filters)
        h.u32(l.kernel[0] | l.kernel[1] << 16)
        h.u32(l.stride[0] | l.stride[1] << 16)
        h.u32(l.pad[0] | l.pad[1] << 16)
        h.u32(1 if l.pad_same else 0)
    return h.crc


def _trainable(model: Model) -> List[int]:
    return [i for i, l in enumerate(model.layers) if l.kind in PARAM_KINDS and l.trainable]


def frozen_crc(model: Model) -> int:
    crc = 0
    for i, l in enumerate(model.layers):
        if l.kind in PARAM_KINDS and not l.trainable:
            for a in model.params[i]:
                crc = zlib.crc32(np.asarray(a, "<f4").tobytes(), crc)
    return crc


def parse_checkpoint(data: bytes, name: str = "<bytes>") -> Checkpoint:
    data = bytes(data)
    if len(data) < HEADER_BYTES + 4 or data[:4] != MAGIC:
        raise TinypropError(f"{name}: not a checkpoint" if data[:4] != MAGIC else f"{name}: truncated")
    f = struct.unpack_from(_HEADER, data, 0)
    (_, version, header_bytes, flags, total, s_hash, c_hash, f_crc, n_params, steps, position,
     _b1, _b2, lr, loss, _in_batch, batch, opt, method, n_layers, _per_param, reserved) = f
    if version != VERSION:
        raise TinypropError(f"{name}: unsupported checkpoint version {version}")
    if header_bytes != HEADER_BYTES or reserved != 0 or flags & ~3:
        raise TinypropError(f"{name}: inconsistent checkpoint layout")
    if total > len(data):
        raise TinypropError(f"{name}: truncated: expected {total} bytes, got {len(data)}")
    if struct.unpack_from("<I", data, total - 4)[0] != zlib.crc32(data[:total - 4]):
        raise TinypropError(f"{name}: CRC mismatch (damaged)")
    if HEADER_BYTES + 4 * (n_layers + n_params) > total - 4:
        raise TinypropError(f"{name}: inconsistent checkpoint layout")
    y_max = np.frombuffer(data, "<f4", n_layers, HEADER_BYTES).astype(np.float32)
    params = np.frombuffer(data, "<f4", n_params, HEADER_BYTES + 4 * n_layers).astype(np.float32)
    return Checkpoint(flags, total, s_hash, c_hash, f_crc, n_params, steps, position, lr, loss,
                      batch, opt, method, y_max, params)


def _from_flash_image(data: bytes, name: str) -> Checkpoint:
    slot_bytes = len(data) // DEVICE_SECTOR // DEVICE_SLOTS * DEVICE_SECTOR
    best: Optional[tuple] = None
    for i in range(DEVICE_SLOTS if slot_bytes > SLOT_HEADER_BYTES else 0):
        base = i * slot_bytes
        magic, seq, length, crc, mode = struct.unpack_from("<IIIII", data, base)
        hcrc = struct.unpack_from("<I", data, base + 28)[0]
        if magic != SLOT_MAGIC or hcrc != zlib.crc32(data[base:base + 28]) or mode > 1:
            continue
        payload = data[base + SLOT_HEADER_BYTES:base + SLOT_HEADER_BYTES + length]
        if length > slot_bytes - SLOT_HEADER_BYTES or zlib.crc32(payload) != crc:
            continue
        if best is None or seq > best[0]:
            best = (seq, i, payload)
    if best is None:
        raise TinypropError(f"{name}: neither a checkpoint nor a flash image with a valid slot")
    ck = parse_checkpoint(best[2], name)
    ck.origin = f"flash image slot {best[1]} (sequence {best[0]})"
    return ck


def read_checkpoint(path: str) -> Checkpoint:
    """A checkpoint file or a flash image (its newest valid slot)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == MAGIC:
        ck = parse_checkpoint(data, path)
        if ck.total_bytes != len(data):
            raise TinypropError(f"{path}: {len(data) - ck.total_bytes} bytes after the checkpoint")
        return ck
    return _from_flash_image(data, path)


def apply_checkpoint(base: Model, ck: Checkpoint, name: str = "checkpoint") -> Model:
    """The base model with the checkpoint's trainable weights; refuses another model's checkpoint."""
    if ck.spec_hash != spec_hash(base):
        raise TinypropError(f"{name}: made for another model (spec hash differs)")
    if ck.frozen_crc != frozen_crc(base):
        raise TinypropError(f"{name}: frozen weights differ from the base model's")
    idx = _trainable(base)
    sizes = [base.params[i][0].size + base.params[i][1].size for i in idx]
    if len(ck.y_max) != len(idx) or ck.trainable_params != sum(sizes):
        raise TinypropError(f"{name}: {ck.trainable_params} parameters in {len(ck.y_max)} layers, "
                            f"the model trains {sum(sizes)} in {len(idx)}")
    out = dataclasses.replace(base, params=list(base.params), optimizer=None, optimizer_state=None)
    at = 0
    for i in idx:
        w, b = base.params[i]
        nw = ck.params[at:at + w.size].reshape(w.shape)
        nb = ck.params[at + w.size:at + w.size + b.size].reshape(b.shape)
        out.params[i] = (nw.copy(), nb.copy())
        at += w.size + b.size
    return out


def encode_weights_checkpoint(model: Model, position: int = 0, learning_rate: float = 0.01) -> bytes:
    """A weights-only checkpoint of the model's trainable layers (Y_max 0, config hash 0: the
    trainer that restores it keeps its own configuration and starts its policy state afresh)."""
    idx = _trainable(model)
    if not idx:
        raise TinypropError("the model has no trainable layer with parameters")
    params = np.concatenate([a.ravel() for i in idx for a in model.params[i]]).astype("<f4")
    if not np.all(np.isfinite(params)):
        raise TinypropError("non-finite parameters (a diverged model) cannot be checkpointed")
    total = HEADER_BYTES + 4 * len(idx) + 4 * params.size + 4
    head = struct.pack(_HEADER, MAGIC, VERSION, HEADER_BYTES, 0, total, spec_hash(model), 0,
                       frozen_crc(model), params.size, 0, position, 1.0, 1.0, learning_rate, 0.0,
                       0, 1, 0, 0, len(idx), 0, 0)
    body = head + np.zeros(len(idx), "<f4").tobytes() + params.tobytes()
    return body + struct.pack("<I", zlib.crc32(body))


def write_weights_checkpoint(path: str, model: Model, position: int = 0) -> None:
    with open(path, "wb") as f:
        f.write(encode_weights_checkpoint(model, position))
