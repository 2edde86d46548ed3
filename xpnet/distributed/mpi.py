"""The MPI engine: collectives through mpi4py, host buffers, a deadline on every wait.

Arrays are staged through host memory: NumPy arrays are used in place; strict and CuPy
arrays are copied to the host and back, unless the MPI is CUDA-aware
(:func:`mpi_is_cuda_aware`): then it reads and writes CuPy arrays in device memory. Every
collective is non-blocking (``Iallreduce``, ``Ibcast``, ``Iallgather``) and waited on by
polling, so that a rank can notice in time that the deadline passed or that another rank left
the job, and abort the whole job
(``MPI_Abort``: the launcher then ends every rank) with a message naming the rank, the
collective and its sequence number, instead of hanging. A rank that exits announces it on a
second communicator (``control``); the others abort when they see it while they wait.

Launch with ``mpiexec -n 2 xpnet train ...``; ``pip install -e ".[distributed]"`` brings
mpi4py and the MPICH wheel (its ``mpiexec`` runs as root without flags).
"""

from __future__ import annotations

import os
import pickle
import sys
import time

import numpy

from ..backends import backend_of
from ._base import DEFAULT_TIMEOUT, HEADER_SIZE, Communicator
from ._device import CupyDevice

__all__ = ["MPICommunicator", "import_mpi", "mpi_is_cuda_aware"]

# on the control communicator: "this rank is leaving the job"; a tag far from the small ones
# MPICH gives the steps of non-blocking collectives, which matched it once in a few exits
_LEAVE_TAG = 2**29 - 7
_GRACE_S = 2.0  # after a leave notice, a wait that is about to complete still may
_SPIN_S = 0.02  # seconds a wait polls without sleeping
_FORWARD_S = 0.5  # seconds an aborting rank leaves the launcher to forward its message


def import_mpi():
    """mpi4py's ``MPI`` module, or ImportError with the install command."""
    try:
        from mpi4py import MPI
    except ImportError:
        msg = 'xpnet.distributed: the mpi engine needs mpi4py: pip install -e ".[distributed]"'
        raise ImportError(msg) from None
    return MPI


def mpi_is_cuda_aware(comm) -> bool:
    """Whether the MPI behind ``comm`` reads and writes CUDA device memory itself.

    ``$XPNET_MPI_CUDA_AWARE`` (``1`` or ``0``) decides when it is set. Otherwise the answer is
    the MPI 4.1 info key ``mpi_memory_alloc_kinds`` of ``comm``: a ``cuda`` kind without a
    restrictor or with ``device`` (as a CUDA build of Open MPI 5 or MPICH 4.2 reports). An
    MPI too old to have the key counts as not CUDA-aware: staging through the host is
    always correct.

    Raises:
        ValueError: if ``$XPNET_MPI_CUDA_AWARE`` is set to anything but ``1`` or ``0``.
    """
    setting = os.environ.get("XPNET_MPI_CUDA_AWARE")
    if setting is not None:
        if setting not in ("0", "1"):
            msg = f"xpnet.distributed: XPNET_MPI_CUDA_AWARE must be 1 or 0, got {setting!r}"
            raise ValueError(msg)
        return setting == "1"
    info = comm.Get_info()
    kinds = info.Get("mpi_memory_alloc_kinds") or ""
    info.Free()
    for kind in kinds.split(","):
        name, *restrictors = kind.strip().split(":")
        if name == "cuda" and (not restrictors or "device" in restrictors):
            return True
    return False


def to_host(array):
    """A C-contiguous NumPy buffer with ``array``'s values (``array`` itself when it is one)."""
    if type(array) is numpy.ndarray and array.flags.c_contiguous:
        return array
    if type(array) is numpy.ndarray:
        return numpy.ascontiguousarray(array)
    return numpy.ascontiguousarray(backend_of(array).to_host(array))


def _bytes(host):
    """The bytes of a C-contiguous host array, as a flat uint8 view (0-d arrays too)."""
    return host.reshape(-1).view(numpy.uint8)


