"""The NCCL engine: GPU collectives through CuPy's NCCL binding, MPI as the control plane.

Rank 0 creates NCCL's unique id and broadcasts it over MPI; every rank then joins one
``NcclCommunicator``. Gradients (CuPy arrays) are reduced on the device, on the current
stream; the header check, ``broadcast_object``, leave notices and aborts go through the
:class:`~xpnet.distributed.mpi.MPICommunicator`. A collective's deadline is watched by
polling a CUDA event recorded after it; past the deadline the NCCL communicator is aborted
(``ncclCommAbort``, so no kernel stays stuck on the GPU) and then the job.

``binding`` (``cupy.cuda.nccl`` by default) and ``device`` (how to reach device pointers,
streams and events: CuPy by default) can be replaced, which is how the tests run this engine
without a GPU, against a recording fake; :data:`NCCL_NAMES` lists every name used from the
binding, and a test checks that the installed CuPy has each.
"""

from __future__ import annotations

import time
import warnings

from ._base import Communicator
from ._device import CupyDevice

__all__ = ["NCCL_NAMES", "NCCLCommunicator"]

_DTYPES = {
    "float16": "NCCL_FLOAT16",
    "float32": "NCCL_FLOAT32",
    "float64": "NCCL_FLOAT64",
    "int8": "NCCL_INT8",
    "uint8": "NCCL_UINT8",
    "int32": "NCCL_INT32",
    "uint32": "NCCL_UINT32",
    "int64": "NCCL_INT64",
    "uint64": "NCCL_UINT64",
}
_OPS = {"sum": "NCCL_SUM", "prod": "NCCL_PROD", "max": "NCCL_MAX", "min": "NCCL_MIN"}
_OPS["avg"] = "NCCL_AVG"  # NCCL >= 2.10
# the communicator's methods this engine calls
_METHODS = ("allReduce", "bcast", "allGather", "abort", "destroy")
NCCL_NAMES = (
    "get_unique_id",
    "NcclCommunicator",
    *_DTYPES.values(),
    *_OPS.values(),
    *_METHODS,
)


class NCCLCommunicator(Communicator):
    """NCCL collectives on device arrays for the ranks of ``control`` (an MPI communicator).

    Args:
        control: the :class:`~xpnet.distributed.mpi.MPICommunicator` of the same job.
        binding: the NCCL module. Default: ``cupy.cuda.nccl``.
        device: pointer/stream/event access. Default: CuPy's.

    Raises:
        ImportError: if CuPy's NCCL binding is not available (install NCCL's wheel).
        TypeError: on a collective of a host (NumPy) array: NCCL reads device memory only.
    """

    engine = "nccl"

    def __init__(self, control, binding=None, device=None):
        super().__init__(
            control.rank,
            control.world_size,
            control.local_rank,
            control.local_world_size,
            control.timeout,
            control.check,
        )
        self.control = control
        self.nccl = _binding() if binding is None else binding
        self.device = CupyDevice() if device is None else device
        unique_id = self.nccl.get_unique_id() if self.rank == 0 else None
        unique_id = control.broadcast_object(unique_id, 0)
        self.comm = self.nccl.NcclCommunicator(self.world_size, unique_id, self.rank)

    def _check_array(self, where, array, writable):
        array = super()._check_array(where, array, writable)
        if not self.device.is_device_array(array):
            msg = (
                f"{where}: the nccl engine needs a device (CuPy) array, got {type(array).__name__}"
            )
            raise TypeError(msg)
        return array

    def _exchange(self, header, kind):
        return self.control._exchange(header, kind)

    def _codes(self, array, op=None):
        dtype = getattr(self.nccl, _DTYPES[str(array.dtype)])
        return dtype if op is None else (dtype, getattr(self.nccl, _OPS[op]))

    def _all_reduce(self, array, op):
        dtype, code = self._codes(array, op)
        pointer = self.device.pointer(array)
        self.comm.allReduce(pointer, pointer, array.size, dtype, code, self.device.stream())
        self._wait("all_reduce")
        return array

    def _broadcast(self, array, src):
        pointer = self.device.pointer(array)
        self.comm.bcast(pointer, array.size, self._codes(array), src, self.device.stream())
        self._wait("broadcast")
        return array

    def _all_gather(self, array):
        out = self.device.empty((self.world_size, *array.shape), array.dtype)
        send, receive = self.device.pointer(array), self.device.pointer(out)
        self.comm.allGather(send, receive, array.size, self._codes(array), self.device.stream())
        self._wait("all_gather")
        return out

    def _broadcast_object(self, obj, src):
        return self.control._broadcast_object(obj, src)

    def _wait(self, kind: str) -> None:
        """Wait for the collective just queued, until the deadline."""
        event = self.device.event()
        deadline = time.monotonic() + self.timeout
        while not event.done:
            if time.monotonic() > deadline:
                self.comm.abort()  # frees the GPU from the stuck kernel
                self.abort(self.deadline_message(kind))
            time.sleep(1e-4)

    def abort(self, message: str, code: int = 1) -> None:
        self.control.abort(message, code)

    def finalize(self) -> None:
        # twice when destroy_process_group ran before the exit hook: destroy NCCL's once
        if getattr(self, "finalized", False):
            return
        self.finalized = True
        self.comm.destroy()
        self.control.finalize()


def _binding():
    with warnings.catch_warnings():  # without libnccl CuPy warns; the ImportError below says it
        warnings.simplefilter("ignore")
        try:
            from cupy.cuda import nccl
        except ImportError:
            nccl = None
    if nccl is None or not getattr(nccl, "available", False):
        msg = (
            "xpnet.distributed: the nccl engine needs CuPy with NCCL: "
            'pip install -e ".[cuda13]" (from a clone; it brings nvidia-nccl-cu13)'
        )
        raise ImportError(msg)
    return nccl
