"""Activation layers: one small class per function of :mod:`xpnet.nn.functional`.

Each class takes the function's arguments after ``input``, with the same names and defaults
(``LeakyReLU(negative_slope=0.01, inplace=False)``), and prints them as PyTorch does. The
functions are those of :mod:`xpnet.nn.functional`, whose numerics live in
:mod:`xpnet.kernels.activation`, :mod:`xpnet.kernels.activation_smooth`,
:mod:`xpnet.kernels.activation_piecewise` and :mod:`xpnet.kernels.softmax`; the other layers
are the neighbouring files of :mod:`xpnet.nn`.

Note:
    ``inplace=True`` is accepted and printed but the result is always a new array: autograd
    keeps the inputs of earlier operations for their backward, and overwriting one would
    corrupt it. Memory use is therefore that of ``inplace=False``.
"""

from __future__ import annotations

from ..kernels import AssertedArgumentError
from . import functional as F
from .init import constant_
from .module import Module
from .parameter import Parameter, check_sizes, new_array

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
    "Softplus",
    "Mish",
    "SELU",
    "CELU",
    "LogSigmoid",
    "Softsign",
    "Tanhshrink",
    "GLU",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "PReLU",
    "RReLU",
    "Softmin",
    "Softshrink",
    "Threshold",
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
    PyTorch's legacy rule and with its deprecation warning (old scripts write ``Softmax()``):
    the function's own, pointing, as PyTorch's, at the module's call."""

    def __init__(self, dim: int | None = None):
        super().__init__(dim=dim)

    def forward(self, input):
        # 4 frames up: the function, its autocast wrapper, this forward, Module.__call__
        return self.function(input, dim=self.dim, _stacklevel=4)


_SAME_SHAPE = "Input: any shape. Output: the same shape."


class _Unprinted(_Activation):
    """Printed without arguments, ``inplace=True`` too, as PyTorch's Hardswish, Hardsigmoid."""

    def extra_repr(self) -> str:
        return ""


class _Shrink(_Activation):
    """Printed as PyTorch's shrink layers: ``Hardshrink(0.5)``."""

    def extra_repr(self) -> str:
        return str(self.lambd)


def _activation(
    name: str, function, formula: str, base: type = _Activation, shape: str = _SAME_SHAPE
) -> type:
    kernel = function.forward  # the array kernel that ``function`` lifts to Tensors
    doc = f"""Applies ``{formula}`` element-wise; see :func:`xpnet.kernels.{kernel.__name__}`.

    Shape:
        - {shape}
    """
    return type(name, (base,), {"function": function, "__doc__": doc, "__module__": __name__})


class _Hardtanh(_Activation):
    """Refuses ``max_val <= min_val`` when built, as :class:`torch.nn.Hardtanh` (the function
    takes equal bounds)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_val <= self.min_val:  # a NaN bound passes, as in PyTorch
            msg = f"Hardtanh: max_val ({self.max_val}) must be greater than "
            msg += f"min_val ({self.min_val})"
            raise AssertedArgumentError(msg)


ReLU = _activation("ReLU", F.relu, "max(0, x)")
ReLU6 = _activation("ReLU6", F.relu6, "min(max(0, x), 6)")
ReLU6.min_val, ReLU6.max_val = 0.0, 6.0  # PyTorch's ReLU6 is a Hardtanh(0.0, 6.0)
LeakyReLU = _activation("LeakyReLU", F.leaky_relu, "x if x > 0 else negative_slope * x")
ELU = _activation("ELU", F.elu, "x if x > 0 else alpha * (exp(x) - 1)")
GELU = _activation("GELU", F.gelu, "x * Phi(x)")
Hardtanh = _activation("Hardtanh", F.hardtanh, "clip(x, min_val, max_val)", _Hardtanh)
Sigmoid = _activation("Sigmoid", F.sigmoid, "1 / (1 + exp(-x))")
SiLU = _activation("SiLU", F.silu, "x * sigmoid(x)")
Tanh = _activation("Tanh", F.tanh, "tanh(x)")
Softplus = _activation("Softplus", F.softplus, "log(1 + exp(beta * x)) / beta")
Mish = _activation("Mish", F.mish, "x * tanh(softplus(x))")
SELU = _activation("SELU", F.selu, "scale * (max(0, x) + min(0, alpha * (exp(x) - 1)))")
CELU = _activation("CELU", F.celu, "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))")
LogSigmoid = _activation("LogSigmoid", F.logsigmoid, "log(1 / (1 + exp(-x)))")
Softsign = _activation("Softsign", F.softsign, "x / (1 + abs(x))")
Tanhshrink = _activation("Tanhshrink", F.tanhshrink, "x - tanh(x)")
Softmax = _activation("Softmax", F.softmax, "exp(x) / sum(exp(x)) along dim", _Softmax)
LogSoftmax = _activation("LogSoftmax", F.log_softmax, "x - log(sum(exp(x))) along dim", _Softmax)
Softmin = _activation("Softmin", F.softmin, "exp(-x) / sum(exp(-x)) along dim", _Softmax)
Hardswish = _activation("Hardswish", F.hardswish, "x * relu6(x + 3) / 6", _Unprinted)
Hardsigmoid = _activation("Hardsigmoid", F.hardsigmoid, "relu6(x + 3) / 6", _Unprinted)
Threshold = _activation("Threshold", F.threshold, "value if x <= threshold else x")
Hardshrink = _activation("Hardshrink", F.hardshrink, "0 if |x| <= lambd else x", _Shrink)
Softshrink = _activation("Softshrink", F.softshrink, "x - clip(x, -lambd, lambd)", _Shrink)
_HALVED = "Input: (*, 2M, *), halved along dim into a and b. Output: (*, M, *)."
GLU = _activation("GLU", F.glu, "a * sigmoid(b)", shape=_HALVED)


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


class PReLU(Module):
    """``x`` where positive, ``weight * x`` elsewhere, with learned slopes, as
    :class:`torch.nn.PReLU`: one for every channel (dim 1 of the input) or one for all.

    Args:
        num_parameters: 1, or the number of channels C. Default: 1.
        init: the slopes' initial value. Default: 0.25.
        device: backend name (``"numpy"``, ``"strict"``, ``"cupy"``). Default: current.
        dtype: parameter dtype. Default: float32.

    Shape:
        - Input: any shape, channels on dim 1 (under 2 dims: one). Output: the same shape.

    Attributes:
        weight: (num_parameters,), filled with ``init``.

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.PReLU()
        >>> layer, layer(np.array([-2.0, 3.0], dtype=np.float32)).numpy().tolist()
        (PReLU(num_parameters=1), [-0.5, 3.0])
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        check_sizes("PReLU", num_parameters=num_parameters)
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(new_array((num_parameters,), device, dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """The randomized leaky ReLU, :func:`xpnet.nn.functional.rrelu`, as :class:`torch.nn.RReLU`:
    in training a slope drawn from U(``lower``, ``upper``) for every element at or below 0,
    in evaluation ``(lower + upper) / 2``.

    Args:
        lower: lower bound of the slopes. Default: 1/8.
        upper: upper bound of the slopes. Default: 1/3.
        inplace: accepted and printed; the result is a new array (see the module's note).
            Default: ``False``.

    Shape:
        - Input: any shape. Output: the same shape.

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.RReLU(0.1, 0.3).eval()
        >>> layer, layer(np.array([-2.0, 3.0])).array
        (RReLU(lower=0.1, upper=0.3), array([-0.4,  3. ]))
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"lower={self.lower}, upper={self.upper}{inplace}"
