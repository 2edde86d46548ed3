"""What a rank sets up when it joins a job: the world it was launched in, its share of the
cores, its GPU, and the hooks that end the whole job when it fails or leaves.

``mpiexec`` (MPICH's Hydra, Open MPI, Intel MPI, Slurm's PMI) tells each process its rank and
the job's size through environment variables; :func:`launched_world_size` reads them, so a
script or ``xpnet train`` started by ``mpiexec -n 2`` joins the job by itself and a plain
``python script.py`` stays a single process without importing MPI.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import threading
import traceback

from ..backends import get_backend, set_num_threads
from ..backends._runtime import num_threads_setting

__all__ = [
    "find_mpiexec",
    "install_failure_hooks",
    "launched_world_size",
    "select_device",
    "share_threads",
]

# launcher variables holding the job's size: MPICH/Hydra and Intel MPI (PMI), Open MPI, PMIx
# and Slurm's srun
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "SLURM_NTASKS")
_installed = False


def find_mpiexec() -> str | None:
    """The ``mpiexec`` beside this Python (MPICH's wheel installs it there), else on ``PATH``;
    None if there is none."""
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    return shutil.which("mpiexec", path=path)


def launched_world_size() -> int:
    """The number of processes the launcher started (1 without a launcher)."""
    for name in _SIZE_VARIABLES[:3]:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    # srun without an MPI launcher sets SLURM_NTASKS, but only a step of MPI ranks has PMI_RANK
    if "PMI_RANK" in os.environ and os.environ.get("SLURM_NTASKS", "").isdigit():
        return int(os.environ["SLURM_NTASKS"])
    return 1


def share_threads(local_world_size: int) -> int:
    """Give this rank its share of the machine's cores (at least one) for xpnet's threads and
    BLAS, unless the user chose a count (``xpnet.set_num_threads``, ``OMP_NUM_THREADS``).

    Without it every rank runs as many threads as there are cores: with 2 ranks on 2 cores a
    step was measured 3x slower. Returns the thread count this rank uses.
    """
    usable = getattr(os, "sched_getaffinity", None)
    cores = len(usable(0)) if usable else os.cpu_count() or 1
    share = max(1, cores // max(1, local_world_size))
    if num_threads_setting() is None:
        set_num_threads(share)
    if "OMP_NUM_THREADS" not in os.environ:
        from threadpoolctl import threadpool_limits

        threadpool_limits(share)  # for the whole process, as OMP_NUM_THREADS would
    return share


def select_device(local_rank: int):
    """On the CuPy backend, make GPU ``local_rank`` (modulo the GPUs) current; else None.

    One rank per GPU: ``mpiexec -n 4`` on a 4-GPU machine gives ranks 0-3 devices 0-3.
    """
    backend = get_backend()
    if backend.name != "cupy":  # the only backend with devices to choose from
        return None
    import cupy  # GPU: only on the cupy backend

    device = local_rank % cupy.cuda.runtime.getDeviceCount()
    cupy.cuda.Device(device).use()
    return device


def install_failure_hooks(comm) -> None:
    """An uncaught exception on this rank (main thread or any thread) prints its traceback
    with the rank and aborts the whole job; a normal exit tells the other ranks it leaves."""
    global _installed
    if _installed:
        return
    _installed = True
    previous_hook = sys.excepthook

    def excepthook(kind, value, tb):
        if issubclass(kind, KeyboardInterrupt | SystemExit):
            return previous_hook(kind, value, tb)
        abort_with_traceback(comm, value)

    def thread_hook(args):
        if args.exc_type is not SystemExit:
            abort_with_traceback(comm, args.exc_value)

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    atexit.register(comm.finalize)


def abort_with_traceback(comm, error: BaseException) -> None:
    """Print ``error``'s traceback under a line naming this rank, then abort the whole job."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    message = (
        f"xpnet.distributed: rank {comm.rank} of {comm.world_size} raised "
        f"{type(error).__name__}; aborting the job\n{text}"
    )
    comm.abort(message.rstrip())
