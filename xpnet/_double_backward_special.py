"""Differentiable backwards (:mod:`xpnet._double_backward`, ``create_graph=True``) of
:mod:`xpnet.special`'s own functions (:mod:`xpnet._special_ops`; ``gammainc``/``gammaincc``'s
gradient for ``other``, :mod:`xpnet._special_more`): PyTorch's formulas
(``tools/autograd/derivatives.yaml``) in recorded Tensor operations, so that their gradients
are differentiable again. :mod:`xpnet.special` imports this module, which registers them.

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([1.0], dtype=xpnet.float64, requires_grad=True)
    >>> (g,) = xpnet.autograd.grad(xpnet.special.i1(x).sum(), x, create_graph=True)
    >>> f"{xpnet.autograd.grad(g.sum(), x)[0].item():.6f}"  # (1 + 1/x^2) I1 - I1' / x
    '0.429411'
"""

from __future__ import annotations

import math

from . import _special_more as more
from . import _special_ops as ops
from . import special
from ._double_backward import differentiable_backward
from ._double_backward_elementwise import register_slope
from ._double_backward_ops import needs, sum_to
from ._tensor_index import where
from ._torch_ops_more import i0
from .autograd import Tensor
from .backends import backend_of

__all__: list[str] = []

_ROOT_TWO_PI = math.sqrt(2 * math.pi)


def _limit_half(a, slope):
    """``slope(a)``, or PyTorch's limit 0.5 where the first derivative takes it
    (:func:`xpnet._special_ops.near_zero`); ``slope`` runs at 1 there, so that the unused
    branch stays finite and its gradient 0 (at NaN too)."""
    near = Tensor(ops.near_zero(backend_of(a.array).xp, a.array))
    return where(near, 0.5, slope(where(near, 1.0, a)))


_SLOPES = {
    ops.erfcx_backward: lambda a: 2 * a * special.erfcx(a) - 2 / math.sqrt(math.pi),
    ops.ndtri_backward: lambda a: _ROOT_TWO_PI * (special.ndtri(a) ** 2 / 2).exp(),
    ops.log_ndtr_backward: lambda a: (-(special.log_ndtr(a) + a * a / 2)).exp() / _ROOT_TWO_PI,
    ops.entr_backward: lambda a: -(1 + a.log()),
    ops.i0e_backward: lambda a: special.i1e(a) - a.sign() * special.i0e(a),
    ops.i1_backward: lambda a: _limit_half(a, lambda s: i0(s) - special.i1(s) / s),
    ops.i1e_backward: lambda a: _limit_half(
        a, lambda s: special.i0e(s) - special.i1e(s) * (s.sign() + 1 / s)
    ),
}


for _backward, _slope in _SLOPES.items():
    register_slope(_backward, _slope)
del _backward, _slope


@differentiable_backward(ops.xlog1py_backward)
def _xlog1py_formula(grad_output, a, b):
    """PyTorch's: ``xlog1py(grad, b)``, 0 where ``a == 0`` and ``b <= -1``; ``grad a / (b + 1)``."""
    grad_a = grad_b = None
    if needs(a):
        skip = (a == 0) & (b <= -1)
        grad_a = sum_to(where(skip, 0.0, special.xlog1py(grad_output, b)), a.shape)
    if needs(b):
        grad_b = sum_to(grad_output * a / (b + 1), b.shape)
    return grad_a, grad_b


@differentiable_backward(ops.zeta_backward)
def _zeta_formula(grad_output, a, b):
    """PyTorch's ``-grad x zeta(x + 1, q)`` for ``q`` (``x`` never requires grad here)."""
    grad_b = -grad_output * a * special.zeta(a + 1, b)
    return None, sum_to(grad_b, b.shape) if needs(b) else None


def _incomplete_gamma_formula(name: str, sign: float):
    """PyTorch's ``+-grad exp((a - 1) log x - x - lgamma(a))`` for ``x`` (``igammac``: minus),
    in Tensor operations; ``NotImplementedError`` for ``a``, as PyTorch's."""

    def formula(grad_output, a, b):
        if needs(a):
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        density = ((a - 1) * b.log() - b - a.lgamma()).exp()
        return None, sum_to(sign * grad_output * density, b.shape) if needs(b) else None

    return formula


differentiable_backward(more.igamma_backward)(_incomplete_gamma_formula("igamma", 1.0))
differentiable_backward(more.igammac_backward)(_incomplete_gamma_formula("igammac", -1.0))
