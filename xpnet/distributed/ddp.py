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

from ..autograd import Function, is_grad_enabled
from ..nn.module import Module
from ._state import current

__all__ = ["DistributedDataParallel", "average_buffers", "sync_module_states"]


def sync_module_states(module, src: int = 0) -> None:
    """Broadcast ``module``'s parameters and buffers from rank ``src`` to every rank."""
    comm = current()
    for param in module.parameters():
        comm.broadcast(param.data, src)
    for buffer in module.buffers():
        comm.broadcast(buffer, src)


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
        data = params[index].data
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
        bucket_cap_mb: size of a gradient bucket in MiB. Default: 25.
        gradient_op: ``"avg"`` (PyTorch's behaviour: the mean over ranks of each rank's
            gradient) or ``"sum"`` (when each rank's loss is already divided by the global
            batch, as ``xpnet train`` does). Default: ``"avg"``.

    Every parameter used in a synchronised forward must get a gradient in the backward
    (PyTorch's default ``find_unused_parameters=False``); otherwise the next forward raises.

    Raises:
        RuntimeError: if ``xpnet.distributed`` is not initialized.

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

    def __init__(self, module, bucket_cap_mb: float = 25.0, gradient_op: str = "avg"):
        super().__init__()
        if current() is None:
            msg = "DistributedDataParallel: call xpnet.distributed.init() first"
            raise RuntimeError(msg)
        if gradient_op not in ("avg", "sum"):
            msg = (
                f"DistributedDataParallel: gradient_op must be 'avg' or 'sum', got {gradient_op!r}"
            )
            raise ValueError(msg)
        self.module = module
        self.gradient_op = gradient_op
        self.require_backward_grad_sync = True
        sync_module_states(module)
        params = [p for p in module.parameters() if p.requires_grad]
        self._state = _Reducer(params, self._buckets_for(params, bucket_cap_mb), gradient_op)

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
        if not (is_grad_enabled() and self.require_backward_grad_sync):
            return self.module(*args, **kwargs)
        self._state.start()
        with self._state.gated(self.module):
            return self.module(*args, **kwargs)


class _Reducer:
    """The gradient buckets of one wrapped module and their progress in a backward pass."""

    def __init__(self, params, buckets, gradient_op):
        self.params, self.buckets, self.gradient_op = params, buckets, gradient_op
        self.bucket_of = {i: b for b, bucket in enumerate(buckets) for i in bucket}
        self.index_of = {id(p): i for i, p in enumerate(params)}
        self.gate = Function(_gate_forward, self.arrived, wrt=("input",))
        self.expected: set[int] = set()
        self.ready: dict[int, object] = {}
        self.next_bucket = len(buckets)

    def start(self) -> None:
        # a forward without a backward (evaluation with grad enabled) is fine, as in PyTorch;
        # a backward that left buckets unreduced is not
        if self.ready and self.next_bucket < len(self.buckets):
            missing = sorted(self.expected - set(self.ready))
            msg = (
                "DistributedDataParallel: expected to have finished reduction in the prior "
                f"iteration; parameters {missing} (module.parameters() order) got no gradient. "
                "Every parameter used in the forward must contribute to the loss"
            )
            raise RuntimeError(msg)
        self.ready, self.next_bucket, self.expected = {}, 0, set()

    @contextlib.contextmanager
    def gated(self, module):
        """Inside, ``module``'s parameters are replaced by gate nodes (restored after)."""
        swapped = []
        for sub in module.modules():
            for name, param in sub._parameters.items():
                index = self.index_of.get(id(param))
                if param is None or index is None:
                    continue
                self.expected.add(index)
                swapped.append((sub, name, param))
                sub._parameters[name] = self.gate(param, index)
        try:
            yield
        finally:
            for sub, name, param in swapped:
                sub._parameters[name] = param
        if not self.expected:
            self.next_bucket = len(self.buckets)

    def arrived(self, grad_output, input, index):
        """A gate's backward: the gradient of parameter ``index`` is complete."""
        param = self.params[index]
        if param.grad is None:
            total = grad_output.copy()  # owned by the leaf that receives it
        else:  # accumulated under no_sync, or by an earlier backward: reduce the sum
            total = param.grad + grad_output
            param.grad = None
        self.ready[index] = total
        while self.next_bucket < len(self.buckets) and self._complete(self.next_bucket):
            self._reduce(self.buckets[self.next_bucket])
            self.next_bucket += 1
        return total

    def _complete(self, bucket: int) -> bool:
        return all(i in self.ready or i not in self.expected for i in self.buckets[bucket])

    def _reduce(self, bucket) -> None:
        arrays = [self.ready.get(i) for i in bucket]
        params = [self.params[i].data for i in bucket]
        xp = _namespace(params[0])
        flat = xp.concatenate(
            [
                (xp.zeros(p.size, dtype=p.dtype) if a is None else a.reshape(-1))
                for a, p in zip(arrays, params, strict=True)
            ]
        )
        current().all_reduce(flat, self.gradient_op)
        offset = 0
        for array, param in zip(arrays, params, strict=True):
            if array is not None:
                array[...] = flat[offset : offset + param.size].reshape(param.shape)
            offset += param.size


def _gate_forward(input, index):
    return input


def _namespace(array):
    from ..backends import backend_of

    return backend_of(array).xp
