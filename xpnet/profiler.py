"""Where the time goes, per kernel: ``torch.profiler`` on xpnet's kernels.

``with xpnet.profiler.profile() as prof:`` times every public kernel call inside the block
(``conv2d``, ``conv2d_backward``, ``batch_norm``, ...: the ``@kernel`` functions of
:mod:`xpnet.kernels`, forward and backward) and every :class:`record_function` range, on the
host's clock. ``prof.key_averages().table(sort_by="self_cpu_time_total")`` prints PyTorch's
table: per name, the self time (less the kernels it called), the total, the average and the
calls, with a kernel called inside another counted in both; ``prof.export_chrome_trace(path)``
writes the ranges for Perfetto or ``chrome://tracing``. ``schedule``/``step()``/
``on_trace_ready`` record chosen steps of a training loop, as PyTorch's.

Differences from PyTorch: the names are xpnet's kernels, not ATen's ops; time outside any
kernel (Python, autograd's bookkeeping, the optimizers' updates) shows only in ranges of
:class:`record_function`; on CuPy, kernels run asynchronously, so a kernel's time is the
host's (its launches, and any wait), not the device's: synchronize in a range to see device
time. ``record_shapes=True`` records each kernel call's argument shapes (``[]`` for one that
is not an array), which ``key_averages(group_by_input_shape=True)`` groups by and the table
and the trace show, as PyTorch's (whose ops are ATen's, with other arguments);
``profile_memory``, ``with_stack``, ``with_flops`` and ``with_modules`` are accepted and add
nothing. Counting launches and syncs is
:func:`xpnet.profile`'s (deterministic; this module's times are not).

Example:
    >>> import xpnet
    >>> from xpnet.profiler import profile, record_function
    >>> x = xpnet.ones(8, 3, 16, 16)
    >>> conv = xpnet.nn.Conv2d(3, 4, 3)
    >>> with profile() as prof:
    ...     with record_function("forward"):
    ...         y = conv(x).relu()
    >>> sorted(event.key for event in prof.key_averages())
    ['conv2d', 'forward', 'relu']
"""

from __future__ import annotations

import contextlib
import enum
import gzip
import json
import os
import socket
import threading
import time

from .backends._profile import begin_ranges, end_ranges, timing

__all__ = [
    "ProfilerAction",
    "ProfilerActivity",
    "profile",
    "record_function",
    "schedule",
    "tensorboard_trace_handler",
]


class ProfilerActivity(enum.Enum):
    """What PyTorch's profiler records: host ops, device kernels. xpnet times the host."""

    CPU = "CPU"
    CUDA = "CUDA"


