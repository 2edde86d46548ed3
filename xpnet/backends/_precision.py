"""The float32 matmul precision: whether kernels may trade exactness for speed.

PyTorch's vocabulary (``torch.set_float32_matmul_precision``), one process-wide setting:

- ``"highest"`` (the default): only formulas whose every output depends on its own window
  run. NaN and inf reach exactly the outputs whose windows hold them, as in PyTorch, and the
  float32 error of each output is relative to that output's own terms.
- ``"high"``: conv2d may also run by the convolution theorem where it is faster
  (:class:`xpnet.kernels.ConvAlgorithm` ``FOURIER``; on a GPU, products may also use TF32).
  Its error is relative to the largest value of the whole plane (about 1e-6 of it in
  float32), so outputs much smaller than the plane's largest lose relative accuracy, and one
  NaN or inf in a sample's plane turns every output of that sample into NaN.
- ``"medium"``: accepted for PyTorch scripts; the same as ``"high"`` here.

On CuPy, ``"high"`` and ``"medium"`` also let every float32 cuBLAS product use TF32 tensor
cores (10-bit mantissas in the products, float32 sums, as PyTorch's
``torch.backends.cuda.matmul.allow_tf32``), and ``"highest"`` never does, whatever
``CUPY_TF32`` says. CuPy has two paths and each needs its own switch (:func:`cublas_switches`):
2-D products (``dot``, 2-D ``matmul``) take CuPy's compute type for float32
(``COMPUTE_TYPE_TF32`` becomes ``CUBLAS_COMPUTE_32F_FAST_TF32``; what ``CUPY_TF32=1`` sets),
while batched ``matmul`` (``gemmStridedBatchedEx``, ``sgemmBatched``) ignores it and follows
the cuBLAS handle's math mode (``CUBLAS_TF32_TENSOR_OP_MATH``). The compute type is
process-wide; the math mode is per cuBLAS handle, which CuPy keeps per thread and device: the
setting reaches the handle of the thread that changes it, on its current device (xpnet runs
CuPy's products on the calling thread). Every loaded backend gets the setting through its
``set_matmul_precision`` hook (:mod:`._base`) when it changes, and a backend loaded later
applies it as it loads.

Read by :mod:`xpnet.kernels._conv_select`; set through :func:`xpnet.set_float32_matmul_precision`
or, for a block, :func:`xpnet.float32_matmul_precision`. Neighbours: :mod:`._runtime` holds the
other process-wide knobs (threads, memory budget, the host-sync guard).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import NamedTuple

from ._registry import loaded_backends

__all__ = [
    "float32_matmul_precision",
    "get_float32_matmul_precision",
    "set_float32_matmul_precision",
]

PRECISIONS = ("highest", "high", "medium")
_precision = "highest"


def _checked(where: str, precision) -> str:
    if not isinstance(precision, str) or precision not in PRECISIONS:
        msg = (
            f"{where}: precision must be one of {', '.join(map(repr, PRECISIONS))}, "
            f"got {precision!r}"
        )
        raise ValueError(msg)
    return precision


def get_float32_matmul_precision() -> str:
    """The current float32 matmul precision: ``"highest"``, ``"high"`` or ``"medium"``.

    Example:
        >>> import xpnet
        >>> xpnet.get_float32_matmul_precision()  # the default
        'highest'
    """
    return _precision


def set_float32_matmul_precision(precision: str) -> None:
    """Set the float32 matmul precision for the whole process, as PyTorch's function of the
    same name.

    Args:
        precision: ``"highest"`` (the default: every output exact to its own window, NaN and
            inf only where PyTorch has them), ``"high"`` (conv2d may also run by the
            convolution theorem, error relative to the plane's largest value; TF32 products
            on a GPU) or ``"medium"`` (the same as ``"high"`` here). See
            :mod:`xpnet.backends._precision` for the error model.

    Raises:
        ValueError: any other value.
    """
    global _precision
    _precision = _checked("set_float32_matmul_precision", precision)
    _apply(_precision)


@contextlib.contextmanager
def float32_matmul_precision(precision: str) -> Iterator[None]:
    """Run a block at ``precision`` (see :func:`set_float32_matmul_precision`), then restore
    the previous setting, also after an exception. Process-wide, as the setting itself.

    Example:
        >>> import xpnet
        >>> before = xpnet.get_float32_matmul_precision()
        >>> with xpnet.float32_matmul_precision("high"):
        ...     xpnet.get_float32_matmul_precision()
        'high'
        >>> xpnet.get_float32_matmul_precision() == before
        True
    """
    global _precision
    precision = _checked("float32_matmul_precision", precision)
    previous, _precision = _precision, precision
    try:
        _apply(precision)
        yield
    finally:
        _precision = previous
        _apply(previous)


def allows_inexact_formulas() -> bool:
    """Whether kernels may run formulas whose error is relative to more than each output's
    own window (the convolution theorem): any precision but ``"highest"``."""
    return _precision != "highest"


def _apply(precision: str) -> None:
    """Hand ``precision`` to every loaded backend (CuPy's TF32 switches; nothing elsewhere)."""
    for backend in loaded_backends():
        hook = getattr(backend, "set_matmul_precision", None)  # optional: CPU BLAS has no TF32
        if hook is not None:
            hook(precision)


# cuBLAS's cublasMath_t values (cublas_api.h): CuPy 14 exports none of the TF32 ones to Python
# (its cublas module has CUBLAS_TENSOR_OP_MATH but no CUBLAS_TF32_TENSOR_OP_MATH; seen on an
# H200 with CuPy 14.2), so the backend passes these numbers to ``setMathMode`` itself
CUBLAS_MATH_MODES = {"CUBLAS_DEFAULT_MATH": 0, "CUBLAS_TF32_TENSOR_OP_MATH": 3}


class CublasSwitches(NamedTuple):
    """The two TF32 switches of CuPy, by name: ``compute_type``, a constant of
    ``cupy._core._routines_linalg`` for ``set_compute_type(float32, ...)`` (the 2-D products),
    and ``math_mode``, a key of :data:`CUBLAS_MATH_MODES` for ``cupy.cuda.cublas.setMathMode``
    (the batched products)."""

    compute_type: str
    math_mode: str


def cublas_switches(precision: str, compute_capability) -> CublasSwitches:
    """The switches of CuPy's float32 products at ``precision`` on a GPU of
    ``compute_capability`` (``"90"`` for an H100): TF32 at ``"high"`` and ``"medium"`` where
    the GPU has TF32 tensor cores (8.0 and newer), plain float32 otherwise.

    Example:
        >>> cublas_switches("high", "90").math_mode
        'CUBLAS_TF32_TENSOR_OP_MATH'
        >>> cublas_switches("highest", "90")
        CublasSwitches(compute_type='COMPUTE_TYPE_DEFAULT', math_mode='CUBLAS_DEFAULT_MATH')
    """
    if precision != "highest" and int(compute_capability) >= 80:
        return CublasSwitches("COMPUTE_TYPE_TF32", "CUBLAS_TF32_TENSOR_OP_MATH")
    return CublasSwitches("COMPUTE_TYPE_DEFAULT", "CUBLAS_DEFAULT_MATH")
