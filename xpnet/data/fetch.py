"""What a data-loading worker runs: one batch from the dataset's indices or its stream.

After ``torch.utils.data._utils.fetch``. A :class:`Fetcher` is made by the
:class:`~xpnet.data.DataLoader` and runs in the calling thread, in worker threads, or (pickled)
in worker processes (:mod:`xpnet.data.worker`); it returns host batches, which the loader
moves to the backend.
"""

from __future__ import annotations

import itertools

from .collate import default_collate, default_convert, holds_tensors
from .datasets import fetch_batch, plain_index, read_samples

__all__ = ["Fetcher"]


class Fetcher:
    """Reads batches (or single samples) of ``dataset`` on the host.

    Args:
        dataset: a map-style dataset (read by :meth:`fetch`) or an iterable one (read by
            :meth:`start` then :meth:`next_batch`).
        iterable: whether ``dataset`` is iterable-style.
        batch_size: samples per batch of an iterable dataset (map-style datasets get their
            batches of indices from the loader's batch sampler).
        drop_last: drop an iterable's last, short batch.
        collate_fn: the loader's ``collate_fn`` (``None``: the defaults, or ``get_batch``).
        batched: ``False`` for no batching: each sample goes through ``collate_fn`` or
            :func:`~xpnet.data.default_convert` alone.
    """

    def __init__(self, dataset, iterable, batch_size, drop_last, collate_fn, batched) -> None:
        self.dataset = dataset
        self.iterable = iterable
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.batched = batched
        self._stream = None

    def fetch(self, indices):
        """``(batch, as_tensors)`` for a batch of indices (or one index unbatched)."""
        if not self.batched:
            sample = self.dataset[plain_index(indices)]
            return (self.collate_fn or default_convert)(sample), holds_tensors(sample)
        if self.collate_fn is None and getattr(self.dataset, "get_batch", None) is not None:
            batch = fetch_batch(self.dataset, indices)
            return batch, bool(getattr(self.dataset, "yields_tensors", False))
        samples = read_samples(self.dataset, indices)
        return (self.collate_fn or default_collate)(samples), holds_tensors(samples[0])

    def start(self) -> None:
        """Begin a pass over an iterable dataset (a no-op for map-style ones)."""
        self._stream = iter(self.dataset) if self.iterable else None

    def next_batch(self):
        """``(batch, as_tensors)`` of the iterable's next samples.

        Raises:
            StopIteration: when the stream is over (or only a short batch is left with
                ``drop_last``).
        """
        if not self.batched:
            sample = next(self._stream)
            return (self.collate_fn or default_convert)(sample), holds_tensors(sample)
        samples = list(itertools.islice(self._stream, self.batch_size))
        if not samples or (self.drop_last and len(samples) < self.batch_size):
            self._stream = iter(())
            raise StopIteration
        return (self.collate_fn or default_collate)(samples), holds_tensors(samples[0])
