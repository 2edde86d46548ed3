"""``AdaptiveLogSoftmaxWithLoss``, as ``torch/nn/modules/adaptive.py``.

The adaptive softmax of Grave et al. (https://arxiv.org/abs/1609.04309) composed of
:class:`~xpnet.nn.Linear` layers and xpnet's differentiable Tensor operations
(``log_softmax``, ``gather``, ``index_select``, ``cat``), so its gradients are those of the
pieces, as in PyTorch. Neighbours: the layers in :mod:`xpnet.nn.linear`, the containers in
:mod:`xpnet.nn.container`.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence

import numpy as np

from .._grad_mode import no_grad
from .._tensor_join import cat
from ..autograd import Tensor, as_tensor, data_of
from ..backends import backend_of
from . import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


def _check_cutoffs(cutoffs: list, n_classes: int) -> None:
    """PyTorch's checks and messages (ValueError)."""
    if len(cutoffs) == 0:
        raise ValueError("cutoffs should be a sequence of length larger than 0")
    if (
        (cutoffs != sorted(cutoffs))
        or (min(cutoffs) <= 0)
        or (max(cutoffs) > (n_classes - 1))
        or (len(set(cutoffs)) != len(cutoffs))
        or any(int(c) != c for c in cutoffs)
    ):
        msg = (
            "cutoffs should be a sequence of unique, positive integers sorted in an increasing "
            "order, where each value is between 1 and n_classes-1"
        )
        raise ValueError(msg)


def _check_shapes(input: Tensor, target: Tensor) -> None:
    """PyTorch's RuntimeErrors for the ranks and batch sizes of ``input`` and ``target``."""
    if target.dim() == 1:
        if input.dim() == 0 or input.size(0) != target.size(0):
            msg = "Input and target should have the same size in the batch dimension."
            raise RuntimeError(msg)
        if input.dim() != 2:
            msg = (
                "1D target tensor expects 2D input tensors, but found inputs with size "
                f"{input.size()}"
            )
            raise RuntimeError(msg)
    elif target.dim() == 0:
        if input.dim() != 1:
            msg = (
                "0D target tensor expects 1D input tensors, but found inputs with size "
                f"{input.size()}"
            )
            raise RuntimeError(msg)
    else:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target.dtype.kind not in "iu":
        msg = (
            "AdaptiveLogSoftmaxWithLoss: target must hold integer class indices, got dtype "
            f"{target.dtype}"
        )
        raise TypeError(msg)


