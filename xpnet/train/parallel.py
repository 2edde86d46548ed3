"""What ``xpnet train`` does differently on several ranks (``mpiexec -n N xpnet train``).

Every rank draws the same global batches (the loader's generator is seeded alike) and takes
its contiguous slice of each: sizes differ by one at most, a rank may get none, nothing is
padded. Each rank's loss is its sum divided by the global batch size and the gradients are
summed (:class:`~xpnet.distributed.DistributedDataParallel` with ``gradient_op="sum"``), so
N ranks compute what one process computes with the same ``--batch-size``. Metrics are summed
on the device and reduced across ranks only when read.
"""

from __future__ import annotations

import numpy

from .. import distributed
from .._random import drawn_generator
from ..backends import get_backend
from ..data.datasets import fetch_batch

__all__ = ["RankBatches", "rank_slice", "reduce_sums", "split_evenly"]


def rank_slice(count: int, rank: int, world_size: int) -> slice:
    """Rank ``rank``'s contiguous share of ``count`` items: sizes differ by one at most."""
    return slice(rank * count // world_size, (rank + 1) * count // world_size)


def split_evenly(indices, rank: int, world_size: int):
    """``indices[rank_slice(len(indices), rank, world_size)]``."""
    return indices[rank_slice(len(indices), rank, world_size)]


class RankBatches:
    """This rank's part of each batch of ``loader`` (a DataLoader), with the global size.

    Yields ``(images, labels, global_count)``; the loader's generator draws each epoch's
    order exactly as iterating the loader would, so checkpoints and resumes are unchanged.
    """

    def __init__(self, loader, rank: int = 0, world_size: int = 1):
        self.loader, self.rank, self.world_size = loader, rank, world_size

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        loader, backend = self.loader, get_backend()
        total = len(loader.dataset)
        if loader.shuffle:  # without a generator, a seed from manual_seed's, as the sampler
            generator = loader.generator or drawn_generator()
            order = generator.permutation(total)
        else:
            order = numpy.arange(total)
        size = loader.batch_size
        for start in range(0, len(loader) * size, size):
            batch = order[start : start + size]
            mine = split_evenly(batch, self.rank, self.world_size)
            images, labels = fetch_batch(loader.dataset, mine)
            yield backend.asarray(images), backend.asarray(labels), len(batch)


def reduce_sums(sums):
    """Host floats of the device scalars ``sums``, summed over every rank (one collective)."""
    xp = get_backend().xp
    stacked = xp.stack([xp.asarray(value, dtype=xp.float64) for value in sums])
    if distributed.get_world_size() > 1:
        distributed.all_reduce(stacked)
    return [float(value) for value in get_backend().to_host(stacked)]
