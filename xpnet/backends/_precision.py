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

Read by :mod:`xpnet.kernels._conv_select`; set through :func:`xpnet.set_float32_matmul_precision`
or, for a block, :func:`xpnet.float32_matmul_precision`. Neighbours: :mod:`._runtime` holds the
other process-wide knobs (threads, memory budget, the host-sync guard).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

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
        yield
    finally:
        _precision = previous


def allows_inexact_formulas() -> bool:
    """Whether kernels may run formulas whose error is relative to more than each output's
    own window (the convolution theorem): any precision but ``"highest"``."""
    return _precision != "highest"
