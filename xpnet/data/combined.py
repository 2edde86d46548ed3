"""Datasets made of datasets, after PyTorch's :class:`ConcatDataset` and :class:`StackDataset`.

``a + b`` of two map-style datasets is ``ConcatDataset([a, b])``; iterable datasets chain with
:class:`~xpnet.data.ChainDataset` (:mod:`xpnet.data.iterable`).
"""

from __future__ import annotations

import bisect
import warnings

from .datasets import Dataset
from .iterable import IterableDataset

__all__ = ["ConcatDataset", "StackDataset"]


class ConcatDataset(Dataset):
    """Map-style datasets one after the other: index ``len(a)`` is ``b[0]``.

    Args:
        datasets: the datasets to concatenate (any iterable; read once).

    Attributes:
        datasets: the list of datasets.
        cumulative_sizes: the running totals of their lengths, as PyTorch's.

    Raises:
        AssertionError: if ``datasets`` is empty or holds an :class:`~xpnet.data.IterableDataset`
            (PyTorch's errors).
        ValueError: when indexed with a negative index beyond the length.

    Example:
        >>> from xpnet.data import TensorDataset
        >>> both = TensorDataset(np.arange(3)) + TensorDataset(np.arange(10, 12))
        >>> len(both), both.cumulative_sizes, int(both[3][0]), int(both[-1][0])
        (5, [3, 5], 10, 11)
    """

    def __init__(self, datasets) -> None:
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    @staticmethod
    def cumsum(sequence) -> list[int]:
        """Running totals of the lengths of ``sequence``'s datasets."""
        totals, total = [], 0
        for dataset in sequence:
            total += len(dataset)
            totals.append(total)
        return totals

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index = len(self) + index
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]

    @property
    def cummulative_sizes(self) -> list[int]:
        """PyTorch's old misspelt name of :attr:`cumulative_sizes` (warns, as PyTorch)."""
        warnings.warn(
            "`cummulative_sizes` attribute is renamed to `cumulative_sizes`",
            FutureWarning,
            stacklevel=2,
        )
        return self.cumulative_sizes


class StackDataset(Dataset):
    """Datasets side by side: sample ``i`` is the tuple (or dict) of their samples ``i``.

    Args:
        *args: datasets whose samples form a tuple.
        **kwargs: or datasets whose samples form a dict with these keys.

    Raises:
        ValueError: with both ``args`` and ``kwargs``, with neither, or with datasets of
            different lengths (PyTorch's messages).

    Example:
        >>> from xpnet.data import TensorDataset
        >>> images, labels = TensorDataset(np.zeros((3, 2))), TensorDataset(np.arange(3))
        >>> sample = StackDataset(image=images, label=labels)[2]
        >>> sorted(sample), int(sample["label"][0]), len(StackDataset(images, labels))
        (['image', 'label'], 2, 3)
    """

    def __init__(self, *args, **kwargs) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or"
                "``dict``- (via ``kwargs``) like input/output, but both types are given."
            )
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        datasets = list(args or kwargs.values())
        self._length = len(datasets[0])
        if any(self._length != len(dataset) for dataset in datasets):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args or kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __getitems__(self, indices: list) -> list:
        """The samples at ``indices``, as PyTorch's: each dataset read by one
        ``__getitems__`` call where it has one, else item by item."""
        named = isinstance(self.datasets, dict)
        keys = list(self.datasets) if named else range(len(self.datasets))
        columns = [_items(self.datasets[key], indices) for key in keys]
        if named:
            return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
        return [tuple(row) for row in zip(*columns, strict=True)]

    def __len__(self) -> int:
        return self._length


def _items(dataset, indices: list) -> list:
    """``dataset``'s samples at ``indices``: its ``__getitems__``, whose length is checked
    (PyTorch's message), else one ``__getitem__`` each."""
    if not callable(getattr(dataset, "__getitems__", None)):
        return [dataset[index] for index in indices]
    items = dataset.__getitems__(indices)
    if len(items) != len(indices):
        msg = f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(items)}"
        raise ValueError(msg)
    return items
