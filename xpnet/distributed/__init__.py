"""Data-parallel training over MPI (mpi4py) and NCCL (CuPy), after ``torch.distributed``.

One file per engine behind the :class:`Communicator` interface (:mod:`._base`):
:mod:`.mpi` (mpi4py, host buffers; the control plane everywhere), :mod:`.nccl` (CuPy's
NCCL binding for GPU arrays, its unique id broadcast over MPI) and :mod:`.fake` (ranks as
threads of one process, for tests). :mod:`.ddp` holds :class:`DistributedDataParallel`;
:class:`xpnet.nn.SyncBatchNorm` and :class:`xpnet.data.DistributedSampler` build on this.

Launch with ``mpiexec -n 2 python script.py`` (or ``mpiexec -n 2 xpnet train ...``); the
world is read from the launcher. Importing this package does not import mpi4py or CuPy.

Example:
    >>> from xpnet import distributed as dist
    >>> dist.is_initialized(), dist.get_rank(), dist.get_world_size()
    (False, 0, 1)
"""

from __future__ import annotations

import os

from ._base import (
    DEFAULT_TIMEOUT,
    OPS,
    Communicator,
    DistributedError,
    ReduceOp,
)
from ._launch import (
    abort_with_traceback,
    find_mpiexec,
    install_failure_hooks,
    launched_world_size,
    select_device,
    share_threads,
)
from ._state import current, set_communicator
from .ddp import DistributedDataParallel

__all__ = [
    "DEFAULT_TIMEOUT",
    "OPS",
    "Communicator",
    "DistributedDataParallel",
    "DistributedError",
    "ReduceOp",
    "abort_with_traceback",
    "all_gather",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object",
    "destroy_process_group",
    "find_mpiexec",
    "get_communicator",
    "get_local_rank",
    "get_rank",
    "get_world_size",
    "init",
    "init_from_environment",
    "init_process_group",
    "is_initialized",
    "launched_world_size",
]

ENGINES = ("mpi", "nccl")
# torch.distributed's backend names: gloo is PyTorch's CPU backend, here MPI's host buffers
TORCH_BACKENDS = {"nccl": "nccl", "mpi": "mpi", "gloo": "mpi"}
_left = []  # the communicator destroy_process_group ended: MPI cannot be joined twice


def init(engine: str | None = None, timeout: float | None = None, check: bool = True):
    """Join the job the launcher started (``mpiexec``); returns the :class:`Communicator`.

    Sets this rank's thread count to its share of the cores, makes its local rank's GPU
    current on the CuPy backend, and installs the failure hooks: an uncaught exception on
    any rank prints that rank's traceback and aborts the whole job.

    Args:
        engine: ``"mpi"``, or ``"nccl"`` for GPU arrays (MPI stays the control plane).
            Default: ``$XPNET_DISTRIBUTED_ENGINE``, else ``"nccl"`` on the CuPy backend and
            ``"mpi"`` otherwise.
        timeout: seconds any collective may wait before the job is aborted with a message
            naming the rank, the collective and its sequence number. Default:
            ``$XPNET_DISTRIBUTED_TIMEOUT``, else 300.
        check: before each collective, compare what every rank calls (one small extra
            exchange) so that mismatched collectives raise instead of hanging.
            Default: ``True``.

    Raises:
        ImportError: without mpi4py (``pip install -e ".[distributed]"``).
        ValueError: for an unknown engine or a timeout that is not positive.
    """
    if is_initialized():
        return current()
    engine = engine or os.environ.get("XPNET_DISTRIBUTED_ENGINE") or _default_engine()
    if engine not in ENGINES:
        msg = f"init: engine must be one of {', '.join(ENGINES)}, got {engine!r}"
        raise ValueError(msg)
    if timeout is None:
        timeout = float(os.environ.get("XPNET_DISTRIBUTED_TIMEOUT", DEFAULT_TIMEOUT))
    if not timeout > 0:
        msg = f"init: timeout must be a positive number of seconds, got {timeout!r}"
        raise ValueError(msg)
    from .mpi import MPICommunicator

    comm = MPICommunicator(timeout=timeout, check=check)
    if engine == "nccl":
        from .nccl import NCCLCommunicator

        select_device(comm.local_rank)
        comm = NCCLCommunicator(comm)
    else:
        select_device(comm.local_rank)
    share_threads(comm.local_world_size)
    install_failure_hooks(comm)
    set_communicator(comm)
    return comm


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout=None,
    world_size: int = -1,
    rank: int = -1,
    **options,
):
    """``torch.distributed.init_process_group`` for ported scripts: :func:`init`, which joins
    the job ``mpiexec`` started (there is no rendezvous to configure).

    Args:
        backend: ``"nccl"`` (GPU arrays), ``"mpi"``, or ``"gloo"`` (PyTorch's CPU backend:
            here MPI on host buffers). Default: ``None``, :func:`init`'s choice.
        init_method: ``None`` or ``"env://"``; the launcher gives the world.
        timeout: a ``datetime.timedelta`` or seconds. Default: :func:`init`'s.
        world_size, rank: ``-1`` (the launcher's), or the launcher's values.
        **options: PyTorch's others (``store``, ``group_name``, ``pg_options``,
            ``device_id``) must be ``None``.

    Raises:
        RuntimeError: when already initialized (as PyTorch), or after
            :func:`destroy_process_group`.
        ValueError: an unknown backend, another ``init_method``, an option, or a
            ``world_size``/``rank`` that differs from the launcher's.
    """
    where = "init_process_group"
    if is_initialized() or _left:
        state = "already initialized" if is_initialized() else "left by destroy_process_group"
        raise RuntimeError(f"{where}: the job was {state}; it can be joined once per process")
    if backend is not None and backend not in TORCH_BACKENDS:
        msg = f"{where}: backend must be one of {', '.join(TORCH_BACKENDS)}, got {backend!r}"
        raise ValueError(msg)
    given = {name: value for name, value in options.items() if value is not None}
    if init_method not in (None, "env://") or given:
        msg = (
            f"{where}: xpnet joins the job mpiexec started; init_method must be None or "
            f"'env://' and no rendezvous options given, got init_method={init_method!r}, "
            f"options {sorted(given)}"
        )
        raise ValueError(msg)
    seconds = getattr(timeout, "total_seconds", lambda: timeout)()
    comm = init(TORCH_BACKENDS.get(backend), seconds)
    for name, asked, actual in (
        ("world_size", world_size, comm.world_size),
        ("rank", rank, comm.rank),
    ):
        if asked != -1 and asked != actual:
            msg = f"{where}: {name}={asked} differs from the launcher's {actual}"
            raise ValueError(msg)
    return comm


