"""Python's protocols and host copies on :class:`xpnet.Tensor` as PyTorch's: ``len(x)`` and
iteration run along the first dimension (``for row in x``: the rows of ``x.unbind(0)``,
views with ``UnbindBackward0`` nodes) and refuse a 0-d tensor with PyTorch's ``TypeError``;
a format spec formats a 0-d tensor as its number (``f"{loss:.4f}"``, one host read on a
GPU), and is refused for others, as ``object``'s; ``numpy()`` and ``item()`` copy to the
host. :func:`data_dtype` is PyTorch's dtype of Python data given to ``xpnet.tensor``: each
number's own, promoted (``[np.float64(1.0)]`` is float64).

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> len(x), [row.tolist() for row in x], f"{x.sum():.2f}"
    (2, [[1.0, 2.0], [3.0, 4.0]], '10.00')
"""

from __future__ import annotations

import functools

import numpy

from ._dtypes import get_default_dtype, inferred_dtype, promoted
from .autograd import data_of
from .backends import backend_of
from .kernels import ArgumentError


def tensor_len(self) -> int:
    """The length of the first dimension; ``TypeError`` for a 0-d tensor, as PyTorch's."""
    if self.ndim == 0:
        raise TypeError("len() of a 0-d tensor")
    return self.shape[0]


def tensor_iter(self):
    """The rows along the first dimension (``unbind(0)``, as PyTorch's ``__iter__``)."""
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(self.unbind(0))


def tensor_format(self, format_spec: str) -> str:
    """A 0-d tensor formatted as its number; any other with ``object``'s rules (an empty spec
    prints it, another is a ``TypeError``), as PyTorch's ``__format__``."""
    if self.ndim == 0:
        return self.item().__format__(format_spec)
    return object.__format__(self, format_spec)


_PYTHON_NUMBERS = (bool, int, float, complex)  # the order matters: a bool is an int


def _python_type(number) -> type:
    return next((kind for kind in _PYTHON_NUMBERS if isinstance(number, kind)), complex)


def host_sequences(data, found: set):
    """``data`` with the Tensors and backend arrays in its nested sequences copied to the
    host (one explicit ``to_host`` each), for NumPy to read; as given when ``found``, its
    :func:`leaf_types`, are Python's number types alone."""
    if found.issubset(_PYTHON_NUMBERS) or not isinstance(data, (list, tuple)):
        return data
    hosted = []
    for item in data:
        array = data_of(item)
        if isinstance(item, (list, tuple)):
            array = host_sequences(item, found)
        elif hasattr(array, "dtype") and not isinstance(array, numpy.generic):
            array = backend_of(array).to_host(array)
        hosted.append(array)
    return hosted


def leaf_types(data, found: set | None = None) -> set:
    """The types of the numbers in the nested sequences ``data``: Python's number types, and
    the dtypes of the NumPy scalars, arrays and Tensors among them (a row of Python numbers
    is one C-speed pass); empty for data that is not a list or tuple."""
    found = set() if found is None else found
    if not isinstance(data, (list, tuple, range)):
        return found
    kinds = set(map(type, data))
    if kinds.issubset(_PYTHON_NUMBERS):
        return found | kinds
    for item in data:
        if isinstance(item, (list, tuple, range)):
            found = leaf_types(item, found)
        else:
            dtype = getattr(data_of(item), "dtype", None)
            found.add(_python_type(item) if dtype is None else numpy.dtype(dtype))
    return found


def data_dtype(found: set, host: numpy.ndarray) -> numpy.dtype:
    """PyTorch's dtype of Python data whose numbers are of the :func:`leaf_types` ``found``
    (read by NumPy as ``host``): each number's own (a Python float the default dtype, an
    int int64, a NumPy scalar or 0-d Tensor its dtype), promoted as ``torch.promote_types``:
    ``[np.float64(1.0)]`` is float64 and ``[np.float16(1), 2]`` float16, where ``host``
    alone cannot tell them from Python floats.

    Example:
        >>> data_dtype(leaf_types([numpy.float16(1), 2]), numpy.asarray([1.0, 2.0]))
        dtype('float16')
    """
    if found.issubset(_PYTHON_NUMBERS):
        return inferred_dtype(host)
    default = get_default_dtype()
    python = {bool: numpy.dtype(bool), int: numpy.dtype("int64"), float: default}
    python[complex] = numpy.result_type(default, numpy.complex64)
    return functools.reduce(promoted, (python.get(kind, kind) for kind in found))


def tensor_numpy(self, *, force: bool = False):
    """A NumPy copy of the data (an explicit device-to-host copy), as ``Tensor.numpy``.
    ``force`` is accepted for PyTorch's signature: xpnet always copies, and, unlike PyTorch,
    does not refuse a tensor that requires grad (the copy is outside the graph either way)."""
    del force
    return backend_of(self.array).to_host(self.array)


def tensor_item(self) -> float | int:
    """The value of a one-element tensor as a Python number (a device-to-host copy).

    Raises:
        ArgumentError: (PyTorch's ``RuntimeError``, a ``ValueError``) for another size.
    """
    if self.array.size != 1:
        msg = f"Tensor.item: a Tensor with {self.array.size} elements cannot be converted"
        raise ArgumentError(f"{msg} to Scalar")
    return tensor_numpy(self).item()


METHODS = {
    "__len__": tensor_len, "__iter__": tensor_iter, "__format__": tensor_format,
    "numpy": tensor_numpy, "item": tensor_item,
}  # fmt: skip
