"""A job for ``mpiexec -n 2 python tests/distributed/job.py MODE [args]``, run by
tests/test_distributed_mpi.py: the collectives, float64 equivalence with one process, and the
ways a rank can fail. Rank 0 prints ``ok ...`` when a check passes."""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

import xpnet
from xpnet import distributed as dist
from xpnet import nn
from xpnet.backends import backend_of, host_reads_forbidden
from xpnet.distributed import mpi as mpi_engine
from xpnet.distributed.fake import run_ranks
from xpnet.distributed.mpi import MPICommunicator


def collectives():
    rank = dist.get_rank()
    array = np.array([rank + 1.0, 2.0])
    dist.all_reduce(array)
    gathered = dist.all_gather(np.array([rank], dtype=np.int64))
    scalar = np.array(5.0 + rank)
    dist.broadcast(scalar, src=1)
    with xpnet.use_backend("strict"):
        strict = xpnet.asarray(np.full(3, rank + 1.0, dtype=np.float32))
        dist.all_reduce(strict, "avg")
        strict = xpnet.to_numpy(strict)
    dist.barrier()
    assert array.tolist() == [3.0, 4.0], array
    assert gathered.tolist() == [[0], [1]] and float(scalar) == 6.0
    assert strict.tolist() == [1.5] * 3 and dist.broadcast_object(rank, 1) == 1
    assert xpnet.get_num_threads() == max(1, len(os.sched_getaffinity(0)) // 2)
    print(f"ok rank {rank} local {dist.get_local_rank()} threads {xpnet.get_num_threads()}")


class StandInDevice:
    """CUDA-aware MPI without a GPU: strict arrays stand for device arrays, and MPI reads
    them in place through DLPack (host memory here, so a plain MPI can)."""

    def __init__(self):
        self.synchronized = 0

    def synchronize(self):
        self.synchronized += 1

    def empty(self, shape, dtype):
        with xpnet.use_backend("strict"):
            return xpnet.get_backend().xp.empty(shape, dtype=dtype)

    def is_device_array(self, array):
        return backend_of(array).name == "strict"


def cuda_aware():
    """The CUDA-aware path hands device arrays to MPI in place: no host read at all."""
    device = StandInDevice()
    comm = MPICommunicator(cuda_aware=True, device=device)
    rank = comm.rank
    with xpnet.use_backend("strict"):
        xp = xpnet.get_backend().xp
        single, half = xp.full(3, rank + 1.0, dtype="float32"), xp.full(2, rank + 1.0, "float16")
        scalar, row = xp.asarray(5.0 + rank), xp.asarray([rank, 7], dtype="int64")
    with host_reads_forbidden():
        comm.all_reduce(single)
        comm.all_reduce(half, "avg")
        comm.broadcast(scalar, src=1)
        gathered = comm.all_gather(row)
    assert backend_of(gathered).name == "strict" and device.synchronized == 4
    assert xpnet.to_numpy(single).tolist() == [3.0] * 3
    assert xpnet.to_numpy(half).tolist() == [1.5] * 2 and float(xpnet.to_numpy(scalar)) == 6.0
    assert xpnet.to_numpy(gathered).tolist() == [[0, 7], [1, 7]]
    host = np.arange(3.0)  # NumPy arrays stay on the host path, untouched by the device
    comm.all_reduce(host)
    assert host.tolist() == [0.0, 2.0, 4.0] and device.synchronized == 4
    comm.finalize()
    # told CUDA-aware where CuPy is missing: every array is staged through the host
    mpi_engine.CupyDevice = _no_cupy
    comm = MPICommunicator(cuda_aware=True)
    with xpnet.use_backend("strict"):
        strict = xpnet.get_backend().xp.ones(2, dtype="float32")
    comm.all_reduce(strict)
    assert xpnet.to_numpy(strict).tolist() == [2.0, 2.0] and not comm.cuda_aware
    comm.finalize()
    print(f"ok cuda_aware rank {rank}")


def _no_cupy():
    raise ImportError("No module named 'cupy'")


def _model(sync):
    xpnet.manual_seed(0)
    layers = [nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(108, 10)]
    model = nn.Sequential(*layers).double()
    return nn.SyncBatchNorm.convert_sync_batchnorm(model) if sync else model


def _grads(model, images, labels, count):
    loss = nn.CrossEntropyLoss(reduction="sum")(model(xpnet.Tensor(images)), labels) / count
    loss.backward()
    return [p.grad for p in model.parameters()]


def equivalence(sizes):
    """Two ranks with SyncBatchNorm give the gradients and statistics of one process."""
    sizes = [int(s) for s in sizes.split(",")]
    rng = np.random.default_rng(0)
    images, labels = rng.standard_normal((sum(sizes), 1, 8, 8)), rng.integers(0, 10, sum(sizes))
    rank = dist.get_rank()
    part = slice(sum(sizes[:rank]), sum(sizes[: rank + 1]))
    ddp = dist.DistributedDataParallel(_model(True), gradient_op="sum")
    grads = _grads(ddp, images[part], labels[part], len(labels))
    if rank == 0:
        (expected,) = run_ranks(lambda: _grads(_model(True), images, labels, len(labels)), 1)
        for got, want in zip(grads, expected, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
        print(f"ok equivalence {sizes}")


def fail(mode):
    rank = dist.get_rank()
    dist.barrier()  # under init's deadline: a loaded machine may start one rank seconds late
    dist.get_communicator().timeout = float(os.environ["JOB_TIMEOUT"])
    if mode == "raise" and rank == 1:
        raise ValueError("rank 1 fails on purpose")
    if mode == "leave" and rank == 1:
        sys.exit(0)
    if mode == "kill" and rank == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "late" and rank == 1:
        time.sleep(60)
    if mode == "mismatch" and rank == 1:
        dist.barrier()
    time.sleep(0.3)
    dist.all_reduce(np.ones(3))
    print("unreachable: the job should have ended", flush=True)


def torch_names():
    """A ported script's start and end: PyTorch's init_process_group and
    destroy_process_group around a collective."""
    import datetime

    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=30), world_size=2)
    rank, total = dist.get_rank(), np.array([dist.get_rank() + 1.0])
    dist.all_reduce(total)
    dist.destroy_process_group()
    assert total[0] == 3.0 and not dist.is_initialized() and dist.get_world_size() == 1
    print(f"ok torch_names rank {rank}", flush=True)


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "torch_names":
        torch_names()
        sys.exit(0)
    dist.init(timeout=30)
    jobs = {"collectives": collectives, "equivalence": equivalence, "cuda_aware": cuda_aware}
    jobs.get(mode, lambda: fail(mode))(*args)
