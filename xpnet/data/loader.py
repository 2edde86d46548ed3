"""DataLoader: batches of a host dataset, delivered on the current backend.

The datasets it reads are in :mod:`xpnet.data.datasets`; :func:`xpnet.train.loop.fit` makes
one loader per split, and saves its shuffling generator in checkpoints. As in PyTorch, the
order comes from a sampler (:mod:`xpnet.data.sampler`) and the batches from a batch sampler.
With ``num_workers > 0`` a pool of threads gathers (and pins) the next batches in the
background while the current one is used; batches still come in the loader's order.
"""

from __future__ import annotations

import collections
import functools
from concurrent.futures import ThreadPoolExecutor

import numpy

from ..autograd import Tensor
from ..backends import get_backend
from .datasets import fetch_batch
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate"]


def _host_field(values: list):
    """One field of a batch stacked on the host: Tensors' arrays, NumPy arrays or numbers."""
    return numpy.stack([v.numpy() if isinstance(v, Tensor) else numpy.asarray(v) for v in values])


def default_collate(samples: list):
    """Stack a list of samples into a batch, field by field, on the host.

    Args:
        samples: samples as a dataset returns them: tuples (or lists) of arrays, Tensors and
            numbers, dicts of them (collated key by key, as PyTorch), or bare arrays.

    Returns:
        A tuple of NumPy arrays (one per field), a dict for dict samples, or one array for bare
        samples; the
        :class:`DataLoader` then moves them to the current backend, as Tensors when the
        samples held Tensors (see :class:`DataLoader`).

    Example:
        >>> batch = default_collate([(np.zeros(2), 0), (np.ones(2), 1)])
        >>> [field.shape for field in batch], batch[1].tolist()
        ([(2, 2), (2,)], [0, 1])
    """
    if isinstance(samples[0], dict):  # without this NumPy stacks the dicts as objects
        return {key: default_collate([sample[key] for sample in samples]) for key in samples[0]}
    if isinstance(samples[0], (tuple, list)):
        return tuple(default_collate(list(fields)) for fields in zip(*samples, strict=True))
    return _host_field(samples)


def _holds_tensors(sample) -> bool:
    if isinstance(sample, dict):
        return _holds_tensors(tuple(sample.values()))
    if isinstance(sample, (tuple, list)):
        return any(_holds_tensors(field) for field in sample)
    return isinstance(sample, Tensor)


def _check_samplers(batch_size, shuffle, sampler, batch_sampler, drop_last):
    """PyTorch's rules: a sampler decides the order (so no ``shuffle``), a batch sampler
    decides the batches too (so none of the options that make them)."""
    if sampler is not None and shuffle:
        msg = f"DataLoader: sampler is mutually exclusive with shuffle, got shuffle={shuffle!r}"
        raise ValueError(msg)
    if batch_sampler is not None and (
        batch_size != 1 or shuffle or sampler is not None or drop_last
    ):
        msg = (
            "DataLoader: batch_sampler is mutually exclusive with batch_size, shuffle, sampler "
            f"and drop_last, got batch_size={batch_size!r}, shuffle={shuffle!r}, "
            f"sampler={sampler!r}, drop_last={drop_last!r}"
        )
        raise ValueError(msg)


def _check_options(batch_size, num_workers, collate_fn, persistent_workers, prefetch_factor):
    def positive_int(value, minimum):
        return isinstance(value, int) and not isinstance(value, bool) and value >= minimum

    problems = []
    if not positive_int(batch_size, 1):
        problems.append(f"batch_size must be a positive integer, got {batch_size!r}")
    if not positive_int(num_workers, 0):
        problems.append(f"num_workers must be a non-negative integer, got {num_workers!r}")
    elif persistent_workers and num_workers == 0:
        problems.append("persistent_workers=True needs num_workers > 0")
    if prefetch_factor is not None and (num_workers == 0 or not positive_int(prefetch_factor, 1)):
        problems.append(
            f"prefetch_factor must be a positive integer and needs num_workers > 0, "
            f"got prefetch_factor={prefetch_factor!r} with num_workers={num_workers!r}"
        )
    if problems:
        raise ValueError("DataLoader: " + "; ".join(problems))
    if collate_fn is not None and not callable(collate_fn):
        msg = f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}"
        raise TypeError(msg)


