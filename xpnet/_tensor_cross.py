"""The cross product of 3-vectors: ``torch.cross`` (``xpnet.cross`` and ``Tensor.cross``) and
``torch.linalg.cross`` (:func:`linalg_cross`, which :mod:`xpnet.linalg` exports as ``cross``),
with PyTorch 2.13's rules and gradients.

Both take two tensors of one dtype and one number of dimensions, each of size 3 in ``dim``,
the other dimensions broadcast (PyTorch neither promotes dtypes nor broadcasts ``dim`` itself
nor adds leading dimensions). ``linalg.cross`` defaults to ``dim=-1``; ``torch.cross``'s
``dim=None`` picks the first dimension of size 3 of ``input`` and warns that this default is
deprecated, as PyTorch (whose warning shows once per process; xpnet's warns at every such call,
left to Python's warning filters). The array pair is :func:`cross_product` and
:func:`cross_product_backward`; the gradients are PyTorch's (``derivatives.yaml``):
``other x grad`` for ``input`` and ``grad x input`` for ``other``, summed over broadcast
dimensions.

Example:
    >>> import xpnet
    >>> a = xpnet.tensor([1.0, 0.0, 0.0], requires_grad=True)
    >>> b = xpnet.tensor([0.0, 1.0, 0.0])
    >>> c = xpnet.linalg.cross(a, b); c.tolist()
    [0.0, 0.0, 1.0]
    >>> c.sum().backward(); a.grad.tolist()
    [1.0, 0.0, -1.0]
"""

from __future__ import annotations

import warnings

import numpy

from ._tensor_join import checked_dim
from ._tensor_ops import check_grad, ieee, unbroadcast
from ._torch_functions import as_input
from .amp.autocast_mode import promote_operands
from .autograd import Function, Tensor
from .backends import backend_of
from .kernels import ArgumentError, UnsupportedDtypeError

__all__ = ["cross"]

_DEPRECATED_DEFAULT = (
    "xpnet.cross: using cross without specifying dim is deprecated (as in PyTorch); pass dim "
    "explicitly or use xpnet.linalg.cross. The default dim (the first dimension of size 3) "
    "will change to agree with that of linalg.cross (-1) in a future release."
)


def _component(array, i: int, dim: int):
    """``array``'s ``i``-th component along ``dim`` (a view without that dimension)."""
    return array[(slice(None),) * dim + (i,)]


@ieee
def cross_product(a, b, dim: int):
    """The cross product of ``a`` and ``b`` (one dtype and number of dimensions, size 3 in
    ``dim`` in ``[0, ndim)``, the others broadcast) along ``dim``; float16 in float32."""
    xp = backend_of(a, b, names=("input", "other"), where="cross").xp
    work = numpy.float32 if a.dtype == numpy.float16 else a.dtype
    a0, a1, a2 = (_component(a.astype(work, copy=False), i, dim) for i in range(3))
    b0, b1, b2 = (_component(b.astype(work, copy=False), i, dim) for i in range(3))
    result = xp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=dim)
    return result.astype(a.dtype, copy=False)


def cross_product_backward(grad_output, a, b, dim: int):
    """PyTorch's gradients: ``cross(b, grad_output)`` for ``a`` and ``cross(grad_output, a)``
    for ``b``, each summed to its operand's shape (broadcast dimensions)."""
    shape = numpy.broadcast_shapes(a.shape, b.shape)
    check_grad("cross_backward", grad_output, shape, a.dtype, a, b)
    grad_a = cross_product(b, grad_output, dim)
    grad_b = cross_product(grad_output, a, dim)
    return unbroadcast(grad_a, a.shape), unbroadcast(grad_b, b.shape)


_cross = Function(cross_product, cross_product_backward, wrt=("a", "b"))


