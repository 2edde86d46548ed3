"""The initialisers of :mod:`xpnet.nn.init` that draw nothing (``constant_``, ``ones_``,
``zeros_``, ``eye_``, ``dirac_``), and PyTorch's deprecated names of them all: ``uniform``,
``normal``, ``constant``, ``eye``, ``dirac``, ``xavier_uniform``, ``xavier_normal``,
``kaiming_uniform``, ``kaiming_normal``, ``orthogonal`` and ``sparse``.

Each warns as ``torch.nn.init``'s does (``FutureWarning``: "`nn.init.uniform` is now
deprecated in favor of `nn.init.uniform_`.") and calls the function with the trailing
underscore. :mod:`xpnet.nn.init` imports them all, so they are its names too, as in PyTorch.
"""

from __future__ import annotations

import warnings

import numpy

from .._dtypes import checked_scalar
from ..autograd import data_of
from ..backends import backend_of
from ..kernels._checks import ArgumentError
from .init import (
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    orthogonal_,
    sparse_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
)

__all__ = [
    "constant",
    "dirac",
    "eye",
    "kaiming_normal",
    "kaiming_uniform",
    "normal",
    "orthogonal",
    "sparse",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
]


def copy_host_values(tensor, values):
    """Copy host ``values`` into ``tensor``'s array, in place, on its backend and dtype (every
    initialiser's last step): the assignment casts (round to nearest, as ``astype``), with no
    cast copy on the host first, which took as long as the copy itself (vgg11_bn's 133M
    weights: 1.4 s)."""
    array = data_of(tensor)
    array[...] = backend_of(array).asarray(values)
    return tensor


def constant_(tensor, val: float):
    """Fill ``tensor`` with ``val``: a number or a 0-d tensor, which the tensor's dtype must
    hold, as PyTorch's ``fill_`` (a float is truncated into an integer tensor, a negative int
    down to ``-max`` wraps into an unsigned one).

    Raises:
        ArgumentError: a value the dtype cannot hold (PyTorch's RuntimeError).
        TypeError: a ``val`` that is not a number.
    """
    array = data_of(tensor)
    array[...] = _fill_value("constant_", array.dtype, val)
    return tensor


def _fill_value(where: str, dtype, val):
    """``val`` as a Python number ``dtype`` holds, with PyTorch's overflow rules
    (:func:`xpnet._dtypes.checked_scalar`, ``fill_``'s): NumPy warns and casts, or raises
    OverflowError, where PyTorch refuses."""
    if getattr(val, "shape", None) is not None:
        if len(val.shape) != 0:
            msg = f"nn.init.{where}: val must be a number or a 0-d tensor, got shape {val.shape}"
            raise ArgumentError(msg)
        val = val.item()
    if not isinstance(val, int | float | complex | numpy.number | numpy.bool_):
        msg = f"nn.init.{where}: val must be a number, got {type(val).__name__}"
        raise TypeError(msg)
    if isinstance(val, bool | numpy.bool_) or dtype.kind in "bc":
        return val  # bool takes any number; a complex tensor any value
    if isinstance(val, complex | numpy.complexfloating):
        if val.imag != 0:
            msg = f"nn.init.{where}: val {val} cannot be converted to {dtype} without overflow"
            raise ArgumentError(msg)
        val = val.real
    val = int(val) if isinstance(val, int | numpy.integer) else float(val)
    return checked_scalar(f"nn.init.{where}", "val", val, dtype)  # fill_'s rules


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def eye_(tensor):
    """Fill the 2-D ``tensor`` with the identity matrix: ones on the main diagonal, zeros
    elsewhere (a non-square one too), as :func:`torch.nn.init.eye_`.

    Raises:
        ValueError: if ``tensor`` does not have 2 dimensions.

    Example:
        >>> eye_(np.empty((2, 3)))
        array([[1., 0., 0.],
               [0., 1., 0.]])
    """
    if len(tensor.shape) != 2:
        raise ValueError("nn.init.eye_: Only tensors with 2 dimensions are supported")
    return copy_host_values(tensor, numpy.eye(*tensor.shape))


def dirac_(tensor, groups: int = 1):
    """Fill the 3-, 4- or 5-D conv weight ``tensor`` with the Dirac delta: a convolution with it
    (``padding=kernel_size // 2``) copies its input channels to its output channels, per group.

    Output channel ``g * (C_out // groups) + d`` of group ``g`` gets a 1 at the kernel's centre
    of input channel ``d``, for ``d < min(C_out // groups, C_in)``; the rest is 0.

    Raises:
        ValueError: if ``tensor`` has another number of dimensions, or ``groups`` does not
            divide ``shape[0]``.

    Example:
        >>> dirac_(np.empty((2, 1, 3)))
        array([[[0., 1., 0.]],
        <BLANKLINE>
               [[0., 0., 0.]]])
    """
    shape = tensor.shape
    if len(shape) not in (3, 4, 5):
        raise ValueError("nn.init.dirac_: Only tensors with 3, 4, or 5 dimensions are supported")
    if shape[0] % groups != 0:
        raise ValueError(f"nn.init.dirac_: dim 0 must be divisible by groups, got {groups}")
    out_channels_per_group = shape[0] // groups
    channels = numpy.arange(min(out_channels_per_group, shape[1]))
    outputs = (numpy.arange(groups)[:, None] * out_channels_per_group + channels).ravel()
    centre = tuple(size // 2 for size in shape[2:])
    values = numpy.zeros(shape)
    values[(outputs, numpy.tile(channels, groups), *centre)] = 1.0
    return copy_host_values(tensor, values)


def deprecated_alias(method):
    """``method`` under its name without the trailing underscore, warning as PyTorch's
    ``torch.nn.init._make_deprecate`` does.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     _ = deprecated_alias(constant_)(np.zeros(2), 3.0)
        >>> _, str(caught[0].message)
        (array([3., 3.]), '`nn.init.constant` is now deprecated in favor of `nn.init.constant_`.')
    """
    new_name = method.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        msg = f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`."
        warnings.warn(msg, FutureWarning, stacklevel=2)
        return method(*args, **kwargs)

    deprecated_init.__name__ = deprecated_init.__qualname__ = old_name
    deprecated_init.__doc__ = (
        f"``{old_name}(...)``: deprecated in favor of :func:`~xpnet.nn.init.{new_name}`, which "
        "it calls after a ``FutureWarning``, as PyTorch's."
    )
    return deprecated_init


uniform = deprecated_alias(uniform_)
normal = deprecated_alias(normal_)
constant = deprecated_alias(constant_)
eye = deprecated_alias(eye_)
dirac = deprecated_alias(dirac_)
xavier_uniform = deprecated_alias(xavier_uniform_)
xavier_normal = deprecated_alias(xavier_normal_)
kaiming_uniform = deprecated_alias(kaiming_uniform_)
kaiming_normal = deprecated_alias(kaiming_normal_)
orthogonal = deprecated_alias(orthogonal_)
sparse = deprecated_alias(sparse_)
