"""The distributed step of ``benchmarks/gpu_check.sh``: :mod:`xpnet.distributed` on the device.

``python benchmarks/gpu_check_distributed.py`` starts these jobs under ``mpiexec``, in this
order, each under what is left of ``GPU_CHECK_BUDGET_S``, and saves what they did to
``distributed.json``:

- ``nccl, 1 rank``: the NCCL engine (CuPy's binding, its unique id broadcast over MPI), issue
  18's GPU check; skipped off CuPy;
- ``mpi, 2 ranks``: the MPI engine, device arrays staged through host memory unless the MPI
  says it is CUDA-aware (:func:`xpnet.distributed.mpi.mpi_is_cuda_aware`, recorded);
- ``mpi, 2 ranks, CUDA-aware forced``: ``XPNET_MPI_CUDA_AWARE=1``, device pointers handed to
  MPI in place; an MPI that cannot read device memory fails here, and the record says so;
- ``train``: ``xpnet train --sync-batchnorm`` in one process and on 2 ranks (MPI engine; on
  one GPU both ranks share it), final weights compared (issue 18: within 1e-5 relative).

Each collective job (``python gpu_check_distributed.py job``, one per rank) runs all_reduce
(sum, avg), broadcast, all_gather and barrier on the backend's arrays in float32 and
float64, one DistributedDataParallel SGD step of LeNet, and times a 1 KiB and a 64 MiB
all_reduce; rank 0 prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from gpu_check import BACKEND, DRY_RUN, save

from xpnet.distributed import find_mpiexec

BUDGET_S = float(os.environ.get("GPU_CHECK_BUDGET_S", "80"))
ROOT = Path(__file__).resolve().parent.parent
T0 = time.perf_counter()


def collectives(backend, rank: int, world: int, dist) -> None:
    """Every collective on the backend's arrays; AssertionError on a wrong value."""
    xp = backend.xp
    for dtype in ("float32", "float64"):
        total = xp.full(5, rank + 1.0, dtype=dtype)
        dist.all_reduce(total)
        mean = xp.full(3, rank + 1.0, dtype=dtype)
        dist.all_reduce(mean, "avg")
        scalar = xp.asarray(5.0 + rank, dtype=dtype)
        dist.broadcast(scalar, src=world - 1)
        gathered = dist.all_gather(xp.asarray([rank, 7], dtype=dtype))
        dist.barrier()
        assert type(total) is type(gathered), (type(total), type(gathered))
        host = [backend.to_host(array) for array in (total, mean, scalar, gathered)]
        assert host[0].tolist() == [world * (world + 1) / 2] * 5, host[0]
        assert host[1].tolist() == [(world + 1) / 2] * 3, host[1]
        assert float(host[2]) == 4.0 + world, host[2]
        assert host[3].tolist() == [[r, 7] for r in range(world)], host[3]


def ddp_step(backend, rank: int, world: int, dist) -> float:
    """One SGD step of LeNet under DistributedDataParallel; the ranks' weights must agree."""
    import xpnet
    from xpnet import nn
    from xpnet.models import LeNet

    xpnet.manual_seed(0)
    model = dist.DistributedDataParallel(LeNet(image_size=8, widths=(4, 8)))
    optimizer = xpnet.optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(rank)
    images = xpnet.Tensor(backend.asarray(rng.standard_normal((16, 1, 8, 8)).astype("float32")))
    labels = backend.asarray(rng.integers(0, 10, 16))
    loss = nn.CrossEntropyLoss()(model(images), labels)
    loss.backward()
    optimizer.step()
    flat = backend.xp.concatenate([p.array.reshape(-1) for p in model.parameters()])
    every = backend.to_host(dist.all_gather(flat))
    assert all(np.array_equal(every[0], row) for row in every), "ranks' weights differ"
    return float(backend.to_host(loss.array))


