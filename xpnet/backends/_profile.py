"""Counting device work: :func:`profile`, the :class:`Profile` it returns, and the kernel scope.

``with xpnet.profile() as p:`` counts, per public kernel and in total, what the code inside
asks of the device: kernel *launches*, *host-to-device* and *device-to-host* copies, and
*syncs* (the host waiting for the device). Counts are deterministic: a test may pin them.

Who counts. A backend counts if it has a ``profiling()`` hook (:mod:`._base`); today that is
the strict backend (:mod:`.strict`), the CuPy emulator, which reports every call to
:func:`record` and, inside ``profiling()``, cuts work into CuPy's blocks (one block: no
batch blocking), so that its counts stand for the launches CuPy would make. NumPy's arrays
are NumPy's own and cannot report (counts are ``None``; kernel ``calls`` still count), and
CuPy's would need a wrapper around every array: counting is strict-only, and on a GPU one
counts by running the same code on strict.

The counting model (the strict backend's, written down in :mod:`.strict._counting`):

- one launch per namespace call or method that produces an array in new memory (reductions,
  ``matmul``, ``einsum`` and ``fft`` included, though CuPy may run two or more kernels for
  one: a split reduction, cuBLAS's, cuFFT's), per operator (``x + y``, ``-x``, ``x += y``),
  per ufunc call (also with ``out=``), per in-place writer (``copyto``, ``x[i] = v``,
  ``fill``, ``scatter_add``), per random draw, per copy (``astype`` or ``reshape`` that
  copies, advanced indexing);
- no launch for views (slicing, ``reshape`` without a copy, ``transpose``, ``as_strided``,
  ``broadcast_to``), for ``empty`` (an allocation) or for shape queries;
- a host-to-device copy per ``xp.asarray``/``xp.array``/``backend.asarray`` of host data
  (NumPy arrays, lists, Python scalars);
- a device-to-host copy per ``backend.to_host``, ``x.get()``, ``float(x)``, ``bool(x)``,
  ``x.item()``, ``x.tolist()``, printing, and per output-size query of ``nonzero``,
  ``unique``, boolean-mask indexing (CuPy copies the count to the host); every one of them
  also waits for the device, so it counts as a sync too;
- a sync per ``backend.synchronize()``.

Per kernel: a public kernel (``@kernel`` in :mod:`xpnet.kernels._checks`) runs inside
:func:`kernel_scope`, and what happens inside goes to the outermost kernel's name; the rest
(autograd's gradient sums, optimizer updates, copies to and from the host) goes to
:data:`OUTSIDE_KERNELS`. Profiles nest (the outer one counts the inner one's work too), hold
per thread and per asyncio task (context variables; the strict backend runs its blocks on the
calling thread), and close on exceptions.

Neighbours: :mod:`._registry` (the current backend a profile counts on), :mod:`._runtime`
(the host-sync guard that ``@kernel`` also enters); ``xpnet.bench`` reports counts with
``--count``.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from types import ModuleType

from ._registry import get_backend, load_backend

__all__ = [
    "EVENTS",
    "OUTSIDE_KERNELS",
    "Counts",
    "KernelScope",
    "Profile",
    "is_profiling",
    "kernel_scope",
    "not_counting",
    "begin_ranges",
    "end_ranges",
    "profile",
    "record",
    "timing",
]

OUTSIDE_KERNELS = "(outside kernels)"  # the by_kernel key of work no public kernel did
EVENTS = ("launches", "host_to_device", "device_to_host", "syncs")  # what backends record
_open: contextvars.ContextVar[tuple] = contextvars.ContextVar("xpnet_profiles", default=())
# the open timers (xpnet.profiler.profile): each is told when a kernel scope begins and ends
_timers: contextvars.ContextVar[tuple] = contextvars.ContextVar("xpnet_timers", default=())
_kernel: contextvars.ContextVar[str | None] = contextvars.ContextVar("xpnet_kernel", default=None)


@dataclasses.dataclass
class Counts:
    """What one kernel (or a whole profile) did: the device counts are ``None`` where the
    backend cannot count (see :func:`profile`)."""

    calls: int = 0
    launches: int | None = 0
    host_to_device: int | None = 0
    device_to_host: int | None = 0
    syncs: int | None = 0


def is_profiling() -> bool:
    """Whether a :func:`profile` is open (on this thread): backends skip counting otherwise."""
    return bool(_open.get())


def record(event: str, count: int = 1) -> None:
    """Add ``count`` ``event`` (one of :data:`EVENTS`) to every open profile that counts,
    under the kernel running now. A backend that counts calls this; nothing when none is open.
    """
    profiles = _open.get()
    if profiles:
        kernel = _kernel.get() or OUTSIDE_KERNELS
        for opened in profiles:
            opened.add(kernel, event, count)


@contextlib.contextmanager
def not_counting():
    """A context in which :func:`record` counts nothing (on this thread): a backend's fused
    call runs its many xp calls inside it and then records the one launch it stands for."""
    token = _open.set(())
    try:
        yield
    finally:
        _open.reset(token)


class KernelScope:
    """The context of :func:`kernel_scope` (a class: it is entered on every kernel call)."""

    __slots__ = ("name", "args", "kwargs", "token", "timed")

    def __init__(self, name: str, args: tuple = (), kwargs=None):
        self.name, self.args, self.kwargs, self.token, self.timed = name, args, kwargs, None, ()

    def __enter__(self):
        # only the outermost kernel is named; without an open profile nothing to do
        if _open.get() and _kernel.get() is None:
            self.token = _kernel.set(self.name)
            record("calls")
        # every kernel, nested ones too (self times); its arguments for record_shapes
        self.timed = begin_ranges(self.name, self.args, self.kwargs)
        return self

    def __exit__(self, *exc_info):
        if self.token is not None:
            _kernel.reset(self.token)
            self.token = None
        end_ranges(self.timed)
        self.timed = ()


@contextlib.contextmanager
def timing(timer):
    """A block in which ``timer`` (``begin(name, arguments) -> token``, ``end(token)``) is
    told of every kernel scope on this thread: :mod:`xpnet.profiler`'s hook."""
    token = _timers.set((*_timers.get(), timer))
    try:
        yield timer
    finally:
        _timers.reset(token)