class ProfilerAction(enum.Enum):
    """What a :func:`schedule` asks of a step, as PyTorch's."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0):
    """PyTorch's step schedule: skip ``skip_first`` steps, then cycles of ``wait`` idle,
    ``warmup`` and ``active`` recorded steps (the trace handed to ``on_trace_ready`` after
    the last), ``repeat`` cycles (0: for ever).

    Raises:
        ValueError: a negative count, or ``active`` below 1.
    """
    if min(wait, warmup, repeat, skip_first) < 0 or active < 1:
        msg = (
            "schedule: wait, warmup, repeat and skip_first must be >= 0 and active >= 1, got "
            f"wait={wait}, warmup={warmup}, active={active}, repeat={repeat}, "
            f"skip_first={skip_first}"
        )
        raise ValueError(msg)

    def action(step: int) -> ProfilerAction:
        step -= skip_first
        cycle = wait + warmup + active
        if step < 0 or (repeat > 0 and step // cycle >= repeat):
            return ProfilerAction.NONE
        place = step % cycle
        if place < wait:
            return ProfilerAction.NONE
        if place < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if place < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return action


class _Range:
    """One timed range: a kernel call or a :class:`record_function` block (nanoseconds)."""

    __slots__ = ("name", "shapes", "start", "end", "children", "thread")

    def __init__(self, name: str, shapes: list):
        self.name, self.shapes, self.thread, self.children = name, shapes, threading.get_ident(), 0
        self.start, self.end = time.perf_counter_ns(), None


class _Recorder:
    """The timer :func:`~xpnet.backends._profile.timing` tells of every kernel scope."""

    def __init__(self, record_shapes: bool = False):
        self.ranges: list[_Range] = []
        self.stack: list[_Range] = []
        self.recording, self.record_shapes = True, record_shapes

    def begin(self, name: str, arguments: tuple = ()):
        if not self.recording:
            return None
        shapes = [_shape(value) for value in arguments] if self.record_shapes else []
        opened = _Range(name, shapes)
        self.stack.append(opened)
        self.ranges.append(opened)
        return opened

    def end(self, opened) -> None:
        if opened is None or opened not in self.stack:  # begun before a reset
            return
        opened.end = time.perf_counter_ns()
        self.stack.remove(opened)
        if self.stack:  # the enclosing range's self time leaves this one out
            self.stack[-1].children += opened.end - opened.start


def _shape(value) -> list:
    """An argument's shape as PyTorch's ``input_shapes`` lists it: ``[]`` if not an array."""
    shape = getattr(value, "shape", None)
    return list(shape) if isinstance(shape, tuple) else []


class FunctionEventAvg:
    """The ranges of one name (and, grouped by input shape, of one ``input_shapes``), summed
    (PyTorch's): times in microseconds; ``input_shapes`` ``""`` when not grouped by them."""

    def __init__(self, key: str, input_shapes=""):
        self.key, self.input_shapes, self.count = key, input_shapes, 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0

    def add(self, total: float, self_time: float) -> None:
        self.count += 1
        self.cpu_time_total += total
        self.self_cpu_time_total += self_time

    @property
    def cpu_time(self) -> float:
        """The average time of one call."""
        return self.cpu_time_total / max(self.count, 1)

    @property
    def self_cpu_time(self) -> float:
        return self.self_cpu_time_total / max(self.count, 1)

    def __repr__(self) -> str:
        return (
            f"<FunctionEventAvg key={self.key} self_cpu_time={_text(self.self_cpu_time_total)} "
            f"cpu_time={_text(self.cpu_time_total)} count={self.count}>"
        )


_SORT_KEYS = ("cpu_time_total", "self_cpu_time_total", "cpu_time", "self_cpu_time", "count")


class EventList(list):
    """PyTorch's event list: :class:`FunctionEventAvg` rows with :meth:`table`."""

    def table(self, sort_by=None, row_limit: int = 100, max_name_column_width: int = 55, **_):
        """PyTorch's text table, sorted by ``sort_by`` (descending; ``None``: as recorded).

        Raises:
            ValueError: a ``sort_by`` other than ``cpu_time_total``,
                ``self_cpu_time_total``, ``cpu_time``, ``self_cpu_time``, ``count``.
        """
        rows = list(self)
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                msg = f"table: sort_by must be one of {', '.join(_SORT_KEYS)}, got {sort_by!r}"
                raise ValueError(msg)
            rows.sort(key=lambda row: getattr(row, sort_by), reverse=True)
        total = sum(row.self_cpu_time_total for row in self) or 1.0
        width = min(max([len(r.key) for r in rows] + [4]), max_name_column_width)
        columns = ("Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg")
        # PyTorch's last column, where some row has input shapes (grouped by them)
        shapes = max((len(str(r.input_shapes)) + 4 for r in rows if r.input_shapes), default=0)
        line = "  ".join(["-" * width] + ["-" * 12] * 6 + ["-" * shapes] * bool(shapes))
        head = [f"{'Name':<{width}}", *(f"{c:>12}" for c in columns), "  # of Calls"]
        head += [f"{'Input Shapes':>{shapes}}"] * bool(shapes)
        lines = [line, "  ".join(head), line]
        for row in rows[:row_limit]:
            cells = (
                f"{100 * row.self_cpu_time_total / total:.2f}%",
                _text(row.self_cpu_time_total),
                f"{100 * row.cpu_time_total / total:.2f}%",
                _text(row.cpu_time_total),
                _text(row.cpu_time),
                str(row.count),
            )
            cells = [f"{row.key[:width]:<{width}}", *(f"{c:>12}" for c in cells)]
            cells += [f"{str(row.input_shapes):>{shapes}}"] * bool(shapes)
            lines.append("  ".join(cells))
        lines += [line, f"Self CPU time total: {_text(sum(r.self_cpu_time_total for r in self))}"]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.table()


def _text(microseconds: float) -> str:
    """PyTorch's time format: ``1.234s``, ``5.678ms`` or ``9.012us``."""
    if microseconds >= 1e6:
        return f"{microseconds / 1e6:.3f}s"
    if microseconds >= 1e3:
        return f"{microseconds / 1e3:.3f}ms"
    return f"{microseconds:.3f}us"


class profile:  # noqa: N801 - PyTorch's name
    """Time the kernels and :class:`record_function` ranges of a block (see
    :mod:`xpnet.profiler`), with ``torch.profiler.profile``'s arguments.

    Args:
        activities: :class:`ProfilerActivity` values; both are timed on the host.
        schedule: a :func:`schedule`; with it only the steps it marks are recorded, a
            :meth:`step` call ending each step. Default: every step.
        on_trace_ready: called with the profile after each recorded window (and at exit if
            recording), e.g. :func:`tensorboard_trace_handler`.
        record_shapes: record each kernel call's argument shapes (see
            :meth:`key_averages`). Default: ``False``.
        profile_memory, with_stack, with_flops, with_modules, **kwargs: PyTorch's options,
            accepted; they add nothing here.
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False,
                 with_flops=False, with_modules=False, **kwargs):  # fmt: skip
        for activity in activities or ():
            if not isinstance(activity, ProfilerActivity):
                msg = f"profile: activities must be ProfilerActivity values, got {activity!r}"
                raise TypeError(msg)
        self.schedule, self.on_trace_ready = schedule, on_trace_ready
        self.step_num, self.blocks = 0, contextlib.ExitStack()
        self.recorder = _Recorder(bool(record_shapes))

    def _action(self) -> ProfilerAction:
        return self.schedule(self.step_num) if self.schedule else ProfilerAction.RECORD

    def __enter__(self) -> profile:
        self.blocks.enter_context(timing(self.recorder))
        self.recorder.recording = self._action() in _RECORDING
        return self

    def __exit__(self, *exc_info) -> None:
        self.blocks.close()
        if self.recorder.recording and self.on_trace_ready is not None:
            self.on_trace_ready(self)
        self.recorder.recording = False

    def step(self) -> None:
        """End one step of a :func:`schedule`d profile."""
        before = self._action()
        self.step_num += 1
        after = self._action()
        if before is ProfilerAction.RECORD_AND_SAVE and self.on_trace_ready is not None:
            self.on_trace_ready(self)
        if after in _RECORDING and before not in (ProfilerAction.RECORD,):
            self.recorder.ranges, self.recorder.stack = [], []  # a new window
        self.recorder.recording = after in _RECORDING

    def _finished(self) -> list[_Range]:
        return [r for r in self.recorder.ranges if r.end is not None]

    def key_averages(self, group_by_input_shape: bool = False, **_) -> EventList:
        """The ranges summed per name (and per argument shapes with
        ``group_by_input_shape``, from ``record_shapes=True``), in the order each first ran."""
        averages: dict[tuple, FunctionEventAvg] = {}
        for r in self._finished():
            shapes = r.shapes if group_by_input_shape else ""
            key = (r.name, str(shapes))
            if key not in averages:
                averages[key] = FunctionEventAvg(r.name, shapes)
            total = (r.end - r.start) / 1e3
            averages[key].add(total, total - r.children / 1e3)
        return EventList(averages.values())

    def export_chrome_trace(self, path) -> None:
        """Write the ranges as a Chrome trace (JSON): load it in Perfetto or chrome://tracing."""
        ranges = self._finished()
        origin = min((r.start for r in ranges), default=0)
        events = [
            {"ph": "X", "cat": "cpu_op", "name": r.name, "pid": os.getpid(), "tid": r.thread,
             "ts": (r.start - origin) / 1e3, "dur": (r.end - r.start) / 1e3,
             "args": {"Input Dims": r.shapes} if self.recorder.record_shapes else {}}
            for r in ranges
        ]  # fmt: skip
        text = json.dumps({"traceEvents": events, "displayTimeUnit": "ms"})
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "wt") as file:
            file.write(text)


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


class record_function(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """A named range in the open profiles (a context manager or a decorator), as PyTorch's:
    its time, and the kernels inside it, appear under ``name``."""

    def __init__(self, name: str, args=None):
        self.name, self.opened = name, []

    def __enter__(self) -> record_function:
        self.opened.append(begin_ranges(self.name))  # a stack: a decorator may recurse
        return self

    def __exit__(self, *exc_info) -> None:
        end_ranges(self.opened.pop())


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None, use_gzip=False):
    """An ``on_trace_ready`` that writes each window's Chrome trace into ``dir_name`` as
    ``{worker_name}.{time in ms}.pt.trace.json`` (``.gz`` with ``use_gzip``), as PyTorch's:
    TensorBoard's profiler plugin and Perfetto read them."""
    worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"

    def handler(prof: profile) -> None:
        os.makedirs(dir_name, exist_ok=True)
        name = f"{worker}.{time.time_ns() // 1_000_000}.pt.trace.json"
        prof.export_chrome_trace(os.path.join(dir_name, name + (".gz" if use_gzip else "")))

    return handler
