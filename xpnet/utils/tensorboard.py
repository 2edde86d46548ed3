"""``torch.utils.tensorboard`` for xpnet: :class:`SummaryWriter` writes TensorBoard's event
files through tensorboardX (``pip install -e ".[tensorboard]"``), whose writer PyTorch's
follows, and takes xpnet Tensors and arrays of any backend wherever PyTorch's takes tensors:
``writer.add_scalar("loss", loss, step)``, ``add_histogram("fc.weight", model.fc.weight,
step)``, ``add_images``, ``add_scalars``, ``add_pr_curve``, ... They are copied to the host
first (on CuPy: a copy and a wait per call, as PyTorch's ``.cpu()``). ``add_graph`` traces a
PyTorch model and is not available (``add_onnx_graph`` reads an ONNX file, as
tensorboardX's).

Example:
    >>> import tempfile, xpnet
    >>> from xpnet.utils.tensorboard import SummaryWriter
    >>> with SummaryWriter(tempfile.mkdtemp()) as writer:
    ...     writer.add_scalar("loss", xpnet.tensor(0.25), 1)
    ...     writer.add_histogram("weights", xpnet.randn(100), 1)
"""

from __future__ import annotations

import functools

import numpy

from ..autograd import Tensor
from ..backends import backend_name_of, load_backend

try:
    import tensorboardX
except ImportError as error:  # an optional dependency: say how to get it
    msg = (
        'xpnet.utils.tensorboard needs tensorboardX: pip install -e ".[tensorboard]" in a '
        "clone of xpnet, or pip install tensorboardX"
    )
    raise ImportError(msg) from error

__all__ = ["SummaryWriter"]


def _host(value):
    """A Tensor or a backend array as a NumPy array (lists, tuples and dicts of them too);
    anything else as it is."""
    if isinstance(value, Tensor):
        value = value.detach().array
    if isinstance(value, dict):
        return {key: _host(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_host(item) for item in value)
    name = backend_name_of(value)
    if name is None or isinstance(value, numpy.ndarray) or not hasattr(value, "shape"):
        return value
    return load_backend(name).to_host(value)


def _on_host(method):
    @functools.wraps(method)
    def on_host(self, *args, **kwargs):
        return method(self, *map(_host, args), **{k: _host(v) for k, v in kwargs.items()})

    return on_host


class SummaryWriter(tensorboardX.SummaryWriter):
    """tensorboardX's ``SummaryWriter`` (PyTorch's arguments: ``log_dir``, ``comment``,
    ``purge_step``, ``max_queue``, ``flush_secs``, ``filename_suffix``), whose ``add_*``
    methods take xpnet Tensors and backend arrays."""

    def add_graph(self, *args, **kwargs):
        """Not available: PyTorch's traces the model with ``torch.jit``, which xpnet has not.

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError(
            "SummaryWriter.add_graph: tracing a model's graph needs torch.jit; xpnet has no "
            "tracer (the other add_* methods work)"
        )


for _name in dir(tensorboardX.SummaryWriter):
    if _name.startswith("add_") and _name != "add_graph":
        setattr(SummaryWriter, _name, _on_host(getattr(tensorboardX.SummaryWriter, _name)))
