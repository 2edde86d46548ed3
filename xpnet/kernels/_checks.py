"""Argument checks shared by every kernel family, and the error they raise.

Public kernels (marked with :func:`kernel`) validate their arguments once, here; the inner
functions trust them. Neighbours: :mod:`._blocks` cuts the work once the arguments are
known; :mod:`._windows` checks and computes window geometry.
"""

from __future__ import annotations

import functools
import numbers
import operator

from ..backends import backend_of, float_errors_ignored, host_sync_forbidden, kernel_scope
from ._blocks import compute_dtype


class ArgumentError(ValueError, RuntimeError):
    """A bad shape or value given to a kernel.

    Both a ``ValueError`` (the Python convention) and a ``RuntimeError`` (what PyTorch raises for
    the same mistakes), so code written for either catches it.
    """


class DtypeMismatchError(TypeError, RuntimeError):
    """Arrays of two dtypes given to a kernel that takes one, or an in-place result that the
    tensor's dtype cannot hold (a float into an integer tensor): a ``TypeError`` (xpnet's
    convention for a wrong dtype) and a ``RuntimeError`` (what PyTorch raises for it)."""


class IndexOutOfRangeError(IndexError, RuntimeError):
    """An index value outside the dimension it selects in (``gather``, ``scatter``,
    ``index_select``, ...): the ``IndexError`` of Python's convention (and of PyTorch's
    ``index_select``) and the ``RuntimeError`` of PyTorch's ``gather`` and ``scatter``."""


class AssertedArgumentError(ArgumentError, AssertionError):
    """A bad argument PyTorch refuses with an ``assert`` (``Hardtanh``'s bounds, an
    ``Embedding``'s ``padding_idx``, ``MultiheadAttention``'s shapes): its
    ``AssertionError``, and a ``ValueError`` as every bad argument."""


class UnsupportedLayoutError(ArgumentError, NotImplementedError):
    """A mode or rank PyTorch has no kernel for (``pad(x, (1, 1), mode="reflect")`` of a 4-D
    ``x``, ``interpolate`` of a 2-D input): PyTorch's ``NotImplementedError``, and the
    ``ValueError`` of a bad argument."""


class UnsupportedDtypeError(TypeError, NotImplementedError):
    """A dtype PyTorch has no kernel for (``abs`` of bools, ``gcd`` of floats): the
    ``TypeError`` of xpnet's convention for wrong kinds, and the ``NotImplementedError``
    PyTorch raises ("not implemented for 'Bool'", a ``RuntimeError``), so code written for
    either catches it."""


def bound_arguments(function, signature, args, kwargs):
    """``signature.bind(*args, **kwargs)`` of ``function``'s call; a mistake's ``TypeError``
    names the function, as Python's own for a direct call (``nll_loss() got an unexpected
    keyword argument 'label_smoothing'``)."""
    try:
        return signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{function.__name__}() {error}") from None


def kernel(function):
    """Mark a public kernel: inside it, implicit device-to-host syncs are errors on strict, and
    inf/NaN give values, never warnings."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        scope = kernel_scope(function.__name__, args, kwargs)
        with host_sync_forbidden(), scope, float_errors_ignored():
            return function(*args, **kwargs)

    return wrapper


class AxisError(ArgumentError, IndexError):
    """``dim`` out of range: PyTorch's IndexError, and the ValueError of every kernel argument."""


def check_axis(where, input, dim) -> int:
    """``dim`` (an int) as an axis of ``input`` in ``[0, ndim)``; a 0-d input takes -1 and 0."""
    rank = max(input.ndim, 1)
    if not -rank <= dim < rank:
        msg = f"{where}: dim must be an axis of input of shape {input.shape}, got {dim}"
        raise AxisError(msg)
    return dim % rank


def array_backend(where: str, **arrays):
    """The backend of the named arrays (``None`` skipped); they must be float of one dtype.

    Raises:
        TypeError: a non-array, mixed backends, a non-float dtype (an
            :class:`UnsupportedDtypeError`) or mixed dtypes (a :class:`DtypeMismatchError`),
            the last two also PyTorch's ``RuntimeError``.
    """
    backend = backend_of(*arrays.values(), names=tuple(arrays), where=where)
    first = None
    for name, array in arrays.items():
        if array is None:
            continue
        if array.dtype.kind != "f":  # PyTorch: "not implemented for 'Long'"
            msg = f"{where}: {name} must be a floating-point array, got dtype {array.dtype}"
            raise UnsupportedDtypeError(msg)
        if first is None:
            first = (name, array.dtype)
        elif array.dtype != first[1]:
            msg = (
                f"{where}: {name} must have the dtype of {first[0]} ({first[1]}), got {array.dtype}"
            )
            raise DtypeMismatchError(msg)
    return backend


