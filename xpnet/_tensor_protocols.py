"""Python's protocols on :class:`xpnet.Tensor` as PyTorch's: ``len(x)`` and iteration run
along the first dimension (``for row in x``: the rows of ``x.unbind(0)``, views with
``UnbindBackward0`` nodes) and refuse a 0-d tensor with PyTorch's ``TypeError``; a format
spec formats a 0-d tensor as its number (``f"{loss:.4f}"``, one host read on a GPU), and is
refused for others, as ``object``'s.

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> len(x), [row.tolist() for row in x], f"{x.sum():.2f}"
    (2, [[1.0, 2.0], [3.0, 4.0]], '10.00')
"""

from __future__ import annotations


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


METHODS = {"__len__": tensor_len, "__iter__": tensor_iter, "__format__": tensor_format}
