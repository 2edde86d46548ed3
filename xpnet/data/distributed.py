"""``DistributedSampler``: each rank's share of a dataset's indices, as PyTorch's.

:class:`DistributedSampler` follows ``torch.utils.data.distributed.DistributedSampler``
(``num_replicas``, ``rank``, ``shuffle``, ``seed``, ``drop_last``, ``set_epoch``): the
indices, shuffled with ``seed + epoch`` alike on every rank, are padded by repeating the
first ones (or cut, with ``drop_last``) to a multiple of ``num_replicas``, and rank ``r``
takes every ``num_replicas``-th from ``r``. ``pad=False`` is the evaluation mode PyTorch
lacks: no padding, so no sample is counted twice and the ranks' shares differ by one at most.
The other samplers are in :mod:`xpnet.data.sampler`.
"""

from __future__ import annotations

import math
import numbers

import numpy

from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler[int]):
    """Iterate over this rank's indices of ``dataset`` (integers, a host iterator).

    Args:
        dataset: anything with ``__len__``.
        num_replicas: the number of ranks. Default: ``xpnet.distributed.get_world_size()``.
        rank: this rank. Default: ``xpnet.distributed.get_rank()``.
        shuffle: a new order each epoch (seeded by ``seed + epoch``). Default: ``True``.
        seed: the same on every rank. Default: 0.
        drop_last: drop the tail that does not divide evenly instead of padding.
            Default: ``False``.
        pad: with ``drop_last=False``, repeat indices so every rank gets as many; ``False``
            gives each sample to exactly one rank (evaluation). Default: ``True``.

    Raises:
        ValueError: if ``num_replicas`` is not positive or ``rank`` is outside
            ``[0, num_replicas)``.

    Note:
        The order is NumPy's ``default_rng(seed + epoch).permutation``, not ``torch.randperm``:
        the same on every rank and run, but not PyTorch's sequence.

    Example:
        >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
        [1, 3, 0]
        >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False, pad=False))
        [1, 3]
    """

    def __init__(
        self,
        dataset,
        num_replicas=None,
        rank=None,
        shuffle=True,
        seed=0,
        drop_last=False,
        *,
        pad=True,
    ):
        from .. import distributed

        num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
        rank = distributed.get_rank() if rank is None else rank
        if not isinstance(num_replicas, numbers.Integral) or num_replicas < 1:
            msg = f"DistributedSampler: num_replicas must be a positive int, got {num_replicas!r}"
            raise ValueError(msg)
        if not isinstance(rank, numbers.Integral) or not 0 <= rank < num_replicas:
            msg = f"DistributedSampler: rank must be in [0, {num_replicas}), got {rank!r}"
            raise ValueError(msg)
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.pad = shuffle, seed, drop_last, pad
        self.epoch = 0
        total = len(dataset)
        if drop_last and total % num_replicas:
            self.num_samples = math.ceil((total - num_replicas) / num_replicas)
        elif pad or drop_last:
            self.num_samples = math.ceil(total / num_replicas)
        else:
            self.num_samples = len(range(rank, total, num_replicas))
        self.total_size = self.num_samples * num_replicas if (pad or drop_last) else total

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch``'s order next (call it before each epoch, as in PyTorch)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self):
        total = len(self.dataset)
        if self.shuffle:
            indices = numpy.random.default_rng(self.seed + self.epoch).permutation(total)
        else:
            indices = numpy.arange(total)
        if self.drop_last:
            indices = indices[: self.total_size]
        elif self.pad and self.total_size > total and total:
            repeats = math.ceil((self.total_size - total) / total)
            padding = numpy.tile(indices, repeats)[: self.total_size - total]
            indices = numpy.concatenate([indices, padding])
        return iter(indices[self.rank : self.total_size : self.num_replicas].tolist())
