"""``xpnet.profiler``: which ranges it times (kernels, nested ones, ``record_function``), the
self-time arithmetic, PyTorch's table, schedule and trace files. Times themselves are never
pinned; names, counts and the sums that hold by construction are."""

from __future__ import annotations

import gzip
import json
import os

import numpy as np
import pytest
import torch

import xpnet
from xpnet.backends import get_backend
from xpnet.profiler import ProfilerAction, profile, record_function, schedule


def _step(size=8):
    conv = xpnet.nn.Conv2d(3, 4, 3)
    x = xpnet.autograd.Tensor(get_backend().asarray(np.ones((2, 3, size, size), np.float32)))
    return lambda: conv(x).relu().sum().backward()


def _rows(prof):
    return {row.key: row for row in prof.key_averages()}


def test_every_kernel_call_and_range_is_timed():
    step = _step()
    with profile() as prof:
        for _ in range(3):
            with record_function("train_step"):
                step()
    rows = _rows(prof)
    for name in ("train_step", "conv2d", "relu", "conv2d_backward", "relu_backward"):
        assert rows[name].count == 3, name
    with xpnet.profile() as counted:  # the counting profile sees the same outermost kernels
        step()
    assert {k: c.calls for k, c in counted.by_kernel.items() if c.calls} == {
        k: r.count // 3 for k, r in rows.items() if k != "train_step"
    }


def test_self_time_leaves_out_what_ran_inside():
    step = _step()
    with profile() as prof:
        with record_function("outer"):
            with record_function("inner"):
                step()
    rows = _rows(prof)
    inside = sum(r.cpu_time_total for k, r in rows.items() if k not in ("outer", "inner"))
    assert rows["outer"].self_cpu_time_total == pytest.approx(
        rows["outer"].cpu_time_total - rows["inner"].cpu_time_total, abs=1e-6
    )
    assert rows["inner"].self_cpu_time_total <= rows["inner"].cpu_time_total - inside + 1e-6
    total = sum(r.self_cpu_time_total for r in rows.values())
    assert total == pytest.approx(rows["outer"].cpu_time_total, rel=1e-9)
    for row in rows.values():
        assert 0 <= row.self_cpu_time_total <= row.cpu_time_total
        assert row.cpu_time == pytest.approx(row.cpu_time_total / row.count)


def _microseconds(text):
    for unit, scale in (("us", 1), ("ms", 1e3), ("s", 1e6)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    raise ValueError(text)


def test_table_is_torchs_layout():
    step = _step()
    with profile() as prof:
        step()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=2)
    lines = table.splitlines()
    with torch.profiler.profile() as theirs:
        torch.ones(3).exp()
    torch_lines = theirs.key_averages().table(row_limit=1).splitlines()
    assert lines[1].split() == torch_lines[1].split()  # the column names
    assert lines[-1].startswith("Self CPU time total: ") and len(lines) == 2 + 3 + 2
    assert table.count("%") == 2 + 2 * 2  # the header's two, and two per row
    rows = prof.key_averages().table(sort_by="self_cpu_time_total").splitlines()[3:-2]
    self_times = [_microseconds(row.split()[-5]) for row in rows]
    assert len(rows) == len(prof.key_averages()) and self_times == sorted(self_times)[::-1]
    with pytest.raises(ValueError, match="sort_by must be one of"):
        prof.key_averages().table(sort_by="cuda_time_total")


def test_schedule_is_torchs():
    ours = schedule(wait=1, warmup=2, active=3, repeat=2, skip_first=1)
    theirs = torch.profiler.schedule(wait=1, warmup=2, active=3, repeat=2, skip_first=1)
    assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)]
    with pytest.raises(ValueError, match="active >= 1"):
        schedule(wait=0, warmup=0, active=0)


def test_a_scheduled_profile_hands_over_the_recorded_steps():
    windows = []

    def ready(prof):
        windows.append(sorted(k for k in _rows(prof) if k.startswith("step")))

    step = _step()
    plan = schedule(wait=1, warmup=1, active=2, repeat=2)
    with profile(schedule=plan, on_trace_ready=ready) as prof:
        for index in range(9):
            with record_function(f"step{index}"):
                step()
            prof.step()
    assert windows == [["step2", "step3"], ["step6", "step7"]]
    assert plan(3) is ProfilerAction.RECORD_AND_SAVE


