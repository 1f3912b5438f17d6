"""The .tpm model file (format version 1): reading, writing and the architecture it describes.

The byte layout is docs/MODEL_FORMAT.md: explicit little-endian integers, floats as their
binary32 bits, a header that declares the file size and a trailing zlib CRC-32. The reader makes
the same checks as the C++ loader (magic, version, size, CRC, canonical fields, the parameter
count) and the writer writes the same canonical bytes, so that a file read and written again is
byte for byte what `tinyprop` wrote.

Feature maps are HWC (height, width, channels), as in the core. Parameters per layer:
dense W [units, in], conv2d W [C_out, K_h, K_w, C_in], depthwise W [C, K_h, K_w], one bias per row.
"""
from __future__ import annotations

import dataclasses
import struct
import zlib
from typing import List, Optional, Tuple

import numpy as np

from .errors import TinypropError

MAGIC = b"TPMF"
VERSION = 1
MAX_LAYERS = 24
DEFAULT_ALPHA = np.float32(0.01)  # LayerSpec's default leaky-ReLU slope, stored for every layer

# tinyprop::LayerKind, in the order of the file's kind byte.
KINDS = ("dense", "relu", "leaky_relu", "sigmoid", "tanh", "conv2d", "depthwise_conv2d",
         "max_pool2d", "avg_pool2d", "global_avg_pool", "flatten")
WINDOW_KINDS = ("conv2d", "depthwise_conv2d", "max_pool2d", "avg_pool2d")
PARAM_KINDS = ("dense", "conv2d", "depthwise_conv2d")
LOSSES = ("softmax_cross_entropy", "binary_cross_entropy", "mean_squared_error")
OPTIMIZERS = ("sgd", "adam")


@dataclasses.dataclass
class Layer:
    """One LayerSpec: the fields the .tpm record stores."""
    kind: str
    trainable: bool = True
    units: int = 0                 # dense only
    alpha: float = float(DEFAULT_ALPHA)  # leaky ReLU slope (stored for every kind)
    filters: int = 0               # conv2d only
    kernel: Tuple[int, int] = (0, 0)
    stride: Tuple[int, int] = (1, 1)
    pad: Tuple[int, int] = (0, 0)  # rows above and below, columns left and right
    pad_same: bool = False         # TF "same": out = ceil(in / stride), the odd row/column below/right

    def __post_init__(self):
        if self.kind not in KINDS:
            raise TinypropError(f"unknown layer kind '{self.kind}' (known: {', '.join(KINDS)})")


@dataclasses.dataclass
class Model:
    """A .tpm file in memory. params[i] is (W, b) for layers with parameters, else None."""
    input_shape: Tuple[int, int, int]  # (h, w, c)
    layers: List[Layer]
    params: List[Optional[Tuple[np.ndarray, np.ndarray]]]
    loss: str = "softmax_cross_entropy"
    metadata: bytes = b""
    # Optimizer section (optional, for resuming): kind, steps and the moment buffers as stored.
    optimizer: Optional[str] = None
    optimizer_steps: int = 0
    optimizer_state: Optional[np.ndarray] = None

    def shapes(self) -> List[Tuple[int, int, int]]:
        """The output shape (h, w, c) of every layer."""
        out, at = [], tuple(self.input_shape)
        for i, layer in enumerate(self.layers):
            at = output_shape(layer, at, i)
            out.append(at)
        return out

    def flat_params(self) -> np.ndarray:
        """Every parameter in Model::params() order (per layer W then b, row-major)."""
        parts = [a.ravel() for p in self.params if p is not None for a in p]
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)


