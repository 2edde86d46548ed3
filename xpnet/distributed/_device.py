"""How the GPU engines reach CuPy's device memory: pointers, streams, events, allocation.

The NCCL engine and the MPI engine's CUDA-aware path take a ``device`` object with these
methods; the tests pass a NumPy stand-in, which is how both paths run without a GPU.
"""

from __future__ import annotations

__all__ = ["CupyDevice"]


class CupyDevice:
    """Device pointers, the current stream and events, from CuPy (GPU only)."""

    def __init__(self):
        import cupy  # GPU: only the cupy backend's arrays live in device memory

        self.cupy = cupy

    def pointer(self, array) -> int:
        return array.data.ptr

    def stream(self) -> int:
        return self.cupy.cuda.get_current_stream().ptr

    def event(self):
        event = self.cupy.cuda.Event(disable_timing=True)
        event.record()
        return event

    def synchronize(self) -> None:
        # MPI reads device memory outside CuPy's stream order: the kernels writing it must end
        self.cupy.cuda.get_current_stream().synchronize()

    def empty(self, shape, dtype):
        return self.cupy.empty(shape, dtype=dtype)

    def is_device_array(self, array) -> bool:
        return isinstance(array, self.cupy.ndarray)
