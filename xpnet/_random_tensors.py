"""PyTorch's random tensor functions: ``rand``, ``randn``, ``randint``, ``randperm`` and
``rand_like``/``randn_like``.

Values are drawn on the host from the generator :func:`xpnet.manual_seed` seeds
(:mod:`xpnet._random`), or from a NumPy ``generator=``, then copied to the device: one seed
gives the same numbers on NumPy, strict and CuPy (other numbers than PyTorch's). The helpers
(sizes, dtypes, devices) are :mod:`xpnet._creation`'s.
"""

from __future__ import annotations

import numpy

from ._creation import (
    allocated,
    new_tensor,
    parse_size,
    resolve_dtype,
    size_keyword,
    target_backend,
    template_of,
)
from ._dtypes import float32, get_default_dtype, int64
from ._memory_formats import check_memory_format, preserve_format, relaid
from ._random import check_generator, host_generator
from .autograd import Tensor, data_of
from .kernels import ArgumentError
from .kernels._checks import check_int

__all__ = ["rand", "rand_like", "randint", "randn", "randn_like", "randperm"]


def _generator(where: str, generator) -> numpy.random.Generator:
    if generator is None:
        return host_generator()
    check_generator(where, generator)
    return generator


def _uniform(generator, shape, dtype):
    if dtype.itemsize >= 4:
        return generator.random(shape, dtype=dtype)
    # float16: 11-bit multiples of 2**-11, so that rounding never reaches 1.0
    return (generator.integers(0, 2**11, shape) * 2.0**-11).astype(dtype)


def _normal(generator, shape, dtype):
    return generator.standard_normal(shape, dtype=numpy.promote_types(dtype, float32)).astype(
        dtype, copy=False
    )


def _drawn(where, draw, shape, generator, dtype, device, requires_grad) -> Tensor:
    dtype = resolve_dtype(where, dtype, get_default_dtype())
    if dtype.kind != "f":
        msg = f"{where}: dtype must be floating point, got {dtype}"
        raise TypeError(msg)
    generator, backend = _generator(where, generator), target_backend(device)

    def make():
        return backend.asarray(draw(generator, shape, dtype))

    return new_tensor(where, allocated(where, backend, shape, dtype, make), requires_grad)


@size_keyword
def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values drawn uniformly from ``[0, 1)`` in a Tensor of ``size``, as ``torch.rand``.

    Args:
        size: ints, or one sequence of ints.
        generator: a ``numpy.random.Generator`` or an :class:`xpnet.Generator`; default: the
            one :func:`xpnet.manual_seed` seeds.
        dtype: a floating-point dtype; default: :func:`xpnet.get_default_dtype`.
        device, requires_grad: as :func:`xpnet.zeros`'s.

    Example:
        >>> import xpnet
        >>> _ = xpnet.manual_seed(0)
        >>> x = xpnet.rand(2, 3)
        >>> x.shape, x.dtype, bool(((x.array >= 0) & (x.array < 1)).all())
        ((2, 3), dtype('float32'), True)
    """
    shape = parse_size("rand", size)
    return _drawn("rand", _uniform, shape, generator, dtype, device, requires_grad)


@size_keyword
def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values drawn from the standard normal distribution in a Tensor of ``size``, as
    ``torch.randn``; arguments as :func:`rand`'s."""
    shape = parse_size("randn", size)
    return _drawn("randn", _normal, shape, generator, dtype, device, requires_grad)