def begin_ranges(name: str, args: tuple = (), kwargs=None) -> tuple:
    """Tell each timer open on this thread that a range ``name`` begins (a kernel's, called
    with ``args`` and ``kwargs``); what :func:`end_ranges` needs to end them (empty, and
    nearly free, when none is open)."""
    timers = _timers.get()
    if not timers:
        return ()
    arguments = (*args, *kwargs.values()) if kwargs else args
    return tuple((timer, timer.begin(name, arguments)) for timer in timers)


def end_ranges(begun: tuple) -> None:
    """End the ranges :func:`begin_ranges` began, innermost timer first."""
    for timer, started in reversed(begun):
        timer.end(started)


def kernel_scope(name: str, args: tuple = (), kwargs=None) -> KernelScope:
    """A context naming the public kernel that runs inside it, for :func:`profile`'s
    ``by_kernel`` (``@kernel`` enters it; ``args``, ``kwargs``: the call's, whose shapes
    ``xpnet.profiler.profile(record_shapes=True)`` records). Nested scopes keep the
    outermost name."""
    return KernelScope(name, args, kwargs)


class Profile:
    """The counts of one :func:`profile` block; see :mod:`xpnet.backends._profile`.

    Attributes:
        backend: the name of the backend counted on.
        counting: whether that backend counts device work (else those counts are ``None``).
        by_kernel: ``{kernel name: Counts}`` in the order the kernels first ran, with
            :data:`OUTSIDE_KERNELS` for work outside any public kernel.
    """

    def __init__(self, backend: ModuleType):
        self.backend = backend.name
        self.hook = getattr(backend, "profiling", None)  # None: this backend cannot count
        self.counting = self.hook is not None
        self.by_kernel: dict[str, Counts] = {}
        self.entered: list[tuple] = []

    def add(self, kernel: str, event: str, count: int = 1) -> None:
        """Count ``count`` ``event`` (``"calls"`` or one of :data:`EVENTS`) for ``kernel``."""
        if event != "calls" and not self.counting:
            return
        counts = self.by_kernel.get(kernel)
        if counts is None:
            counts = self.by_kernel[kernel] = self.empty_counts()
        setattr(counts, event, getattr(counts, event) + count)

    def empty_counts(self) -> Counts:
        return Counts() if self.counting else Counts(0, None, None, None, None)

    def __enter__(self) -> Profile:
        stack = contextlib.ExitStack()
        if self.hook is not None:
            stack.enter_context(self.hook())
        self.entered.append((stack, _open.set((*_open.get(), self))))
        return self

    def __exit__(self, *exc_info) -> None:
        stack, token = self.entered.pop()
        _open.reset(token)
        stack.close()

    def total(self) -> Counts:
        """The counts summed over every kernel and the work outside them."""
        total = self.empty_counts()
        for counts in self.by_kernel.values():
            for field in ("calls", *EVENTS) if self.counting else ("calls",):
                setattr(total, field, getattr(total, field) + getattr(counts, field))
        return total

    @property
    def calls(self) -> int:
        """Public kernel calls (outermost ones: a kernel calling another counts once)."""
        return self.total().calls

    @property
    def launches(self) -> int | None:
        """Kernel launches, or ``None`` where the backend cannot count them."""
        return self.total().launches

    @property
    def host_to_device(self) -> int | None:
        """Copies from the host to the device, or ``None`` where the backend cannot count."""
        return self.total().host_to_device

    @property
    def device_to_host(self) -> int | None:
        """Copies from the device to the host, or ``None`` where the backend cannot count."""
        return self.total().device_to_host

    @property
    def syncs(self) -> int | None:
        """Times the host waited for the device, or ``None`` where the backend cannot count."""
        return self.total().syncs

    def table(self) -> str:
        """The counts per kernel and in total, as a fixed-width text table."""
        rows = [*self.by_kernel.items(), ("total", self.total())]
        width = max(len(name) for name, _ in rows)
        header = f"{'kernel':<{width}} {'calls':>6} {'launches':>9} {'to device':>10} "
        header += f"{'to host':>8} {'syncs':>6}"
        lines = [header, "-" * len(header)]
        for name, counts in rows:
            cells = [counts.launches, counts.host_to_device, counts.device_to_host, counts.syncs]
            launches, to_device, to_host, syncs = ("-" if c is None else c for c in cells)
            lines.append(
                f"{name:<{width}} {counts.calls:>6} {launches:>9} {to_device:>10} "
                f"{to_host:>8} {syncs:>6}"
            )
        return "\n".join(lines)

    __str__ = table

    def __repr__(self) -> str:
        total = self.total()
        fields = ", ".join(f"{f}={getattr(total, f)}" for f in ("calls", *EVENTS))
        return f"Profile(backend={self.backend!r}, {fields})"