def write_back(array, host):
    """Put ``host``'s values into ``array`` (a no-op when ``host`` is ``array``)."""
    if host is not array:
        array[...] = host if type(array) is numpy.ndarray else backend_of(array).asarray(host)
    return array


class MPICommunicator(Communicator):
    """Collectives over an MPI communicator (default ``COMM_WORLD``).

    Args:
        comm: the mpi4py communicator to duplicate. Default: ``MPI.COMM_WORLD``.
        timeout: seconds any collective may wait. Default: 300.
        check: compare a header of every collective across ranks first. Default: ``True``.
        cuda_aware: pass device (CuPy) arrays to MPI in place instead of through host
            memory. Default: what :func:`mpi_is_cuda_aware` finds.
        device: how to reach device arrays (pointers, streams). Default: CuPy's, created
            at the first device array; the tests pass a NumPy stand-in.
    """

    engine = "mpi"

    def __init__(
        self,
        comm=None,
        timeout: float = DEFAULT_TIMEOUT,
        check: bool = True,
        cuda_aware: bool | None = None,
        device=None,
    ):
        self.MPI = MPI = import_mpi()
        comm = MPI.COMM_WORLD if comm is None else comm
        self.cuda_aware = mpi_is_cuda_aware(comm) if cuda_aware is None else bool(cuda_aware)
        self.device = device
        self.comm, self.control = comm.Dup(), comm.Dup()
        local = comm.Split_type(MPI.COMM_TYPE_SHARED)
        super().__init__(comm.rank, comm.size, local.rank, local.size, timeout, check)
        local.Free()
        self.left: set[int] = set()
        self.finalized = False
        self._ops = {"sum": MPI.SUM, "avg": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}
        self._ops["prod"] = MPI.PROD

    # -- waiting with a deadline -------------------------------------------------------------
    def _wait(self, request, kind: str) -> None:
        # spin first, yielding the core (the other rank may share it), then sleep in
        # growing steps: a short wait costs microseconds, a long one little CPU
        start = time.monotonic()
        while time.monotonic() - start < _SPIN_S:
            if request.Test():
                return
            os.sched_yield()
        deadline = start + self.timeout
        pause = 1e-5
        while not request.Test():
            now = time.monotonic()
            leaver = self._leaver()
            if leaver is not None:
                self._grace(request, kind, leaver)
                return
            if now > deadline:
                self.abort(self.deadline_message(kind, self._waiting_for()))
            time.sleep(pause)
            pause = min(pause * 2, 5e-4)

    def _leaver(self):
        """A rank that announced it left (its notice is received), or None."""
        self._leaver_notice()
        return min(self.left) if self.left else None

    def _leaver_notice(self):
        """Receive one pending leave notice; return its rank, or None."""
        status = self.MPI.Status()
        if self.control.Iprobe(source=self.MPI.ANY_SOURCE, tag=_LEAVE_TAG, status=status):
            source = status.Get_source()
            self.control.recv(source=source, tag=_LEAVE_TAG)
            self.left.add(source)
            return source
        return None

    def _grace(self, request, kind, leaver) -> None:
        end = time.monotonic() + min(_GRACE_S, self.timeout / 4)
        while time.monotonic() < end:
            if request.Test():
                return
            time.sleep(1e-3)
        self.abort(
            f"xpnet.distributed: rank {leaver} left the job (its process ended) while rank "
            f"{self.rank} waits in {kind} (collective #{self.sequence}); aborting the job"
        )

    def _waiting_for(self) -> str:
        return " (another rank is slower, stuck, or took another code path)"

    # -- the primitives ----------------------------------------------------------------------
    def _exchange(self, header, kind):
        headers = numpy.zeros((self.world_size, HEADER_SIZE), dtype=numpy.int64)
        self._wait(self.comm.Iallgather(header, headers), kind)
        return headers

    def _in_device_memory(self, array) -> bool:
        """Whether MPI is to read ``array`` in device memory (CUDA-aware MPI, device array)."""
        if not self.cuda_aware or type(array) is numpy.ndarray:
            return False
        if self.device is None:
            try:
                self.device = CupyDevice()
            except ImportError:  # without CuPy no array lives in device memory
                self.cuda_aware = False
                return False
        return self.device.is_device_array(array) and array.flags.c_contiguous

    def _buffer(self, array):
        """The memory MPI works on: ``array`` itself where it can, else a host copy."""
        return array if self._in_device_memory(array) else to_host(array)

    def _ready(self, buffer):
        """``buffer``, once the device work writing it ended (MPI does not follow streams)."""
        if type(buffer) is not numpy.ndarray:
            self.device.synchronize()
        return buffer

    def _all_reduce(self, array, op):
        buffer = self._buffer(array)
        staged = buffer.astype(numpy.float32) if buffer.dtype == numpy.float16 else buffer
        request = self.comm.Iallreduce(self.MPI.IN_PLACE, self._ready(staged), op=self._ops[op])
        self._wait(request, "all_reduce")
        if op == "avg":
            staged /= self.world_size  # floats only (checked): in place, same dtype
        if staged is not buffer:
            buffer[...] = staged
        return write_back(array, buffer)

    def _broadcast(self, array, src):
        buffer = self._buffer(array)
        self._wait(self.comm.Ibcast(_bytes(self._ready(buffer)), root=src), "broadcast")
        return write_back(array, buffer)

    def _all_gather(self, array):
        in_device = self._in_device_memory(array)
        buffer = array if in_device else to_host(array)
        shape, empty = (self.world_size, *buffer.shape), numpy.empty
        if in_device:  # the result in device memory too
            empty = self.device.empty
        out = empty(shape, buffer.dtype)
        self._wait(self.comm.Iallgather(_bytes(self._ready(buffer)), _bytes(out)), "all_gather")
        if in_device or type(array) is numpy.ndarray:
            return out
        return backend_of(array).asarray(out)

    def _broadcast_object(self, obj, src):
        payload = pickle.dumps(obj) if self.rank == src else b""
        size = numpy.array([len(payload)], dtype=numpy.int64)
        self._wait(self.comm.Ibcast(size, root=src), "broadcast_object")
        buffer = numpy.frombuffer(payload, dtype=numpy.uint8).copy() if self.rank == src else None
        if buffer is None:
            buffer = numpy.empty(int(size[0]), dtype=numpy.uint8)
        self._wait(self.comm.Ibcast(buffer, root=src), "broadcast_object")
        return obj if self.rank == src else pickle.loads(buffer.tobytes())  # noqa: S301

    # -- ending ------------------------------------------------------------------------------
    def abort(self, message: str, code: int = 1) -> None:
        print(message, file=sys.stderr, flush=True)
        sys.stdout.flush()
        # the launcher forwards a rank's output through its proxy, which MPI_Abort ends at
        # once: without a pause the message never reached mpiexec's stderr in ~1 of 5 jobs
        time.sleep(_FORWARD_S)
        self.MPI.COMM_WORLD.Abort(code)

    def finalize(self) -> None:
        """Tell the other ranks this one leaves, then wait (with the deadline) until all do."""
        if self.finalized:
            return
        self.finalized = True
        others = [r for r in range(self.world_size) if r != self.rank]
        sends = [self.control.isend(None, dest=r, tag=_LEAVE_TAG) for r in others]
        # every rank's notice is the exit barrier (point to point: a collective here could
        # match another rank's pending collective); twice the deadline, so that a rank still
        # waiting in a collective notices this one left first and says so
        deadline = time.monotonic() + 2 * self.timeout
        while len(self.left) < len(others):
            if self._leaver_notice() is None:
                if time.monotonic() > deadline:
                    missing = sorted(set(others) - self.left)
                    self.abort(
                        f"xpnet.distributed: rank {self.rank} of {self.world_size} ended, but "
                        f"rank(s) {missing} did not end within {2 * self.timeout:g} s after it; "
                        "aborting the job"
                    )
                time.sleep(1e-3)
        for send in sends:
            send.wait()
