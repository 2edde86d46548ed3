"""The :class:`~xpnet.data.DataLoader`'s argument checks, with PyTorch's rules and messages
where PyTorch has them (those that predate them keep xpnet's ``DataLoader: ...`` text)."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context

__all__ = ["check_iterable", "check_options", "check_samplers", "worker_context"]


def _positive_int(value, minimum) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def check_samplers(batch_size, shuffle, sampler, batch_sampler, drop_last) -> None:
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
    if batch_size is None and drop_last:
        msg = (
            "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
        )
        raise ValueError(msg)


def check_iterable(shuffle, sampler, batch_sampler) -> None:
    """PyTorch's rule: an iterable dataset decides its own order."""
    if shuffle not in {False, None}:
        msg = (
            "DataLoader with IterableDataset: expected unspecified shuffle option, "
            f"but got shuffle={shuffle}"
        )
        raise ValueError(msg)
    if sampler is not None:
        msg = (
            "DataLoader with IterableDataset: expected unspecified sampler option, "
            f"but got sampler={sampler}"
        )
        raise ValueError(msg)
    if batch_sampler is not None:
        msg = (
            "DataLoader with IterableDataset: expected unspecified batch_sampler option, "
            f"but got batch_sampler={batch_sampler}"
        )
        raise ValueError(msg)


def check_options(batch_size, num_workers, collate_fn, persistent_workers, prefetch_factor):
    """Counts and callables: ``ValueError`` naming every bad count, ``TypeError`` for a
    ``collate_fn`` that cannot be called."""
    problems = []
    if batch_size is not None and not _positive_int(batch_size, 1):
        problems.append(f"batch_size must be a positive integer, got {batch_size!r}")
    if not _positive_int(num_workers, 0):
        problems.append(f"num_workers must be a non-negative integer, got {num_workers!r}")
    elif persistent_workers and num_workers == 0:
        problems.append("persistent_workers=True needs num_workers > 0")
    if prefetch_factor is not None and (num_workers == 0 or not _positive_int(prefetch_factor, 1)):
        problems.append(
            f"prefetch_factor must be a positive integer and needs num_workers > 0, "
            f"got prefetch_factor={prefetch_factor!r} with num_workers={num_workers!r}"
        )
    if problems:
        raise ValueError("DataLoader: " + "; ".join(problems))
    if collate_fn is not None and not callable(collate_fn):
        msg = f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}"
        raise TypeError(msg)


def worker_context(context, num_workers, timeout, worker_init_fn):
    """The ``multiprocessing`` context of the workers (``None``: threads), after PyTorch's
    checks of ``multiprocessing_context`` and ``timeout``."""
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if timeout and num_workers == 0:  # PyTorch's single-process iterator asserts it
        msg = f"DataLoader: timeout={timeout!r} needs num_workers > 0 (it waits for workers)"
        raise ValueError(msg)
    if worker_init_fn is not None and not callable(worker_init_fn):
        msg = f"DataLoader: worker_init_fn must be callable, got {type(worker_init_fn).__name__}"
        raise TypeError(msg)
    if context is None:
        return None
    if num_workers == 0:
        msg = (
            "multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={num_workers}"
        )
        raise ValueError(msg)
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            msg = (
                f"multiprocessing_context option should specify a valid start method in "
                f"{methods!r}, but got multiprocessing_context={context!r}"
            )
            raise ValueError(msg)
        context = multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        msg = (
            "multiprocessing_context option should be a valid context object or a string "
            f"specifying the start method, but got multiprocessing_context={context}"
        )
        raise TypeError(msg)
    return context
