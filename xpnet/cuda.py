"""``xpnet.cuda``: whether a CUDA GPU is usable, as :mod:`torch.cuda` answers it.

CUDA here means xpnet's CuPy backend: available when CuPy imports and sees a device.

Example:
    >>> import xpnet
    >>> device = xpnet.device("cuda" if xpnet.cuda.is_available() else "cpu")
    >>> device.type in ("cpu", "cuda")
    True
"""

from __future__ import annotations

from .backends import load_backend
from .devices import gpu_backend_name, gpu_problem

__all__ = ["device_count", "is_available"]


def is_available() -> bool:
    """``True`` when the CuPy backend loads: CuPy is installed and sees a CUDA device."""
    return gpu_problem() is None


def device_count() -> int:
    """The number of CUDA devices CuPy sees; ``0`` without CuPy or a GPU."""
    if not is_available():
        return 0
    return int(load_backend(gpu_backend_name()).xp.cuda.runtime.getDeviceCount())