class DataLoader:
    """Iterate over ``dataset`` in batches, each moved to the current backend.

    Samples are gathered on the host (a whole batch by fancy indexing when the dataset has
    ``get_batch``, as :class:`~xpnet.data.TensorDataset` does) and copied to the backend that
    is current when iteration starts (:func:`xpnet.get_backend`), one copy per array. A
    batch's arrays come as :class:`xpnet.Tensor`\\ s (which have ``.to(device)``) when the
    dataset gives Tensors (``transforms.ToTensor``, a ``TensorDataset`` of Tensors), and as
    plain backend arrays otherwise.

    Args:
        dataset: the dataset (``__len__``, and ``__getitem__`` or ``get_batch``).
        batch_size: samples per batch. Default: ``1``.
        shuffle: visit the samples in a new random order each epoch: the sampler is a
            :class:`~xpnet.data.RandomSampler` drawing from ``generator``. Default: ``False``
            (a :class:`~xpnet.data.SequentialSampler`).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
            Default: ``False``.
        sampler: an iterable of dataset indices (with ``__len__``), e.g. a
            :class:`~xpnet.data.WeightedRandomSampler` or
            :class:`~xpnet.data.DistributedSampler`, read once per epoch; it replaces
            ``shuffle``. Default: ``None`` (every index in order, or shuffled).
        batch_sampler: an iterable of lists of indices, one list per batch (e.g. a
            :class:`~xpnet.data.BatchSampler`); it replaces ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``. Default: ``None``.
        num_workers: threads that gather batches in the background, up to
            ``num_workers * prefetch_factor`` batches ahead; batches keep their order, so
            results do not depend on it. Default: ``0`` (gather in the calling thread).
        collate_fn: ``collate_fn(samples)`` turns a list of samples into a batch (read one
            by one); its NumPy arrays and Tensors are moved to the backend, anything else is
            left as is. Default: ``None`` (:func:`default_collate`, or ``get_batch``).
        pin_memory: stage each batch in page-locked host memory before the copy to the GPU
            (the backend's ``pinned_host``; CuPy). A no-op on CPU backends. Default: ``False``.
        persistent_workers: keep the worker threads between epochs. Needs
            ``num_workers > 0``. Default: ``False``.
        prefetch_factor: batches fetched ahead per worker. Default: ``None`` (2 with
            workers).
        generator: the ``numpy.random.Generator`` that draws each epoch's order, as PyTorch's
            ``generator``: it advances, so epochs differ, and saving its
            ``bit_generator.state`` lets a resumed run continue the same sequence.
            Default: ``None`` (one made from ``seed``).
        seed: seed of the generator made when ``generator`` is ``None``: two loaders with the
            same seed give the same sequence of epochs. Default: ``None`` (not reproducible).

    Attributes:
        sampler: the sampler of indices, as in PyTorch: the one given, else a
            ``RandomSampler`` (``shuffle=True``) or a ``SequentialSampler``.
        batch_sampler: the batch sampler given, else a ``BatchSampler(sampler, batch_size,
            drop_last)``; with one given, ``batch_size`` is ``None`` and ``drop_last``
            ``False``, as in PyTorch.

    Yields:
        A tuple per batch (one entry per field of a sample), or one array or Tensor when
        samples are bare arrays.

    Raises:
        ValueError: if ``batch_size`` is not a positive integer, ``num_workers`` negative,
            ``persistent_workers`` or ``prefetch_factor`` given without workers, or both
            ``generator`` and ``seed`` are given, or a ``sampler`` or ``batch_sampler`` is
            given with the options it replaces, or ``drop_last`` is not a bool, or
            ``shuffle=True`` on an empty dataset (:class:`~xpnet.data.RandomSampler`'s rule).
        TypeError: if ``collate_fn`` is not callable, or ``shuffle=True`` with a
            ``generator`` that is not a NumPy generator.

    Example:
        >>> from xpnet.data import TensorDataset
        >>> dataset = TensorDataset(xp.arange(10.0).reshape(5, 2), xp.arange(5))
        >>> loader = DataLoader(dataset, batch_size=2, shuffle=True, seed=0)
        >>> len(loader), [labels.tolist() for _, labels in loader]
        (3, [[2, 4], [3, 0], [1]])
        >>> [labels.tolist() for _, labels in DataLoader(dataset, batch_size=2, drop_last=True)]
        [[0, 1], [2, 3]]
        >>> loader = DataLoader(dataset, batch_size=2, num_workers=2, persistent_workers=True)
        >>> [labels.tolist() for _, labels in loader]
        [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        *,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        persistent_workers: bool = False,
        prefetch_factor: int | None = None,
        generator: numpy.random.Generator | None = None,
        seed: int | None = None,
        sampler=None,
        batch_sampler=None,
    ) -> None:
        _check_options(batch_size, num_workers, collate_fn, persistent_workers, prefetch_factor)
        _check_samplers(batch_size, shuffle, sampler, batch_sampler, drop_last)
        if generator is not None and seed is not None:
            msg = f"DataLoader: give generator or seed, not both (got seed={seed})"
            raise ValueError(msg)
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.pin_memory = bool(pin_memory)
        self.persistent_workers = bool(persistent_workers)
        self.prefetch_factor = prefetch_factor or 2
        self.generator = numpy.random.default_rng(seed) if generator is None else generator
        self._pool = None
        self._set_samplers(sampler, batch_sampler)

    def _set_samplers(self, sampler, batch_sampler) -> None:
        """PyTorch's defaults: ``shuffle`` means a RandomSampler (drawing from the loader's
        generator, so ``seed=`` gives the orders it always gave), batches a BatchSampler."""
        if sampler is None and self.shuffle:
            sampler = RandomSampler(self.dataset, generator=self.generator)
        elif sampler is None:
            sampler = SequentialSampler(self.dataset)
        self._slices = batch_sampler is None  # our own batches: cut from one index array
        if batch_sampler is None:
            batch_sampler = BatchSampler(sampler, self.batch_size, self.drop_last)
        else:
            self.batch_size, self.drop_last = None, False
        self.sampler, self.batch_sampler = sampler, batch_sampler

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def _gather(self, indices, pin):
        """One batch on the host (pinned when asked): ``(batch, as_tensors)``. Runs in a
        worker thread when there are workers."""
        if self.collate_fn is None and hasattr(self.dataset, "get_batch"):
            batch = fetch_batch(self.dataset, indices)
            tensors = bool(getattr(self.dataset, "yields_tensors", False))
        else:
            samples = [self.dataset[int(index)] for index in indices]
            tensors = _holds_tensors(samples[0])
            batch = (self.collate_fn or default_collate)(samples)
        if pin is not None:
            batch = _map_fields(batch, lambda a: pin(a) if isinstance(a, numpy.ndarray) else a)
        return batch, tensors

    def __iter__(self):
        backend = get_backend()
        pin = getattr(backend, "pinned_host", None) if self.pin_memory else None
        batches = self._batches()
        if self.num_workers == 0:
            gathered = (self._gather(indices, pin) for indices in batches)
        else:
            gathered = self._background(batches, pin)
        for batch, tensors in gathered:
            yield _map_fields(batch, functools.partial(_deliver, backend=backend, tensors=tensors))

    def _batches(self):
        """This epoch's batches of dataset indices (integer arrays)."""
        if not self._slices:
            return (numpy.asarray(list(batch), dtype=numpy.int64) for batch in self.batch_sampler)
        if type(self.sampler) is SequentialSampler:
            order = numpy.arange(len(self.sampler))
        else:  # a RandomSampler's order is its generator's permutation, as before samplers
            order = numpy.asarray(list(self.sampler), dtype=numpy.int64)
        size = self.batch_size
        stop = len(order) // size * size if self.drop_last else len(order)
        return (order[start : start + size] for start in range(0, stop, size))

    def _background(self, batches, pin):
        """``_gather`` of each batch in the worker threads, in order, a few batches ahead."""
        pool = self._pool or ThreadPoolExecutor(self.num_workers, "xpnet-data")
        self._pool = pool if self.persistent_workers else None
        pending = collections.deque()
        try:
            for indices in batches:
                pending.append(pool.submit(self._gather, indices, pin))
                if len(pending) >= self.num_workers * self.prefetch_factor:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
            if not self.persistent_workers:
                pool.shutdown(wait=True)

    def __del__(self):
        if getattr(self, "_pool", None) is not None:
            self._pool.shutdown(wait=False)


def _map_fields(batch, function):
    if isinstance(batch, dict):
        return {key: _map_fields(field, function) for key, field in batch.items()}
    if isinstance(batch, tuple):
        return tuple(_map_fields(field, function) for field in batch)
    return function(batch)


def _deliver(field, backend, tensors: bool):
    """A host field on ``backend``: a Tensor if it was one or ``tensors``, else an array."""
    if isinstance(field, Tensor):
        return Tensor(backend.asarray(field.numpy()))
    if isinstance(field, numpy.ndarray):
        array = backend.asarray(field)
        return Tensor(array) if tensors else array
    return field