def _drawn_like(where, draw, input, generator, dtype, device, requires_grad, memory_format):
    """Values drawn in ``input``'s shape (dtype, device unless given), laid out as
    ``memory_format`` says (``preserve_format``: as ``input``, see
    :func:`xpnet._memory_formats.relaid`)."""
    check_memory_format(where, memory_format)  # a wrong kind first, as PyTorch's parser
    shape, dtype, device = template_of(where, input, dtype, device)
    result = _drawn(where, draw, shape, generator, dtype, device, requires_grad)
    result.array = relaid(where, result.array, memory_format, like=data_of(input))
    return result


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad: bool = False,
              memory_format=preserve_format) -> Tensor:  # fmt: skip
    """:func:`rand` of ``input``'s shape, dtype and device (unless given), as
    ``torch.rand_like``; ``memory_format`` lays it out as :func:`xpnet.empty_like`'s does
    (default: channels-last if ``input`` is).

    Example:
        >>> import xpnet
        >>> xpnet.rand_like(xpnet.zeros(1, 2, 2, 3), memory_format=xpnet.channels_last).stride()
        (12, 1, 6, 2)
    """
    args = (generator, dtype, device, requires_grad, memory_format)
    return _drawn_like("rand_like", _uniform, input, *args)


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad: bool = False,
               memory_format=preserve_format) -> Tensor:  # fmt: skip
    """:func:`randn` of ``input``'s shape, dtype and device (unless given), as
    ``torch.randn_like``; ``memory_format`` as :func:`rand_like`'s."""
    args = (generator, dtype, device, requires_grad, memory_format)
    return _drawn_like("randn_like", _normal, input, *args)


def _integers(where, make_host, shape, dtype, device, requires_grad) -> Tensor:
    backend = target_backend(device)
    dtype = resolve_dtype(where, dtype, int64)
    array = allocated(where, backend, shape, dtype, lambda: backend.asarray(make_host(dtype)))
    return new_tensor(where, array, requires_grad)


def _randint_bounds(args, low, high, size):
    """``(low, high, size)`` from ``randint``'s overloads: ``(high, size)``,
    ``(low, high, size)``, and any of them as keywords."""
    args = list(args)
    if size is None:
        if not args:
            raise TypeError("randint: missing the size argument")
        size = args.pop()
    if len(args) > 2:
        msg = f"randint: takes (high, size) or (low, high, size), got {len(args) + 1} positional"
        raise TypeError(msg)
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        low, high = (args[0], high) if high is not None else (low, args[0])
    if high is None:
        raise TypeError("randint: missing the high argument")
    return (0 if low is None else low), high, size


def randint(
    *args,
    low=None,
    high=None,
    size=None,
    generator=None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    """Random integers from ``low`` (default 0) up to but excluding ``high``, as
    ``torch.randint(low=0, high, size)`` (``randint(high, size)`` also); int64 by default.

    Raises:
        TypeError: for a bound that is not an int, a size that is not a sequence of ints,
            or a missing ``high`` or ``size``.
        ArgumentError: unless ``low < high``.

    Example:
        >>> import xpnet
        >>> x = xpnet.randint(3, 10, (4,))
        >>> x.dtype, bool(((x.array >= 3) & (x.array < 10)).all())
        (dtype('int64'), True)
    """
    low, high, size = _randint_bounds(args, low, high, size)
    low, high = check_int("randint", "low", low), check_int("randint", "high", high)
    if low >= high:
        msg = f"randint: low must be less than high, got low={low} >= high={high}"
        raise ArgumentError(msg)
    if not isinstance(size, (tuple, list)):
        msg = f"randint: size must be a tuple of ints, got {size!r}"
        raise TypeError(msg)
    shape = parse_size("randint", (size,))
    draw = _generator("randint", generator)

    def make_host(dtype):
        if dtype.kind in "iub":  # PyTorch refuses bounds its integer dtype cannot hold
            info = numpy.iinfo(dtype) if dtype.kind != "b" else None
            least, most = (info.min, info.max) if info else (0, 1)
            for name, value in (("low", low), ("high - 1", high - 1)):
                if not least <= value <= most:
                    msg = f"randint: {name}={value} is out of bounds for {dtype}"
                    raise ArgumentError(msg)
        return draw.integers(low, high, shape).astype(dtype)

    return _integers("randint", make_host, shape, dtype, device, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of ``0, ..., n - 1``, as ``torch.randperm`` (int64 by default).

    Example:
        >>> import xpnet
        >>> sorted(xpnet.randperm(4).tolist())
        [0, 1, 2, 3]
    """
    n = check_int("randperm", "n", n)
    if n < 0:
        msg = f"randperm: n must be non-negative, got {n}"
        raise ArgumentError(msg)
    draw = _generator("randperm", generator)

    def make_host(dtype):
        return draw.permutation(n).astype(dtype)

    return _integers("randperm", make_host, (n,), dtype, device, requires_grad)