def moved_backend(where: str, input, kinds: str = "biuf", why: str = ""):
    """The backend of ``input``, whose values a kernel moves without arithmetic (padding, a
    shuffle, a gather), so that it takes the dtypes PyTorch's does: the NumPy kinds in
    ``kinds`` (bool, integers, floats by default), else an :class:`UnsupportedDtypeError`
    naming ``where`` and ``why`` (the mode that cannot take it, say)."""
    backend = backend_of(input, names=("input",), where=where)
    if input.dtype.kind not in kinds:
        msg = f"{where}: {why or 'input'} is not implemented for dtype {input.dtype}"
        raise UnsupportedDtypeError(msg)
    return backend


def as_index(value) -> int | None:
    """``value`` as an int where PyTorch takes it for one, else ``None``: an int or anything
    with ``__index__`` (a NumPy integer, a one-element integer Tensor), not a bool (PyTorch
    refuses ``True`` where it wants an int), a bool tensor or a float.

    Example:
        >>> as_index(3), as_index(np.int64(3)), as_index(np.array(3)), as_index(True)
        (3, 3, 3, None)
    """
    if type(value) is int:  # the hot path: one type test
        return value
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "i") not in "iu":
        return None  # a bool or a bool tensor, which __index__ would take
    if getattr(value, "size", None) == 1:  # a backend array (a Tensor's size is a method):
        # read explicitly, as PyTorch's parser does; strict refuses implicit reads in kernels
        value = backend_of(value).to_host(value).reshape(())[()]
    try:
        return operator.index(value)
    except TypeError:  # no __index__, or a tensor of several elements
        return None


def check_int(where: str, name: str, value) -> int:
    """``value`` as an int (:func:`as_index`); TypeError for a float (even ``1.0``), a bool,
    or a tensor that is not one integer, as PyTorch."""
    index = as_index(value)
    if index is None:
        msg = f"{where}: {name} must be an int, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return index


def check_number(where: str, name: str, value) -> None:
    """TypeError unless ``value`` is a real number (not a bool, not an array or a string)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        msg = f"{where}: {name} must be a number, got {type(value).__name__} {value!r}"
        raise TypeError(msg)


def known_finite(backend, array) -> bool:
    """Whether ``array`` holds no inf or NaN, as far as can be known without waiting for a
    device: read where host reads are free (NumPy), else assumed (strict, CuPy)."""
    if not getattr(backend, "host_reads_free", False):
        return True
    return bool(backend.xp.isfinite(array).all())


def require_arrays(where: str, **arrays) -> None:
    """TypeError naming the argument for each of ``arrays`` that is ``None`` (required ones).

    Example:
        >>> require_arrays("relu", input=None)
        Traceback (most recent call last):
        ...
        TypeError: relu: input must be an array, got None
    """
    for name, array in arrays.items():
        if array is None:
            msg = f"{where}: {name} must be an array, got None"
            raise TypeError(msg)


def check_saved(where: str, name: str, array, shape, dtypes, of: str | None = None) -> None:
    """Check a value saved by the forward and passed back to a backward (batch-norm stats,
    a dropout mask, cross-entropy's exps, max-pool indices): its ``shape`` and one of
    ``dtypes``; ``of`` names what both come from (e.g. "the forward's output") in the
    message. The backend is checked with the other arrays. No value checks: they would cost
    a device-to-host sync."""
    if not hasattr(array, "shape") or not hasattr(array, "dtype"):
        msg = f"{where}: {name} must be an array, got {type(array).__name__}"
        raise TypeError(msg)
    if array.dtype not in dtypes:
        expected = " or ".join(str(d) for d in dtypes) + ("" if of is None else f" (as {of})")
        msg = f"{where}: {name} must have dtype {expected}, got {array.dtype}"
        raise TypeError(msg)
    if tuple(array.shape) != tuple(shape):
        what = "shape" if of is None else f"the shape of {of}"
        msg = f"{where}: {name} must have {what} {tuple(shape)}, got {tuple(array.shape)}"
        raise ArgumentError(msg)


def check_ndim(where: str, name: str, array, allowed: tuple[int, ...], layout: str) -> None:
    """Raise ValueError unless ``array.ndim`` is in ``allowed``; ``layout`` names the axes."""
    if array.ndim not in allowed:
        expected = " or ".join(str(n) for n in allowed)
        msg = f"{where}: {name} must have {expected} dimensions {layout}, got shape {array.shape}"
        raise ArgumentError(msg)


def to_tuple(where: str, name: str, value, n: int = 2, minimum: int | None = 1) -> tuple:
    """``value`` as an ``n``-tuple of ints (an int is repeated), each at least ``minimum``.

    A one-element sequence is repeated like an int, as PyTorch does (``padding=[1]``).

    Example:
        >>> to_tuple("max_pool2d", "kernel_size", 3), to_tuple("avg_pool2d", "padding", [1])
        ((3, 3), (1, 1))
    """
    one = isinstance(value, numbers.Integral) or getattr(value, "ndim", None) == 0  # a 0-d tensor
    items = (value,) * n if one else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) == 1:  # PyTorch repeats a one-element sequence too: padding=[1]
        items = items * n
    items = tuple(as_index(v) for v in items)
    if len(items) != n or None in items:
        msg = f"{where}: {name} must be an int or a tuple of {n} ints, got {value!r}"
        raise TypeError(msg)
    if minimum is not None and any(v < minimum for v in items):
        msg = f"{where}: {name} must be at least {minimum}, got {value!r}"
        raise ArgumentError(msg)
    return items


def check_same_shape(where: str, name: str, array, reference_name: str, reference) -> None:
    """Raise ValueError unless ``array`` has the shape of ``reference`` (e.g. a gradient)."""
    if array.shape != reference.shape:
        msg = (
            f"{where}: {name} must have the shape of {reference_name} {reference.shape}, "
            f"got {array.shape}"
        )
        raise ArgumentError(msg)


def check_grad_output(
    where: str, grad_output, shape, dtype, of="the forward's output", name="grad_output"
) -> None:
    """Raise unless ``grad_output`` is an array of the forward output's ``shape`` and ``dtype``.

    Every ``<name>_backward`` calls this (its backend is checked with the other arrays by
    :func:`array_backend`): a gradient of another shape would broadcast into silent garbage.
    ``of`` names what has that shape in the message (``"input"`` for element-wise ops);
    ``None`` says just ``shape (2, 4)``; ``name`` is the argument's (``Tensor.backward``'s
    ``gradient``).

    Example:
        >>> check_grad_output("relu_backward", xp.ones((2, 3)), (2, 4), xp.float64)
        Traceback (most recent call last):
        ...
        xpnet.kernels._checks.ArgumentError: relu_backward: grad_output must have the shape of \
