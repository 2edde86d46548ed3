"""The communicator interface every engine implements, and the checks they share.

A :class:`Communicator` knows its ``rank``, ``world_size`` and ``local_rank`` and runs four
collectives on backend arrays: :meth:`~Communicator.all_reduce`, :meth:`~Communicator.broadcast`,
:meth:`~Communicator.all_gather` and :meth:`~Communicator.barrier`. The public methods here
validate the call the way the strictest engine would (NCCL's dtypes and reductions, MPI's
same-shape rule), number it, and, before the data moves, exchange a small header with the
other ranks so that ranks issuing different collectives (a rank-0-only code path) get a
:class:`DistributedError` naming every rank's call instead of a hang or garbage. Engines
implement the ``_exchange`` (headers) and ``_all_reduce``/``_broadcast``/``_all_gather``
primitives on host or device buffers, each bounded by :attr:`Communicator.timeout`.
"""

from __future__ import annotations

import numpy

from ..autograd import Tensor
from ..backends import backend_of

__all__ = ["DEFAULT_TIMEOUT", "KINDS", "OPS", "Communicator", "DistributedError", "ReduceOp"]

DEFAULT_TIMEOUT = 300.0  # seconds a collective may wait for the other ranks
KINDS = ("all_reduce", "broadcast", "all_gather", "barrier", "object")
# reductions every engine offers (NCCL's ncclSum/Max/Min/Prod/Avg)
OPS = ("sum", "max", "min", "prod", "avg")
# the dtypes NCCL can reduce; MPI could do more, but a script must run on both engines
DTYPES = ("float16", "float32", "float64", "int8", "uint8", "int32", "uint32", "int64", "uint64")
_MAX_DIMS = 4  # dimensions a header spells out (more are summarised by the size)
HEADER_SIZE = 7 + _MAX_DIMS
_MAGIC = 0x78706E6574  # "xpnet": a header that lacks it did not come from xpnet


class DistributedError(RuntimeError):
    """A collective that cannot complete: ranks disagree, a rank left, or a deadline passed."""


class ReduceOp:
    """Names of the reductions, as ``torch.distributed.ReduceOp`` (plain strings work too)."""

    SUM = "sum"
    MAX = "max"
    MIN = "min"
    PRODUCT = "prod"
    AVG = "avg"


