"""``xpnet.accelerator``: PyTorch 2.x's device-agnostic questions, for scripts that ask them.

Example:
    >>> import xpnet
    >>> use_accel = xpnet.accelerator.is_available()
    >>> device = xpnet.accelerator.current_accelerator() if use_accel else xpnet.device("cpu")
    >>> device.type in ("cpu", "cuda")
    True
"""

from __future__ import annotations

from . import cuda
from .devices import device

__all__ = ["current_accelerator", "device_count", "is_available"]


def is_available() -> bool:
    """``True`` when an accelerator (a CUDA GPU through CuPy) is usable."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """``device("cuda")`` when a CUDA GPU is usable, else ``None``.

    Args:
        check_available: accepted for PyTorch's signature; xpnet only knows an accelerator
            that it can use, so the answer is the same. Default: ``False``.
    """
    return device("cuda") if is_available() else None


def device_count() -> int:
    """The number of accelerators (CUDA devices) usable here."""
    return cuda.device_count()
