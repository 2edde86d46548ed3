"""Which communicator is current: one per process, or one per thread (the fake engine's ranks).

``xpnet.distributed``'s functions (``get_rank``, ``all_reduce``, ...) ask :func:`current`.
A real engine sets the process's communicator once, in ``init``; the fake engine's
``run_ranks`` gives each of its threads its own.
"""

from __future__ import annotations

import threading

__all__ = ["current", "set_communicator"]

_process = None
_thread = threading.local()


def set_communicator(comm, thread: bool = False) -> None:
    """Make ``comm`` current for the process, or (``thread=True``) for the calling thread."""
    global _process
    if thread:
        _thread.comm = comm
    else:
        _process = comm


def current():
    """The calling thread's communicator, else the process's, else None."""
    comm = getattr(_thread, "comm", None)
    return comm if comm is not None else _process
