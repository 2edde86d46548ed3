"""``xpnet bench --distributed``: all-reduce speed against ``torch.distributed`` (gloo), and
LeNet training throughput on 1 and 2 ranks with the scaling efficiency.

:func:`run` starts ``mpiexec -n 2 python -m xpnet.bench.distributed`` (and ``-n 1`` for the
one-rank throughput); inside the job, :func:`main` times, for every size from 1 KiB to
64 MiB of float32, xpnet's MPI engine (with and without the header check that detects
mismatched collectives) and then gloo, in the same processes, and trains LeNet on synthetic
28x28 images with a fixed global batch. Rank 0 prints the results as one JSON line.
The scaling efficiency is ``throughput(2 ranks) / (2 * throughput(1 rank))``.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time

import numpy

__all__ = ["HELP", "SIZES", "command", "format_report", "main", "run"]

HELP = (
    "instead of the kernels: 2-rank all-reduce latency and GB/s from 1 KiB to 64 MiB, "
    "xpnet's MPI engine against torch.distributed gloo, and LeNet training on 1 and 2 ranks "
    "with the scaling efficiency (starts mpiexec; needs xpnet[distributed])"
)

SIZES = [2**10 * 4**k for k in range(9)]  # bytes: 1 KiB, 4 KiB, ..., 64 MiB
_MARK = "xpnet-bench-distributed:"


def _time(call, repeats: int, barrier) -> float:
    """Median seconds of ``call()`` over ``repeats`` timed runs, after two warm-ups."""
    for _ in range(2):
        call()
    times = []
    for _ in range(repeats):
        barrier()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _repeats(nbytes: int, quick: bool) -> int:
    return max(3, min(200, 2**22 // nbytes)) // (4 if quick else 1) or 3


def xpnet_rows(comm, sizes, quick) -> list[dict]:
    rows = []
    for check in (True, False):
        comm.check = check
        for nbytes in sizes:
            array = numpy.ones(nbytes // 4, dtype=numpy.float32)
            seconds = _time(
                lambda a=array: comm.all_reduce(a), _repeats(nbytes, quick), comm.barrier
            )
            name = "xpnet mpi" + ("" if check else " (no check)")
            rows.append({"contender": name, "bytes": nbytes, "seconds": seconds})
    comm.check = True
    return rows


def torch_rows(comm, sizes, quick) -> list[dict]:
    try:
        import torch
        import torch.distributed as td
    except ImportError:
        return []
    port = comm.broadcast_object(_free_port() if comm.rank == 0 else None, 0)
    td.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=comm.rank, world_size=comm.world_size
    )
    rows = []
    for nbytes in sizes:
        tensor = torch.ones(nbytes // 4, dtype=torch.float32)
        seconds = _time(lambda t=tensor: td.all_reduce(t), _repeats(nbytes, quick), td.barrier)
        rows.append({"contender": "torch gloo", "bytes": nbytes, "seconds": seconds})
    td.destroy_process_group()
    return rows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lenet_throughput(comm, steps: int, batch: int = 64) -> float:
    """Images per second of LeNet training steps on a global batch of ``batch`` 28x28 images."""
    import xpnet
    from xpnet import distributed, models, nn, optim

    xpnet.manual_seed(0)
    model = models.LeNet()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    world = 1 if comm is None else comm.world_size
    # as xpnet train runs it: per-rank BatchNorm statistics, no buffer broadcast per step
    runner = model
    if world > 1:
        runner = distributed.DistributedDataParallel(
            model, broadcast_buffers=False, gradient_op="sum"
        )
    rank = 0 if comm is None else comm.rank
    mine = slice(rank * batch // world, (rank + 1) * batch // world)
    rng = numpy.random.default_rng(rank)
    images = xpnet.asarray(rng.standard_normal((batch, 1, 28, 28), dtype=numpy.float32)[mine])
    labels = xpnet.asarray(rng.integers(0, 10, batch)[mine])
    loss_fn = nn.CrossEntropyLoss(reduction="sum")

    def step():
        optimizer.zero_grad()
        (loss_fn(runner(xpnet.Tensor(images)), labels) / batch).backward()
        optimizer.step()

    step()
    if comm is not None:
        comm.barrier()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if comm is not None:
        comm.barrier()
    return steps * batch / (time.perf_counter() - start)


def main(argv=None) -> None:
    """Inside ``mpiexec``: time the collectives and training; rank 0 prints one JSON line."""
    argv = sys.argv[1:] if argv is None else argv
    quick, steps = "--quick" in argv, 10 if "--quick" in argv else 30
    from xpnet import distributed

    comm = distributed.init_from_environment()
    report = {"ranks": 1 if comm is None else comm.world_size}
    if comm is not None and "--no-collectives" not in argv:
        sizes = SIZES[:6] if quick else SIZES
        report["allreduce"] = xpnet_rows(comm, sizes, quick) + torch_rows(comm, sizes, quick)
    report["images_per_s"] = lenet_throughput(comm, steps)
    if comm is None or comm.rank == 0:
        print(_MARK + json.dumps(report), flush=True)


def _mpiexec() -> str:
    from xpnet.distributed import find_mpiexec

    found = find_mpiexec()
    if found is None:
        msg = 'xpnet bench --distributed needs mpiexec: pip install -e ".[distributed]"'
        raise ImportError(msg)
    return found


def _job(ranks: int, *options) -> dict:
    command = [_mpiexec(), "-n", str(ranks), sys.executable, "-m", "xpnet.bench.distributed"]
    done = subprocess.run([*command, *options], capture_output=True, text=True, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith(_MARK)]
    if done.returncode or not lines:
        msg = f"xpnet bench --distributed: the {ranks}-rank job failed:\n{done.stderr[-2000:]}"
        raise RuntimeError(msg)
    return json.loads(lines[-1][len(_MARK) :])


def run(quick: bool = False) -> dict:
    """Run the 2-rank and 1-rank jobs; the report (all-reduce rows, throughputs, efficiency)."""
    extra = ["--quick"] if quick else []
    two = _job(2, *extra)
    one = _job(1, "--no-collectives", *extra)
    efficiency = two["images_per_s"] / (2 * one["images_per_s"])
    return {
        "allreduce": two.get("allreduce", []),
        "images_per_s": {"1": one["images_per_s"], "2": two["images_per_s"]},
        "scaling_efficiency": efficiency,
        "cpu_count": os.cpu_count(),
    }


def format_report(report: dict) -> str:
    """The all-reduce table (latency, GB/s per contender and size) and the throughput line."""
    contenders = list(dict.fromkeys(row["contender"] for row in report["allreduce"]))
    header = f"{'size':>8} " + " ".join(f"{name:>26}" for name in contenders)
    lines = ["2-rank all-reduce of float32: median time and algorithm bandwidth", header]
    sizes = sorted({row["bytes"] for row in report["allreduce"]})
    for nbytes in sizes:
        cells = []
        for name in contenders:
            row = next(
                r for r in report["allreduce"] if r["contender"] == name and r["bytes"] == nbytes
            )
            cells.append(
                f"{row['seconds'] * 1e6:>11.1f} us {nbytes / row['seconds'] / 1e9:>8.2f} GB/s"
            )
        label = f"{nbytes // 2**20} MiB" if nbytes >= 2**20 else f"{nbytes // 2**10} KiB"
        lines.append(f"{label:>8} " + " ".join(f"{cell:>26}" for cell in cells))
    speeds = report["images_per_s"]
    lines.append(
        f"LeNet training, global batch 64 (28x28): 1 rank {speeds['1']:.0f} img/s, 2 ranks "
        f"{speeds['2']:.0f} img/s, scaling efficiency {report['scaling_efficiency']:.2f}"
    )
    return "\n".join(lines)


def command(args) -> None:
    """``xpnet bench --distributed [--quick] [--json PATH]``."""
    report = run(quick=args.quick)
    print(format_report(report))
    if args.json:
        with open(args.json, "w") as file:
            json.dump(report, file, indent=1)
        print(f"saved {args.json}")


if __name__ == "__main__":
    main()