def destroy_process_group(group=None) -> None:
    """``torch.distributed.destroy_process_group``: leave the job now (the exit would), after
    which :func:`is_initialized` is False. A process cannot join again.

    Raises:
        ValueError: for a ``group`` (xpnet has one, the whole job), or outside a job.
    """
    if group is not None:
        raise ValueError("destroy_process_group: group must be None (the whole job)")
    comm = _comm("destroy_process_group")
    comm.finalize()
    _left.append(comm)
    set_communicator(None)


def _default_engine() -> str:
    from ..backends import get_backend

    return "nccl" if get_backend().name == "cupy" else "mpi"


def init_from_environment(**options):
    """:func:`init` when a launcher started several processes, else nothing; returns the
    communicator or None. ``xpnet train`` calls it, so ``mpiexec -n 2 xpnet train`` works."""
    if is_initialized() or launched_world_size() > 1:
        return init(**options)
    return None


def is_initialized() -> bool:
    """Whether this process (or fake rank) is part of a job."""
    return current() is not None


def get_communicator():
    """The current :class:`Communicator`, or None outside a job."""
    return current()


def get_rank() -> int:
    """This process's rank (0 outside a job)."""
    comm = current()
    return 0 if comm is None else comm.rank


def get_world_size() -> int:
    """The number of ranks (1 outside a job)."""
    comm = current()
    return 1 if comm is None else comm.world_size


def get_local_rank() -> int:
    """This process's rank among the ranks of its machine (0 outside a job)."""
    comm = current()
    return 0 if comm is None else comm.local_rank


def _comm(where: str):
    comm = current()
    if comm is None:
        msg = f"{where}: xpnet.distributed is not initialized; call xpnet.distributed.init()"
        raise RuntimeError(msg)
    return comm


def all_reduce(array, op: str = "sum"):
    """Reduce ``array`` over all ranks in place; see :meth:`Communicator.all_reduce`."""
    return _comm("all_reduce").all_reduce(array, op)


def broadcast(array, src: int = 0):
    """Rank ``src``'s ``array`` on every rank, in place; see :meth:`Communicator.broadcast`."""
    return _comm("broadcast").broadcast(array, src)


def all_gather(array):
    """Every rank's ``array`` stacked, (world_size, \\*shape); see
    :meth:`Communicator.all_gather`."""
    return _comm("all_gather").all_gather(array)


def barrier() -> None:
    """Wait until every rank calls it; see :meth:`Communicator.barrier`."""
    _comm("barrier").barrier()


def broadcast_object(obj, src: int = 0):
    """Rank ``src``'s picklable ``obj`` on every rank."""
    return _comm("broadcast_object").broadcast_object(obj, src)
