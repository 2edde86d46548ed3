"""The summary of ``benchmarks/gpu_check.sh``: each step's status and issue 17's GPU targets,
met or not, from the JSON the other steps wrote; ``summary.json`` and ``summary.md``.

The targets (issue 17, section 5): a 3x3 conv2d forward+backward within 2x of PyTorch+cuDNN
with TF32 off; elementwise, batch-norm and pooling forward+backward at >= 50 % of the memory
bandwidth on large tensors (measured against this device's own copy bandwidth, with the
nominal HBM figure beside it); the LeNet SGD step within 2x of PyTorch CUDA. A bandwidth is the
bytes a straightforward implementation cannot avoid moving, over the median time: ``relu`` 5
passes over the tensor (forward: read, write; backward: read the gradient and the input,
write), ``batch_norm`` 8 (forward: the statistics' read, then read and write; backward: two
reads for the sums, then two reads and a write), ``max_pool2d`` 2x2 2.5 (the input and a
quarter-size output each way).
"""

from __future__ import annotations

import os
import re

from gpu_check import (
    BACKEND,
    BANDWIDTH_TARGET,
    CONV_TARGET,
    DRY_RUN,
    NOMINAL_BANDWIDTH,
    OUT,
    STEP_TARGET,
    load,
    save,
)

TORCH_DEVICE = os.environ.get("GPU_CHECK_TORCH", "cuda")
GPU, TORCH_OFF, TORCH_ON, CPU = (
    f"xpnet-{BACKEND}",
    f"torch-{TORCH_DEVICE}",
    "torch-cuda-tf32",
    "xpnet-numpy",
)
PASSES = {"relu": 5.0, "batch_norm": 8.0, "max_pool2d": 2.5}


def median(rows, case, contender, precision, mode="forward+backward"):
    for row in rows:
        if (row.get("case"), row.get("contender"), row.get("precision")) != (
            case,
            contender,
            precision,
        ):
            continue
        if row.get("mode", mode) == mode:
            return row.get("median_s")
    return None


def ratio(a, b):
    return None if a is None or not b else a / b


def steps_status() -> list[dict]:
    """Each step's exit status and seconds, as the script wrote them to ``status.txt``."""
    try:
        lines = (OUT / "status.txt").read_text().splitlines()
    except OSError:
        return []
    steps = []
    for line in lines:
        name, code, seconds = line.split()
        steps.append({"step": name, "exit": int(code), "seconds": int(seconds)})
    return steps


def training(log_name: str) -> dict:
    """The backend ``xpnet train`` says it trained on, and its final accuracy."""
    try:
        text = (OUT / log_name).read_text(errors="replace")
    except OSError as error:
        return {"error": str(error)}
    backend = re.search(r"backend (\w+)", text)
    accuracy = re.search(r"final test accuracy ([\d.]+)%", text)
    return {
        "backend": backend.group(1) if backend else None,
        "final_test_accuracy_percent": float(accuracy.group(1)) if accuracy else None,
        "trained_on_the_asked_backend": bool(backend and backend.group(1) == BACKEND),
    }


def targets(bench: dict, smoke: dict, device: str) -> list[dict]:
    ops, steps, found = bench.get("ops", []), bench.get("steps", []), []
    for case in sorted({r["case"] for r in ops if r.get("purpose") == "3x3 target"}):
        value = ratio(median(ops, case, GPU, "highest"), median(ops, case, TORCH_OFF, "highest"))
        found.append(
            _target("conv2d 3x3 fwd+bwd / PyTorch+cuDNN (TF32 off)", case, value, "<=", CONV_TARGET)
        )
    copy = (smoke.get("copy_bandwidth") or {}).get("bytes_per_s")
    nominal = next((v for k, v in NOMINAL_BANDWIDTH.items() if k in device), None)
    for case in sorted({r["case"] for r in ops if r.get("purpose") == "bandwidth target"}):
        op, shape = case.split()[0], [int(n) for n in case.split()[1].split(",")]
        elements = shape[0] * shape[1] * shape[2] * shape[3]
        seconds = median(ops, case, GPU, "highest")
        rate = None if seconds is None else PASSES[op] * elements * 4 / seconds
        row = _target(
            "fwd+bwd bandwidth / copy bandwidth", case, ratio(rate, copy), ">=", BANDWIDTH_TARGET
        )
        row["GB_per_s"] = None if rate is None else round(rate / 1e9)
        row["of_nominal_hbm"] = ratio(rate, nominal)
        found.append(row)
    for case in sorted({r["case"] for r in steps if r["case"].startswith("lenet")}):
        value = ratio(
            median(steps, case, GPU, "highest"), median(steps, case, TORCH_OFF, "highest")
        )
        found.append(_target("LeNet SGD step / PyTorch CUDA", case, value, "<=", STEP_TARGET))
    return found


def _target(name, case, value, sense, goal) -> dict:
    met = None if value is None else (value <= goal if sense == "<=" else value >= goal)
    return {"target": name, "case": case, "value": value, "goal": f"{sense} {goal}", "met": met}


def _ms(seconds):
    return "-" if seconds is None else f"{seconds * 1e3:.3f}"


