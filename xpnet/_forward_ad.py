"""``xpnet.autograd.forward_ad``: PyTorch's ``torch.autograd.forward_ad`` API (dual tensors).

Inside a :class:`dual_level`, :func:`make_dual` attaches a tangent ``t`` to a primal, and
:func:`unpack_dual` of anything computed from it gives ``(primal, J t)``, the
Jacobian-vector product, as PyTorch's forward-mode AD does. xpnet has no forward-mode
formulas: the product is computed when it is asked for, by the double-vjp trick of
:func:`xpnet.func.jvp` (``u -> J^T u`` is linear in ``u``, so its vjp with ``t`` is
``J t``): two reverse passes through the recorded graph per :func:`unpack_dual`, and every
op needs a differentiable backward (``NotImplementedError`` names one that has none).

Differences from PyTorch, which follow from that: ops on dual tensors are recorded, so a
dual made from a tensor that does not require grad does (``requires_grad`` is True); under
``no_grad`` nothing is recorded, so results computed there have no tangent (``None``:
PyTorch's forward AD ignores ``no_grad``); a tangent comes back in the primal's dtype; a
tangent's graph runs through the primal's, so a backward through one frees the other
unless the first passes ``retain_graph=True``.

Example:
    >>> import xpnet
    >>> import xpnet.autograd.forward_ad as fwAD
    >>> x = xpnet.tensor([1.0, 2.0])
    >>> with fwAD.dual_level():
    ...     dual = fwAD.make_dual(x, xpnet.tensor([1.0, 0.0]))
    ...     y = (dual**3).sum()
    ...     fwAD.unpack_dual(y).tangent
    tensor(3.)
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from .autograd import Tensor

__all__ = [
    "UnpackedDualTensor",
    "dual_level",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
]

# the one level PyTorch allows: None outside it, else its duals: (dual, tangent, primal)
_duals: list | None = None


class UnpackedDualTensor(NamedTuple):
    """What :func:`unpack_dual` returns: the ``primal`` and its ``tangent`` (or ``None``)."""

    primal: Tensor
    tangent: Tensor | None


def enter_dual_level() -> int:
    """Enter the forward-AD level and return its number, 0 (PyTorch allows one level).

    Raises:
        RuntimeError: already inside one, as PyTorch's.
    """
    global _duals
    if _duals is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _duals = []
    return 0


def exit_dual_level(*, level=None) -> None:
    """Leave the level: every tangent made in it is forgotten (``unpack_dual`` gives None).

    Raises:
        RuntimeError: there is no level to leave, as PyTorch's.
    """
    global _duals
    if _duals is None:
        msg = "exit_dual_level: Dual level must be a positive number: no forward AD level is open"
        raise RuntimeError(msg)
    _check_level("exit_dual_level", level)
    _duals = None


class dual_level:  # noqa: N801 - PyTorch's name
    """A context (or decorator) inside which dual tensors can be made: :func:`enter_dual_level`
    on entry, :func:`exit_dual_level` on exit."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc_info) -> None:
        exit_dual_level()

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with dual_level():
                return function(*args, **kwargs)

        return wrapper


def _check_level(where: str, level) -> None:
    if _duals is None and where == "make_dual":
        msg = (
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
            "enter_dual_level() first."
        )
        raise RuntimeError(msg)
    if level is not None and (_duals is None or level != 0):
        raise RuntimeError(f"Invalid level given to _{where}")


def make_dual(tensor, tangent, *, level=None) -> Tensor:
    """``tensor`` as a dual tensor with ``tangent`` (same shape), as
    ``torch.autograd.forward_ad.make_dual``: a new Tensor of ``tensor``'s values through which
    ``tensor`` still gets gradients; results computed from it carry ``J tangent``, read with
    :func:`unpack_dual`.

    Raises:
        RuntimeError: outside a :class:`dual_level`, a ``tangent`` of another shape, or a
            ``tensor`` that is already a dual at this level, as PyTorch's. ValueError: a
            ``tensor`` or ``tangent`` that is not floating point. TypeError: not Tensors.
    """
    _check_level("make_dual", level)
    for name, value in (("tensor", tensor), ("tangent", tangent)):
        if not isinstance(value, Tensor):
            msg = f"make_dual: {name} must be a Tensor, got {type(value).__name__}"
            raise TypeError(msg)
        if value.dtype.kind != "f":
            what = "primal" if name == "tensor" else "tangent"
            msg = f"Expected {what} to be floating point or complex, but got: {value.dtype}"
            raise ValueError(msg)
    if tangent.shape != tensor.shape:
        msg = (
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}."
        )
        raise RuntimeError(msg)
    if any(tensor is dual for dual, _, _ in _duals):
        msg = (
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the "
            "same level 0 is not supported."
        )
        raise RuntimeError(msg)
    # a node of its own in the graph: a view of a tensor that requires grad (its gradient
    # flows back), else a fresh leaf on the same array
    dual = tensor.view_as(tensor) if tensor.requires_grad else tensor.detach().requires_grad_()
    _duals.append((dual, tangent.to(tensor.dtype), tensor))
    return dual


def unpack_dual(tensor, *, level=None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor``, as ``torch.autograd.forward_ad.unpack_dual``: the
    tangent is ``J t`` summed over this level's duals (``J`` the Jacobian of ``tensor`` with
    respect to each), ``None`` outside the level or for a tensor that depends on no dual."""
    _check_level("unpack_dual", level)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual: tensor must be a Tensor, got {type(tensor).__name__}")
    primal = next((p for dual, _, p in _duals or () if dual is tensor), tensor)
    if not _duals or not tensor.requires_grad or tensor.dtype.kind != "f":
        return UnpackedDualTensor(primal, None)
    return UnpackedDualTensor(primal, _tangent(tensor))


def _tangent(tensor: Tensor) -> Tensor | None:
    """``J t`` by two reverse passes (the graph is kept for the caller's own backward)."""
    from ._creation import zeros_like  # here: _creation imports the autograd module
    from .autograd import enable_grad, grad

    duals = [dual for dual, _, _ in _duals]
    with enable_grad():
        dummy = zeros_like(tensor).requires_grad_()
        found = grad(tensor, duals, dummy, retain_graph=True, create_graph=True, allow_unused=True)
        pairs = [(g, t) for g, (_, t, _) in zip(found, _duals, strict=True) if g is not None]
        if not pairs:
            return None
        total = sum((g * t).sum() for g, t in pairs)
        linked = any(p.requires_grad or t.requires_grad for _, t, p in _duals)
        if not total.requires_grad:  # J^T u did not depend on u: J is 0
            return zeros_like(tensor)
        (product,) = grad(total, dummy, retain_graph=True, create_graph=linked, allow_unused=True)
    return zeros_like(tensor) if product is None else product