def _checked(where: str, a: Tensor, b: Tensor, dim) -> int:
    """PyTorch's checks, in its order; ``dim`` in ``[0, ndim)``."""
    if a.ndim != b.ndim:
        msg = (
            f"xpnet.{where}: input and other must have the same number of dimensions, got "
            f"shapes {a.shape} and {b.shape}"
        )
        raise ArgumentError(msg)
    axis = checked_dim(f"xpnet.{where}", dim, a.ndim, f"{a.ndim}-d inputs")
    if a.shape[axis] != 3 or b.shape[axis] != 3:
        msg = (
            f"xpnet.{where}: input and other must have size 3 in dimension {dim}, got "
            f"{a.shape[axis]} and {b.shape[axis]} (shapes {a.shape} and {b.shape})"
        )
        raise ArgumentError(msg)
    try:
        numpy.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        msg = f"xpnet.{where}: input and other must broadcast, got shapes {a.shape} and {b.shape}"
        raise ArgumentError(msg) from None
    if a.dtype != b.dtype:
        msg = f"xpnet.{where}: input and other must have one dtype, got {a.dtype} and {b.dtype}"
        raise ArgumentError(msg)
    if a.dtype == numpy.bool_:
        msg = f"xpnet.{where}: input and other must be numbers, not bool tensors"
        raise UnsupportedDtypeError(msg)  # PyTorch's NotImplementedError, and a TypeError
    return axis


def linalg_cross(input, other, *, dim: int = -1) -> Tensor:
    r"""The cross product of 3-vectors along ``dim``, as ``torch.linalg.cross``.

    ``out[..., 0] = a1 b2 - a2 b1``, ``out[..., 1] = a2 b0 - a0 b2``,
    ``out[..., 2] = a0 b1 - a1 b0`` (``a = input``, ``b = other``, components along ``dim``).

    Args:
        input: a Tensor or backend array, of size 3 in ``dim``.
        other: a Tensor or backend array of ``input``'s dtype and number of dimensions, of
            size 3 in ``dim``; the other dimensions broadcast with ``input``'s.
        dim: the dimension of the vectors, in ``[-ndim, ndim)``. Default: ``-1``.

    Shape:
        - input, other: ``(*, 3, *)``, of one number of dimensions.
        - Output: the broadcast shape, 3 in ``dim``.

    Returns:
        Tensor of ``input``'s dtype; gradients for both inputs (PyTorch's).

    Raises:
        TypeError: ``input`` or ``other`` not a Tensor or array, ``dim`` not an int, bool
            tensors. IndexError: ``dim`` out of range. ArgumentError: different numbers of
            dimensions or dtypes, a size other than 3 in ``dim``, shapes that do not broadcast.

    Example:
        >>> import xpnet
        >>> a = xpnet.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
        >>> xpnet.linalg.cross(a, xpnet.tensor([[0.0], [1.0], [0.0]]), dim=0).tolist()
        [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]]
    """
    a, b = as_input("linalg.cross", input), as_input("linalg.cross", other, "other")
    return _cross(a, b, _checked("linalg.cross", a, b, dim))


linalg_cross.__name__ = linalg_cross.__qualname__ = "cross"


def cross(input, other, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim``, as ``torch.cross`` and ``Tensor.cross``:
    :func:`xpnet.linalg.cross` but for the default ``dim=None``, which is the first
    dimension of ``input`` of size 3 (with a deprecation ``UserWarning``, as PyTorch).

    Args:
        input: a Tensor or backend array.
        other: a Tensor or backend array of ``input``'s dtype and number of dimensions.
        dim: the dimension of the vectors, or ``None``. Default: ``None``.

    Returns:
        Tensor of ``input``'s dtype, of the broadcast shape.

    Raises:
        ArgumentError: ``dim=None`` and ``input`` has no dimension of size 3, and as
            :func:`xpnet.linalg.cross`.

    Example:
        >>> import xpnet
        >>> a, b = xpnet.eye(3), xpnet.tensor([[0.0, 0.0, 1.0]])
        >>> xpnet.cross(a, b, dim=1).tolist()
        [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    a, b = as_input("cross", input), as_input("cross", other, "other")
    a, b = promote_operands(a, b)  # on PyTorch's autocast promote list (linalg.cross is not)
    if dim is None:
        warnings.warn(_DEPRECATED_DEFAULT, UserWarning, stacklevel=2)
        if 3 not in a.shape:
            msg = f"xpnet.cross: input has no dimension of size 3 (for dim=None), got {a.shape}"
            raise ArgumentError(msg)
        dim = a.shape.index(3)
    return _cross(a, b, _checked("cross", a, b, dim))


METHODS = {"cross": cross}