def window_out(n: int, k: int, s: int, p: int, same: bool) -> int:
    """Output size along one axis (docs/CONV.md): ceil(n / s) with "same", else PyTorch's formula."""
    if same:
        return -(-n // s)
    return (n + 2 * p - k) // s + 1


def same_padding(n: int, k: int, s: int) -> Tuple[int, int]:
    """(before, after) padding of TF "same" along one axis: the odd one goes after."""
    total = max((window_out(n, k, s, 0, True) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def window_padding(layer: Layer, h: int, w: int) -> Tuple[int, int, int, int]:
    """(top, bottom, left, right) zero padding a window layer applies to an h x w input."""
    if layer.pad_same:
        top, bottom = same_padding(h, layer.kernel[0], layer.stride[0])
        left, right = same_padding(w, layer.kernel[1], layer.stride[1])
        return top, bottom, left, right
    return layer.pad[0], layer.pad[0], layer.pad[1], layer.pad[1]


def output_shape(layer: Layer, shape, index: int = 0) -> Tuple[int, int, int]:
    h, w, c = shape
    where = f"layer {index} ({layer.kind})"
    if layer.kind == "dense":
        if layer.units < 1:
            raise TinypropError(f"{where}: dense needs at least 1 unit")
        return 1, 1, layer.units
    if layer.kind in ("relu", "leaky_relu", "sigmoid", "tanh"):
        return h, w, c
    if layer.kind == "global_avg_pool":
        return 1, 1, c
    if layer.kind == "flatten":
        return 1, 1, h * w * c
    (kh, kw), (sh, sw), (ph, pw) = layer.kernel, layer.stride, layer.pad
    if min(kh, kw, sh, sw) < 1 or ph >= kh or pw >= kw:
        raise TinypropError(f"{where}: kernel and stride must be >= 1 and padding < kernel")
    if layer.pad_same and (ph or pw):
        raise TinypropError(f"{where}: \"same\" padding and also pad {ph}x{pw}")
    if not layer.pad_same and (h + 2 * ph < kh or w + 2 * pw < kw):
        raise TinypropError(f"{where}: window {kh}x{kw} larger than the padded {h}x{w} input")
    oh = window_out(h, kh, sh, ph, layer.pad_same)
    ow = window_out(w, kw, sw, pw, layer.pad_same)
    if layer.kind == "conv2d":
        if layer.filters < 1:
            raise TinypropError(f"{where}: conv2d needs at least 1 filter")
        return oh, ow, layer.filters
    return oh, ow, c


def param_shapes(layer: Layer, in_shape) -> Optional[Tuple[tuple, tuple]]:
    """(W shape, b shape) of a layer on its input shape, None for layers without parameters."""
    h, w, c = in_shape
    if layer.kind == "dense":
        return (layer.units, h * w * c), (layer.units,)
    if layer.kind == "conv2d":
        return (layer.filters, layer.kernel[0], layer.kernel[1], c), (layer.filters,)
    if layer.kind == "depthwise_conv2d":
        return (c, layer.kernel[0], layer.kernel[1]), (c,)
    return None


def _f32_bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def _bits_f32(u: int) -> float:
    return struct.unpack("<f", struct.pack("<I", u))[0]


def _layer_fields(layer: Layer) -> List[int]:
    """The canonical record fields: zero for every field that means nothing for the kind."""
    fields = [layer.units if layer.kind == "dense" else 0, _f32_bits(layer.alpha)]
    if layer.kind not in WINDOW_KINDS:
        return fields
    same = layer.pad_same
    return fields + [layer.filters if layer.kind == "conv2d" else 0,
                     layer.kernel[0], layer.kernel[1], layer.stride[0], layer.stride[1],
                     0 if same else layer.pad[0], 0 if same else layer.pad[1], 1 if same else 0]


def check_model(model: Model) -> None:
    """Shapes, layer count and parameter arrays: what the C++ writer checks before saving."""
    if not 1 <= len(model.layers) <= MAX_LAYERS:
        raise TinypropError(f"{len(model.layers)} layers (a model has 1 to {MAX_LAYERS})")
    if model.loss not in LOSSES:
        raise TinypropError(f"unknown loss '{model.loss}' (known: {', '.join(LOSSES)})")
    if len(model.params) != len(model.layers):
        raise TinypropError(f"{len(model.params)} parameter entries for {len(model.layers)} layers")
    at = tuple(model.input_shape)
    for i, layer in enumerate(model.layers):
        want = param_shapes(layer, at)
        got = model.params[i]
        if (want is None) != (got is None):
            raise TinypropError(f"layer {i} ({layer.kind}): parameters given where none belong"
                                if want is None else f"layer {i} ({layer.kind}): no parameters")
        if want is not None:
            for name, arr, shape in zip(("W", "b"), got, want):
                if tuple(np.shape(arr)) != tuple(shape):
                    raise TinypropError(f"layer {i} ({layer.kind}): {name} has shape "
                                        f"{tuple(np.shape(arr))}, the architecture needs {shape}")
        at = output_shape(layer, at, i)
    if model.loss == "softmax_cross_entropy" and at[0] * at[1] * at[2] < 2:
        raise TinypropError("softmax cross-entropy needs at least 2 outputs")


def encode(model: Model) -> bytes:
    """The exact bytes `tinyprop` writes for this model."""
    check_model(model)
    h, w, c = model.input_shape
    body = bytearray()
    body += struct.pack("<IIIB3xI", h, w, c, LOSSES.index(model.loss), len(model.layers))
    for layer in model.layers:
        fields = _layer_fields(layer)
        body += struct.pack("<BBH", KINDS.index(layer.kind), 1 if layer.trainable else 0, len(fields))
        body += struct.pack(f"<{len(fields)}I", *fields)
    flat = model.flat_params()
    body += struct.pack("<I", flat.size) + flat.astype("<f4").tobytes()
    flags = 0
    if model.optimizer is not None:
        flags = 1
        state = np.zeros(0, np.float32) if model.optimizer_state is None else model.optimizer_state
        state = np.asarray(state, dtype="<f4").ravel()
        body += struct.pack("<B3xQI", OPTIMIZERS.index(model.optimizer), model.optimizer_steps, state.size)
        body += state.tobytes()
    body += struct.pack("<I", len(model.metadata)) + bytes(model.metadata)
    size = 20 + len(body) + 4
    data = MAGIC + struct.pack("<IQI", VERSION, size, flags) + bytes(body)
    return data + struct.pack("<I", zlib.crc32(data))


def write_tpm(path: str, model: Model) -> None:
    """Writes the file (to a temporary name in the same folder, then renamed over path)."""
    import os
    import tempfile
    data = encode(model)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class _Reader:
    def __init__(self, name: str, data: bytes, end: int):
        self.name, self.data, self.at, self.end = name, data, 0, end

    def take(self, fmt: str):
        n = struct.calcsize(fmt)
        if self.at + n > self.end:
            raise TinypropError(f"{self.name}: malformed: record runs past the end of the body")
        v = struct.unpack_from(fmt, self.data, self.at)
        self.at += n
        return v

    def floats(self, n: int) -> np.ndarray:
        if self.at + 4 * n > self.end:
            raise TinypropError(f"{self.name}: malformed: {n} floats run past the end of the body")
        a = np.frombuffer(self.data, dtype="<f4", count=n, offset=self.at).astype(np.float32)
        self.at += 4 * n
        return a


def _read_layer(r: _Reader, where: str) -> Layer:
    kind, lflags, n_fields = r.take("<BBH")
    if kind >= len(KINDS):
        raise TinypropError(f"{where}unknown layer kind {kind} (written by a newer tinyprop?)")
    if lflags & ~1:
        raise TinypropError(f"{where}unknown layer flags")
    name = KINDS[kind]
    known = 10 if name in WINDOW_KINDS else 2
    if n_fields < known:
        raise TinypropError(f"{where}has {n_fields} fields, needs {known} for {name}")
    f = list(r.take(f"<{known}I"))
    for k in range(known, n_fields):
        if r.take("<I")[0] != 0:
            raise TinypropError(f"{where}extension field {k} is set (written by a newer tinyprop?)")
    if name != "dense" and f[0] != 0:
        raise TinypropError(f"{where}{name} has units {f[0]}, must be 0")
    layer = Layer(kind=name, trainable=bool(lflags & 1), units=f[0], alpha=_bits_f32(f[1]))
    if name in WINDOW_KINDS:
        if name != "conv2d" and f[2] != 0:
            raise TinypropError(f"{where}{name} has filters {f[2]}, must be 0 (only conv2d has filters)")
        for label, v in zip(("kernel_h", "kernel_w", "stride_h", "stride_w", "pad_h", "pad_w"), f[3:9]):
            if v > 0xFFFF:
                raise TinypropError(f"{where}{name} {label} {v} out of range (max 65535)")
        if f[9] & ~1:
            raise TinypropError(f"{where}{name} has unknown window flags {f[9]} (written by a newer tinyprop?)")
        layer.filters, layer.kernel, layer.stride = f[2], (f[3], f[4]), (f[5], f[6])
        layer.pad, layer.pad_same = (f[7], f[8]), bool(f[9] & 1)
        if layer.pad_same and (f[7] or f[8]):
            raise TinypropError(f"{where}{name} has \"same\" padding and also pad {f[7]}x{f[8]} (must be 0 with same)")
    return layer


def decode(data: bytes, name: str = "<bytes>") -> Model:
    """Parses and checks .tpm bytes; TinypropError with `name` in front on anything wrong."""
    data = bytes(data)
    if len(data) < 4 or data[:4] != MAGIC:
        raise TinypropError(f"{name}: bad magic (not a tinyprop .tpm model file)")
    if len(data) < 20:
        raise TinypropError(f"{name}: truncated: {len(data)} bytes is too short")
    version, declared, flags = struct.unpack_from("<IQI", data, 4)
    if version != VERSION:
        raise TinypropError(f"{name}: unsupported format version {version} (this build reads version {VERSION})")
    if len(data) < declared:
        raise TinypropError(f"{name}: truncated: expected {declared} bytes, got {len(data)}")
    if len(data) > declared:
        raise TinypropError(f"{name}: {len(data) - declared} trailing bytes after the {declared} the header declares")
    if len(data) < 44:
        raise TinypropError(f"{name}: truncated: {len(data)} bytes is too short")
    body = len(data) - 4
    if struct.unpack_from("<I", data, body)[0] != zlib.crc32(data[:body]):
        raise TinypropError(f"{name}: CRC mismatch (file damaged)")
    if flags & ~1:
        raise TinypropError(f"{name}: unknown header flags {flags} (newer format?)")
    r = _Reader(name, data, body)
    r.at = 20
    h, w, c, loss, n_layers = r.take("<IIIB3xI")
    if data[33:36] != b"\0\0\0":
        raise TinypropError(f"{name}: reserved bytes not zero")
    if loss >= len(LOSSES):
        raise TinypropError(f"{name}: unknown loss kind {loss}")
    if n_layers > MAX_LAYERS:
        raise TinypropError(f"{name}: {n_layers} layers, this build supports at most {MAX_LAYERS}")
    layers = [_read_layer(r, f"{name}: layer {i}: ") for i in range(n_layers)]
    model = Model(input_shape=(h, w, c), layers=layers, params=[None] * n_layers, loss=LOSSES[loss])
    try:
        shapes = model.shapes()
    except TinypropError as e:
        raise TinypropError(f"{name}: invalid model spec: {e}") from None
    n_params = r.take("<I")[0]
    at, need, wanted = (h, w, c), 0, []
    for i, layer in enumerate(layers):
        ps = param_shapes(layer, at)
        wanted.append(ps)
        if ps is not None:
            need += int(np.prod(ps[0])) + int(np.prod(ps[1]))
        at = shapes[i]
    if n_params != need:
        raise TinypropError(f"{name}: param count mismatch: file has {n_params}, the architecture needs {need}")
    for i, ps in enumerate(wanted):
        if ps is not None:
            wt = r.floats(int(np.prod(ps[0]))).reshape(ps[0])
            model.params[i] = (wt, r.floats(int(np.prod(ps[1]))).reshape(ps[1]))
    if flags & 1:
        kind, steps, n_state = r.take("<B3xQI")
        if kind >= len(OPTIMIZERS):
            raise TinypropError(f"{name}: unknown optimizer kind {kind}")
        model.optimizer, model.optimizer_steps = OPTIMIZERS[kind], steps
        model.optimizer_state = r.floats(n_state)
    meta_len = r.take("<I")[0]
    if r.at + meta_len > body:
        raise TinypropError(f"{name}: malformed: metadata runs past the end of the body")
    model.metadata = data[r.at:r.at + meta_len]
    r.at += meta_len
    if r.at != body:
        raise TinypropError(f"{name}: malformed: {body - r.at} unparsed bytes before the CRC")
    return model


def read_tpm(path: str) -> Model:
    with open(path, "rb") as f:
        return decode(f.read(), path)
