"""What the ``xpnet.linalg`` functions share: input checks, ``LinAlgError`` and its reports.

:func:`matrix_input` checks a ``(*, m, n)`` float32/float64 array (PyTorch's dtype rules:
integer, bool, float16 and complex inputs are refused with a ``TypeError``);
:func:`square_input` also wants ``m == n``. :func:`checked_call` runs a factorization and turns
a failure into :class:`LinAlgError` naming the batch element, as PyTorch CPU does: at once on
NumPy and strict (whose ``xp.linalg`` raises), deferred on CuPy (which returns NaN silently:
the result is checked at the next host read, see :mod:`xpnet.backends._deferred`).
"""

from __future__ import annotations

import numpy

from .._tensor_checks import check_tensor
from ..backends import backend_of
from ..backends._deferred import defer_check
from ..kernels._checks import ArgumentError, UnsupportedDtypeError

__all__ = ["LinAlgError", "checked_call", "matrix_input", "mT", "operands_backend", "square_input"]


class LinAlgError(numpy.linalg.LinAlgError, RuntimeError):
    """``torch.linalg.LinAlgError``: a singular or non-positive-definite input (a
    ``ValueError`` and ``numpy.linalg.LinAlgError``, and a ``RuntimeError`` as PyTorch's)."""


def matrix_input(where: str, name: str, array, integers: bool = False):
    """The backend of ``array``, a ``(*, m, n)`` float32 or float64 array (or an integer one,
    with ``integers``: products only, as ``matrix_power``).

    Raises:
        TypeError: not an array (``None`` too).
        UnsupportedDtypeError: not float32/float64 (a ``TypeError``, and PyTorch's
            ``RuntimeError``/``NotImplementedError``).
        ArgumentError: fewer than 2 dimensions.
    """
    backend = operands_backend(where, (name,), array)
    if array.dtype not in (numpy.float32, numpy.float64) and not (
        integers and array.dtype.kind in "iu"
    ):
        msg = (
            f"{where}: {name} must be a float32 or float64 array (as PyTorch's linalg on the "
            f"CPU), got dtype {array.dtype}"
        )
        raise UnsupportedDtypeError(msg)
    if array.ndim < 2:
        msg = f"{where}: {name} must have at least 2 dimensions (*, m, n), got shape {array.shape}"
        raise ArgumentError(msg)
    return backend


def operands_backend(where: str, names: tuple, *arrays):
    """The one backend of ``arrays`` (named ``names`` in the messages), each a Tensor or array.

    Raises:
        TypeError: one is not an array (``None``, a number), or they are on two backends.
    """
    for name, array in zip(names, arrays, strict=True):
        check_tensor(where, name, array)  # backend_of lets None through: optional elsewhere
    return backend_of(*arrays, names=names, where=where)


def square_input(where: str, name: str, array, integers: bool = False):
    """:func:`matrix_input` for batches of square matrices ``(*, n, n)``."""
    backend = matrix_input(where, name, array, integers)
    if array.shape[-1] != array.shape[-2]:
        msg = (
            f"{where}: {name} must be batches of square matrices, but they are "
            f"{array.shape[-2]} by {array.shape[-1]} matrices"
        )
        raise ArgumentError(msg)
    return backend


def mT(array):  # noqa: N802 - PyTorch's name
    """The transpose of the last two dimensions (a view)."""
    return backend_of(array).xp.swapaxes(array, -1, -2)


def _batch_prefix(batch_shape: tuple, index: int) -> str:
    return f"(Batch element {index}): " if batch_shape else ""


def checked_call(where: str, compute, A, reason, nan_fails: bool = False):
    """``compute(A)`` for the ``(*, n, n)`` batch ``A``, raising :class:`LinAlgError` where it
    fails: ``reason(matrix)`` is the message's tail for the failing matrix (a NumPy array).
    With ``nan_fails`` a NaN in the result is a failure even where ``A`` is not finite (LAPACK's
    ``potrf`` tests ``isnan``; OpenBLAS's and cuSOLVER's go on with NaN).

    NumPy and strict raise inside ``compute``: the failing element is found by computing the
    matrices one by one (only on that error path). CuPy gives NaN instead: a result that is
    not finite where ``A`` is finite is reported at the next host read (deferred, no sync).
    On NumPy this also reports a finite ``A`` whose result overflows, where PyTorch returns inf.
    """
    backend = backend_of(A)
    xp = backend.xp
    batch = A.shape[:-2]
    try:
        result = compute(A)
    except xp.linalg.LinAlgError:
        matrices = xp.reshape(A, (-1,) + A.shape[-2:])
        for index in range(matrices.shape[0]):
            try:
                compute(matrices[index])
            except xp.linalg.LinAlgError:
                host = backend.to_host(matrices[index])
                msg = f"{where}: {_batch_prefix(batch, index)}{reason(host)}"
                raise LinAlgError(msg) from None
        raise
    if result.size == 0:
        return result
    axes = (-2, -1)
    failed = ~xp.isfinite(result).all(axis=axes) & xp.isfinite(A).all(axis=axes)
    if nan_fails:
        failed = failed | xp.isnan(result).any(axis=axes)
    failed = xp.reshape(failed, -1)

    def report(host):
        bad = numpy.flatnonzero(host)
        if bad.size:
            index = int(bad[0])
            matrix = backend.to_host(xp.reshape(A, (-1,) + A.shape[-2:])[index])
            msg = f"{where}: {_batch_prefix(batch, index)}{reason(matrix)}"
            raise LinAlgError(msg)

    defer_check(backend, failed, report)
    return result
