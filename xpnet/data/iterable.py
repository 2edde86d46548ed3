"""Iterable-style datasets, after :class:`torch.utils.data.IterableDataset`.

An iterable dataset is a stream: the :class:`~xpnet.data.DataLoader` iterates it instead of
indexing it (no sampler, no shuffle). With workers each worker iterates its own replica, so a
dataset that should not repeat itself splits the stream with
:func:`~xpnet.data.get_worker_info`, as in PyTorch.
"""

from __future__ import annotations

from .datasets import Dataset

__all__ = ["ChainDataset", "IterableDataset"]


class IterableDataset(Dataset):
    """Base class of iterable-style datasets: subclasses define ``__iter__``.

    ``a + b`` of two iterable datasets is a :class:`ChainDataset`. With ``num_workers > 0``
    each worker iterates the dataset, so a dataset shards itself with
    :func:`~xpnet.data.get_worker_info` (or its batches come once per worker, as in PyTorch).

    Example:
        >>> from xpnet.data import DataLoader, get_worker_info
        >>> class Range(IterableDataset):
        ...     def __init__(self, stop):
        ...         self.stop = stop
        ...
        ...     def __iter__(self):
        ...         info = get_worker_info()
        ...         start, step = (0, 1) if info is None else (info.id, info.num_workers)
        ...         return iter(range(start, self.stop, step))
        >>> [batch.tolist() for batch in DataLoader(Range(5), batch_size=2)]
        [[0, 1], [2, 3], [4]]
        >>> [batch.tolist() for batch in DataLoader(Range(5), batch_size=2, num_workers=2)]
        [[0, 2], [1, 3], [4]]
        >>> list(Range(2) + Range(3))
        [0, 1, 0, 1, 2]
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} should implement __iter__.")

    def __len__(self) -> int:
        # PyTorch's IterableDataset has no __len__: len() is a TypeError (which list() and
        # the length hints of Python expect), not the NotImplementedError of Dataset
        raise TypeError(f"object of type '{type(self).__name__}' has no len()")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Iterable datasets one after the other, chained on the fly.

    Args:
        datasets: the :class:`IterableDataset`\\ s to chain (an iterable, read at each
            ``iter`` and ``len``).

    Raises:
        AssertionError: when iterated or measured, if a dataset is not an
            :class:`IterableDataset` (PyTorch's error).

    Example:
        >>> list(ChainDataset([ChainDataset([]), ChainDataset([])]))
        []
    """

    def __init__(self, datasets) -> None:
        self.datasets = datasets

    def __iter__(self):
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from dataset

    def __len__(self) -> int:
        total = 0
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(dataset)
        return total
