"""``torch.backends.cudnn``, ``torch.backends.cuda.matmul`` and ``torch.backends.mps`` for
ported scripts: ``xpnet.backends.cudnn.benchmark = True``, ``mps.is_available()`` (``False``:
no backend for Apple's GPUs) and the like run unchanged.

xpnet calls no cuDNN (CuPy 14 has none: xpnet's kernels are the GPU path), so the cuDNN flags
are kept and read back, as PyTorch's, and change nothing: conv2d's formula is chosen by
measured thresholds (``benchmark`` has nothing to time), its results are deterministic
already (``deterministic``), and TF32 follows the float32 matmul precision only
(``allow_tf32`` is PyTorch's default, ``True``, and does not lower it).
``cuda.matmul.allow_tf32`` is that precision: it reads ``True`` for any precision but
``"highest"``, as PyTorch's; setting ``True`` sets ``"high"`` (TF32 products on a GPU, the
convolution theorem on the CPU), ``False`` ``"highest"`` (PyTorch 2.13 keeps the flag beside
its precision and refuses to report a precision once both were set).

Example:
    >>> import xpnet
    >>> xpnet.backends.cudnn.benchmark = True
    >>> xpnet.backends.cudnn.is_available(), xpnet.backends.cuda.matmul.allow_tf32
    (False, False)
    >>> xpnet.backends.cudnn.benchmark = False
"""

from __future__ import annotations

import contextlib

from ._precision import get_float32_matmul_precision, set_float32_matmul_precision

__all__ = ["cuda", "cudnn", "mps"]


def _flag(name: str, default: bool):
    """A bool attribute that refuses anything else with PyTorch's RuntimeError."""
    slot = f"_{name}"

    def get(self) -> bool:
        return getattr(self, slot, default)

    def set(self, value) -> None:
        if not isinstance(value, bool):
            msg = f"set_{name}_cudnn expects a bool, but got {type(value).__name__}"
            raise RuntimeError(msg)
        setattr(self, slot, value)

    return property(get, set, doc=f"PyTorch's ``cudnn.{name}`` (default {default}); no effect.")


class CudnnFlags:
    """``torch.backends.cudnn``: flags kept and read back, no effect (no cuDNN here)."""

    enabled = _flag("enabled", True)
    benchmark = _flag("benchmark", False)
    deterministic = _flag("deterministic", False)
    allow_tf32 = _flag("allow_tf32", True)

    def is_available(self) -> bool:
        return False

    def version(self) -> None:
        return None

    @contextlib.contextmanager
    def flags(
        self, enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
        allow_tf32=True,
    ):  # fmt: skip
        """The four flags set for a ``with`` block and put back after, as PyTorch's
        (``benchmark_limit`` accepted)."""
        names = ("enabled", "benchmark", "deterministic", "allow_tf32")
        before = [getattr(self, name) for name in names]
        for name, value in zip(names, (enabled, benchmark, deterministic, allow_tf32), strict=True):
            setattr(self, name, value)
        try:
            yield
        finally:
            for name, value in zip(names, before, strict=True):
                setattr(self, name, value)


class MatmulFlags:
    """``torch.backends.cuda.matmul``: ``allow_tf32`` is the float32 matmul precision."""

    @property
    def allow_tf32(self) -> bool:
        return get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value) -> None:
        if not isinstance(value, bool):
            msg = f"set_allow_tf32_cublas expects a bool, but got {type(value).__name__}"
            raise RuntimeError(msg)
        set_float32_matmul_precision("high" if value else "highest")


class CudaFlags:
    """``torch.backends.cuda``: its ``matmul`` flags."""

    matmul = MatmulFlags()


class MpsFlags:
    """``torch.backends.mps``: Apple's GPUs, for which xpnet has no backend."""

    def is_available(self) -> bool:
        return False

    def is_built(self) -> bool:
        return False


cudnn = CudnnFlags()
cuda = CudaFlags()
mps = MpsFlags()