class AdaptiveLogSoftmaxWithLoss(Module):
    r"""Efficient softmax approximation (adaptive softmax), as
    :class:`torch.nn.AdaptiveLogSoftmaxWithLoss`.

    The classes, sorted by decreasing frequency, are split by ``cutoffs``: the first
    ``cutoffs[0]`` form the *head* (the shortlist), scored by ``head``, a Linear layer with
    one output per shortlist class and one per further cluster; cluster ``i`` (classes
    ``cutoffs[i]`` to ``cutoffs[i + 1] - 1``, the last one ending at ``n_classes - 1``) is
    scored by ``tail[i]``, ``Linear(in_features, hsz_i) -> Linear(hsz_i, osz_i)`` without
    biases, ``hsz_i = floor(in_features / div_value ** (i + 1))``. The log-probability of a
    tail class is that of its cluster in the head plus its own within the cluster.

    Args:
        in_features: number of features of the input.
        n_classes: number of classes.
        cutoffs: increasing, unique integers in ``[1, n_classes - 1]``.
        div_value: the base of the exponent that shrinks each cluster's projection.
            Default: 4.0.
        head_bias: give ``head`` a bias. Default: ``False``.
        device: backend name. Default: current. dtype: parameter dtype. Default: float32.

    Shape:
        - input: (N, in_features) or (in_features,); target: (N,) or (), integer classes.
        - output: (N,) or (), each example's target log-probability; loss: scalar, the mean
          of ``-output``; ``forward`` returns them as the named tuple
          ``_ASMoutput(output, loss)``.

    Raises:
        ValueError: bad ``cutoffs`` (PyTorch's message).
        RuntimeError: a target of rank 2 or more, an input of the wrong rank for it, batch
            sizes that differ, or a target outside ``[0, n_classes - 1]`` (PyTorch's
            messages).
        TypeError: a target that does not hold integers.

    Note:
        Like PyTorch's, ``forward`` and ``predict`` read the targets (or the head's choices)
        back to the host once per call, a device synchronisation on CuPy: to raise the range
        error at once with PyTorch's message, and to run each tail cluster only on the rows
        that need it, so that its parameters get no gradient (``None``) when no target falls
        in it. Computing every cluster on every row by masks would avoid the read but cost a
        full softmax's memory (N x n_classes), which the adaptive softmax exists to avoid.

    Example:
        >>> import xpnet
        >>> _ = xpnet.manual_seed(0)
        >>> asm = xpnet.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4, 7], div_value=2.0)
        >>> [name for name, _ in asm.named_parameters()]
        ['head.weight', 'tail.0.0.weight', 'tail.0.1.weight', 'tail.1.0.weight', 'tail.1.1.weight']
        >>> output, loss = asm(np.ones((3, 8), np.float32), np.array([0, 5, 9]))
        >>> output.shape, loss.shape, asm.log_prob(np.ones((3, 8), np.float32)).shape
        ((3,), (), (3, 10))
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Sequence[int],
        div_value: float = 4.0,
        head_bias: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        _check_cutoffs(cutoffs, n_classes)
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        factory = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **factory)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(in_features, hsz, bias=False, **factory),
                    Linear(hsz, osz, bias=False, **factory),
                )
            )

    def reset_parameters(self) -> None:
        """Draw every weight again, as ``__init__`` did."""
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def _read_targets(self, target) -> np.ndarray:
        """The targets on the host (one read), checked against ``[0, n_classes - 1]``."""
        host = np.asarray(backend_of(target).to_host(target))
        if host.size and (host.min() < 0 or host.max() > self.n_classes - 1):
            msg = (
                f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                f"[{host.min()}, {host.max()}] were found. "
            )
            raise RuntimeError(msg)
        return host

    def forward(self, input_, target_) -> _ASMoutput:
        """``_ASMoutput(output, loss)``: each example's log-probability of its target, and
        the mean of their negatives."""
        input_, target_ = as_tensor(input_), as_tensor(data_of(target_))
        _check_shapes(input_, target_)
        is_batched = target_.dim() > 0
        input = input_ if is_batched else input_.unsqueeze(0)  # (N, in_features)
        target = self._read_targets(data_of(target_).reshape(-1))  # (N,), on the host
        backend = backend_of(input.array)
        cluster = np.searchsorted(self.cutoffs, target, side="right")  # 0: the head
        gather_inds = np.where(cluster == 0, target, self.shortlist_size + cluster - 1)
        # each row's place in [the tail rows' log-probabilities, cluster by cluster, 0]
        position = np.zeros(target.shape, dtype=np.int64)
        pieces = []
        for i, low in enumerate(self.cutoffs[:-1]):
            rows = np.flatnonzero(cluster == i + 1)
            if rows.size == 0:
                continue  # as PyTorch: the cluster runs only on its rows
            position[rows] = sum(len(piece) for piece in pieces) + np.arange(rows.size)
            subset = input.index_select(0, backend.asarray(rows))
            cluster_logprob = F.log_softmax(self.tail[i](subset), dim=1)
            relative = backend.asarray((target[rows] - low).reshape(-1, 1))
            pieces.append(cluster_logprob.gather(1, relative).squeeze(1))
        zero = input.new_zeros(1)  # the head rows' share, as PyTorch's zero-filled output
        position[cluster == 0] = sum(len(piece) for piece in pieces)
        output = cat([*pieces, zero]).index_select(0, backend.asarray(position))
        head_logprob = F.log_softmax(self.head(input), dim=1)
        head_index = backend.asarray(gather_inds.reshape(-1, 1))
        output = output + head_logprob.gather(1, head_index).squeeze(1)
        loss = (-output).mean()
        return _ASMoutput(output if is_batched else output.squeeze(0), loss)

    def _get_full_log_prob(self, input, head_output) -> Tensor:
        """The log-probabilities of all classes from ``input`` and ``head(input)``."""
        head_logprob = F.log_softmax(head_output, dim=1)
        pieces = [head_logprob[:, : self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = F.log_softmax(self.tail[i](input), dim=1)
            cluster_index = self.shortlist_size + i
            pieces.append(cluster_logprob + head_logprob[:, cluster_index : cluster_index + 1])
        return cat(pieces, dim=1)

    def log_prob(self, input) -> Tensor:
        """Log-probabilities of all ``n_classes`` classes.

        Shape:
            - Input: (N, in_features). Output: (N, n_classes).
        """
        input = as_tensor(input)
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input) -> Tensor:
        """The most probable class of each example: ``log_prob(input).argmax(dim=1)``,
        computing the tail clusters only for the rows whose head choice is a cluster (a read
        of those choices to the host, as PyTorch's).

        Shape:
            - Input: (N, in_features). Output: (N,), int64.
        """
        input = as_tensor(input)
        with no_grad():
            head_output = self.head(input)
            output = head_output.argmax(dim=1)
            backend = backend_of(output.array)
            not_in_shortlist = np.asarray(backend.to_host(output.array)) >= self.shortlist_size
            if not not_in_shortlist.any():
                return output
            if not_in_shortlist.all():
                return self._get_full_log_prob(input, head_output).argmax(dim=1)
            rows = backend.asarray(np.flatnonzero(not_in_shortlist))
            log_prob = self._get_full_log_prob(
                input.index_select(0, rows), head_output.index_select(0, rows)
            )
            chosen = output.array.copy()
            chosen[rows] = log_prob.argmax(dim=1).array
            return Tensor(chosen)
