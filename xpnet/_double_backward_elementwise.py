"""Differentiable backwards (:mod:`xpnet._double_backward`) of the elementwise functions that
:mod:`xpnet._double_backward_ops` leaves out: the trigonometric and hyperbolic functions and
the exp/log variants (:mod:`xpnet._tensor_trig`), ``erfc``, ``erfinv``, the gamma family,
``trunc``/``frac``/``nan_to_num``/``logit``, and the binary ``atan2``, ``hypot``,
``logaddexp(2)``, ``xlogy``, ``fmod``, ``remainder``, ``copysign``, ``maximum``/``minimum``
and ``fmax``/``fmin``, each PyTorch's formula (``tools/autograd/derivatives.yaml``) in
recorded Tensor operations.

:func:`composite`, shared with the other formula modules, gives the gradients of a
recomputation in recorded Tensor operations, which is how PyTorch differentiates its composite
ops (``cosine_similarity``, ``kl_div``, ...).
"""

from __future__ import annotations

import math

from . import _tensor_elementwise as elementwise
from . import _tensor_elementwise_more_ops as more_ops
from . import _tensor_elementwise_ops as ops
from . import _tensor_join as join
from . import _tensor_trig as trig
from ._double_backward import differentiable_backward
from ._double_backward_ops import needs, piecewise_constant, sum_to, zeros_like
from ._tensor_index import where
from .autograd import Tensor, data_of
from .backends import backend_of, float_errors_ignored

__all__ = ["composite", "register_slope"]


def composite(grad_output, forward, *inputs) -> tuple:
    """The gradients of ``forward(*inputs)`` (recorded Tensor operations) for the upstream
    ``grad_output``, with a graph; ``None`` for the inputs that do not require grad.

    The inputs are cloned first so that the inner walk stops at the clones (their own
    ``grad_fn`` may lie far upstream)."""
    from .autograd import grad

    stand_ins = [x.clone() if needs(x) else x for x in inputs]
    wanted = [x for x in stand_ins if needs(x)]
    output = forward(*stand_ins)
    grads = iter(grad(output, wanted, grad_output, create_graph=True, allow_unused=True))
    return tuple(next(grads) if needs(x) else None for x in inputs)


# -- unary: d/da as a function of the Tensor a (PyTorch's formulas) --------------------------
_SLOPES = {
    "sin": lambda a: a.cos(),
    "cos": lambda a: -a.sin(),
    "tan": lambda a: 1 + a.tan() ** 2,
    "asin": lambda a: (1 - a * a).rsqrt(),
    "acos": lambda a: -(1 - a * a).rsqrt(),
    "atan": lambda a: 1 / (a * a + 1),
    "sinh": lambda a: a.cosh(),
    "cosh": lambda a: a.sinh(),
    "asinh": lambda a: (a * a + 1).rsqrt(),
    "acosh": lambda a: (a * a - 1).rsqrt(),
    "atanh": lambda a: 1 / (1 - a * a),
    "expm1": lambda a: a.expm1() + 1,
    "log1p": lambda a: 1 / (a + 1),
    "log2": lambda a: 1 / (a * math.log(2)),
    "log10": lambda a: 1 / (a * math.log(10)),
    "exp2": lambda a: a.exp2() * math.log(2),
    "erfc": lambda a: -2 / math.sqrt(math.pi) * (-a * a).exp(),
    "erfinv": lambda a: 0.5 * math.sqrt(math.pi) * (a.erfinv() ** 2).exp(),
    "lgamma": lambda a: a.digamma(),
    "digamma": lambda a: a.polygamma(1),
}
_ARRAY_BACKWARDS = {"erfc", "erfinv", "lgamma", "digamma"}  # public in elementwise_ops


def register_slope(backward, slope) -> None:
    """Register ``grad_output * slope(a)`` (``slope`` in Tensor operations) as the
    differentiable form of the unary ``backward``."""

    @differentiable_backward(backward)
    def formula(grad_output, a):
        return grad_output * slope(a)


for _name, _slope in _SLOPES.items():
    if _name in _ARRAY_BACKWARDS:
        register_slope(getattr(ops, f"{_name}_backward"), _slope)
    else:
        register_slope(trig.FUNCTIONS[_name].backward, _slope)
del _name, _slope


@differentiable_backward(trig.FUNCTIONS["sinc"].backward)
def _sinc_formula(grad_output, a):
    """PyTorch's ``sinc_backward``: ``(pi a cos(pi a) - sin(pi a)) / (pi a^2)``, 0 where
    ``pi a^2`` is 0."""
    pi_a = math.pi * a
    slope = (pi_a * pi_a.cos() - pi_a.sin()) / (a * a * math.pi)
    return where(Tensor(a.array * a.array * math.pi == 0), 0.0, grad_output * slope)


@differentiable_backward(ops.polygamma_backward)
def _polygamma_formula(grad_output, a, n):
    return grad_output * a.polygamma(n + 1)


@differentiable_backward(ops.trunc_backward)
def _trunc_formula(grad_output, a):
    return zeros_like(a)


@differentiable_backward(ops.frac_backward)
def _frac_formula(grad_output, a):
    return grad_output


@differentiable_backward(ops.nan_to_num_backward)
def _nan_to_num_formula(grad_output, a, nan=0.0, posinf=None, neginf=None):
    return where(Tensor(backend_of(a.array).xp.isfinite(a.array)), grad_output, 0.0)


@differentiable_backward(trig.LOGIT.backward)
def _logit_formula(grad_output, a, eps=None):
    """``grad / (a (1 - a))``; 0 outside ``[eps, 1 - eps]`` with ``eps``, else NaN outside
    ``[0, 1]`` (PyTorch's ``logit_backward``)."""
    x, grad = a.array, grad_output / (a * (1 - a))
    if eps is not None:
        return where(Tensor((x < eps) | (x > 1 - eps)), 0.0, grad)
    return where(Tensor((x < 0) | (x > 1)), math.nan, grad)


