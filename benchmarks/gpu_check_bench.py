"""The timings of ``benchmarks/gpu_check.sh``: xpnet on the GPU against PyTorch CUDA with TF32
off and on, and against xpnet on NumPy, for single ops and whole training steps.

Like for like: xpnet at :func:`xpnet.float32_matmul_precision` ``"highest"`` (plain float32)
against ``torch-cuda`` (TF32 off), and at ``"high"`` (TF32 products) against
``torch-cuda-tf32``. The ops run through :func:`xpnet.bench.time_case` (repeats interleaved,
every call synchronised); the steps are the ``xpnet train`` models of
``benchmarks/bench_train_step.py``. Training steps come first, then the ops at ``"highest"``,
then the conv2d cases at ``"high"``; whatever the budget (``GPU_CHECK_BUDGET_S``) leaves out is
listed under ``skipped``. Output: ``bench.json``, rows of ``case``, ``precision``,
``contender``, ``mode`` and ``median_s``.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
from gpu_check import BACKEND, DRY_RUN, load, save

BUDGET_S = float(os.environ.get("GPU_CHECK_BUDGET_S", "120"))
TORCH_DEVICE = os.environ.get("GPU_CHECK_TORCH", "cuda")
T0 = time.perf_counter()
LARGE = (256, 64, 56, 56)  # 205 MB per float32 tensor: the bandwidth targets' size
# (op, shape, what it stands for); the conv shapes are N,C_in,H,W,C_out,k,stride,padding
OPS = [
    ("conv2d", (64, 1, 28, 28, 32, 5, 1, 2), "LeNet conv1"),
    ("conv2d", (64, 32, 14, 14, 64, 5, 1, 2), "LeNet conv2"),
    ("conv2d", (128, 64, 32, 32, 64, 3, 1, 1), "3x3 target"),
    ("conv2d", (128, 128, 16, 16, 128, 3, 1, 1), "3x3 target"),
    ("conv2d", (128, 64, 32, 32, 128, 3, 2, 1), "3x3 stride 2"),
    ("max_pool2d", (128, 64, 32, 32, 2, 2, 0), "pooling"),
    ("max_pool2d", (*LARGE, 2, 2, 0), "bandwidth target"),
    ("batch_norm", LARGE, "bandwidth target"),
    ("relu", LARGE, "bandwidth target"),
    ("cross_entropy", (1024, 1000), "loss"),
]
STEPS = {"lenet": (64, 1, 28, 28), "resnet": (64, 3, 32, 32)}


def left() -> float:
    return BUDGET_S - (time.perf_counter() - T0)


def tiny(op: str, shape: tuple) -> tuple:
    """The dry run's version of a shape: a batch of 2, at most 4 channels and 8x8 planes."""
    if op == "conv2d":
        N, C, H, W, C_out, k, s, p = shape
        return (2, min(C, 4), min(H, 8), min(W, 8), min(C_out, 4), k, s, p)
    if op == "max_pool2d":
        return (2, 4, 8, 8, *shape[4:])
    if op == "cross_entropy":
        return (8, 10)
    return (2, 4, 8, 8)


def make_case(op: str, shape: tuple):
    from xpnet import bench

    if op in bench.OPS:
        return bench.OPS[op].case(shape)
    rng = np.random.default_rng(0)  # relu: one read and one write per element each way
    arrays = {"input": rng.standard_normal(shape)}
    return bench.Case(op, shape, arrays, ("input",), {}, float(np.prod(shape)))


def contenders(precision: str) -> list:
    """xpnet on the GPU and PyTorch with TF32 as ``precision`` says (if it can run here)."""
    from xpnet.bench import TorchContender, XpnetContender

    chosen = [XpnetContender(BACKEND)]
    try:
        import torch

        if TORCH_DEVICE == "cpu" or torch.cuda.is_available():
            chosen.append(TorchContender(TORCH_DEVICE, tf32=precision != "highest"))
    except ImportError:
        pass
    return chosen


def time_op(case, precision: str, purpose: str) -> list[dict]:
    """The rows of one op: the GPU contenders interleaved over 10 repeats; xpnet on NumPy at
    ``"highest"`` once (a reference for the GPU's speed-up), except on the large tensors."""
    from xpnet.bench import XpnetContender, time_case

    repeats, warmup = (1, 1) if DRY_RUN else (10, 2)
    rows = time_case(case, contenders(precision), "float32", repeats, warmup)
    if precision == "highest" and purpose != "bandwidth target":
        rows += time_case(case, [XpnetContender("numpy")], "float32", 1, 1)
    return rows