def _x(value):
    return "-" if value is None else f"{value:.2f}"


def op_table(bench: dict) -> list[str]:
    ops = bench.get("ops", [])
    lines = [
        f"| case | {GPU} | {TORCH_OFF} | ratio | {GPU} TF32 | {TORCH_ON} | ratio | {CPU} "
        "| CPU/GPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for case in dict.fromkeys(r["case"] for r in ops):
        gpu, off = median(ops, case, GPU, "highest"), median(ops, case, TORCH_OFF, "highest")
        gpu_tf32, on = median(ops, case, GPU, "high"), median(ops, case, TORCH_ON, "high")
        cpu = median(ops, case, CPU, "highest")
        lines.append(
            f"| {case} | {_ms(gpu)} | {_ms(off)} | {_x(ratio(gpu, off))} | {_ms(gpu_tf32)} "
            f"| {_ms(on)} | {_x(ratio(gpu_tf32, on))} | {_ms(cpu)} | {_x(ratio(cpu, gpu))} |"
        )
    return lines


def step_table(bench: dict) -> list[str]:
    steps = bench.get("steps", [])
    lines = [
        f"| step | {GPU} | {TORCH_OFF} | ratio | {GPU} TF32 | {TORCH_ON} | ratio | {CPU} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case in dict.fromkeys(r["case"] for r in steps):
        gpu, off = median(steps, case, GPU, "highest"), median(steps, case, TORCH_OFF, "highest")
        gpu_tf32, on = median(steps, case, GPU, "high"), median(steps, case, TORCH_ON, "high")
        cpu = median(steps, case, CPU, "highest")
        lines.append(
            f"| {case} | {_ms(gpu)} | {_ms(off)} | {_x(ratio(gpu, off))} | {_ms(gpu_tf32)} "
            f"| {_ms(on)} | {_x(ratio(gpu_tf32, on))} | {_ms(cpu)} |"
        )
    errors = [f"- {r['case']} {r['contender']}: {r['error']}" for r in steps if "error" in r]
    return lines + errors


def markdown(summary: dict, bench: dict) -> str:
    env, lines = summary["environment"], []
    title = "xpnet GPU check" + (
        " (DRY RUN on the CPU: the numbers check the script only)" if DRY_RUN else ""
    )
    lines += [f"# {title}", "", f"- device: {env.get('device')}, backend `{BACKEND}`"]
    lines += [f"- date (UTC): {env.get('date_utc')}, git commit: {env.get('git_commit')}"]
    lines += [f"- command: `{env.get('command')}`", f"- versions: {env.get('versions')}", ""]
    lines += ["## Steps", "", "| step | exit | seconds |", "|---|---|---|"]
    lines += [f"| {s['step']} | {s['exit']} | {s['seconds']} |" for s in summary["steps"]]
    tests = summary["tests"]
    lines += [
        "",
        f"Tests (`XPNET_BACKEND={BACKEND}`): "
        + ", ".join(f"{k} {tests.get(k)}" for k in ("tests", "failures", "errors", "skipped")),
    ]
    lines += [f"- {name}" for name in tests.get("failed", [])[:30]]
    lines += ["", f"Training: {summary['training']}", "", "## Targets", ""]
    lines += ["| target | case | value | goal | met |", "|---|---|---|---|---|"]
    for t in summary["targets"]:
        lines.append(
            f"| {t['target']} | {t['case']} | {_x(t['value'])} | {t['goal']} | {t['met']} |"
        )
    smoke = summary["smoke"]
    lines += ["", "## TF32 (float32 products: error against float64, TFLOP/s)", ""]
    lines += [f"- {k}: {smoke.get('tf32', {}).get(k)}" for k in ("highest", "high", "tf32_engaged")]
    lines += [
        f"- copy bandwidth: {smoke.get('copy_bandwidth')}",
        f"- us per call: {smoke.get('us_per_call')}",
    ]
    lines += [f"- training step while the GPU is busy: {smoke.get('training_step_host_sync')}"]
    lines += ["", "## Ops: forward+backward, ms (median)", "", *op_table(bench)]
    lines += ["", "## Training steps: ms (median)", "", *step_table(bench)]
    lines += ["", f"Skipped for the time budget: {bench.get('skipped')}", ""]
    lines += ["## Distributed (xpnet.distributed under mpiexec)", ""]
    lines += [f"- {name}: {value}" for name, value in summary["distributed"].items()]
    lines += ["", "## GPU-only paths (pinned memory, empty_cache, budgets, floors, resume)", ""]
    lines += [f"- {name}: {value}" for name, value in summary["paths"].items()]
    return "\n".join(lines + [""])


def main() -> None:
    bench, smoke = load("bench.json"), load("smoke.json")
    env = load("env.json")
    summary = {
        "dry_run": DRY_RUN,
        "environment": env,
        "steps": steps_status(),
        "tests": load("tests.json"),
        "training": training("train.log"),
        "smoke": smoke,
        "targets": targets(bench, smoke, str(env.get("device"))),
        "distributed": load("distributed.json"),
        "paths": load("paths.json"),
    }
    save("summary.json", summary)
    text = markdown(summary, bench)
    (OUT / "summary.md").write_text(text)
    print(text)
