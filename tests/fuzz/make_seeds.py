#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: tests/fuzz/corpus/<target>/seed-*.

Small valid inputs and near-valid variants (truncated, one field wrong) for every parser, made
from the formats' definitions (docs/DATA.md, docs/MODEL_FORMAT.md) with the standard library only.
Re-running rewrites the seed-* files identically; files with other prefixes (crash-*, defect-*)
are left alone. Usage: tests/fuzz/make_seeds.py
"""
import gzip
import io
import os
import struct
import wave
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("latin-1")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def gz(data):
    # mtime=0: the same bytes on every run
    return gzip.compress(data, compresslevel=9, mtime=0)


def two_files(first, second):
    """Input layout of the idx targets: u32 LE length of the first file, first, second."""
    return struct.pack("<I", len(first)) + first + second


# ---- IDX ---------------------------------------------------------------------------------
def idx_images(n, rows, cols, seed=1):
    px = bytes((seed * 37 + i * 11) % 256 for i in range(n * rows * cols))
    return struct.pack(">IIII", 0x803, n, rows, cols) + px


def idx_labels(labels):
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


def idx_seeds():
    img, lab = idx_images(3, 4, 5), idx_labels([0, 9, 4])
    put("idx", "valid-3x4x5", two_files(img, lab))
    put("idx", "valid-1x28x28", two_files(idx_images(1, 28, 28), idx_labels([7])))
    put("idx", "valid-2x1x1", two_files(idx_images(2, 1, 1), idx_labels([1, 2])))
    put("idx", "truncated-images", two_files(img[:-1], lab))
    put("idx", "trailing-byte", two_files(img + b"\0", lab))
    put("idx", "truncated-header", two_files(img[:10], lab))
    put("idx", "bad-magic", two_files(b"\0\0\x08\x04" + img[4:], lab))
    put("idx", "labels-as-images", two_files(lab, img))
    put("idx", "label-10", two_files(img, idx_labels([0, 10, 4])))
    put("idx", "count-mismatch", two_files(img, idx_labels([0, 9])))
    put("idx", "zero-dim", two_files(struct.pack(">IIII", 0x803, 0, 4, 5), idx_labels([])))
    put("idx", "huge-dims", two_files(struct.pack(">IIII", 0x803, 0xFFFFFFFF, 0xFFFFFFFF, 2), lab))
    put("idx", "empty", b"")


def idx_gz_seeds():
    img, lab = idx_images(3, 4, 5, seed=2), idx_labels([3, 1, 8])
    put("idx_gz", "valid-both-gz", two_files(gz(img), gz(lab)))
    put("idx_gz", "valid-images-gz", two_files(gz(img), lab))
    put("idx_gz", "valid-two-members", two_files(gz(img[:9]) + gz(img[9:]), gz(lab)))
    put("idx_gz", "valid-1x28x28", two_files(gz(idx_images(1, 28, 28)), gz(idx_labels([5]))))
    put("idx_gz", "truncated-stream", two_files(gz(img)[:-6], gz(lab)))
    put("idx_gz", "bad-crc", two_files(gz(img)[:-8] + b"\0\0\0\0" + gz(img)[-4:], gz(lab)))
    put("idx_gz", "garbage-after-stream", two_files(gz(img) + b"junk", gz(lab)))
    put("idx_gz", "corrupt-deflate", two_files(gz(img)[:12] + b"\xff" * 8 + gz(img)[20:], gz(lab)))
    put("idx_gz", "gz-of-truncated-idx", two_files(gz(img[:-3]), gz(lab)))
    # a header that promises 1 image of 2x2 in front of 256 KiB of zeros (inflates far beyond it)
    put("idx_gz", "oversized-payload", two_files(gz(struct.pack(">IIII", 0x803, 1, 2, 2) + bytes(1 << 18)),
                                                 gz(idx_labels([1]))))
    put("idx_gz", "only-magic", two_files(b"\x1f\x8b", gz(lab)))


# ---- CIFAR-10 --------------------------------------------------------------------------
def cifar_record(label, seed):
    return bytes([label]) + bytes((seed * 13 + i * 7) % 256 for i in range(3072))


def cifar_seeds():
    one, two = cifar_record(3, 1), cifar_record(9, 2)
    put("cifar", "valid-1", one)
    put("cifar", "valid-2", one + two)
    put("cifar", "valid-gz", gz(one))
    put("cifar", "truncated", one[:-1])
    put("cifar", "one-byte-extra", one + b"\0")
    put("cifar", "label-10", bytes([10]) + one[1:])
    put("cifar", "label-only", b"\x05")
    put("cifar", "empty", b"")


# ---- CSV -------------------------------------------------------------------------------
def csv_seeds():
    put("csv", "valid-plain", "1,2,3,0\n4,5,6,1\n")
    put("csv", "valid-header", "a,b,c,label\n0.5,-1e3,7,2\n1,2,3,0\n")
    put("csv", "valid-crlf-blank", "x,y,class\r\n\r\n1.5,2.5,1\r\n  3 , 4\t,0\r\n\n")
    put("csv", "valid-no-final-newline", "0.1,0.2,1\n0.3,0.4,0")
    put("csv", "valid-exponent-hex", "1e-3,0x1p3,-0,5\n+2.5,.5,1E2,65535\n")
    put("csv", "valid-wide", ",".join(str(i / 7) for i in range(40)) + ",3\n")
    put("csv", "width-mismatch", "1,2,3,0\n4,5,1\n")
    put("csv", "not-a-number", "1,2,3,0\n4,x5,6,1\n")
    put("csv", "label-not-integer", "1,2,3,0.5\n")
    put("csv", "label-negative", "1,2,3,-1\n")
    put("csv", "label-too-large", "1,2,3,65536\n")
    put("csv", "one-column", "1\n2\n")
    put("csv", "header-only", "a,b,label\n")
    put("csv", "not-finite", "1,inf,0\nnan,2,1\n1e39,3,0\n")
    put("csv", "bom-first-row", "\ufeff1,2,3,0\n4,5,6,1\n".encode("utf-8"))
    put("csv", "typo-first-row", "1,2,3o,0\n4,5,6,1\n")
    put("csv", "quoted", '"a","b","label"\n1,2,0\n')
    put("csv", "gz", gz(b"1,2,0\n3,4,1\n"))
    put("csv", "empty", "")
    put("csv", "blank-lines", "\n\n \t\n")


# ---- WAV -------------------------------------------------------------------------------
def pcm_wav(channels, width, rate, frames):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        top = 1 << (8 * width)
        w.writeframes(bytes((i * 29 + 3) % 256 for i in range(frames * channels * width)) if width > 1
                      else bytes((i * 5) % top for i in range(frames * channels)))
    return buf.getvalue()


def riff(chunks):
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def chunk(tag, data, declared=None):
    size = len(data) if declared is None else declared
    return tag + struct.pack("<I", size) + data + (b"\0" if len(data) % 2 else b"")


def float_wav(samples, rate=16000):
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)  # WAVE_FORMAT_IEEE_FLOAT
    return riff([chunk(b"fmt ", fmt), chunk(b"data", struct.pack("<%df" % len(samples), *samples))])


def wav_seeds():
    put("wav", "valid-16bit-mono", pcm_wav(1, 2, 16000, 64))
    put("wav", "valid-16bit-stereo", pcm_wav(2, 2, 44100, 32))
    put("wav", "valid-8bit", pcm_wav(1, 1, 8000, 50))
    put("wav", "valid-24bit", pcm_wav(1, 3, 16000, 20))
    put("wav", "valid-float", float_wav([0.0, 0.5, -0.25, 1.0, -1.0, 1e-3]))
    put("wav", "float-nan-inf", float_wav([float("nan"), float("inf"), -0.0, 2.0]))
    w = pcm_wav(1, 2, 16000, 64)
    put("wav", "truncated-data", w[:-20])
    put("wav", "header-only", w[:44])
    put("wav", "cut-in-fmt", w[:30])
    fmt = w[12:12 + 24]
    data = w[44:]
    put("wav", "list-chunk-odd", riff([fmt, chunk(b"LIST", b"INFOabc"), chunk(b"data", data)]))
    put("wav", "data-size-unknown", riff([fmt, chunk(b"data", data, declared=0xFFFFFFFF)]))
    put("wav", "data-size-zero", riff([fmt, chunk(b"data", data, declared=0)]))
    put("wav", "no-data-chunk", riff([fmt]))
    put("wav", "zero-channels", riff([chunk(b"fmt ", struct.pack("<HHIIHH", 1, 0, 16000, 32000, 2, 16)),
                                      chunk(b"data", data)]))
    put("wav", "not-riff", b"RIFX" + w[4:])
    put("wav", "empty", b"")


# ---- .tpm model files ----------------------------------------------------------------------
DENSE, RELU, LEAKY, SIGMOID, TANH, CONV, DW, MAXP, AVGP, GAP, FLAT = range(11)


def layer(kind, units=0, alpha=0.01, trainable=True, window=None, extra=0):
    """window: (filters, kh, kw, sh, sw, ph, pw, flags) for kinds 5-8."""
    fields = [units, struct.unpack("<I", struct.pack("<f", alpha))[0]]
    if kind in (CONV, DW, MAXP, AVGP):
        fields += list(window)
    fields += [0] * extra
    return struct.pack("<BBH", kind, 1 if trainable else 0, len(fields)) + struct.pack("<%dI" % len(fields), *fields)


def tpm(shape, loss, layers, n_params, opt=None, meta=b"", param_count=None):
    """opt: (kind, steps, n_state) or None. Parameters are small distinct floats."""
    flags = 1 if opt else 0
    body = struct.pack("<III", *shape) + struct.pack("<B3xI", loss, len(layers)) + b"".join(layers)
    count = n_params if param_count is None else param_count
    body += struct.pack("<I", count) + struct.pack("<%df" % n_params, *[(i % 7 - 3) / 8 for i in range(n_params)])
    if opt:
        kind, steps, n_state = opt
        body += struct.pack("<B3xQI", kind, steps, n_state) + struct.pack("<%df" % n_state, *[0.125] * n_state)
    body += struct.pack("<I", len(meta)) + meta
    size = 20 + len(body) + 4
    head = b"TPMF" + struct.pack("<IQI", 1, size, flags)
    data = head + body
    return data + struct.pack("<I", zlib.crc32(data))


def tpm_seeds():
    mlp = [layer(DENSE, 3), layer(RELU), layer(DENSE, 2)]  # 4-3-2: 15 + 8 = 23 parameters
    put("tpm", "valid-mlp", tpm((1, 1, 4), 0, mlp, 23, meta=b'{"source":"seed"}'))
    put("tpm", "valid-mlp-adam", tpm((1, 1, 4), 0, mlp, 23, opt=(1, 42, 46)))
    put("tpm", "valid-mlp-sgd-momentum", tpm((1, 1, 4), 0, mlp, 23, opt=(0, 3, 23)))
    put("tpm", "valid-frozen-leaky-mse",
        tpm((1, 1, 4), 2, [layer(DENSE, 3, trainable=False), layer(LEAKY, alpha=0.2), layer(DENSE, 2)], 23,
            opt=(1, 1, 16)))
    put("tpm", "valid-tanh-sigmoid-bce",
        tpm((1, 1, 2), 1, [layer(DENSE, 2), layer(TANH), layer(DENSE, 1), layer(SIGMOID)], 9))
    # 6x6x1 -> conv 2 filters 3x3 (20) -> relu -> maxpool 2 -> flatten -> dense 2 (2*8+2 = 18)
    cnn = [layer(CONV, window=(2, 3, 3, 1, 1, 0, 0, 0)), layer(RELU), layer(MAXP, window=(0, 2, 2, 2, 2, 0, 0, 0)),
           layer(FLAT), layer(DENSE, 2)]
    put("tpm", "valid-cnn", tpm((6, 6, 1), 0, cnn, 38))
    # 5x5x2 -> depthwise 3x3 same (2*10 = 20) -> avgpool 2 stride 1 pad 1 -> gap -> dense 2 (6)
    dw = [layer(DW, window=(0, 3, 3, 1, 1, 0, 0, 1)), layer(RELU), layer(AVGP, window=(0, 2, 2, 1, 1, 1, 1, 0)),
          layer(GAP), layer(DENSE, 2)]
    put("tpm", "valid-depthwise-same", tpm((5, 5, 2), 0, dw, 26))
    put("tpm", "valid-extension-field", tpm((1, 1, 4), 0, [layer(DENSE, 3, extra=1), layer(RELU), layer(DENSE, 2)], 23))
    good = tpm((1, 1, 4), 0, mlp, 23)
    put("tpm", "bad-crc", good[:-1] + bytes([good[-1] ^ 1]))
    put("tpm", "truncated", good[:-5])
    put("tpm", "param-count-mismatch", tpm((1, 1, 4), 0, mlp, 23, param_count=22))
    put("tpm", "units-on-relu", tpm((1, 1, 4), 0, [layer(DENSE, 3), layer(RELU, units=5), layer(DENSE, 2)], 23))
    ext = layer(DENSE, 3, extra=1)
    put("tpm", "extension-field-set", tpm((1, 1, 4), 0, [ext[:-4] + struct.pack("<I", 1), layer(RELU), layer(DENSE, 2)], 23))
    put("tpm", "unknown-kind", tpm((1, 1, 4), 0, [layer(DENSE, 3), layer(11), layer(DENSE, 2)], 23))
    put("tpm", "bad-shape", tpm((1, 1, 5), 0, mlp, 23))
    put("tpm", "adam-state-short", tpm((1, 1, 4), 0, mlp, 23, opt=(1, 1, 23)))
    # three dense layers of 46340: the 32-bit parameter count wraps (the file holds 0 parameters)
    put("tpm", "wrapping-param-count",
        tpm((1, 1, 46340), 0, [layer(DENSE, 46340), layer(RELU), layer(DENSE, 46340), layer(RELU),
                               layer(DENSE, 2)], 0, param_count=0))
    put("tpm", "not-tpm", b"TPMX" + good[4:])
    put("tpm", "empty", b"")


# ---- model spec text ---------------------------------------------------------------------
def spec_seeds():
    specs = {
        "mlp": "mlp:784-128-64-10",
        "mlp-tanh": "mlp:4-8-3:tanh",
        "mlp-leaky": "mlp:2-5-2:leaky_relu",
        "cnn": "cnn:28x28x1-c8k3-p2-c16k3-p2-d10",
        "cnn-rect-stride-pad": "cnn:12x10x3-c4k3x5s1x2pad1x2-m2-d4",
        "cnn-depthwise-same": "cnn:16x16x2-dw3s2+same-a2-gap-d3:sigmoid",
        "cnn-flat": "cnn:8x8x1-c2k3-flat-d2",
        "cnn-pool-stride": "cnn:9x9x1-m3s2-a3s2pad1-d2",
        "one-output": "mlp:4-1",
        "wrapping": "mlp:46340-46340-46340-2",
        "huge-cnn": "cnn:65535x65535x1-c65535k3-d2",
        "bad-kind": "rnn:4-2",
        "no-layers": "mlp:",
        "no-colon": "mlp",
        "bad-width": "mlp:4-x-2",
        "zero-width": "mlp:4-0-2",
        "bad-activation": "mlp:4-3-2:swish",
        "too-many-sections": "mlp:4-2:tanh:relu",
        "window-too-large": "cnn:4x4x1-c2k5-d2",
        "bad-token": "cnn:8x8x1-q3-d2",
        "trailing-dash": "mlp:4-3-",
        "empty": "",
    }
    for name, text in specs.items():
        put("spec_text", name, text)


if __name__ == "__main__":
    idx_seeds()
    idx_gz_seeds()
    cifar_seeds()
    csv_seeds()
    wav_seeds()
    tpm_seeds()
    spec_seeds()
