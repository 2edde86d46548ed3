"""Collation, after ``torch.utils.data._utils.collate``: samples to host batches.

:func:`default_collate` stacks a batch's samples field by field; :func:`default_convert`
handles one sample when the :class:`~xpnet.data.DataLoader` does not batch
(``batch_size=None``). Both stay on the host (NumPy); the loader moves the result to the
current backend.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence

import numpy

from .._dtypes import inferred_dtype, integer_range
from ..autograd import Tensor

__all__ = ["default_collate", "default_convert", "holds_tensors", "map_fields"]

# PyTorch's message, for a field it cannot batch (``None``, an array of strings or objects)
_UNBATCHABLE = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _host_field(values: list):
    """One field of a batch stacked on the host: Tensors' arrays, NumPy arrays or numbers."""
    first = values[0]
    if isinstance(first, (int, float)):
        return _numbers(values)
    if isinstance(first, numpy.ndarray) and first.dtype.kind in "SUO":
        raise TypeError(_UNBATCHABLE.format(first.dtype))
    if not isinstance(first, (Tensor, numpy.generic, int, float)) and not hasattr(first, "shape"):
        raise TypeError(_UNBATCHABLE.format(type(first)))
    return numpy.stack([v.numpy() if isinstance(v, Tensor) else numpy.asarray(v) for v in values])


def _numbers(values: list) -> numpy.ndarray:
    """Python numbers as PyTorch's ``default_collate`` batches them: float64 after a float;
    after an int or bool, ``torch.tensor``'s inference (the default float dtype if any is a
    float, else int64, whose range they must fit, or bool)."""
    host = numpy.asarray(values)
    if isinstance(values[0], float):
        return host.astype(numpy.float64)
    lowest, highest = integer_range(numpy.dtype(numpy.int64), integral=True)
    for value in values:
        if isinstance(value, int) and not lowest <= value <= highest:
            msg = f"default_collate: {value} overflows int64, the dtype of a batch of ints"
            raise ValueError(msg)
    return host.astype(inferred_dtype(host))


def _like(template, values):
    """``values`` (a dict, or a list) in ``template``'s container type, as PyTorch's collate:
    a mutable container is copied and filled, another is called on them; a type that allows
    neither gives the plain dict or list."""
    try:
        if isinstance(template, MutableMapping):
            clone = copy.copy(template)
            clone.update(values)
            return clone
        if isinstance(template, MutableSequence):
            clone = copy.copy(template)
            clone[:] = values
            return clone
        return type(template)(values)
    except TypeError:
        return values


def default_collate(samples: list):
    """Stack a list of samples into a batch, field by field, on the host.

    As PyTorch's ``default_collate``: arrays, Tensors and numbers are stacked, strings and
    bytes kept as a list, mappings (of their own type) collated key by key, named tuples
    field by field (of their own type), other sequences field by field.

    Args:
        samples: samples as a dataset returns them: tuples (or lists) of arrays, Tensors,
            numbers and strings, dicts or named tuples of them, or bare arrays.

    Returns:
        A tuple of NumPy arrays (one per field; PyTorch gives a list), a mapping for mapping
        samples, a named tuple for named-tuple samples, a list for strings, or one array for
        bare samples; the :class:`~xpnet.data.DataLoader` then moves the arrays to the
        current backend, as Tensors when the samples held Tensors.

    Raises:
        RuntimeError: if sequence samples have different lengths (PyTorch's error).
        TypeError: for a field that cannot be batched: ``None``, an array of strings or
            objects, or any other type (PyTorch's message).

    Example:
        >>> batch = default_collate([(np.zeros(2), 0, "a"), (np.ones(2), 1, "b")])
        >>> [field.shape for field in batch[:2]], batch[1].tolist(), batch[2]
        ([(2, 2), (2,)], [0, 1], ['a', 'b'])
    """
    first = samples[0]
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, Mapping):  # without this NumPy stacks the dicts as objects
        return _like(
            first, {key: default_collate([sample[key] for sample in samples]) for key in first}
        )
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a named tuple
        return type(first)(
            *(default_collate(list(fields)) for fields in zip(*samples, strict=False))
        )
    if isinstance(first, Sequence):
        if any(len(sample) != len(first) for sample in samples):
            raise RuntimeError("each element in list of batch should be of equal size")
        return tuple(default_collate(list(fields)) for fields in zip(*samples, strict=True))
    return _host_field(samples)


def default_convert(data):
    """One sample as the loader delivers it unbatched: NumPy values as host arrays.

    As PyTorch's ``default_convert``: NumPy arrays and scalars become arrays (PyTorch makes
    them tensors; the :class:`~xpnet.data.DataLoader` moves them to the backend), mappings,
    named tuples and other sequences are converted entry by entry (keeping their type where
    it can be rebuilt), anything else (Python numbers, strings, Tensors, arrays of strings or
    objects) is left as is. A plain tuple, or a ``range``, becomes a list, as in PyTorch.

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
    if isinstance(data, Mapping):
        return _like(data, {key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a named tuple
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, tuple):  # a list, as PyTorch's (its comment: "backwards compatibility")
        return [default_convert(value) for value in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return _like(data, [default_convert(value) for value in data])
    return data


def holds_tensors(sample) -> bool:
    """Whether a sample holds an :class:`xpnet.Tensor` (its batch is then delivered as
    Tensors)."""
    if isinstance(sample, Mapping):
        return holds_tensors(tuple(sample.values()))
    if isinstance(sample, (tuple, list)):
        return any(holds_tensors(field) for field in sample)
    return isinstance(sample, Tensor)


def map_fields(batch, function):
    """``function`` applied to each field of a batch (through mappings, tuples and lists,
    keeping their types)."""
    if isinstance(batch, Mapping):
        return _like(batch, {key: map_fields(field, function) for key, field in batch.items()})
    if isinstance(batch, (tuple, list)) and not hasattr(batch, "_fields"):
        return type(batch)(map_fields(field, function) for field in batch)
    if isinstance(batch, tuple):  # a named tuple
        return type(batch)(*(map_fields(field, function) for field in batch))
    return function(batch)