def test_traces_are_chrome_json(tmp_path):
    step = _step()
    with profile(
        activities=[xpnet.profiler.ProfilerActivity.CPU],
        on_trace_ready=xpnet.profiler.tensorboard_trace_handler(str(tmp_path / "tb"), "w0"),
    ) as prof:
        with record_function("forward"):
            step()
    prof.export_chrome_trace(tmp_path / "trace.json")
    prof.export_chrome_trace(str(tmp_path / "trace.json.gz"))
    events = json.loads((tmp_path / "trace.json").read_text())["traceEvents"]
    with gzip.open(tmp_path / "trace.json.gz", "rt") as file:
        assert json.load(file)["traceEvents"] == events
    assert {e["ph"] for e in events} == {"X"} and min(e["ts"] for e in events) == 0
    forward = next(e for e in events if e["name"] == "forward")
    assert all(forward["ts"] <= e["ts"] and e["dur"] <= forward["dur"] for e in events)
    (written,) = os.listdir(tmp_path / "tb")
    assert written.startswith("w0.") and written.endswith(".pt.trace.json")


def test_record_function_decorates_and_does_nothing_outside_a_profile():
    @record_function("helper")
    def helper():
        return xpnet.ones(2).exp()

    helper()  # no profile: nothing to record
    with profile() as outer, profile() as inner:
        helper()
        helper()
    assert _rows(outer)["helper"].count == _rows(inner)["helper"].count == 2
    with pytest.raises(TypeError, match="activities must be ProfilerActivity values"):
        profile(activities=["cpu"])


def test_record_shapes_groups_by_the_arguments_shapes_as_torch(tmp_path):
    conv = xpnet.nn.Conv2d(3, 4, 3)
    backend = get_backend()
    with profile(record_shapes=True) as prof:
        with record_function("block"):
            for n in (2, 2, 5):
                conv(xpnet.autograd.Tensor(backend.asarray(np.ones((n, 3, 8, 8), np.float32))))
    grouped = {(r.key, str(r.input_shapes)): r.count for r in prof.key_averages(True)}
    assert grouped == {
        ("block", "[]"): 1,
        ("conv2d", "[[2, 3, 8, 8], [4, 3, 3, 3], [4], [], [], [], []]"): 2,
        ("conv2d", "[[5, 3, 8, 8], [4, 3, 3, 3], [4], [], [], [], []]"): 1,
    }
    assert [r.input_shapes for r in prof.key_averages()] == ["", ""]  # not grouped
    table = prof.key_averages(group_by_input_shape=True).table().splitlines()
    with torch.profiler.profile(record_shapes=True) as theirs:
        torch.ones(3).exp()
    torch_head = theirs.key_averages(group_by_input_shape=True).table().splitlines()[1]
    assert table[1].split() == torch_head.split()  # "... # of Calls Input Shapes"
    assert table[4].endswith("[[2, 3, 8, 8], [4, 3, 3, 3], [4], [], [], [], []]")
    assert "Input Shapes" not in prof.key_averages().table()
    prof.export_chrome_trace(tmp_path / "trace.json")
    events = json.loads((tmp_path / "trace.json").read_text())["traceEvents"]
    assert {str(e["args"]["Input Dims"]) for e in events if e["name"] == "conv2d"} == {
        "[[2, 3, 8, 8], [4, 3, 3, 3], [4], [], [], [], []]",
        "[[5, 3, 8, 8], [4, 3, 3, 3], [4], [], [], [], []]",
    }


def test_record_shapes_takes_keyword_arguments_in_order():
    import xpnet.kernels as K

    backend = get_backend()
    x, w, b = (
        backend.asarray(np.ones(shape, np.float32)) for shape in ((1, 2, 4, 4), (3, 2, 2, 2), (3,))
    )
    with profile(record_shapes=True) as prof:
        K.conv2d(x, w, bias=b, stride=2)
    (row,) = prof.key_averages(group_by_input_shape=True)
    assert row.input_shapes == [[1, 2, 4, 4], [3, 2, 2, 2], [3], []]


def test_shapes_are_not_recorded_unless_asked():
    with profile() as prof:
        _step()()
    assert {str(r.input_shapes) for r in prof.key_averages(group_by_input_shape=True)} == {"[]"}
