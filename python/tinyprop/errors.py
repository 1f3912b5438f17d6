"""The package's exceptions: one line each, naming the file or the layer at fault."""


class TinypropError(ValueError):
    """A file that is not what it claims (bad magic, CRC, truncated) or a model the format cannot hold."""


class UnsupportedLayer(TinypropError):
    """A PyTorch module (or a .tpm layer) that has no exact counterpart on the other side."""