def allreduce_timing(backend, dist) -> dict:
    result = {}
    for label, size in (("1 KiB", 256), ("64 MiB", 2**24 // (64 if DRY_RUN else 1))):
        array = backend.xp.ones(size, dtype="float32")
        dist.all_reduce(array)
        backend.synchronize()
        start = time.perf_counter()
        for _ in range(5):
            dist.all_reduce(array)
        backend.synchronize()
        seconds = (time.perf_counter() - start) / 5
        result[label] = {
            "us": round(seconds * 1e6, 1),
            "GB_per_s": round(size * 4 / seconds / 1e9, 2),
        }
    return result


def job() -> None:
    import xpnet
    from xpnet import distributed as dist

    comm = dist.init(timeout=60)
    backend = xpnet.get_backend()
    rank, world = dist.get_rank(), dist.get_world_size()
    collectives(backend, rank, world, dist)
    loss = ddp_step(backend, rank, world, dist)
    timing = allreduce_timing(backend, dist)
    if rank == 0:
        control = comm.control if comm.engine == "nccl" else comm  # the MPI communicator
        info = control.comm.Get_info()
        kinds = info.Get("mpi_memory_alloc_kinds")  # what the MPI says it reads: cuda or not
        info.Free()
        result = {
            "engine": comm.engine,
            "backend": backend.name,
            "world_size": world,
            "cuda_aware": getattr(control, "cuda_aware", None),
            "mpi_memory_alloc_kinds": kinds,
            "ddp_loss": round(loss, 6),
            "all_reduce": timing,
        }
        print("RESULT " + json.dumps(result), flush=True)


def left() -> float:
    return BUDGET_S - (time.perf_counter() - T0)


def run(ranks: int, args: list, env: dict | None = None) -> dict:
    """``mpiexec -n ranks args`` (just ``args`` for 0 ranks) under what is left of the budget."""
    limit = min(left(), 60.0)
    if limit < 5:
        return {"skipped": "the step's time budget ran out"}
    command = [find_mpiexec(), "-n", str(ranks), *args] if ranks else list(args)
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=limit, env=environment, cwd=ROOT
        )
    except subprocess.TimeoutExpired as error:
        return {"ok": False, "timed_out_s": round(limit), "stderr": str(error.stderr)[-1500:]}
    record = {
        "ok": done.returncode == 0,
        "exit": done.returncode,
        "seconds": round(time.perf_counter() - start, 1),
    }
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            record.update(json.loads(line[len("RESULT ") :]))
    banner = re.search(r", (\d+) ranks", done.stdout)  # xpnet train's first line
    if banner:
        record.setdefault("world_size", int(banner.group(1)))
    if ranks and not done.returncode and record.get("world_size", 1) != ranks:
        # an mpiexec of another MPI than mpi4py's starts `ranks` separate 1-rank jobs, which
        # all succeed: once counted as a 2-rank run that agreed with one process exactly
        record["ok"] = False
        record["problem"] = (
            f"mpiexec -n {ranks} ran jobs of world size {record.get('world_size', 1)}: "
            "mpiexec is not of the MPI that mpi4py loads: use that MPI's mpiexec"
        )
    if done.returncode:
        record["stderr"] = done.stderr[-1500:]
    return record


def train_pair() -> dict:
    """``xpnet train --sync-batchnorm`` on 1 process and 2 ranks: the final weights' gap."""
    from xpnet.train import load_checkpoint

    folder = Path(tempfile.mkdtemp(prefix="xpnet-gpu-check-"))
    options = [
        "--no-progress",
        "--epochs",
        "1",
        "--limit",
        "150",
        "--batch-size",
        "149",
        "--sync-batchnorm",
        "--scheduler",
        "step",
    ]
    runs = {}
    for ranks in (0, 2):
        checkpoint = folder / f"ranks{ranks}.npz"
        args = [sys.executable, "-m", "xpnet", "train", *options, "--checkpoint", checkpoint]
        runs[ranks] = run(ranks, list(map(str, args)), {"XPNET_DISTRIBUTED_ENGINE": "mpi"})
        if not runs[ranks].get("ok"):
            return {"one_process": runs[0], "two_ranks": runs.get(2)}
    one, two = (load_checkpoint(str(folder / f"ranks{r}.npz"))["model"] for r in (0, 2))
    gaps = {k: float(np.abs(one[k] - two[k]).max() / max(np.abs(one[k]).max(), 1e-3)) for k in one}
    gap = max(gaps.values())
    return {
        "largest_gap_in": max(gaps, key=gaps.get),
        "one_process_s": runs[0]["seconds"],
        "two_ranks_s": runs[2]["seconds"],
        "max_relative_gap": float(f"{gap:.3g}"),
        "within_1e-5": gap <= 1e-5,
    }


def main() -> None:
    if find_mpiexec() is None:
        save("distributed.json", {"skipped": "no mpiexec (pip install mpich)"})
        print("  skipped: no mpiexec")
        return
    this = [sys.executable, str(Path(__file__).resolve()), "job"]
    jobs = {
        "nccl, 1 rank": (1, {"XPNET_DISTRIBUTED_ENGINE": "nccl"}),
        "mpi, 2 ranks": (2, {"XPNET_DISTRIBUTED_ENGINE": "mpi"}),
        "mpi, 2 ranks, CUDA-aware forced": (
            2,
            {"XPNET_DISTRIBUTED_ENGINE": "mpi", "XPNET_MPI_CUDA_AWARE": "1"},
        ),
    }
    result: dict = {}
    for name, (ranks, env) in jobs.items():
        if BACKEND != "cupy" and name != "mpi, 2 ranks":
            result[name] = {"skipped": "needs the cupy backend"}
        else:
            result[name] = run(ranks, this, env)
        print(f"  {name}: {json.dumps(result[name])[:400]}", flush=True)
        save("distributed.json", result)
    result["train, 1 process vs 2 ranks"] = train_pair()
    print(f"  train: {json.dumps(result['train, 1 process vs 2 ranks'])[:400]}")
    # forcing CUDA-aware on an MPI that is not is the user's mistake: recorded, not a failure;
    # the training gap is recorded against issue 18's 1e-5 for the summary to show
    kept = [r for name, r in result.items() if "forced" not in name]
    result["ok"] = all(r.get("ok", True) for r in kept)
    save("distributed.json", result)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    job() if sys.argv[1:] == ["job"] else main()
