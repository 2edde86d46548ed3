"""Collation, after ``torch.utils.data._utils.collate``: samples to host batches.

:func:`default_collate` stacks a batch's samples field by field; :func:`default_convert`
handles one sample when the :class:`~xpnet.data.DataLoader` does not batch
(``batch_size=None``). Both stay on the host (NumPy); the loader moves the result to the
current backend.
"""

from __future__ import annotations

import numpy

from ..autograd import Tensor

__all__ = ["default_collate", "default_convert", "holds_tensors", "map_fields"]


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
        samples; the :class:`~xpnet.data.DataLoader` then moves them to the current backend,
        as Tensors when the samples held Tensors.

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


def default_convert(data):
    """One sample as the loader delivers it unbatched: NumPy values as host arrays.

    As PyTorch's ``default_convert``: NumPy arrays and scalars become arrays (PyTorch makes
    them tensors; the :class:`~xpnet.data.DataLoader` moves them to the backend), dicts,
    named tuples, tuples and lists are converted entry by entry, anything else (Python
    numbers, strings, Tensors, arrays of strings or objects) is left as is. A plain tuple
    becomes a list, as in PyTorch.

    Args:
        data: one sample.

    Returns:
        ``data`` with its NumPy values as NumPy arrays.

    Example:
        >>> default_convert({"x": np.float32(1.5), "ids": [np.int64(3), 4]})
        {'x': array(1.5, dtype=float32), 'ids': [array(3), 4]}
    """
    if isinstance(data, numpy.ndarray):
        return data
    if isinstance(data, numpy.generic):
        return data if isinstance(data, (numpy.str_, numpy.bytes_)) else numpy.asarray(data)
    if isinstance(data, dict):
        return type(data)({key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a named tuple
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, (tuple, list)):  # a tuple gives a list, as PyTorch's (its comment:
        return [default_convert(value) for value in data]  # "backwards compatibility")
    return data


def holds_tensors(sample) -> bool:
    """Whether a sample holds an :class:`xpnet.Tensor` (its batch is then delivered as
    Tensors)."""
    if isinstance(sample, dict):
        return holds_tensors(tuple(sample.values()))
    if isinstance(sample, (tuple, list)):
        return any(holds_tensors(field) for field in sample)
    return isinstance(sample, Tensor)


def map_fields(batch, function):
    """``function`` applied to each field of a batch (through dicts, tuples and lists)."""
    if isinstance(batch, dict):
        return {key: map_fields(field, function) for key, field in batch.items()}
    if isinstance(batch, (tuple, list)) and not hasattr(batch, "_fields"):
        return type(batch)(map_fields(field, function) for field in batch)
    if isinstance(batch, tuple):  # a named tuple
        return type(batch)(*(map_fields(field, function) for field in batch))
    return function(batch)
