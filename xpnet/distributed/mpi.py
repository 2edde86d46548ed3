"""The MPI engine: collectives through mpi4py, host buffers, a deadline on every wait.

Arrays are staged through host memory (NumPy arrays are used in place; strict and CuPy arrays
are copied to the host and back). Every collective is non-blocking (``Iallreduce``,
``Ibcast``, ``Iallgather``) and waited on by polling, so that a rank can notice in time that
the deadline passed or that another rank left the job, and abort the whole job
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

__all__ = ["MPICommunicator", "import_mpi"]

# on the control communicator: "this rank is leaving the job"; a tag far from the small ones
# MPICH gives the steps of non-blocking collectives, which matched it once in a few exits
_LEAVE_TAG = 2**29 - 7
_GRACE_S = 2.0  # after a leave notice, a wait that is about to complete still may
_SPIN_S = 0.02  # seconds a wait polls without sleeping


def import_mpi():
    """mpi4py's ``MPI`` module, or ImportError with the install command."""
    try:
        from mpi4py import MPI
    except ImportError:
        msg = 'xpnet.distributed: the mpi engine needs mpi4py: pip install -e ".[distributed]"'
        raise ImportError(msg) from None
    return MPI


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
    """

    engine = "mpi"

    def __init__(self, comm=None, timeout: float = DEFAULT_TIMEOUT, check: bool = True):
        self.MPI = MPI = import_mpi()
        comm = MPI.COMM_WORLD if comm is None else comm
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

    def _all_reduce(self, array, op):
        host = to_host(array)
        staged = host.astype(numpy.float32) if host.dtype == numpy.float16 else host
        self._wait(self.comm.Iallreduce(self.MPI.IN_PLACE, staged, op=self._ops[op]), "all_reduce")
        if op == "avg":
            staged /= self.world_size  # floats only (checked): in place, same dtype
        if staged is not host:
            host[...] = staged
        return write_back(array, host)

    def _broadcast(self, array, src):
        host = to_host(array)
        self._wait(self.comm.Ibcast(_bytes(host), root=src), "broadcast")
        return write_back(array, host)

    def _all_gather(self, array):
        host = to_host(array)
        out = numpy.empty((self.world_size, *host.shape), dtype=host.dtype)
        self._wait(self.comm.Iallgather(_bytes(host), _bytes(out)), "all_gather")
        return out if type(array) is numpy.ndarray else backend_of(array).asarray(out)

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