def profile(backend: str | ModuleType | None = None) -> Profile:
    """Count the device work of a block of code, per kernel and in total.

    On the strict backend the counts stand for CuPy's: inside the block it runs kernels in
    CuPy's blocks (one per call) and counts as :mod:`xpnet.backends._profile` describes.
    Other backends report kernel ``calls`` only; their device counts are ``None``.

    Args:
        backend: the backend to count on, a name or a backend module. Default: the current
            backend (:func:`xpnet.use_backend`, ``XPNET_BACKEND``).

    Returns:
        A :class:`Profile`, to use in a ``with`` block; its counts are read after (or during)
        the block: ``launches``, ``host_to_device``, ``device_to_host``, ``syncs``, ``calls``,
        ``by_kernel`` and ``table()``.

    Example:
        >>> import xpnet
        >>> strict = xpnet.backends.load_backend("strict")
        >>> with profile("strict") as p:
        ...     x = strict.asarray([[-1.0, 2.0], [3.0, -4.0]])
        ...     y = xpnet.kernels.relu(x)
        ...     host = strict.to_host(y.sum())
        >>> p.host_to_device, p.launches, p.device_to_host, p.syncs
        (1, 2, 1, 1)
        >>> with profile("numpy") as q:
        ...     y = xpnet.kernels.relu(strict.to_host(x))
        >>> q.launches is None
        True
    """
    if backend is None:
        backend = get_backend()
    elif isinstance(backend, str):
        backend = load_backend(backend)
    return Profile(backend)
