"""Weight initialisation with PyTorch's rules (``torch.nn.init``), drawn on the host.

Values are drawn in float64 from :func:`xpnet._random.host_generator` (seeded by
:func:`xpnet.manual_seed`), rounded to the tensor's dtype and copied into it on its backend:
the same seed gives bit-identical weights on NumPy, strict and CuPy. The numbers differ from
PyTorch's (another generator); the distributions, gains and fans are the same. The layers
of :mod:`xpnet.nn` fill their new parameters with these (``Linear`` and ``Conv2d`` through
:func:`xpnet.nn.linear.reset_weight_and_bias`).
"""

from __future__ import annotations

import math
import warnings

from .._random import host_generator
from ..autograd import data_of
from ..backends import backend_of

__all__ = [
    "calculate_fan_in_and_fan_out",
    "calculate_gain",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def _fill(tensor, values):
    """Copy host ``values`` into ``tensor``'s array, in place, on its backend and dtype."""
    array = data_of(tensor)
    array[...] = backend_of(array).asarray(values.astype(array.dtype))
    return tensor


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill ``tensor`` with values drawn from U(a, b). ``generator``: a NumPy Generator."""
    generator = generator or host_generator()
    return _fill(tensor, generator.uniform(a, b, size=tensor.shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill ``tensor`` with values drawn from N(mean, std^2)."""
    generator = generator or host_generator()
    return _fill(tensor, generator.normal(mean, std, size=tensor.shape))


def constant_(tensor, val: float):
    """Fill ``tensor`` with ``val``."""
    array = data_of(tensor)
    array[...] = val
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity`` (PyTorch's table).

    ``linear``, ``conv*``, ``sigmoid``: 1; ``tanh``: 5/3; ``relu``: sqrt(2);
    ``leaky_relu``: sqrt(2 / (1 + negative_slope^2)) with ``param`` the slope (default 0.01);
    ``selu``: 3/4.

    Raises:
        ValueError: for another nonlinearity or a non-number slope.

    Example:
        >>> calculate_gain("relu")
        1.4142135623730951
    """
    linear = {
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
    }
    if nonlinearity in linear:
        return 1.0
    fixed = {"tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 3.0 / 4}
    if nonlinearity in fixed:
        return fixed[nonlinearity]
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, int | float):
            msg = f"calculate_gain: negative_slope must be a number, got {slope!r}"
            raise ValueError(msg)
        return math.sqrt(2.0 / (1 + slope**2))
    msg = f"calculate_gain: unsupported nonlinearity {nonlinearity!r}"
    raise ValueError(msg)


def calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight: ``shape[1]`` and ``shape[0]`` times the receptive
    field, the product of ``shape[2:]`` (a conv kernel's size; 1 for a linear weight).

    Raises:
        ValueError: if ``tensor`` has fewer than 2 dimensions.

    Example:
        >>> calculate_fan_in_and_fan_out(np.empty((16, 3, 5, 5)))
        (75, 400)
    """
    shape = tensor.shape
    if len(shape) < 2:
        msg = f"init: fan in and fan out need at least 2 dimensions, got shape {tuple(shape)}"
        raise ValueError(msg)
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


# PyTorch's (private) name for it, kept for code ported from torch.nn.init
_calculate_fan_in_and_fan_out = calculate_fan_in_and_fan_out


def _fan(tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        msg = f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}"
        raise ValueError(msg)
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _zero_elements(tensor) -> bool:
    """Whether ``tensor`` is empty, with PyTorch's warning: its fan may be 0 (``Linear(0,
    3)``), and there is nothing to initialise."""
    if math.prod(tensor.shape) != 0:
        return False
    warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
    return True


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio, 2010)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """N(0, std^2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
):
    """U(-bound, bound) with ``bound = gain * sqrt(3 / fan)`` (He et al., 2015).

    ``gain = calculate_gain(nonlinearity, a)``; ``fan`` is ``fan_in`` or ``fan_out`` by
    ``mode``. Conv and Linear layers use ``a=sqrt(5)``, i.e. bound ``1 / sqrt(fan_in)``.

    Example:
        >>> import xpnet
        >>> w = xpnet.Tensor(np.zeros((64, 100)))
        >>> bool(abs(kaiming_uniform_(w, a=math.sqrt(5)).data).max() <= 0.1)
        True
    """
    if _zero_elements(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
):
    """N(0, std^2) with ``std = gain / sqrt(fan)``; arguments as :func:`kaiming_uniform_`."""
    if _zero_elements(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)
