"""``xpnet.cuda``: whether a CUDA GPU is usable, and the calls of :mod:`torch.cuda` that
ported training scripts make (``synchronize``, ``empty_cache``, ``manual_seed``, ...).

CUDA here means xpnet's GPU backend, CuPy: available when CuPy imports and sees a device.
xpnet drives one device per process, so a ``device`` argument is accepted and the process's
device used. Without a GPU each call does what PyTorch's CPU build does: ``manual_seed`` and
``empty_cache`` do nothing, ``synchronize`` and ``get_device_name`` raise ``AssertionError``.
:mod:`xpnet.cuda.amp` holds ``torch.cuda.amp``'s deprecated names.

Example:
    >>> import xpnet
    >>> device = xpnet.device("cuda" if xpnet.cuda.is_available() else "cpu")
    >>> device.type in ("cpu", "cuda")
    True
"""

from __future__ import annotations

from .. import _random
from ..backends import load_backend
from ..devices import gpu_backend_name, gpu_problem
from ..kernels._workspaces import empty_cache as release_kept_memory
from . import amp

__all__ = [
    "amp",
    "device_count",
    "empty_cache",
    "get_device_name",
    "is_available",
    "manual_seed",
    "manual_seed_all",
    "seed",
    "seed_all",
    "synchronize",
]


def is_available() -> bool:
    """``True`` when the CuPy backend loads: CuPy is installed and sees a CUDA device."""
    return gpu_problem() is None


def device_count() -> int:
    """The number of CUDA devices CuPy sees; ``0`` without CuPy or a GPU."""
    if not is_available():
        return 0
    return int(load_backend(gpu_backend_name()).xp.cuda.runtime.getDeviceCount())


def _gpu_backend(where: str):
    """The GPU backend, or PyTorch's CPU-build ``AssertionError``, naming ``where``."""
    problem = gpu_problem()
    if problem is not None:
        raise AssertionError(f"xpnet.cuda.{where}: CUDA is not available here ({problem})")
    return load_backend(gpu_backend_name())


def synchronize(device=None) -> None:
    """Wait until every kernel queued on the GPU has finished, as ``torch.cuda.synchronize``
    (before reading a clock, say).

    Raises:
        AssertionError: without a usable GPU, as PyTorch's CPU build.
    """
    _gpu_backend("synchronize").synchronize()


def get_device_name(device=None) -> str:
    """The GPU's name (``"NVIDIA H100 80GB HBM3"``), as ``torch.cuda.get_device_name``.

    Raises:
        AssertionError: without a usable GPU, as PyTorch's CPU build.
    """
    return _gpu_backend("get_device_name").device_name()


def empty_cache() -> None:
    """Release the memory xpnet keeps for reuse on the GPU (:func:`xpnet.empty_cache`: the
    kernels' workspaces and CuPy's free pool blocks), as ``torch.cuda.empty_cache``; nothing
    without a GPU."""
    if is_available():
        release_kept_memory()


def manual_seed(seed: int) -> None:
    """Start the GPU's random numbers (its dropout masks) again from ``seed``, as
    ``torch.cuda.manual_seed``; the host's generators keep theirs (:func:`xpnet.manual_seed`
    seeds every one). Nothing without a GPU, as PyTorch's CPU build."""
    if seed is None:
        raise TypeError("xpnet.cuda.manual_seed: seed must be an int, got None")
    if is_available():
        _random.seed_backend_dropout(load_backend(gpu_backend_name()), seed)


def manual_seed_all(seed: int) -> None:
    """:func:`manual_seed`: xpnet drives one GPU per process."""
    manual_seed(seed)


def seed() -> None:
    """Start the GPU's random numbers again from a fresh, non-deterministic seed
    (``torch.cuda.seed``); nothing without a GPU."""
    manual_seed(_random.fresh_seed())


def seed_all() -> None:
    """:func:`seed`: xpnet drives one GPU per process."""
    seed()
