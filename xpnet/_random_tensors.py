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
from .kernels import ArgumentError, UnsupportedDtypeError
from .kernels._checks import check_int

__all__ = ["rand", "rand_like", "randint", "randn", "randn_like", "randperm"]


def check_bounds(where: str, dtype, held: dict, parsed: dict | None = None) -> None:
    """ValueError unless each of ``parsed`` (its name as PyTorch says it: value) is an int64
    (PyTorch's parser's "Overflow when unpacking long long"); ArgumentError, as PyTorch's
    RuntimeError, unless each of ``held`` is a value ``dtype`` holds (its finite range for
    floats: a cast would overflow)."""
    for name, value in (parsed or {}).items():
        if not -(2**63) <= value < 2**63:
            raise ValueError(f"{where}: {name}={value} overflows int64")
    if dtype.kind == "f":
        least, most = float(numpy.finfo(dtype).min), float(numpy.finfo(dtype).max)
    else:
        info = numpy.iinfo(dtype) if dtype.kind != "b" else None
        least, most = (int(info.min), int(info.max)) if info else (0, 1)
    for name, value in held.items():
        if not least <= value <= most:
            raise ArgumentError(f"{where}: {name}={value} is out of bounds for {dtype}")


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
    if dtype.kind != "f":  # PyTorch has no integer kernel: its NotImplementedError
        msg = f"{where}: dtype must be floating point, got {dtype}"
        raise UnsupportedDtypeError(msg)
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

    def make_host(dtype):  # PyTorch refuses bounds its dtype cannot hold
        check_bounds(
            "randint", dtype, {"low": low, "high - 1": high - 1}, {"low": low, "high": high}
        )
        return draw.integers(low, high, shape).astype(dtype)

    return _integers("randint", make_host, shape, dtype, device, requires_grad)


_ABSENT = object()  # random_() and random_(to) are told apart by how many arguments come


def draw_random(generator, shape, dtype, low=_ABSENT, high=_ABSENT):
    """``Tensor.random_(from, to)``'s integers (:mod:`xpnet._tensor_random_ops`), after
    PyTorch's checks of the bounds against ``dtype``."""
    if high is _ABSENT and low is not _ABSENT:
        low, high = 0, low  # random_(to)
    low = 0 if low is _ABSENT else low
    if high is _ABSENT or high is None:  # up to the largest integer dtype holds exactly
        kind = dtype.kind
        last = 2 ** (numpy.finfo(dtype).nmant + 1) if kind == "f" else 1 if kind == "b" else None
        last = numpy.iinfo(dtype).max if last is None else last
        check_bounds("Tensor.random_", dtype, {"from": low}, {"from": low})
        if low > last:
            msg = f"Tensor.random_: from must be at most {last} for {dtype} when to is None"
            raise ArgumentError(f"{msg}, got from={low}")
    else:
        if not low < high:
            msg = "Tensor.random_ expects 'from' to be less than 'to', but got"
            raise ArgumentError(f"{msg} from={low} >= to={high}")
        last = high - 1
        check_bounds(
            "Tensor.random_", dtype, {"from": low, "to - 1": last}, {"from": low, "to": high}
        )
    return generator.integers(low, last, shape, endpoint=True)


def randint_like(input, *args, low=None, high=None, generator=None, dtype=None, device=None,
                 requires_grad=False, memory_format=preserve_format):  # fmt: skip
    """:func:`randint` in ``input``'s shape, dtype and backend (unless given), as
    ``torch.randint_like(input, high)`` or ``(input, low, high)``; ``memory_format`` lays it
    out as :func:`xpnet.empty_like`'s does (default: channels-last if ``input`` is).

    Example:
        >>> import xpnet
        >>> x = xpnet.randint_like(xpnet.zeros(2, 3), 1, 5, generator=xpnet.Generator())
        >>> x.shape, x.dtype, bool(((x.array >= 1) & (x.array < 5)).all())
        ((2, 3), dtype('float32'), True)
    """
    check_memory_format("randint_like", memory_format)  # a wrong kind first, as PyTorch's
    shape, dtype, device = template_of("randint_like", input, dtype, device)
    bounds = [*args] + [v for v in (low, high) if v is not None]
    result = randint(*bounds, shape, generator=generator, dtype=dtype, device=device,
                     requires_grad=requires_grad)  # fmt: skip
    result.array = relaid("randint_like", result.array, memory_format, like=data_of(input))
    return result


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
        if dtype.kind == "b":  # PyTorch has no bool kernel
            raise UnsupportedDtypeError("randperm: dtype must be a number type, got bool")
        # PyTorch's: n - 1 a value of dtype, n at most 2**digits + 1 for floats
        most = 2 ** (numpy.finfo(dtype).nmant + 1) + 1 if dtype.kind == "f" else None
        if n > 0 and (most is None or n <= most):
            check_bounds("randperm", dtype, {"n - 1": n - 1})
        elif n > 0:
            raise ArgumentError(f"randperm: n must be at most {most} for {dtype}, got {n}")
        return draw.permutation(n).astype(dtype)

    return _integers("randperm", make_host, (n,), dtype, device, requires_grad)