# -- binary: a and b broadcast, a number where the op was given one --------------------------
def _pair(a, b, grad_a, grad_b) -> tuple:
    """``(grad_a, grad_b)`` summed back to the shapes of the operands that need them."""
    return (
        sum_to(grad_a(), a.shape) if needs(a) else None,
        sum_to(grad_b(), b.shape) if needs(b) else None,
    )


def _arrays(grad_output, a, b):
    """``(xp, a, b)``: the operands' values, arrays or numbers."""
    return backend_of(grad_output.array).xp, data_of(a), data_of(b)


@differentiable_backward(ops.atan2_backward)
def _atan2_formula(grad_output, a, b):
    """PyTorch's ``atan2_backward``: ``grad * b / (a^2 + b^2)``, ``-grad * a / (a^2 + b^2)``;
    0 where the reciprocal is infinite, as xpnet's first-order backward."""
    scale = 1 / (a * a + b * b)
    scale = where(Tensor(backend_of(scale.array).xp.isinf(scale.array)), 0.0, scale)
    return _pair(a, b, lambda: grad_output * b * scale, lambda: grad_output * -a * scale)


@differentiable_backward(ops.hypot_backward)
def _hypot_formula(grad_output, a, b):
    result = elementwise.hypot(a, b)
    return _pair(a, b, lambda: grad_output * (a / result), lambda: grad_output * (b / result))


def _logaddexp(power):
    def formula(grad_output, a, b):
        return _pair(
            a,
            b,
            lambda: grad_output / (1 + power(b - a)),
            lambda: grad_output / (1 + power(a - b)),
        )

    return formula


differentiable_backward(ops.logaddexp_backward)(_logaddexp(lambda t: t.exp()))
differentiable_backward(ops.logaddexp2_backward)(_logaddexp(lambda t: t.exp2()))


@differentiable_backward(ops.xlogy_backward)
def _xlogy_formula(grad_output, a, b):
    """PyTorch's: ``xlogy(grad, b)``, 0 where ``a == 0`` and ``b <= 0``; ``grad * a / b``."""
    xp, x, y = _arrays(grad_output, a, b)
    skip = Tensor(xp.asarray((x == 0) & (y <= 0)))
    return _pair(
        a,
        b,
        lambda: where(skip, 0.0, elementwise.xlogy(grad_output, b)),
        lambda: grad_output * a / b,
    )


def _quotient(rounding):
    """The formula of ``fmod`` (``rounding`` trunc) or ``remainder`` (floor): ``grad`` for
    ``a``, ``-grad * rounded(a / b)`` for ``b``, the quotient of derivative 0."""

    def formula(grad_output, a, b):
        xp, x, y = _arrays(grad_output, a, b)
        with float_errors_ignored():
            quotient = xp.asarray(rounding(xp, x, y), dtype=grad_output.dtype)
        steps = piecewise_constant(quotient, *[t for t in (a, b) if isinstance(t, Tensor)])
        return _pair(a, b, lambda: grad_output, lambda: -grad_output * steps)

    return formula


differentiable_backward(ops.fmod_backward)(_quotient(lambda xp, x, y: xp.trunc(x / y)))
differentiable_backward(ops.remainder_backward)(_quotient(lambda xp, x, y: x // y))


@differentiable_backward(ops.copysign_backward)
def _copysign_formula(grad_output, a, b):
    """``grad * copysign(a, b) / a`` (a sign, of derivative 0), 0 where ``a`` is 0; zeros for
    ``b``."""
    xp, x, y = _arrays(grad_output, a, b)
    ratio = xp.where(x == 0, 0, xp.copysign(1, x) * xp.copysign(1, y)).astype(grad_output.dtype)
    signs = piecewise_constant(ratio, *[t for t in (a, b) if isinstance(t, Tensor)])
    return _pair(a, b, lambda: grad_output * signs, lambda: zeros_like(grad_output))


def _extreme(loses):
    """``maximum``/``minimum`` (derivatives.yaml): half of ``grad`` each on ties, all of it to
    the operand taken, none to the one that ``loses``; both get all of it at a NaN."""

    def formula(grad_output, a, b, output_mask=(True, True)):
        x, y = data_of(a), data_of(b)
        shared = where(Tensor(x == y), grad_output / 2, grad_output)
        return _pair(
            a,
            b,
            lambda: where(Tensor(loses(x, y)), 0.0, shared),
            lambda: where(Tensor(loses(y, x)), 0.0, shared),
        )

    return formula


differentiable_backward(join.elementwise_max_backward)(_extreme(lambda x, y: x < y))
differentiable_backward(join.elementwise_min_backward)(_extreme(lambda x, y: x > y))


def _nan_ignoring(keeps):
    """``fmax``/``fmin``: all of ``grad`` to the operand taken (``a`` on ties and where ``b`` is
    NaN)."""

    def formula(grad_output, a, b, output_mask=(True, True)):
        xp, x, y = _arrays(grad_output, a, b)
        taken = Tensor(keeps(x, y) | xp.isnan(y))
        return _pair(
            a,
            b,
            lambda: where(taken, grad_output, 0.0),
            lambda: where(taken, 0.0, grad_output),
        )

    return formula


differentiable_backward(more_ops.fmax_arrays_backward)(_nan_ignoring(lambda x, y: x >= y))
differentiable_backward(more_ops.fmin_arrays_backward)(_nan_ignoring(lambda x, y: x <= y))
