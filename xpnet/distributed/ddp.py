"""``DistributedDataParallel``: PyTorch's data-parallel wrapper on xpnet's communicators.

At construction every parameter and buffer is broadcast from rank 0. During a forward that
records a graph, each parameter reaches the wrapped module through an identity node (a
*gate*); in the backward pass a gate runs once its parameter's gradient is complete, which
is what PyTorch's per-parameter autograd hooks give DDP. The gradients are packed into flat
buckets (about ``bucket_cap_mb`` each, one dtype each, parameters in reverse order as they
tend to become ready) and each bucket is all-reduced once, always in the same order on
every rank; the leaves then receive the reduced gradients. Inside :meth:`no_sync` the
gradients only accumulate locally, and the next synchronised backward reduces the sum.
"""

from __future__ import annotations

import contextlib

from ..autograd import Function, Tensor, data_of, is_grad_enabled
from ..backends import backend_of
from ..nn.module import Module
from ._state import current

__all__ = [
    "DistributedDataParallel",
    "average_buffers",
    "broadcast_coalesced",
    "sync_module_states",
]


def sync_module_states(module, src: int = 0) -> None:
    """Broadcast ``module``'s parameters and buffers from rank ``src`` to every rank."""
    comm = current()
    for param in module.parameters():
        comm.broadcast(param.array, src)
    for buffer in module.buffers():
        comm.broadcast(buffer, src)


def broadcast_coalesced(arrays, src: int = 0) -> None:
    """Broadcast ``arrays`` from rank ``src`` in place, one collective per dtype (a model's
    buffers before every forward: one message instead of one per buffer)."""
    by_dtype: dict = {}
    for array in arrays:
        by_dtype.setdefault(str(array.dtype), []).append(array)
    for group in by_dtype.values():
        xp = _namespace(group[0])
        flat = xp.concatenate([array.reshape(-1) for array in group])
        current().broadcast(flat, src)
        for array, value in zip(group, _pieces(flat, group), strict=True):
            array[...] = value


def _pieces(flat, arrays):
    """Views of ``flat``, one per array of ``arrays`` in order, each of that array's shape:
    what a coalesced collective of them holds for each."""
    offset = 0
    for array in arrays:
        yield flat[offset : offset + array.size].reshape(array.shape)
        offset += array.size


def average_buffers(module) -> None:
    """Average the floating-point buffers (BatchNorm's running statistics) over the ranks, so
    that evaluation and checkpoints see the same model on every rank."""
    comm = current()
    for buffer in module.buffers():
        if buffer.dtype.kind == "f":
            comm.all_reduce(buffer, "avg")