def run_ops(report: dict, precision: str, ops) -> None:
    import xpnet

    with xpnet.float32_matmul_precision(precision):
        for op, shape, purpose in ops:
            shape = tiny(op, shape) if DRY_RUN else shape
            label = f"{op} {','.join(map(str, shape))}"
            if any(row["case"] == label and row["precision"] == precision for row in report["ops"]):
                continue  # the dry run's tiny shapes repeat
            if left() < (2 if DRY_RUN else 20):
                report["skipped"].append(f"{label} at {precision}")
                continue
            print(f"  {label} ({purpose}) at {precision} ...", flush=True)
            rows = time_op(make_case(op, shape), precision, purpose)
            for row in rows:
                row.update(case=label, purpose=purpose, precision=precision)
            report["ops"] += rows
            save("bench.json", report)


def xpnet_step(backend, name: str, shape: tuple, synchronize: bool = True):
    """One SGD step of ``xpnet train``'s model ``name`` on ``backend``, as in
    ``benchmarks/bench_train_step.py``: forward, loss, backward, update and, if
    ``synchronize``, a wait for the device (timers need it; the host-sync probe must not)."""
    import xpnet
    from xpnet import models, nn, optim
    from xpnet.autograd import Tensor

    rng = np.random.default_rng(0)
    host = rng.standard_normal(shape).astype(np.float32), rng.integers(0, 10, shape[0])
    with xpnet.use_backend(backend.name):
        model_class = models.LeNet if name == "lenet" else models.ResNet
        model = model_class(in_channels=shape[1], image_size=shape[2])
        optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        images, labels = Tensor(backend.asarray(host[0])), backend.asarray(host[1])

    def step():
        optimizer.zero_grad()
        loss_fn(model(images), labels).backward()
        optimizer.step()
        if synchronize:
            backend.synchronize()

    return step


def torch_step(name: str, shape: tuple, tf32: bool):
    import bench_train_step
    import torch

    bench_train_step.CASES[name] = (bench_train_step.CASES[name][0], shape)
    step = bench_train_step._torch_step(TORCH_DEVICE, name)

    def timed():
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        step()

    return timed


def median_s(step, repeats: int) -> tuple[float, float]:
    for _ in range(1 if DRY_RUN else 2):
        step()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()  # each step ends with its device's synchronize
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples)


def step_contenders(name: str, shape: tuple, precision: str) -> dict:
    from xpnet.backends import load_backend

    steps = {f"xpnet-{BACKEND}": lambda: xpnet_step(load_backend(BACKEND), name, shape)}
    try:
        import torch

        if TORCH_DEVICE == "cpu" or torch.cuda.is_available():
            tf32 = precision != "highest"
            label = "torch-cuda-tf32" if tf32 else f"torch-{TORCH_DEVICE}"
            steps[label] = lambda: torch_step(name, shape, tf32)
    except ImportError:
        pass
    if precision == "highest":
        steps["xpnet-numpy"] = lambda: xpnet_step(load_backend("numpy"), name, shape)
    return steps


def run_steps(report: dict, precision: str) -> None:
    import xpnet

    with xpnet.float32_matmul_precision(precision):
        for name, shape in STEPS.items():
            shape = (2, shape[1], *[min(n, 28 if name == "lenet" else 8) for n in shape[2:]])
            shape = shape if DRY_RUN else STEPS[name]
            label = f"{name} step {'x'.join(map(str, shape))}"
            for contender, make in step_contenders(name, shape, precision).items():
                if left() < (2 if DRY_RUN else 15):
                    report["skipped"].append(f"{label} {contender} at {precision}")
                    continue
                print(f"  {label} {contender} at {precision} ...", flush=True)
                row = {"case": label, "contender": contender, "precision": precision}
                try:
                    cpu = contender == "xpnet-numpy"
                    repeats = 1 if DRY_RUN else (2 if cpu else 10)
                    row["median_s"], row["min_s"] = median_s(make(), repeats)
                except Exception as error:  # noqa: BLE001  (one failing contender, not all)
                    row["error"] = f"{type(error).__name__}: {error}"
                report["steps"].append(row)
                save("bench.json", report)


def main() -> None:
    if DRY_RUN:
        import torch

        torch.set_num_threads(1)  # CI's few cores: PyTorch's threads would fight the others
    report = {
        "environment": load("env.json"),
        "budget_s": BUDGET_S,
        "torch_device": TORCH_DEVICE,
        "ops": [],
        "steps": [],
        "skipped": [],
    }
    run_steps(report, "highest")
    run_steps(report, "high")
    run_ops(report, "highest", OPS)
    run_ops(report, "high", [case for case in OPS if case[0] == "conv2d"])
    report["seconds"] = round(time.perf_counter() - T0, 1)
    save("bench.json", report)
    print(f"  timings done in {report['seconds']} s; skipped: {report['skipped']}")
