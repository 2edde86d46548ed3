"""Sums along a dimension, as PyTorch's: the trapezoid rule (``trapezoid``, its alias ``trapz``,
``cumulative_trapezoid``; ``xpnet.<name>`` functions only, as PyTorch) and ``renorm`` (each
slice's p-norm capped; a Tensor method too, with the in-place ``renorm_``).

All are compositions of differentiable Tensor operations written as PyTorch's
(``aten/src/ATen/native/Integration.cpp``, ``Normalization``'s ``renorm``), so values, result
dtypes and gradients are PyTorch's: ``trapezoid``'s for ``y`` and for ``x``; ``renorm``'s
through its scale factor too (PyTorch's ``renorm_backward`` differentiates the factor, it does
not treat it as a constant). No host reads. Neighbours: :mod:`xpnet._tensor_scans`
(``diff``, ``cumprod``), :mod:`xpnet._tensor_norms` (``norm``).

Example:
    >>> import xpnet
    >>> y = xpnet.tensor([1.0, 2.0, 3.0])
    >>> xpnet.trapezoid(y).item(), xpnet.cumulative_trapezoid(y, dx=2.0).tolist()
    (4.0, [3.0, 8.0])
"""

from __future__ import annotations

import numbers

import numpy

from ._dtypes import floating
from ._node_names import named_nodes
from ._tensor_index import where as choose
from ._tensor_inplace import apply_in_place
from ._tensor_join import checked_dim
from ._torch_functions import as_input
from .amp.autocast_mode import cast_operand
from .autograd import Tensor
from .backends import backend_of
from .kernels import ArgumentError, UnsupportedDtypeError
from .kernels._checks import check_number

__all__ = ["trapezoid", "trapz", "cumulative_trapezoid", "renorm"]

# renorm's guard against dividing by a zero norm: PyTorch's ``norm + 1e-7``
RENORM_EPS = 1e-7


def _part(tensor: Tensor, dim: int, start, stop) -> Tensor:
    """``tensor[start:stop]`` along ``dim`` (a differentiable view)."""
    return tensor[(slice(None),) * dim + (slice(start, stop),)]


def _samples(where: str, y, dim) -> tuple[Tensor, int]:
    """``(y, dim)`` checked: a Tensor of numbers with at least one dim, ``dim`` in range."""
    y = as_input(where, y, "y")
    if y.ndim == 0:
        raise IndexError(f"xpnet.{where}: y must have at least one dim, got a 0-d tensor")
    dim = checked_dim(f"xpnet.{where}", dim, y.ndim, f"{y.ndim}-d y")
    if y.dtype == numpy.bool_:  # PyTorch's RuntimeError (UnsupportedDtypeError is one)
        raise UnsupportedDtypeError(f"xpnet.{where}: y must hold numbers, not bools")
    return y, dim


def _spacing(where: str, y: Tensor, x, dx, dim: int):
    """The spacing ``x[i + 1] - x[i]`` along ``dim`` (PyTorch's: a 1-D ``x`` lies along
    ``dim``, a shorter one gets leading 1s; the differences broadcast with ``y``'s), or the
    number ``dx`` (default 1)."""
    if x is None:
        if dx is None:
            return 1.0
        if isinstance(dx, Tensor) and dx.numel() == 1:  # PyTorch's Scalar takes one
            dx = dx.item()
        check_number(f"xpnet.{where}", "dx", dx)
        return float(dx)
    if dx is not None:
        raise TypeError(f"xpnet.{where}: give the sample points x or the spacing dx, not both")
    if isinstance(x, numbers.Number):
        msg = f"xpnet.{where}: x must be a Tensor of sample points (pass a spacing as dx=)"
        raise TypeError(msg)
    x = as_input(where, x, "x")
    if x.dtype == numpy.bool_:
        raise UnsupportedDtypeError(f"xpnet.{where}: x must hold numbers, not bools")
    if x.ndim == 1:
        if x.shape[0] != y.shape[dim]:
            msg = (f"xpnet.{where}: x must hold one point per sample of y in dim {dim}, got "
                   f"{x.shape[0]} points for {y.shape[dim]} samples")  # fmt: skip
            raise ArgumentError(msg)
        x = x.reshape(tuple(x.shape[0] if d == dim else 1 for d in range(y.ndim)))
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + x.shape)
    spacing = _part(x, dim, 1, None).sub(_part(x, dim, 0, -1))
    pairs = _part(y, dim, 1, None).shape
    try:
        numpy.broadcast_shapes(pairs, spacing.shape)
    except ValueError:
        msg = (f"xpnet.{where}: x's spacing of shape {spacing.shape} does not broadcast with "
               f"y's {pairs} (y {y.shape}, x {x.shape}, dim {dim})")  # fmt: skip
        raise ArgumentError(msg) from None
    return spacing