def plan_buckets(params, cap_bytes: int) -> list[list[int]]:
    """Parameter indices grouped into buckets of at most ``cap_bytes`` (a larger parameter
    gets one alone) and one dtype, in reverse order of ``params``."""
    buckets: list[list[int]] = []
    size, dtype = 0, None
    for index in reversed(range(len(params))):
        data = params[index].array
        if not buckets or size + data.nbytes > cap_bytes or data.dtype != dtype:
            buckets.append([])
            size, dtype = 0, data.dtype
        buckets[-1].append(index)
        size += data.nbytes
    return buckets


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``loss.backward()`` leaves every rank the reduced gradients.

    Args:
        module: the model (the same on every rank; rank 0's values are broadcast).
        device_ids: accepted for PyTorch's signature: ``None`` or one device (each rank's
            GPU is chosen by :func:`xpnet.distributed.init`). Default: ``None``.
        output_device: accepted for PyTorch's signature; unused. Default: ``None``.
        dim: the batch dimension; only 0. Default: 0.
        broadcast_buffers: before each synchronised forward, copy rank 0's buffers
            (BatchNorm's running statistics) to every rank, as PyTorch. Default: ``True``.
        process_group: must be ``None`` (the whole job). Default: ``None``.
        bucket_cap_mb: size of a gradient bucket in MiB. Default: 25.
        find_unused_parameters: after each forward, find the parameters the output does not
            depend on and reduce them as ready (zeros from this rank); a parameter no rank
            used keeps its ``.grad``. Default: ``False`` (every parameter must get a
            gradient in the backward, or the next forward raises, as PyTorch).
        gradient_op: ``"avg"`` (PyTorch's behaviour: the mean over ranks of each rank's
            gradient) or ``"sum"`` (when each rank's loss is already divided by the global
            batch, as ``xpnet train`` does). Default: ``"avg"``.

    Raises:
        RuntimeError: if ``xpnet.distributed`` is not initialized.
        ValueError: for several ``device_ids``, a ``dim`` other than 0, a ``process_group``
            or an unknown ``gradient_op``.

    Example:
        >>> import xpnet
        >>> from xpnet.distributed.fake import run_ranks
        >>> def job():
        ...     model = DistributedDataParallel(xpnet.nn.Linear(2, 1))
        ...     model(xpnet.Tensor(np.ones((1, 2), dtype="float32"))).sum().backward()
        ...     return model.module.bias.grad.tolist()
        >>> run_ranks(job)
        [[1.0], [1.0]]
    """

    def __init__(
        self,
        module,
        device_ids=None,
        output_device=None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        process_group=None,
        bucket_cap_mb: float = 25.0,
        find_unused_parameters: bool = False,
        *,
        gradient_op: str = "avg",
    ):
        super().__init__()
        if current() is None:
            msg = "DistributedDataParallel: call xpnet.distributed.init() first"
            raise RuntimeError(msg)
        _check_arguments(device_ids, dim, process_group, gradient_op)
        self.module = module
        self.gradient_op = gradient_op
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        # as PyTorch: buffers are broadcast before a forward that follows a synchronised one
        self.require_forward_param_sync = True
        sync_module_states(module)
        params = [p for p in module.parameters() if p.requires_grad]
        buckets = self._buckets_for(params, bucket_cap_mb)
        self._state = _Reducer(params, buckets, gradient_op, find_unused_parameters)

    @staticmethod
    def _buckets_for(params, bucket_cap_mb):
        return plan_buckets(params, int(bucket_cap_mb * 2**20))

    @property
    def buckets(self) -> list[list[int]]:
        """The parameter indices (``module.parameters()`` order) of each bucket, in the order
        they are all-reduced."""
        return self._state.buckets

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward passes accumulate gradients locally, without communication."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def forward(self, *args, **kwargs):
        if self.broadcast_buffers and self.require_forward_param_sync:
            broadcast_coalesced(list(self.module.buffers()))
        sync = is_grad_enabled() and self.require_backward_grad_sync
        self.require_forward_param_sync = sync
        if not sync:
            return self.module(*args, **kwargs)
        self._state.start()
        with self._state.gated(self.module):
            output = self.module(*args, **kwargs)
        self._state.after_forward(output)
        return output


def _check_arguments(device_ids, dim, process_group, gradient_op) -> None:
    where = "DistributedDataParallel"
    if device_ids is not None and len(device_ids) > 1:
        msg = f"{where}: device_ids must be None or hold one device, got {device_ids!r}"
        raise ValueError(msg)
    if dim != 0:
        msg = f"{where}: dim must be 0 (the batch dimension), got {dim!r}"
        raise ValueError(msg)
    if process_group is not None:
        msg = f"{where}: process_group must be None (the whole job), got a group"
        raise ValueError(msg)
    if gradient_op not in ("avg", "sum"):
        msg = f"{where}: gradient_op must be 'avg' or 'sum', got {gradient_op!r}"
        raise ValueError(msg)


class _Reducer:
    """The gradient buckets of one wrapped module and their progress in a backward pass."""

    def __init__(self, params, buckets, gradient_op, find_unused=False):
        self.params, self.buckets, self.gradient_op = params, buckets, gradient_op
        self.find_unused = find_unused
        self.bucket_of = {i: b for b, bucket in enumerate(buckets) for i in bucket}
        self.index_of = {id(p): i for i, p in enumerate(params)}
        self.gate = Function(_gate_forward, self.arrived, wrt=("input",))
        self.expected: set[int] = set()
        self.ready: dict[int, object] = {}
        self.gates: dict[int, object] = {}  # id(gate output) -> parameter index
        self.unused: dict[int, bool] = {}  # unused here -> used on another rank
        self.arrivals = 0  # gradients arrived in this backward
        self.next_bucket = len(buckets)

    def start(self) -> None:
        # a forward without a backward (evaluation with grad enabled) is fine, as in PyTorch;
        # a backward that left buckets unreduced is not
        if self.arrivals and self.next_bucket < len(self.buckets):
            missing = sorted(self.expected - set(self.ready))
            msg = (
                "DistributedDataParallel: expected to have finished reduction in the prior "
                f"iteration; parameters {missing} (module.parameters() order) got no gradient. "
                "Every parameter used in the forward must contribute to the loss, or pass "
                "find_unused_parameters=True"
            )
            raise RuntimeError(msg)
        self.ready, self.next_bucket, self.expected = {}, 0, set()
        self.gates, self.unused, self.arrivals = {}, {}, 0

    @contextlib.contextmanager
    def gated(self, module):
        """Inside, ``module``'s parameters are replaced by gate nodes (restored after)."""
        swapped, made = [], {}
        for sub in module.modules():
            for name, param in sub._parameters.items():
                index = self.index_of.get(id(param))
                if param is None or index is None:
                    continue
                # one gate per parameter, also where modules share it (tied weights): its
                # gradient is complete only once every use has contributed
                if index not in made:
                    made[index] = self.gate(param, index)
                    self.gates[id(made[index])] = index
                self.expected.add(index)
                swapped.append((sub, name, param))
                sub._parameters[name] = made[index]
        try:
            yield
        finally:
            for sub, name, param in swapped:
                sub._parameters[name] = param
        if not self.expected:
            self.next_bucket = len(self.buckets)

    def after_forward(self, output) -> None:
        """With ``find_unused``: the parameters ``output`` does not depend on are ready now
        (PyTorch's graph search after the forward); every rank learns which no rank used."""
        if not self.find_unused or not self.expected:
            return
        used = {self.gates[id(t)] for t in _graph(output) if id(t) in self.gates}
        xp = _namespace(self.params[0].array)
        counts = xp.asarray([1 if i in used else 0 for i in range(len(self.params))], "int32")
        counts = backend_of(counts).to_host(current().all_reduce(counts))
        for index in sorted(self.expected - used):
            self.unused[index] = bool(counts[index])
            self.ready[index] = data_of(self.params[index].grad)  # under no_sync, or None
        # reduced in the backward, with the used ones: a bucket reduced here on one rank and
        # in the backward on another would interleave with SyncBatchNorm's backward reduction

    def arrived(self, grad_output, input, index):
        """A gate's backward: the gradient of parameter ``index`` is complete."""
        param = self.params[index]
        if param.grad is None:
            total = grad_output.copy()  # owned by the leaf that receives it
        else:  # accumulated under no_sync, or by an earlier backward: reduce the sum
            total = param.grad.array + grad_output
            param.grad = None
        self.ready[index] = total
        self.arrivals += 1
        self._reduce_complete()
        return total

    def _reduce_complete(self) -> None:
        """All-reduce every complete bucket, in bucket order (the same on every rank)."""
        while self.next_bucket < len(self.buckets) and self._complete(self.next_bucket):
            self._reduce(self.buckets[self.next_bucket])
            self.next_bucket += 1

    def _complete(self, bucket: int) -> bool:
        return all(i in self.ready or i not in self.expected for i in self.buckets[bucket])

    def _reduce(self, bucket) -> None:
        arrays = [self.ready.get(i) for i in bucket]
        params = [self.params[i].array for i in bucket]
        xp = _namespace(params[0])
        flat = xp.concatenate(
            [
                (xp.zeros(p.size, dtype=p.dtype) if a is None else a.reshape(-1))
                for a, p in zip(arrays, params, strict=True)
            ]
        )
        current().all_reduce(flat, self.gradient_op)
        for index, array, value in zip(bucket, arrays, _pieces(flat, params), strict=True):
            if array is not None:
                array[...] = value
            elif self.unused.get(index):  # unused here, used elsewhere: the ranks' gradient
                self.params[index].grad = value.copy()


def _graph(output):
    """Every Tensor reachable from the Tensors in ``output`` (nested lists, tuples, dicts)
    through ``grad_fn``."""
    stack, seen = [output], set()
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, Tensor) and id(item) not in seen:
            seen.add(id(item))
            yield item
            if item.grad_fn is not None:
                stack.extend(item.grad_fn.inputs)


def _gate_forward(input, index):
    return input


def _namespace(array):
    return backend_of(array).xp
