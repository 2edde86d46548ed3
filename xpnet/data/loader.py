"""DataLoader: batches of a host dataset, delivered on the current backend.

The datasets it reads are in :mod:`xpnet.data.datasets` (and :mod:`xpnet.data.iterable`,
:mod:`xpnet.data.combined`); :func:`xpnet.train.loop.fit` makes one loader per split, and saves
its shuffling generator in checkpoints. As in PyTorch, the order comes from a sampler
(:mod:`xpnet.data.sampler`) and the batches from a batch sampler; an iterable dataset gives its
own order. A :class:`~xpnet.data.fetch.Fetcher` reads each batch on the host: in the calling
thread, or with ``num_workers > 0`` in worker threads (the default) or worker processes
(``multiprocessing_context``), run by :mod:`xpnet.data.workers`; batches still come in order.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy

from .._random import host_generator
from ..autograd import Tensor
from ..backends import get_backend
from ._loader_checks import check_iterable, check_options, check_samplers, worker_context
from .collate import default_collate, default_convert, map_fields
from .datasets import index_batch, plain_index
from .fetch import Fetcher
from .iterable import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler
from .workers import WorkerPool

__all__ = ["DataLoader", "default_collate", "default_convert"]


class DataLoader:
    """Iterate over ``dataset`` in batches, each moved to the current backend.

    Samples are gathered on the host (a whole batch by fancy indexing when the dataset has
    ``get_batch``, as :class:`~xpnet.data.TensorDataset` does; else by ``__getitems__`` or
    one ``__getitem__`` each, then collated) and copied to the backend that
    is current when iteration starts (:func:`xpnet.get_backend`), one copy per array. A
    batch's arrays come as :class:`xpnet.Tensor`\\ s (which have ``.to(device)``) when the
    dataset gives Tensors (``transforms.ToTensor``, a ``TensorDataset`` of Tensors), and as
    plain backend arrays otherwise.

    Workers: with ``num_workers > 0`` and no ``multiprocessing_context`` the workers are
    threads (they share the dataset; good for NumPy work that releases the GIL, and for
    CuPy). With ``multiprocessing_context`` (``"fork"``, ``"spawn"``, ``"forkserver"`` or a
    context object) they are processes, as PyTorch's: each gets a copy of the dataset,
    :func:`~xpnet.data.get_worker_info`, seeds ``random``, xpnet's generators
    (:func:`xpnet.manual_seed`) and NumPy's global RNG from ``base_seed + id`` (NumPy's as
    PyTorch's ``_generate_state``), then calls ``worker_init_fn``; good for Python-heavy
    per-sample transforms. Either way batches come in the sampler's order, an
    :class:`~xpnet.data.IterableDataset` is iterated by every worker (shard it with
    ``get_worker_info``), and an error in a worker is raised here with its traceback.

    Args:
        dataset: the dataset: map-style (``__len__``, and ``__getitem__``,
            ``__getitems__`` or ``get_batch``; its indices are what the sampler gives) or
            an :class:`~xpnet.data.IterableDataset`.
        batch_size: samples per batch, or ``None`` to deliver samples one by one (through
            :func:`default_convert`, or ``collate_fn``). Default: ``1``.
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
        num_workers: workers that gather batches in the background, up to
            ``num_workers * prefetch_factor`` batches ahead. Default: ``0`` (gather in the
            calling thread).
        collate_fn: ``collate_fn(samples)`` turns a list of samples into a batch (read one
            by one); its NumPy arrays and Tensors are moved to the backend, anything else is
            left as is. Default: ``None`` (:func:`default_collate`, or ``get_batch``).
        pin_memory: stage each batch in page-locked host memory before the copy to the GPU
            (the backend's ``pinned_host``; CuPy). A no-op on CPU backends. Default: ``False``.
        pin_memory_device: deprecated in PyTorch, accepted and ignored as there (it warns,
            as PyTorch's, when ``pin_memory=True``): the backend decides. Default: ``""``.
        persistent_workers: keep the workers between epochs. Needs ``num_workers > 0``.
            Default: ``False``.
        prefetch_factor: batches fetched ahead per worker. Default: ``None`` (2 with
            workers).
        generator: the ``numpy.random.Generator`` that draws each epoch's order, as PyTorch's
            ``generator``: it advances, so epochs differ, and saving its
            ``bit_generator.state`` lets a resumed run continue the same sequence.
            Default: ``None`` (one made from ``seed``, if given).
        seed: seed of the generator made when ``generator`` is ``None``: two loaders with the
            same seed give the same sequence of epochs. Default: ``None`` (each epoch's order
            drawn from the generator :func:`xpnet.manual_seed` seeds, as PyTorch's shuffle
            follows ``torch.manual_seed``).
        timeout: seconds to wait for a worker's batch before ``RuntimeError``; needs
            workers. Default: ``0`` (no limit; a worker that dies still raises within a
            second).
        worker_init_fn: ``worker_init_fn(worker_id)``, called in each worker after seeding.
            Default: ``None``.
        multiprocessing_context: run the workers as processes of this start method or
            context. Default: ``None`` (threads).
        in_order: yield batches in the sampler's order; ``False`` yields them as workers
            finish them. Default: ``True``.

    Attributes:
        sampler: the sampler of indices, as in PyTorch: the one given, else a
            ``RandomSampler`` (``shuffle=True``) or a ``SequentialSampler``; ``None`` for an
            iterable dataset.
        batch_sampler: the batch sampler given, else a ``BatchSampler(sampler, batch_size,
            drop_last)``; with one given, ``batch_size`` is ``None`` and ``drop_last``
            ``False``, as in PyTorch; ``None`` when unbatched or iterable.

    Yields:
        A tuple per batch (one entry per field of a sample), or one array or Tensor when
        samples are bare arrays.

    Raises:
        ValueError: if ``batch_size`` is not a positive integer or ``None``, ``num_workers``
            or ``timeout`` negative, ``persistent_workers``, ``prefetch_factor``,
            ``multiprocessing_context`` or ``timeout`` given without workers (or an unknown
            start method), both ``generator`` and ``seed`` given, a ``sampler`` or
            ``batch_sampler`` given with the options it replaces (or at all, or ``shuffle``,
            with an iterable dataset), ``drop_last`` with ``batch_size=None``, or
            ``shuffle=True`` on an empty dataset (:class:`~xpnet.data.RandomSampler`'s
            rule); later, setting an attribute the samplers are built from.
        TypeError: if ``collate_fn`` or ``worker_init_fn`` is not callable,
            ``multiprocessing_context`` is not a context, or ``shuffle=True`` with a
            ``generator`` that is not a NumPy generator.
        RuntimeError: while iterating, if a worker process dies, ``timeout`` expires, or the
            dataset cannot be pickled for ``"spawn"``/``"forkserver"`` workers.

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
        >>> loader = DataLoader(dataset, 2, num_workers=2, multiprocessing_context="fork")
        >>> [labels.tolist() for _, labels in loader]
        [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool = False,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator: numpy.random.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        seed: int | None = None,
    ) -> None:
        check_options(batch_size, num_workers, collate_fn, persistent_workers, prefetch_factor)
        self.iterable = isinstance(dataset, IterableDataset)
        if self.iterable:
            check_iterable(shuffle, sampler, batch_sampler)
        check_samplers(batch_size, shuffle, sampler, batch_sampler, drop_last)
        context = worker_context(multiprocessing_context, num_workers, timeout, worker_init_fn)
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
        self.pin_memory_device = pin_memory_device
        self.persistent_workers = bool(persistent_workers)
        # PyTorch's attribute: 2 with workers unless given, None without
        self.prefetch_factor = prefetch_factor or (2 if num_workers else None)
        if generator is None and seed is not None:
            generator = numpy.random.default_rng(seed)
        # None: the RandomSampler draws a seed per epoch from xpnet.manual_seed's generator,
        # as PyTorch's shuffles follow torch.manual_seed
        self.generator = generator
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = context
        self.in_order = bool(in_order)
        self._pool = None
        self._len_called = None  # PyTorch's check of an iterable dataset's reported length
        if self.iterable:
            self.sampler = self.batch_sampler = None
        else:
            self._set_samplers(sampler, batch_sampler)
        self._initialized = True

    def _set_samplers(self, sampler, batch_sampler) -> None:
        """PyTorch's defaults: ``shuffle`` means a RandomSampler (drawing from the loader's
        generator, so ``seed=`` gives the orders it always gave), batches a BatchSampler."""
        if sampler is None and self.shuffle:
            sampler = RandomSampler(self.dataset, generator=self.generator)
        elif sampler is None:
            sampler = SequentialSampler(self.dataset)
        self._slices = batch_sampler is None  # our own batches: cut from one index array
        if batch_sampler is None and self.batch_size is not None:
            batch_sampler = BatchSampler(sampler, self.batch_size, self.drop_last)
        elif batch_sampler is not None:
            self.batch_size, self.drop_last = None, False
        self.sampler, self.batch_sampler = sampler, batch_sampler

    def __setattr__(self, name, value) -> None:
        if name in _FIXED and getattr(self, "_initialized", False):
            msg = f"{name} attribute should not be set after {type(self).__name__} is initialized"
            raise ValueError(msg)  # PyTorch's rule: the samplers were built from them
        super().__setattr__(name, value)

    def __len__(self) -> int:
        if not self.iterable:
            return len(self.sampler if self.batch_sampler is None else self.batch_sampler)
        length = self._len_called = len(self.dataset)  # TypeError without one, as PyTorch's
        if self.batch_size is None:
            return length
        if self.drop_last:
            return length // self.batch_size
        return math.ceil(length / self.batch_size)

    def __iter__(self):
        if self.pin_memory and self.pin_memory_device:
            msg = (
                "pin_memory_device is deprecated, the current accelerator will be used as the "
                f"device,ignore pin_memory_device='{self.pin_memory_device}'."
            )
            warnings.warn(msg, stacklevel=2)
        # the length an iterable reported so far, read now as PyTorch's iterator reads it when
        # it is made: list(loader) asks len() only after iter(), and must not warn
        return _LoaderIterator(self, self._iterate(self._len_called))

    def _iterate(self, reported):
        """The batches of one epoch, after :meth:`__iter__`'s checks."""
        backend = get_backend()
        pin = getattr(backend, "pinned_host", None) if self.pin_memory else None
        batched = self.batch_size is not None or self.batch_sampler is not None
        fetcher = Fetcher(
            self.dataset, self.iterable, self.batch_size, self.drop_last, self.collate_fn, batched
        )
        if self.num_workers == 0:
            gathered = self._in_process(fetcher)
        else:
            gathered = self._in_workers(fetcher, pin)
        count = 0
        for batch, tensors in gathered:
            count += 1
            if self.iterable and reported is not None and count > reported:
                _warn_length(self, reported, count)
            if pin is not None and (self.num_workers == 0 or self._in_processes()):
                batch = map_fields(batch, lambda a: pin(a) if isinstance(a, numpy.ndarray) else a)
            yield map_fields(batch, functools.partial(_deliver, backend=backend, tensors=tensors))

    def _in_processes(self) -> bool:
        return self.multiprocessing_context is not None

    def _in_process(self, fetcher):
        """Each batch read in the calling thread."""
        if not self.iterable:
            yield from (fetcher.fetch(indices) for indices in self._batches())
            return
        fetcher.start()
        while True:
            try:
                batch = fetcher.next_batch()
            except StopIteration:
                return
            yield batch

    def _in_workers(self, fetcher, pin):
        """Each batch read by the workers, in order (see :mod:`xpnet.data.workers`)."""
        pool = self._pool
        if pool is None:
            base_seed = int(host_generator().integers(2**63))  # PyTorch's is an int64 too
            context = self.multiprocessing_context
            pool = WorkerPool(
                fetcher, self.num_workers, context, base_seed, self.worker_init_fn, pin
            )
            self._pool = pool if self.persistent_workers else None
        try:
            tasks = () if self.iterable else self._batches()
            yield from pool.run(tasks, self.prefetch_factor, self.in_order, self.timeout)
        finally:
            if not self.persistent_workers:
                pool.shutdown()

    def _batches(self):
        """This epoch's batches of dataset indices (integer arrays, or lists of other keys;
        single indices when unbatched)."""
        if self.batch_sampler is None and self.batch_size is None:
            return (plain_index(index) for index in self.sampler)
        if not self._slices:
            return (index_batch(list(batch)) for batch in self.batch_sampler)
        if type(self.sampler) is SequentialSampler:
            order = numpy.arange(len(self.sampler))
        else:  # a RandomSampler's order is its generator's permutation, as before samplers
            order = index_batch(list(self.sampler))
        size = self.batch_size
        stop = len(order) // size * size if self.drop_last else len(order)
        return (order[start : start + size] for start in range(0, stop, size))

    def __del__(self):
        if getattr(self, "_pool", None) is not None:
            self._pool.shutdown()


# what the samplers are built from: fixed once the loader is made, as PyTorch's
_FIXED = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class _LoaderIterator:
    """One epoch of a :class:`DataLoader`: its batches, and ``len()`` the loader's, as
    PyTorch's ``_BaseDataLoaderIter``."""

    def __init__(self, loader, batches) -> None:
        self._loader, self._batches = loader, batches

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._batches)

    def __len__(self) -> int:
        return len(self._loader)


def _warn_length(loader, reported: int, count: int) -> None:
    """PyTorch's warning when an iterable dataset gives more batches than ``len`` said."""
    msg = (
        f"Length of IterableDataset {loader.dataset} was reported to be {reported}"
        f"(when accessing len(dataloader)), but {count} samples have been fetched. "
    )
    if loader.num_workers > 0:
        msg += (
            "For multiprocessing data-loading, this could be caused by not properly configuring "
            "the IterableDataset replica at each worker. Please see "
            "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset for "
            "examples."
        )
    warnings.warn(msg, stacklevel=3)


def _deliver(field, backend, tensors: bool):
    """A host field on ``backend``: a Tensor if it was one or ``tensors``, else an array."""
    if isinstance(field, Tensor):
        return Tensor(backend.asarray(field.numpy()))
    if isinstance(field, numpy.ndarray):
        array = backend.asarray(field)
        return Tensor(array) if tensors else array
    return field
