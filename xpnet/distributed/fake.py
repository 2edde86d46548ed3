"""The in-process fake engine: ``world_size`` ranks as threads of one process, for tests.

:func:`run_ranks` runs a function once per rank, each on its own thread with its own
:class:`FakeCommunicator` as the current communicator (``xpnet.distributed.get_rank()`` and
the collectives answer per thread). It is as strict as the real engines: the same argument
checks (:mod:`._base`), mismatched collectives raise :class:`DistributedError` on every
rank, a rank that waits longer than ``timeout`` raises naming the rank, the collective and
its sequence number, and a rank that raises or returns early breaks the others' waits with
a message instead of a hang. Reductions sum in rank order, as a two-rank MPI job does.

Example:
    >>> import numpy as np
    >>> from xpnet import distributed as dist
    >>> def job():
    ...     return dist.all_reduce(np.array([dist.get_rank() + 1.0])).tolist()
    >>> run_ranks(job, world_size=3)
    [[6.0], [6.0], [6.0]]
"""

from __future__ import annotations

import threading

import numpy

from ..backends import backend_of, get_backend, use_backend
from ._base import DEFAULT_TIMEOUT, Communicator, DistributedError, reduce_host
from ._state import set_communicator
from .mpi import to_host, write_back

__all__ = ["FakeCommunicator", "FakeWorld", "run_ranks"]


class _Barrier:
    """A barrier that, once broken, refuses new waits but lets a completed round stand
    (``threading.Barrier`` would break the ranks still waking from the last round)."""

    def __init__(self, parties: int):
        self.parties, self.count, self.round, self.broken = parties, 0, 0, False
        self.condition = threading.Condition()

    def wait(self, timeout: float) -> bool:
        """True when every party arrived; False when broken or ``timeout`` passed."""
        with self.condition:
            if self.broken:
                return False
            this_round = self.round
            self.count += 1
            if self.count == self.parties:
                self.count, self.round = 0, self.round + 1
                self.condition.notify_all()
                return True
            self.condition.wait_for(lambda: self.round != this_round or self.broken, timeout)
            return self.round != this_round

    def abort(self) -> None:
        with self.condition:
            self.broken = True
            self.condition.notify_all()


class FakeWorld:
    """What the ranks of one fake job share: a barrier, one slot per rank, the failures."""

    def __init__(self, world_size: int, timeout: float = DEFAULT_TIMEOUT):
        self.world_size, self.timeout = world_size, timeout
        self.barrier = _Barrier(world_size)
        self.slots: list = [None] * world_size
        self.failed: dict[int, str] = {}
        self.lock = threading.Lock()

    def fail(self, rank: int, message: str) -> None:
        with self.lock:
            self.failed.setdefault(rank, message)
        self.barrier.abort()


class FakeCommunicator(Communicator):
    """Rank ``rank`` of a :class:`FakeWorld`; ``ranks_per_node`` sets the local ranks."""

    engine = "fake"

    def __init__(self, world: FakeWorld, rank: int, ranks_per_node=None, check: bool = True):
        per_node = ranks_per_node or world.world_size
        local_size = min(per_node, world.world_size - rank // per_node * per_node)
        super().__init__(rank, world.world_size, rank % per_node, local_size, world.timeout, check)
        self.world = world

    def _wait(self, kind: str) -> None:
        if not self.world.barrier.wait(self.timeout):
            failed = dict(self.world.failed)
            others = {r: m for r, m in failed.items() if r != self.rank}
            if others:
                rank, reason = min(others.items())
                msg = (
                    f"xpnet.distributed: rank {self.rank} waits in {kind} (collective "
                    f"#{self.sequence}) but rank {rank} ended: {reason}"
                )
            else:
                msg = self.deadline_message(kind)
                self.world.fail(self.rank, msg)
            raise DistributedError(msg)

    def _rendezvous(self, kind: str, value) -> list:
        self.world.slots[self.rank] = value
        self._wait(kind)
        values = list(self.world.slots)
        self._wait(kind)
        return values

    def _exchange(self, header, kind):
        return numpy.stack(self._rendezvous(kind, header.copy()))

    def _all_reduce(self, array, op):
        host = to_host(array)
        values = self._rendezvous("all_reduce", host.copy())
        result = reduce_host(values, op).astype(host.dtype, copy=False)
        return write_back(array, result)

    def _broadcast(self, array, src):
        values = self._rendezvous("broadcast", to_host(array).copy())
        return write_back(array, values[src])

    def _all_gather(self, array):
        out = numpy.stack(self._rendezvous("all_gather", to_host(array).copy()))
        return out if type(array) is numpy.ndarray else backend_of(array).asarray(out)

    def _broadcast_object(self, obj, src):
        return self._rendezvous("broadcast_object", obj)[src]

    def abort(self, message: str, code: int = 1) -> None:
        self.world.fail(self.rank, message)
        raise DistributedError(message)


def run_ranks(
    function, world_size: int = 2, timeout: float = 10.0, ranks_per_node=None, check=True
):
    """Run ``function()`` on ``world_size`` fake ranks (threads); return their results in rank
    order.

    Raises:
        The exception of the lowest rank that raised (its own, not a follow-up
        :class:`DistributedError` of a rank that waited for it), after every thread ended.
    """
    world = FakeWorld(world_size, timeout)
    backend = get_backend().name  # each thread starts on the default: carry the caller's
    results: list = [None] * world_size
    errors: dict[int, BaseException] = {}

    def body(rank):
        comm = FakeCommunicator(world, rank, ranks_per_node, check)
        set_communicator(comm, thread=True)
        try:
            with use_backend(backend):
                results[rank] = function()
        except BaseException as error:  # noqa: BLE001 - reported to the caller below
            errors[rank] = error
            world.fail(rank, f"{type(error).__name__}: {error}")
        else:  # a rank that returns is gone: a collective that waits for it must not hang
            world.fail(rank, "it returned (left the job)")
        finally:
            set_communicator(None, thread=True)

    threads = [threading.Thread(target=body, args=(rank,)) for rank in range(world_size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        first = {r: e for r, e in errors.items() if not isinstance(e, DistributedError)} or errors
        raise first[min(first)]
    return results
