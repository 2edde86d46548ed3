"""Samplers: the order in which a :class:`~xpnet.data.DataLoader` reads a dataset, as PyTorch's.

:class:`Sampler` (the base class), :class:`SequentialSampler`, :class:`RandomSampler`,
:class:`SubsetRandomSampler`, :class:`WeightedRandomSampler` and :class:`BatchSampler` follow
``torch.utils.data.sampler``: the same arguments, checks, lengths and kinds of draws. Each
rank's share of a dataset, :class:`~xpnet.data.DistributedSampler`, is in
:mod:`xpnet.data.distributed`, as PyTorch's is in ``torch.utils.data.distributed``.

Random numbers are NumPy's, not PyTorch's: a ``generator=`` is a ``numpy.random.Generator``
(an :class:`xpnet.Generator`, which has ``torch.Generator``'s methods, is one), and a sampler
without one draws from the host generator that :func:`xpnet.manual_seed` seeds
(:mod:`xpnet._random`), where PyTorch's draw from its default generator: a new order each
iteration, the same sequence of orders after the same ``xpnet.manual_seed``, but not the
indices PyTorch draws.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Generic, TypeVar

import numpy

from .._random import check_generator, drawn_generator, host_generator
from ..autograd import Tensor
from ..backends import backend_name_of, to_backend

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]

_T_co = TypeVar("_T_co", covariant=True)


def _is_positive_int(value) -> bool:
    """PyTorch's test for ``num_samples`` and ``batch_size``: a Python int (not a bool) > 0."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _checked_generator(where: str, generator):
    if generator is not None:
        check_generator(where, generator)
    return generator


class Sampler(Generic[_T_co]):
    """Base class of samplers: an iterable of dataset indices (or of lists of them, one per
    batch) for a :class:`~xpnet.data.DataLoader`'s ``sampler=`` or ``batch_sampler=``.

    Subclasses define ``__iter__`` and, if they can, ``__len__`` (the loader's length needs
    it). As in PyTorch there is no default ``__len__``, so that ``list(sampler)`` falls back
    to iterating; ``Sampler[int]`` and ``Sampler[list[int]]`` annotate what they yield.

    Example:
        >>> class Backwards(Sampler[int]):
        ...     def __init__(self, data_source):
        ...         self.data_source = data_source
        ...     def __iter__(self):
        ...         return iter(range(len(self.data_source) - 1, -1, -1))
        ...     def __len__(self):
        ...         return len(self.data_source)
        >>> list(Backwards(range(4)))
        [3, 2, 1, 0]
    """

    def __iter__(self) -> Iterator[_T_co]:
        msg = f"Sampler: {type(self).__name__} must define __iter__"
        raise NotImplementedError(msg)