the forward's output (2, 4), got (2, 3)
    """
    if grad_output is None or not hasattr(grad_output, "shape"):
        msg = f"{where}: {name} must be an array, got {type(grad_output).__name__}"
        raise TypeError(msg)
    if tuple(grad_output.shape) != tuple(shape):
        expected = f"shape {tuple(shape)}" if of is None else f"the shape of {of} {tuple(shape)}"
        msg = f"{where}: {name} must have {expected}, got {tuple(grad_output.shape)}"
        raise ArgumentError(msg)
    if grad_output.dtype != dtype:
        owner = of or "the forward's output"
        msg = f"{where}: {name} must have the dtype of {owner} ({dtype}), got {grad_output.dtype}"
        raise TypeError(msg)


def upstream_gradient(where: str, gradient, output):
    """The gradient given for ``output`` (``Tensor.backward``'s): ones for a one-element
    ``output`` when ``None``, else checked to be an array of its shape, dtype and backend."""
    if gradient is None:
        if output.size != 1:
            msg = f"{where}: gradient can be omitted only for one element, got {output.shape}"
            raise ArgumentError(msg)
        return backend_of(output).xp.ones_like(output)
    backend_of(output, gradient, names=("the tensor", "gradient"), where=where)
    check_grad_output(where, gradient, output.shape, output.dtype, "the tensor", "gradient")
    return gradient


def check_output_mask(where: str, output_mask, count: int) -> tuple[bool, ...]:
    """``output_mask`` as ``count`` bools; ValueError unless it is a sequence of that many."""
    mask = tuple(output_mask) if isinstance(output_mask, (tuple, list)) else None
    if mask is None or len(mask) != count or not all(isinstance(m, bool) for m in mask):
        msg = f"{where}: output_mask must be a tuple of {count} bools, got {output_mask!r}"
        raise ArgumentError(msg)
    return mask


def check_probability(where: str, name: str, value) -> None:
    """Raise ValueError unless ``value`` is a number in [0, 1] (dropout p, label smoothing)."""
    if not 0.0 <= value <= 1.0:
        msg = f"{where}: {name} must be in [0, 1], got {value!r}"
        raise ArgumentError(msg)


def check_shapes(where, shape, **arrays):
    """Raise ValueError unless each array given (not ``None``) has ``shape``."""
    for name, array in arrays.items():
        if array is not None and array.shape != shape:
            msg = f"{where}: {name} must have shape {shape}, got {array.shape}"
            raise ArgumentError(msg)


def elementwise_input(where, input, grad_output=None, backward=False):
    """``(xp, x)``: the namespace and ``input`` in its compute dtype, after the checks; with
    ``backward``, ``grad_output`` must have the shape and dtype of ``input``."""
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, grad_output=grad_output)
    if backward:
        check_grad_output(where, grad_output, input.shape, input.dtype, of="input")
    xp = backend.xp
    return xp, input.astype(compute_dtype(xp, input.dtype), copy=False)
