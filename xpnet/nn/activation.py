"""Activation layers: one small class per function of :mod:`xpnet.nn.functional`.

Each class takes the function's arguments after ``input``, with the same names and defaults
(``LeakyReLU(negative_slope=0.01, inplace=False)``), and prints them as PyTorch does. The
functions are those of :mod:`xpnet.nn.functional`, whose numerics live in
:mod:`xpnet.kernels.activation` and :mod:`xpnet.kernels.softmax`; the other layers are the
neighbouring files of :mod:`xpnet.nn`.

Note:
    ``inplace=True`` is accepted and printed but the result is always a new array: autograd
    keeps the inputs of earlier operations for their backward, and overwriting one would
    corrupt it. Memory use is therefore that of ``inplace=False``.
"""

from __future__ import annotations

import warnings

from . import functional as F
from .module import Module

__all__ = [
    "ELU",
    "GELU",
    "Hardtanh",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "ReLU6",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softmax2d",
    "Tanh",
]


class _Activation(Module):
    """Stores the function's arguments as attributes; ``forward`` passes them back."""

    function = None  # the xpnet.nn.functional function that forward calls

    def __init__(self, *args, **kwargs):
        super().__init__()
        # the kernel's signature, which the function also binds its arguments with
        bound = self.function.signature.bind(None, *args, **kwargs)  # None stands for ``input``
        bound.apply_defaults()
        self._argument_names = list(bound.arguments)[1:]
        for name in self._argument_names:
            setattr(self, name, bound.arguments[name])

    def forward(self, input):
        kwargs = {name: getattr(self, name) for name in self._argument_names if name != "inplace"}
        return self.function(input, **kwargs)

    def extra_repr(self) -> str:
        shown = [
            f"{name}={getattr(self, name)!r}" for name in self._argument_names if name != "inplace"
        ]
        if getattr(self, "inplace", False):
            shown.append("inplace=True")
        return ", ".join(shown)


class _Softmax(_Activation):
    """A softmax layer built without ``dim`` picks one from the input's rank at each call, by
    PyTorch's legacy rule and with its deprecation warning (old scripts write ``Softmax()``)."""

    def __init__(self, dim: int | None = None):
        super().__init__(dim=dim)

    def forward(self, input):
        dim = self.dim
        if dim is None:
            name = type(self).__name__.lower()
            warnings.warn(
                f"Implicit dimension choice for {name} has been deprecated. "
                "Change the call to include dim=X as an argument.",
                UserWarning,
                stacklevel=2,
            )
            dim = 0 if input.ndim in (0, 1, 3) else 1
        return self.function(input, dim=dim)


def _activation(name: str, function, formula: str, base: type = _Activation) -> type:
    kernel = function.forward  # the array kernel that ``function`` lifts to Tensors
    doc = f"""Applies ``{formula}`` element-wise; see :func:`xpnet.kernels.{kernel.__name__}`.

    Shape:
        - Input: any shape. Output: the same shape.
    """
    return type(name, (base,), {"function": function, "__doc__": doc, "__module__": __name__})


ReLU = _activation("ReLU", F.relu, "max(0, x)")
ReLU6 = _activation("ReLU6", F.relu6, "min(max(0, x), 6)")
LeakyReLU = _activation("LeakyReLU", F.leaky_relu, "x if x > 0 else negative_slope * x")
ELU = _activation("ELU", F.elu, "x if x > 0 else alpha * (exp(x) - 1)")
GELU = _activation("GELU", F.gelu, "x * Phi(x)")
Hardtanh = _activation("Hardtanh", F.hardtanh, "clip(x, min_val, max_val)")
Sigmoid = _activation("Sigmoid", F.sigmoid, "1 / (1 + exp(-x))")
SiLU = _activation("SiLU", F.silu, "x * sigmoid(x)")
Tanh = _activation("Tanh", F.tanh, "tanh(x)")
Softmax = _activation("Softmax", F.softmax, "exp(x) / sum(exp(x)) along dim", _Softmax)
LogSoftmax = _activation("LogSoftmax", F.log_softmax, "x - log(sum(exp(x))) along dim", _Softmax)


class Softmax2d(Module):
    """Softmax over the channels at every spatial location, as :class:`torch.nn.Softmax2d`:
    :func:`xpnet.nn.functional.softmax` with ``dim=-3``.

    Shape:
        - Input: (N, C, H, W) or (C, H, W). Output: the same shape.

    Raises:
        ValueError: if the input does not have 3 or 4 dimensions.

    Example:
        >>> import xpnet
        >>> y = xpnet.nn.Softmax2d()(np.zeros((1, 4, 2, 2)))
        >>> y.numpy()[0, :, 0, 0].tolist()
        [0.25, 0.25, 0.25, 0.25]
    """

    def forward(self, input):
        ndim = len(input.shape)
        if ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {ndim}D instead")
        return F.softmax(input, dim=-3)