def _halved(total: Tensor) -> Tensor:
    """``total / 2`` in PyTorch's result dtype (the default float dtype for integers)."""
    return floating(total).div(2.0)


@named_nodes(lambda y, x=None, **kwargs: "MulBackward1" if x is None else "DivBackward1")
def trapezoid(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    r"""The integral of ``y`` along ``dim`` by the trapezoid rule, as ``torch.trapezoid``:
    :math:`\sum_i (x_{i+1} - x_i) (y_i + y_{i+1}) / 2`, or with a constant spacing ``dx``,
    :math:`dx (\sum_i y_i - (y_0 + y_{n-1}) / 2)`.

    Args:
        y: a Tensor or array of the values, at least 1-D.
        x: the sample points: 1-D (one per sample, along ``dim``), or of ``y``'s dims
            (fewer get leading 1s); their differences along ``dim`` broadcast with ``y``'s
            pairs, as PyTorch. Default: ``None`` (a spacing of ``dx``).
        dx: the spacing, a number, when ``x`` is not given. Default: ``1``.
        dim: the dimension to integrate along. Default: ``-1``.

    Returns:
        Tensor of ``y``'s shape without ``dim``, in PyTorch's result dtype (float for
        integer samples); zeros of ``y``'s dtype when ``dim`` has no samples. Differentiable
        in ``y`` and ``x``.

    Raises:
        TypeError: bools, both ``x`` and ``dx``, a number ``x``, a ``dx`` that is not a
            number, ``dim`` not an int. IndexError: a 0-d ``y`` or ``dim`` out of range.
            ArgumentError: a 1-D ``x`` of another length, spacings that do not broadcast.

    Example:
        >>> import xpnet
        >>> y = xpnet.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        >>> xpnet.trapezoid(y, xpnet.tensor([1.0, 2.0, 4.0])).tolist()
        [6.5, 15.5]
    """
    y, dim = _samples("trapezoid", y, dim)
    if y.shape[dim] == 0:  # no samples: 0, as NumPy (PyTorch's zeros, not connected to y)
        return Tensor(backend_of(y.array).xp.zeros(y.shape[:dim] + y.shape[dim + 1 :], y.dtype))
    spacing = _spacing("trapezoid", y, x, dx, dim)
    if isinstance(spacing, float):
        ends = floating(y.select(dim, 0).add(y.select(dim, -1))).mul(0.5)
        return floating(y.sum(dim)).sub(ends).mul(spacing)
    pairs = _part(y, dim, 0, -1).add(_part(y, dim, 1, None))
    return _halved(pairs.mul(spacing).sum(dim))


def trapz(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """:func:`trapezoid`, by its older name, as ``torch.trapz``."""
    return trapezoid(y, x, dx=dx, dim=dim)


@named_nodes(lambda y, x=None, **kwargs: "CumsumBackward0" if x is None else "DivBackward1")
def cumulative_trapezoid(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running integral of ``y`` along ``dim`` by the trapezoid rule, as
    ``torch.cumulative_trapezoid``: element ``i`` is the :func:`trapezoid` of samples
    ``0 ... i + 1``.

    Args:
        y, x, dx, dim: as :func:`trapezoid`.

    Returns:
        Tensor of ``y``'s shape with one element fewer in ``dim`` (none for no samples), in
        PyTorch's result dtype. Differentiable in ``y`` and ``x``.

    Raises:
        As :func:`trapezoid`.

    Example:
        >>> import xpnet
        >>> y = xpnet.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        >>> xpnet.cumulative_trapezoid(y, xpnet.tensor([1.0, 2.0, 4.0])).tolist()
        [[1.5, 6.5], [4.5, 15.5]]
    """
    y, dim = _samples("cumulative_trapezoid", y, dim)
    spacing = _spacing("cumulative_trapezoid", y, x, dx, dim)
    pairs = _part(y, dim, 0, -1).add(_part(y, dim, 1, None))
    if isinstance(spacing, float):
        return floating(pairs).mul(spacing / 2.0).cumsum(dim)
    return _halved(pairs.mul(spacing).cumsum(dim))


@named_nodes("RenormBackward0")
def renorm(input, p, dim: int, maxnorm) -> Tensor:
    """``input`` with each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled
    down to norm ``maxnorm``, as ``torch.renorm`` and ``Tensor.renorm``: the slice times
    ``maxnorm / (norm + 1e-7)`` (PyTorch's guard), the others unchanged.

    The gradient is PyTorch's: that of ``input`` times the factor, the factor's dependence
    on the norm included. A slice whose norm is NaN stays as it is, as in PyTorch.

    Args:
        input: a float Tensor or array of at least 2 dims.
        p: the norm's order, a positive number (``inf`` the largest magnitude).
        dim: the dimension whose slices (``input.select(dim, i)``) are renormalized.
        maxnorm: the largest norm kept, a non-negative number.

    Returns:
        Tensor of ``input``'s shape and dtype.

    Raises:
        TypeError: an integer tensor (an UnsupportedDtypeError, also PyTorch's RuntimeError),
            ``p`` or ``maxnorm`` not a number, ``dim`` not an int.
        ArgumentError: fewer than 2 dims, ``p <= 0``, ``maxnorm < 0``. IndexError: ``dim``
            out of range.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([[3.0, 4.0], [0.3, 0.4]])
        >>> [round(norm, 4) for norm in x.renorm(2, 0, 1.0).norm(dim=1).tolist()]
        [1.0, 0.5]
    """
    tensor = as_input("renorm", input)
    tensor = cast_operand("renorm", tensor)  # float32 in an autocast region, as PyTorch's
    check_number("xpnet.renorm", "p", p)
    check_number("xpnet.renorm", "maxnorm", maxnorm)
    if p <= 0 or maxnorm < 0:  # checked first, as PyTorch's
        msg = f"xpnet.renorm: p must be > 0 and maxnorm >= 0, got p={p}, maxnorm={maxnorm}"
        raise ArgumentError(msg)
    if tensor.ndim < 2:
        raise ArgumentError(f"xpnet.renorm: input must have at least 2 dims, got {tensor.ndim}")
    dim = checked_dim("xpnet.renorm", dim, tensor.ndim, f"{tensor.ndim}-d input")
    if tensor.dtype.kind != "f":  # PyTorch's RuntimeError (UnsupportedDtypeError is one)
        msg = f"xpnet.renorm: input must be floating point, got {tensor.dtype}"
        raise UnsupportedDtypeError(msg)
    # float16: the norm and the factor in float32, as PyTorch's accumulate type
    work = tensor.float() if tensor.dtype == numpy.float16 else tensor
    others = tuple(d for d in range(tensor.ndim) if d != dim)
    exceeds = work.detach().norm(float(p), others, keepdim=True) > maxnorm
    # the slices kept as they are (NaN norms too) get their norm from ones, so that their
    # gradient is the upstream one, as PyTorch's, not 0 * NaN through the unused factor
    norm = choose(exceeds, work, 1.0).norm(float(p), others, keepdim=True)
    factor = choose(exceeds, float(maxnorm) / norm.add(RENORM_EPS), 1.0)
    return tensor.mul(factor.to(tensor.dtype))


def renorm_(self, p, dim: int, maxnorm) -> Tensor:
    """:func:`renorm`, in place, as ``Tensor.renorm_``; returns this tensor."""
    return apply_in_place("renorm_", self, lambda t: renorm(t, p, dim, maxnorm))


METHODS = {"renorm": renorm, "renorm_": renorm_}
