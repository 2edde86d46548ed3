"""Weight initialisation with PyTorch's rules (``torch.nn.init``), drawn on the host.

Values are drawn in float64 from :func:`xpnet._random.host_generator` (seeded by
:func:`xpnet.manual_seed`), rounded to the tensor's dtype and copied into it on its backend:
the same seed gives bit-identical weights on NumPy, strict and CuPy, and a float32 model is
its float64 twin rounded. The numbers differ from PyTorch's (another generator); the
distributions, gains and fans are the same. The layers of :mod:`xpnet.nn` fill their new
parameters with these (``Linear`` and ``Conv2d`` through
:func:`xpnet.nn.linear.reset_weight_and_bias`).
"""

from __future__ import annotations

import math
import warnings

import numpy

from .._random import check_generator, host_generator
from .._tensor_checks import refuse_dtype
from ..autograd import data_of
from ..backends import backend_of
from ..kernels._checks import ArgumentError
from ..kernels._special_math import erfcx, erfinv

__all__ = [
    "calculate_fan_in_and_fan_out",
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


# Float64 draws go this many at a time, into one buffer that stays in cache, not a float64 copy
# of the whole tensor (0.8 GB for vgg11_bn's largest weight; its build took 1.9-4.1 s, now 1.4-2.1)
_DRAWN_CHUNK = 1 << 18


def _refuse_integers(where: str, tensor, even_empty: bool = False) -> None:
    """UnsupportedDtypeError for an integer or bool ``tensor``: PyTorch draws no random ones
    (NotImplementedError); its uniform draws refuse even an empty one, its normal ones not."""
    if even_empty or math.prod(tensor.shape):
        refuse_dtype(f"nn.init.{where}", data_of(tensor), "iub", "floating point", "tensor")


def _generator(where: str, generator):
    """``generator``, a NumPy one (an :class:`xpnet.Generator` is one), or the seeded host
    generator for None; TypeError naming ``where`` for another object, as PyTorch's."""
    if generator is None:
        return host_generator()
    check_generator(f"nn.init.{where}", generator)
    return generator


def _fill_drawn(tensor, fill, shift, scale):
    """Fill ``tensor`` in place with ``shift + scale * z``, ``z`` float64 draws that ``fill``
    (a Generator method: ``random``, ``standard_normal``) writes into its ``out``.

    The draws go in C order, a few leading-axis slices at a time: the same values, bit for
    bit, as ``uniform(a, b, size)`` (``a + (b - a) * z``) or ``normal(mean, std, size)``
    drawn whole."""
    array = data_of(tensor)
    blocks = array[None] if array.ndim == 0 else array
    row = math.prod(blocks.shape[1:])
    step = max(1, _DRAWN_CHUNK // max(row, 1))
    buffer, asarray = numpy.empty(step * row), backend_of(array).asarray
    for start in range(0, blocks.shape[0], step):
        block = blocks[start : start + step]
        values = buffer[: block.size].reshape(block.shape)
        fill(out=values)
        values *= scale
        values += shift
        block[...] = asarray(values)
    return tensor


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill ``tensor`` with values drawn from U(a, b). ``generator``: a NumPy Generator.

    Raises:
        ArgumentError: if ``a > b`` or ``b - a`` is not finite (PyTorch's RuntimeError).
        UnsupportedDtypeError: an integer or bool ``tensor`` (PyTorch's NotImplementedError).
    """
    _refuse_integers("uniform_", tensor, even_empty=True)
    a, b = float(a), float(b)
    if not a <= b or not math.isfinite(b - a):
        msg = f"nn.init.uniform_: expects a <= b with b - a finite, got a={a}, b={b}"
        raise ArgumentError(msg)
    generator = _generator("uniform_", generator)
    return _fill_drawn(tensor, generator.random, a, b - a)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill ``tensor`` with values drawn from N(mean, std^2).

    Raises:
        ArgumentError: if ``std`` is negative or NaN (PyTorch's RuntimeError).
        UnsupportedDtypeError: a non-empty integer or bool ``tensor``, as PyTorch.
    """
    mean, std = float(mean), float(std)
    if not std >= 0:
        msg = f"nn.init.normal_: expects std >= 0, got std={std}"
        raise ArgumentError(msg)
    _refuse_integers("normal_", tensor)
    generator = _generator("normal_", generator)
    return _fill_drawn(tensor, generator.standard_normal, mean, std)


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
    convolutions = {f"conv{kind}{d}d" for kind in ("", "_transpose") for d in (1, 2, 3)}
    if nonlinearity in ("linear", "sigmoid") or nonlinearity in convolutions:
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
    lowered = mode.lower() if isinstance(mode, str) else mode  # PyTorch takes "FAN_IN" too
    if lowered not in ("fan_in", "fan_out"):
        msg = f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}"
        raise ValueError(msg)
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if lowered == "fan_in" else fan_out


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
    _refuse_integers("xavier_uniform_", tensor, even_empty=True)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """N(0, std^2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    _refuse_integers("xavier_normal_", tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
):
    """U(-bound, bound) with ``bound = gain * sqrt(3 / fan)`` (He et al., 2015).

    ``gain = calculate_gain(nonlinearity, a)``; ``fan`` is ``fan_in`` or ``fan_out`` by
    ``mode`` (any case). Conv and Linear layers use ``a=sqrt(5)``: bound ``1 / sqrt(fan_in)``.

    Example:
        >>> import xpnet
        >>> w = xpnet.Tensor(np.zeros((64, 100)))
        >>> bool(abs(kaiming_uniform_(w, a=math.sqrt(5)).array).max() <= 0.1)
        True
    """
    if _zero_elements(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    _refuse_integers("kaiming_uniform_", tensor)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None
):
    """N(0, std^2) with ``std = gain / sqrt(fan)``; arguments as :func:`kaiming_uniform_`."""
    if _zero_elements(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    _refuse_integers("kaiming_normal_", tensor)
    return normal_(tensor, 0.0, std, generator)


def trunc_normal_(
    tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator=None,
):
    """Fill ``tensor`` with N(mean, std^2) truncated to [a, b], as torch.nn.init.trunc_normal_.

    Drawn by inverting the CDF: a uniform draw between 2 Phi((a - mean) / std) - 1 and
    2 Phi((b - mean) / std) - 1 goes through ``erfinv`` (float64-accurate), times
    ``std * sqrt(2)`` plus ``mean``, clipped to [a, b] (against rounding). An interval more
    than 1 ``std`` to one side of ``mean`` is drawn in its tail's log-CDF instead, where
    ``erf`` rounds to +-1 (10 ``std`` out it would give ``b`` alone; PyTorch's rejection
    draws spread over the interval). ``a`` and ``b`` are values, not multiples of ``std``;
    a negative ``std`` acts as its magnitude, as PyTorch's.

    Raises:
        ArgumentError: if ``a > b`` or either is NaN (PyTorch's RuntimeError).

    Warns:
        UserWarning: if ``mean`` is more than 2 ``std`` outside [a, b] (PyTorch's warning:
            the draws then bunch at a bound).

    Example:
        >>> import xpnet
        >>> w = trunc_normal_(xpnet.Tensor(np.zeros((64, 64))), std=0.02, a=-0.04, b=0.04)
        >>> bool(abs(w.array).max() <= 0.04)
        True
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        msg = (
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect."
        )
        warnings.warn(msg, UserWarning, stacklevel=2)
    _refuse_integers("trunc_normal_", tensor)
    if not a <= b or a == b == math.copysign(math.inf, a):
        msg = f"nn.init.trunc_normal_: expects a <= b, not both one infinity, got a={a}, b={b}"
        raise ArgumentError(msg)
    generator = _generator("trunc_normal_", generator)
    std = abs(std)
    if a > mean + std or b < mean - std:
        values = _normal_tail(generator, (a - mean) / std, (b - mean) / std, tensor.shape)
        return copy_host_values(tensor, numpy.clip(mean + std * values, a, b))
    low, high = (math.erf((bound - mean) / (std * math.sqrt(2.0))) for bound in (a, b))
    values = erfinv(numpy, generator.uniform(low, high, size=tensor.shape))
    return copy_host_values(tensor, numpy.clip(mean + std * math.sqrt(2.0) * values, a, b))


def _normal_tail(generator, low: float, high: float, shape):
    """Standard normal draws truncated to [low, high], an interval of one tail (beyond 1):
    mirrored to the lower tail, the CDF draw is ``log Phi`` (``log(erfcx(-z / sqrt 2) / 2) -
    z^2 / 2``: no underflow), inverted by Abramowitz & Stegun 26.2.23's start and Newton steps,
    as ``xpnet.special.ndtri``."""
    mirrored = low > 1
    low, high = (-high, -low) if mirrored else (low, high)
    # -inf (or beyond): Phi(-1e100) is 0 too, and its log has no log(0), its square no inf;
    # draws from an interval beyond it go to its bound nearest the mean, as they should
    low, high = max(low, -1e100), max(high, -1e100)
    with numpy.errstate(over="ignore"):  # erfcx's exp(x^2) branch, not taken for a large x
        return _tail_draws(generator, low, high, shape, mirrored)


def _tail_draws(generator, low: float, high: float, shape, mirrored: bool):
    bounds = erfcx(numpy, -numpy.array([low, high]) * math.sqrt(0.5)) / 2
    log_low, log_high = numpy.log(bounds) - numpy.array([low, high]) ** 2 / 2
    # log of a uniform draw in [Phi(low), Phi(high)]: its ratio to Phi(high) is in (0, 1]
    ratio = 1.0 - (1.0 - numpy.exp(log_low - log_high)) * generator.random(shape)
    log_p = log_high + numpy.log(ratio)
    t = numpy.sqrt(-2.0 * log_p)
    z = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
          (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))))  # fmt: skip
    for _ in range(4):  # Newton on log Phi(z) = log_p, z <= -1
        scaled = erfcx(numpy, -z * math.sqrt(0.5)) / 2
        z = z - (numpy.log(scaled) - z * z / 2 - log_p) * scaled * math.sqrt(2 * math.pi)
    return -z if mirrored else z


def orthogonal_(tensor, gain: float = 1, generator=None):
    """Fill ``tensor`` with a (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013).

    The tensor is seen as a matrix of ``shape[0]`` rows (its other dimensions flattened); the
    Q of a Gaussian matrix's QR, with the signs that make it uniform (Haar), gives orthonormal
    rows if there are fewer rows than columns, orthonormal columns otherwise.

    Raises:
        ValueError: if ``tensor`` has fewer than 2 dimensions.

    Example:
        >>> import xpnet
        >>> q = orthogonal_(xpnet.Tensor(np.zeros((3, 5)))).array
        >>> bool(np.allclose(q @ q.T, np.eye(3)))
        True
    """
    if len(tensor.shape) < 2:
        msg = "nn.init.orthogonal_: Only tensors with 2 or more dimensions are supported"
        raise ValueError(msg)
    if math.prod(tensor.shape) == 0:
        return tensor  # nothing to fill, as PyTorch (which does not warn here)
    _refuse_integers("orthogonal_", tensor)
    rows = tensor.shape[0]
    cols = math.prod(tensor.shape) // rows
    generator = _generator("orthogonal_", generator)
    flattened = generator.normal(0.0, 1.0, size=(rows, cols))
    transposed = rows < cols  # QR of the tall orientation: its Q has orthonormal columns
    q, r = numpy.linalg.qr(flattened.T if transposed else flattened)
    q *= numpy.sign(numpy.diagonal(r))  # R's diagonal positive: Q is unique and Haar-uniform
    q = q.T if transposed else q
    return copy_host_values(tensor, gain * q.reshape(tensor.shape))


def sparse_(tensor, sparsity: float, std: float = 0.01, generator=None):
    """Fill the 2-D ``tensor`` with N(0, std^2) draws, then zero ``ceil(sparsity * rows)``
    entries of each column, at random rows (Martens, 2010), as :func:`torch.nn.init.sparse_`.

    Raises:
        ValueError: if ``tensor`` does not have 2 dimensions.

    Example:
        >>> w = sparse_(np.empty((10, 4)), sparsity=0.3)
        >>> (w == 0).sum(axis=0).tolist()
        [3, 3, 3, 3]
    """
    if len(tensor.shape) != 2:
        raise ValueError("nn.init.sparse_: Only tensors with 2 dimensions are supported")
    _refuse_integers("sparse_", tensor)
    rows, cols = tensor.shape
    generator = _generator("sparse_", generator)
    values = generator.normal(0.0, std, size=(rows, cols))
    # a random permutation of the rows for every column, at once: argsort of uniform draws
    zero_rows = generator.random((rows, cols)).argsort(axis=0)[: math.ceil(sparsity * rows)]
    values[zero_rows, numpy.arange(cols)] = 0.0
    return copy_host_values(tensor, values)


# the fills that draw nothing, and PyTorch's deprecated aliases (``uniform``, ...)
from .init_more import *  # noqa: E402, F403
from .init_more import __all__ as _deprecated_all  # noqa: E402
from .init_more import constant_, copy_host_values, dirac_, eye_, ones_, zeros_  # noqa: E402

__all__ += _deprecated_all
