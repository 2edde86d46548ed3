"""DataLoader: batches of a host dataset, delivered on the current backend.

The datasets it reads are in :mod:`xpnet.data.datasets`; :func:`xpnet.train.loop.fit` makes
one loader per split, and saves its shuffling generator in checkpoints.
"""

from __future__ import annotations

import math

import numpy

from ..backends import get_backend
from .datasets import fetch_batch


class DataLoader:
    """Iterate over ``dataset`` in batches, each moved to the current backend.

    Samples are gathered on the host (a whole batch by fancy indexing when the dataset has
    ``get_batch``, as :class:`~xpnet.data.TensorDataset` does) and copied to the backend that
    is current when iteration starts (:func:`xpnet.get_backend`), one copy per array.

    Args:
        dataset: the dataset (``__len__``, and ``__getitem__`` or ``get_batch``).
        batch_size: samples per batch. Default: ``1``.
        shuffle: visit the samples in a new random order each epoch. Default: ``False``.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
            Default: ``False``.
        generator: the ``numpy.random.Generator`` that draws each epoch's order, as PyTorch's
            ``generator``: it advances, so epochs differ, and saving its
            ``bit_generator.state`` lets a resumed run continue the same sequence.
            Default: ``None`` (one made from ``seed``).
        seed: seed of the generator made when ``generator`` is ``None``: two loaders with the
            same seed give the same sequence of epochs. Default: ``None`` (not reproducible).

    Yields:
        A tuple of backend arrays per batch (one per field of a sample), or one array when
        samples are bare arrays.

    Raises:
        ValueError: if ``batch_size`` is not a positive integer, or both ``generator`` and
            ``seed`` are given.

    Example:
        >>> from xpnet.data import TensorDataset
        >>> dataset = TensorDataset(xp.arange(10.0).reshape(5, 2), xp.arange(5))
        >>> loader = DataLoader(dataset, batch_size=2, shuffle=True, seed=0)
        >>> len(loader), [labels.tolist() for _, labels in loader]
        (3, [[2, 4], [3, 0], [1]])
        >>> [labels.tolist() for _, labels in DataLoader(dataset, batch_size=2, drop_last=True)]
        [[0, 1], [2, 3]]
    """

    def __init__(
        self,
        dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        *,
        generator: numpy.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            msg = f"DataLoader: batch_size must be a positive integer, got {batch_size!r}"
            raise ValueError(msg)
        if generator is not None and seed is not None:
            msg = f"DataLoader: give generator or seed, not both (got seed={seed})"
            raise ValueError(msg)
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = numpy.random.default_rng(seed) if generator is None else generator

    def __len__(self) -> int:
        count = len(self.dataset) / self.batch_size
        return math.floor(count) if self.drop_last else math.ceil(count)

    def __iter__(self):
        backend = get_backend()
        total = len(self.dataset)
        order = self.generator.permutation(total) if self.shuffle else numpy.arange(total)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            batch = fetch_batch(self.dataset, order[start : start + self.batch_size])
            if isinstance(batch, tuple):
                yield tuple(backend.asarray(field) for field in batch)
            else:
                yield backend.asarray(batch)
