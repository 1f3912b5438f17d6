"""tinyprop: the .tpm model file, device checkpoints and PyTorch conversion (numpy; torch optional).

    import tinyprop
    m = tinyprop.from_torch(net, input_shape=(1, 28, 28))   # nn.Sequential -> Model
    tinyprop.write_tpm("net.tpm", m)                         # for `tinyprop finetune --model-in`
    tuned = tinyprop.apply_checkpoint(m, tinyprop.read_checkpoint("flash.bin"))
    net2 = tinyprop.to_torch(tuned)                           # back to PyTorch, weights loaded
"""
from .checkpoint import (Checkpoint, apply_checkpoint, encode_weights_checkpoint, read_checkpoint,
                         write_weights_checkpoint)
from .errors import TinypropError, UnsupportedLayer
from .forward import forward, hwc_to_nchw, nchw_to_hwc, softmax
from .tpm import Layer, Model, decode, encode, read_tpm, write_tpm


def from_torch(seq, input_shape, **kw):
    """nn.Sequential -> Model (torch_convert.from_torch)."""
    from .torch_convert import from_torch as convert
    return convert(seq, input_shape, **kw)


def to_torch(model):
    """Model -> nn.Sequential with the weights loaded (torch_build.to_torch)."""
    from .torch_build import to_torch as build
    return build(model)