class Communicator:
    """A group of ``world_size`` processes that run collectives together (one per rank).

    Attributes:
        engine: ``"mpi"``, ``"nccl"`` or ``"fake"``.
        rank, world_size: this process's index and the number of processes.
        local_rank, local_world_size: the same among the processes of this machine.
        timeout: seconds any collective may wait before the job is aborted.
        check: exchange a header before each collective to detect mismatched calls.
        sequence: how many collectives this rank has issued.
    """

    engine = "base"

    def __init__(self, rank, world_size, local_rank, local_world_size, timeout, check=True):
        self.rank, self.world_size = rank, world_size
        self.local_rank, self.local_world_size = local_rank, local_world_size
        self.timeout = float(timeout)
        self.check = check
        self.sequence = 0

    # -- the public collectives ----------------------------------------------------------------
    def all_reduce(self, array, op: str = "sum"):
        """Reduce ``array`` over all ranks, in place (as ``torch.distributed.all_reduce``);
        returns it. ``op``: one of :data:`OPS` (``"avg"`` divides the sum by the ranks)."""
        array = self._check_array("all_reduce", array, writable=True)
        if op not in OPS:
            msg = f"all_reduce: op must be one of {', '.join(OPS)}, got {op!r}"
            raise ValueError(msg)
        if op == "avg" and array.dtype.kind != "f":
            msg = f"all_reduce: op='avg' needs a floating-point array, got {array.dtype}"
            raise TypeError(msg)
        self._announce("all_reduce", array, op=OPS.index(op))
        return self._all_reduce(array, op)

    def broadcast(self, array, src: int = 0):
        """Copy rank ``src``'s ``array`` into ``array`` on every rank, in place; returns it."""
        array = self._check_array("broadcast", array, writable=True)
        self._check_rank("broadcast", "src", src)
        self._announce("broadcast", array, root=src)
        return self._broadcast(array, src)

    def all_gather(self, array):
        """Every rank's ``array`` stacked in rank order: a new array (world_size, \\*shape)
        (``torch.distributed.all_gather_into_tensor``); all ranks give the same shape."""
        array = self._check_array("all_gather", array, writable=False)
        self._announce("all_gather", array)
        return self._all_gather(array)

    def barrier(self) -> None:
        """Return once every rank has called it (bounded by :attr:`timeout`)."""
        self._announce("barrier", None)
        if not self.check:  # the header exchange is a barrier already
            self._exchange(numpy.zeros(HEADER_SIZE, dtype=numpy.int64), "barrier")

    def broadcast_object(self, obj, src: int = 0):
        """Rank ``src``'s picklable ``obj`` on every rank (the control plane: small data)."""
        self._check_rank("broadcast_object", "src", src)
        self._announce("object", None, root=src)
        return self._broadcast_object(obj, src)

    # -- shared checks ---------------------------------------------------------------------------
    def _check_array(self, where, array, writable):
        if isinstance(array, Tensor):
            array = array.array
        try:
            backend_of(array, names=("array",), where=where)
        except TypeError:
            msg = f"{where}: array must be a backend array or Tensor, got {type(array).__name__}"
            raise TypeError(msg) from None
        if str(array.dtype) not in DTYPES:
            msg = f"{where}: array dtype must be one of {', '.join(DTYPES)}, got {array.dtype}"
            raise TypeError(msg)
        # CuPy's flags have no writeable: device arrays always are
        if writable and not getattr(getattr(array, "flags", None), "writeable", True):
            msg = f"{where}: array must be writable (the result is written in place)"
            raise ValueError(msg)
        return array

    def _check_rank(self, where, name, value):
        if not isinstance(value, int) or isinstance(value, bool):
            msg = f"{where}: {name} must be an int rank, got {value!r}"
            raise TypeError(msg)
        if not 0 <= value < self.world_size:
            msg = f"{where}: {name} must be in [0, {self.world_size}), got {value}"
            raise ValueError(msg)

    def _announce(self, kind, array, op=0, root=0) -> None:
        """Number this collective and, with :attr:`check`, compare it with the other ranks'."""
        self.sequence += 1
        header = numpy.full(HEADER_SIZE, -1, dtype=numpy.int64)
        header[:4] = self.sequence, KINDS.index(kind), op, root
        header[-1] = _MAGIC
        if array is not None:
            header[4] = DTYPES.index(str(array.dtype))
            header[5] = array.size
            shape = array.shape[:_MAX_DIMS]
            header[6 : 6 + len(shape)] = shape
        if not self.check:
            return
        headers = self._exchange(header, kind)
        strangers = [r for r, row in enumerate(headers) if row[-1] != _MAGIC]
        if strangers:
            msg = (
                f"xpnet.distributed: rank {self.rank} in {kind} (collective #{self.sequence}): "
                f"rank {strangers[0]} is not taking part (it left the job or called MPI itself)"
            )
            raise DistributedError(msg)
        if not (headers == headers[0]).all():
            calls = "; ".join(f"rank {r}: {describe(row)}" for r, row in enumerate(headers))
            msg = (
                f"xpnet.distributed: ranks issued different collectives (rank {self.rank}, "
                f"collective #{self.sequence}): {calls}"
            )
            raise DistributedError(msg)

    def deadline_message(self, kind: str, detail: str = "") -> str:
        """What a rank says when collective ``kind`` passed its deadline."""
        return (
            f"xpnet.distributed: rank {self.rank} of {self.world_size}: {kind} "
            f"(collective #{self.sequence}) did not complete within {self.timeout:g} s"
            f"{detail}; aborting the job (set the deadline with "
            "xpnet.distributed.init(timeout=...) or XPNET_DISTRIBUTED_TIMEOUT)"
        )

    # -- what an engine implements ---------------------------------------------------------------
    def _exchange(self, header, kind):  # (world_size, HEADER_SIZE) int64 headers
        raise NotImplementedError

    def _all_reduce(self, array, op):
        raise NotImplementedError

    def _broadcast(self, array, src):
        raise NotImplementedError

    def _all_gather(self, array):
        raise NotImplementedError

    def _broadcast_object(self, obj, src):
        raise NotImplementedError

    def abort(self, message: str, code: int = 1) -> None:
        """End the whole job now, every rank, after printing ``message``."""
        raise NotImplementedError

    def finalize(self) -> None:
        """Leave the job in order (every rank calls it at exit)."""


def describe(header) -> str:
    """A header as the call it stands for: ``all_reduce(float32, shape (3, 4), op=sum)``."""
    kind = KINDS[int(header[1])]
    if kind == "barrier":
        return f"barrier() #{header[0]}"
    if kind == "object":
        return f"broadcast_object(src={header[3]}) #{header[0]}"
    dims = [int(d) for d in header[6:-1] if d >= 0]
    shape = tuple(dims) if len(dims) < _MAX_DIMS else f"{tuple(dims)}..., size {header[5]}"
    extra = {"all_reduce": f", op={OPS[int(header[2])]}", "broadcast": f", src={header[3]}"}
    return f"{kind}({DTYPES[int(header[4])]}, shape {shape}{extra.get(kind, '')}) #{header[0]}"


def reduce_host(arrays, op: str):
    """Reduce a sequence of same-shape host arrays with ``op`` (the fake engine's arithmetic)."""
    stacked = numpy.stack(arrays)
    if op in ("sum", "avg"):
        total = stacked.sum(axis=0, dtype=stacked.dtype)
        return total / len(arrays) if op == "avg" else total
    return {"max": numpy.max, "min": numpy.min, "prod": numpy.prod}[op](stacked, axis=0)