class SequentialSampler(Sampler[int]):
    """The indices ``0, 1, ..., len(data_source) - 1``, always in this order.

    Args:
        data_source: anything with ``__len__`` (read at each iteration).

    Example:
        >>> list(SequentialSampler(range(4)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Random indices of ``data_source``: a shuffled order, or draws with replacement.

    Without replacement each block of ``len(data_source)`` indices is a new permutation, the
    last one cut to make ``num_samples``; with replacement every index is drawn uniformly
    and independently.

    Args:
        data_source: anything with ``__len__`` (read at each iteration).
        replacement: draw with replacement. Default: ``False``.
        num_samples: how many indices to draw. Default: ``None`` (``len(data_source)``).
        generator: the ``numpy.random.Generator`` (or :class:`xpnet.Generator`) to draw
            from; it advances, so iterations differ. Default: ``None``: each iteration
            draws a seed from the generator :func:`xpnet.manual_seed` seeds, as PyTorch's
            draws one from its default generator.

    Raises:
        TypeError: if ``replacement`` is not a bool, or ``generator`` is not a NumPy
            generator.
        ValueError: if ``num_samples`` (or the length of ``data_source`` when it is
            ``None``) is not a positive int; on iteration, if ``data_source`` is empty.

    Note:
        The indices come from NumPy's ``permutation`` and ``integers``, not from
        ``torch.randperm``/``torch.randint``: reproducible, but not PyTorch's sequence.

    Example:
        >>> import xpnet
        >>> sampler = RandomSampler(range(5), generator=xpnet.Generator().manual_seed(0))
        >>> len(sampler), sorted(sampler)
        (5, [0, 1, 2, 3, 4])
        >>> len(list(RandomSampler(range(3), replacement=True, num_samples=7)))
        7
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            msg = (
                "RandomSampler: replacement should be a boolean value, "
                f"but got replacement={replacement}"
            )
            raise TypeError(msg)
        # PyTorch's test, which lets a bool through: num_samples=True draws one index
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            msg = (
                "RandomSampler: num_samples should be a positive integer value, "
                f"but got num_samples={self.num_samples}"
            )
            raise ValueError(msg)
        _checked_generator("RandomSampler", generator)

    @property
    def num_samples(self) -> int:
        """``num_samples``, or the current length of ``data_source`` when it was ``None``."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        total, count = len(self.data_source), self.num_samples
        if total == 0:
            msg = f"RandomSampler: cannot draw {count} indices from an empty data_source"
            raise ValueError(msg)
        generator = self.generator
        if generator is None:  # a seed from the global generator, as PyTorch
            generator = drawn_generator()
        if self.replacement:
            for start in range(0, count, 32):  # in blocks of 32, as PyTorch: lazily
                yield from generator.integers(total, size=min(32, count - start)).tolist()
            return
        for _ in range(count // total):
            yield from generator.permutation(total).tolist()
        if count % total:  # no draw for an empty tail: one permutation per epoch by default
            yield from generator.permutation(total)[: count % total].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The elements of ``indices`` in a random order (a new one each iteration).

    Args:
        indices: a sequence of dataset indices; its elements are yielded as they are.
        generator: the ``numpy.random.Generator`` to draw from. Default: ``None`` (the
            generator :func:`xpnet.manual_seed` seeds).

    Raises:
        TypeError: if ``generator`` is not a NumPy generator.

    Example:
        >>> sorted(SubsetRandomSampler([7, 3, 5]))
        [3, 5, 7]
    """

    def __init__(self, indices, generator=None) -> None:
        self.indices = indices
        self.generator = _checked_generator("SubsetRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        generator = host_generator() if self.generator is None else self.generator
        for position in generator.permutation(len(self.indices)).tolist():
            yield self.indices[position]

    def __len__(self) -> int:
        return len(self.indices)


def _host_weights(weights) -> numpy.ndarray:
    """``weights`` as float64 NumPy: lists, NumPy, Tensors and arrays of any backend."""
    if isinstance(weights, Tensor):
        weights = weights.numpy()
    elif hasattr(weights, "shape") and backend_name_of(weights) not in (None, "numpy"):
        weights = to_backend(weights, "numpy")
    try:
        return numpy.asarray(weights, dtype=numpy.float64)
    except (TypeError, ValueError) as error:
        msg = f"WeightedRandomSampler: weights must be a sequence of real numbers ({error})"
        raise type(error)(msg) from error


def _check_distribution(weights, num_samples: int, replacement: bool) -> None:
    """PyTorch's ``torch.multinomial`` checks, raised on iteration as there."""
    problem = None
    if not replacement and num_samples > len(weights):
        problem = "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
    elif not (weights >= 0).all():  # NaN fails this test too, as in PyTorch
        problem = "invalid multinomial distribution (encountering probability entry < 0)"
    elif not numpy.isfinite(weights).all():
        problem = (
            "invalid multinomial distribution (encountering probability entry = infinity or NaN)"
        )
    elif not (len(weights) and weights.max() > 0):  # the sum, without its overflow
        problem = "invalid multinomial distribution (sum of probabilities <= 0)"
    if problem is not None:
        msg = f"WeightedRandomSampler: {problem}, got weights of shape {weights.shape} "
        msg += f"with num_samples={num_samples}, replacement={replacement}"
        raise RuntimeError(msg)


class WeightedRandomSampler(Sampler[int]):
    """Indices of ``[0, len(weights))`` drawn with probabilities proportional to ``weights``.

    With replacement each index is drawn independently; without, as from a bag, so every
    index comes at most once: the next one is drawn from those left, by their weights
    (zero-weight indices come last, in index order).

    Args:
        weights: a 1-d sequence of non-negative weights (need not sum to one): a list, a NumPy
            or backend array, a Tensor; kept as float64 NumPy in ``self.weights``.
        num_samples: how many indices to draw (a positive int).
        replacement: draw with replacement. Default: ``True``.
        generator: the ``numpy.random.Generator`` to draw from. Default: ``None`` (the
            generator :func:`xpnet.manual_seed` seeds).

    Raises:
        ValueError: if ``num_samples`` is not a positive int, ``replacement`` not a bool, or
            ``weights`` not 1-d.
        TypeError: if ``generator`` is not a NumPy generator.
        RuntimeError: on iteration, as ``torch.multinomial``: for a negative, NaN or infinite
            weight, weights summing to zero, or ``num_samples > len(weights)`` without
            replacement.

    Note:
        Draws are NumPy's (``choice``; without replacement, exponential keys ``E_i / w_i`` in
        increasing order, which draws index ``i`` next with probability ``w_i / sum of the
        rest``), not ``torch.multinomial``'s sequence.

    Example:
        >>> sampler = WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 6)
        >>> len(sampler), set(sampler) <= {1, 3}
        (6, True)
        >>> sorted(WeightedRandomSampler([0.5, 0.0, 2.0], 3, replacement=False))
        [0, 1, 2]
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None) -> None:
        if not _is_positive_int(num_samples):
            msg = (
                "WeightedRandomSampler: num_samples should be a positive integer value, "
                f"but got num_samples={num_samples}"
            )
            raise ValueError(msg)
        if not isinstance(replacement, bool):
            msg = (
                "WeightedRandomSampler: replacement should be a boolean value, "
                f"but got replacement={replacement}"
            )
            raise ValueError(msg)
        weights = _host_weights(weights)
        if weights.ndim != 1:
            msg = (
                "WeightedRandomSampler: weights should be a 1d sequence but given weights "
                f"have shape {weights.shape}"
            )
            raise ValueError(msg)
        self.weights, self.num_samples, self.replacement = weights, num_samples, replacement
        self.generator = _checked_generator("WeightedRandomSampler", generator)

    def __iter__(self) -> Iterator[int]:
        weights, count = self.weights, self.num_samples
        _check_distribution(weights, count, self.replacement)
        generator = host_generator() if self.generator is None else self.generator
        scaled = weights / weights.max()  # no overflow in the sum, even for weights near 1e308
        if self.replacement:
            drawn = generator.choice(len(weights), size=count, p=scaled / scaled.sum())
        else:  # Efraimidis and Spirakis (2006): the smallest E_i / w_i come first
            keys = numpy.full(len(weights), numpy.inf)
            numpy.divide(
                generator.exponential(size=len(weights)), scaled, out=keys, where=scaled > 0
            )
            drawn = numpy.argsort(keys, kind="stable")[:count]
        yield from drawn.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (a batch sampler).

    Args:
        sampler: a sampler, or any iterable of indices (with ``__len__`` for ``len``).
        batch_size: indices per batch (a positive int).
        drop_last: drop the last batch when it is shorter than ``batch_size``.

    Raises:
        ValueError: if ``batch_size`` is not a positive int or ``drop_last`` not a bool.

    Example:
        >>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6]]
        >>> len(BatchSampler(range(7), batch_size=3, drop_last=True))
        2
    """

    def __init__(self, sampler, batch_size, drop_last) -> None:
        if not _is_positive_int(batch_size):
            msg = (
                "BatchSampler: batch_size should be a positive integer value, "
                f"but got batch_size={batch_size}"
            )
            raise ValueError(msg)
        if not isinstance(drop_last, bool):
            msg = (
                f"BatchSampler: drop_last should be a boolean value, but got drop_last={drop_last}"
            )
            raise ValueError(msg)
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        if self.drop_last:  # batch_size references to one iterator: zip stops at a short batch
            for batch in zip(*[indices] * self.batch_size, strict=False):
                yield [*batch]
            return
        batch = [*itertools.islice(indices, self.batch_size)]
        while batch:
            yield batch
            batch = [*itertools.islice(indices, self.batch_size)]

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
