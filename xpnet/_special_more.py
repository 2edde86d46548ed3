"""The ``torch.special`` functions on :mod:`xpnet.kernels._bessel_math`,
:mod:`xpnet.kernels._polynomial_math` and :mod:`xpnet.kernels._igamma_math`, as
:mod:`xpnet.special` exports them (``out=`` included): the Bessel and Airy functions and the
orthogonal polynomials, whose results, as PyTorch's, never require grad; ``gammainc`` and
``gammaincc`` (``xpnet.igamma``/``igammac``, ``Tensor.igamma``/``igamma_``/``igammac``/
``igammac_``) with PyTorch's gradient for ``other`` only (its backward raises
``NotImplementedError`` for ``input``, as PyTorch's). Dtypes as PyTorch's CPU kernels:
integers and bools give the default dtype (``gammainc`` promotes its two as PyTorch and
refuses two integer ones), float16 is refused (``gammainc`` computes it in float32), complex
numbers are refused.

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([1.0, 2.0], dtype=xpnet.float64)
    >>> [round(v, 6) for v in xpnet.special.bessel_j1(x).tolist()]
    [0.440051, 0.576725]
"""

from __future__ import annotations

import numpy

from ._dtypes import floating, get_default_dtype, result_dtype, torch_operands
from ._grad_mode import is_grad_enabled
from ._tensor_checks import UnsupportedDtypeError, refuse_dtype
from ._tensor_inplace_more import in_place_form
from ._tensor_ops import check_grad, shape_of, unbroadcast
from ._torch_functions import as_input
from .autograd import Function, Tensor, data_of
from .backends import backend_of, float_errors_ignored
from .kernels import _bessel_math as bessel
from .kernels import _igamma_math as incomplete
from .kernels import _polynomial_math as polynomials
from .kernels import _special_math as special

BESSEL = (
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0",
    "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
    "spherical_bessel_j0",
)  # fmt: skip
__all__ = [*BESSEL, *polynomials.NAMES, "gammainc", "gammaincc", "igamma", "igammac", "written"]
__all__ += ["igamma_backward", "igammac_backward"]  # for xpnet._double_backward_special


def written(where: str, result: Tensor, out) -> Tensor:
    """``result``, or ``out`` holding it (resized and cast as PyTorch's ``out=``)."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        msg = f"xpnet.special.{where}: out must be a Tensor, got {type(out).__name__}"
        raise TypeError(msg)
    if is_grad_enabled() and (result.requires_grad or out.requires_grad):
        msg = (
            f"xpnet.special.{where}: out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
        raise RuntimeError(msg)
    if not numpy.can_cast(result.dtype, out.dtype, "same_kind"):
        msg = f"xpnet.special.{where}: result type {result.dtype} can't be cast to the desired "
        raise RuntimeError(msg + f"output type {out.dtype}")
    if tuple(out.shape) != tuple(result.shape):
        out.resize_(result.shape)
    return out.copy_(result)


def _no_half(where: str, dtype) -> None:
    if dtype == numpy.float16:
        msg = f"xpnet.special.{where}: not implemented for float16 (PyTorch's CPU kernel)"
        raise UnsupportedDtypeError(msg)


def _compute(name: str):
    if name.startswith("scaled_"):
        return lambda xp, x: getattr(bessel, name[len("scaled_") :])(xp, x, scaled=True)
    return getattr(bessel, name)


def _bessel(name: str):
    compute = _compute(name)

    def function(input, *, out=None) -> Tensor:
        x = as_input(f"special.{name}", input)
        refuse_dtype(f"xpnet.special.{name}", x, "c", "a real tensor")
        x = floating(x).detach()
        _no_half(name, x.dtype)
        with float_errors_ignored():
            result = Tensor(compute(backend_of(x.array).xp, x.array))
        return written(name, result, out)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"PyTorch's ``torch.special.{name}`` (its Cephes-based formulas, in the input's float "
        "dtype; integers give the default dtype); the result never requires grad."
    )
    return function


def _float_operands(where: str, input, other):
    """``(x, n)`` as arrays of PyTorch's common float dtype; either may be a number."""
    if not hasattr(input, "dtype") and not hasattr(other, "dtype"):
        msg = f"xpnet.special.{where}: input or n must be a Tensor, got two numbers"
        raise TypeError(msg)
    a = as_input(f"special.{where}", input) if hasattr(input, "dtype") else input
    b = as_input(f"special.{where}", other, "n") if hasattr(other, "dtype") else other
    for value, argument in ((a, "input"), (b, "n")):
        if hasattr(value, "dtype"):
            refuse_dtype(f"xpnet.special.{where}", value, "c", "a real tensor", argument)
    a, b = torch_operands(a, b, true_division=True)
    values = [data_of(v) for v in (a, b)]
    dtype = numpy.result_type(*[getattr(v, "dtype", v) for v in values])
    dtype = dtype if dtype.kind == "f" else get_default_dtype()
    _no_half(where, dtype)
    xp = backend_of(*[v for v in values if hasattr(v, "shape")]).xp
    return xp, *(xp.asarray(v, dtype=dtype) for v in values)


def _polynomial(name: str):
    def function(input, n, *, out=None) -> Tensor:
        xp, x, degree = _float_operands(name, input, n)
        with float_errors_ignored():
            result = Tensor(polynomials.evaluate(xp, name, x, degree))
        return written(name, result, out)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"PyTorch's ``torch.special.{name}(input, n)``: its recurrence (and closed forms) at "
        "``input`` for the degree ``n`` truncated to an integer (0 for negative ``n``); either "
        "may be a number. The result never requires grad."
    )
    return function


def _incomplete_forward(compute):
    def forward(a, b):
        a, b = data_of(a), data_of(b)
        dtype = numpy.result_type(a.dtype, b.dtype)
        wide = numpy.float32 if dtype == numpy.float16 else dtype  # PyTorch's float16: in float
        with float_errors_ignored():
            value = compute(backend_of(a).xp, a.astype(wide), b.astype(wide))
        return value.astype(dtype, copy=False)

    return forward


def _incomplete_backward(name: str, sign: float):
    """PyTorch's ``igamma``/``igammac`` backward: ``+-grad exp((a - 1) log x - x - lgamma(a))``
    for ``other``; NotImplementedError for ``input``, as PyTorch's."""

    def backward(grad_output, a, b, output_mask=(True, True)):
        shape = numpy.broadcast_shapes(shape_of(a), shape_of(b))
        check_grad(f"{name}_backward", grad_output, shape, grad_output.dtype, a, b)
        if output_mask[0]:
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        xp = backend_of(grad_output).xp
        with float_errors_ignored():
            log_density = (a - 1) * xp.log(b) - b - special.lgamma(xp, a)
            grad_b = sign * grad_output * xp.exp(log_density)
        return None, unbroadcast(grad_b.astype(b.dtype, copy=False), shape_of(b))

    backward.__name__ = f"{name}_backward"
    return backward


igamma_backward = _incomplete_backward("igamma", 1.0)
igammac_backward = _incomplete_backward("igammac", -1.0)
_INCOMPLETE = {
    "igamma": Function(_incomplete_forward(incomplete.igamma), igamma_backward, wrt=("a", "b")),
    "igammac": Function(_incomplete_forward(incomplete.igammac), igammac_backward, wrt=("a", "b")),
}


def _incomplete(where: str, name: str, input, other, out):
    if not isinstance(input, Tensor | numpy.ndarray) and not hasattr(input, "shape"):
        raise TypeError(f"xpnet.{where}: input must be a Tensor, got {type(input).__name__}")
    if not hasattr(other, "shape"):
        raise TypeError(f"xpnet.{where}: other must be a Tensor, got {type(other).__name__}")
    a, b = as_input(where, input), as_input(where, other, "other")
    for tensor, argument in ((a, "input"), (b, "other")):
        refuse_dtype(f"xpnet.{where}", tensor, "c", "a real tensor", argument)
    dtype = result_dtype(a.array, b.array)  # PyTorch's promotion: int64 beside float32 is
    if dtype.kind != "f":  # float32, a 0-d float64 leaves float32 so; integers alone refused
        msg = f"xpnet.{where}: input and other must not both be integer or bool tensors, got "
        raise UnsupportedDtypeError(msg + f"{a.dtype} and {b.dtype}")
    return written(name, _INCOMPLETE[name](a.to(dtype), b.to(dtype)), out)


def gammainc(input, other, *, out=None) -> Tensor:
    """The regularized lower incomplete gamma function ``P(input, other) = gamma(a, x) /
    Gamma(a)``, as ``torch.special.gammainc`` (``torch.igamma``): PyTorch's algorithm and edge
    values (NaN for negative arguments, 1 at ``a = 0 < x``); its gradient for ``other``.

    Raises:
        TypeError: ``input`` or ``other`` is not a Tensor, is complex, or both hold integers
            or bools (PyTorch's ``NotImplementedError``, which this is too).
        NotImplementedError: at backward, when ``input`` requires grad (as PyTorch).

    Example:
        >>> import xpnet
        >>> a = xpnet.tensor([1.0, 2.0], dtype=xpnet.float64)
        >>> x = xpnet.tensor([1.0, 3.0], dtype=xpnet.float64)
        >>> [round(v, 6) for v in xpnet.special.gammainc(a, x).tolist()]
        [0.632121, 0.800852]
    """
    return _incomplete("special.gammainc", "igamma", input, other, out)


def gammaincc(input, other, *, out=None) -> Tensor:
    """The regularized upper incomplete gamma function ``Q = 1 - P``, as
    ``torch.special.gammaincc`` (``torch.igammac``); see :func:`gammainc`.

    Example:
        >>> import xpnet
        >>> a = xpnet.tensor([1.0, 2.0], dtype=xpnet.float64)
        >>> x = xpnet.tensor([1.0, 3.0], dtype=xpnet.float64)
        >>> [round(v, 6) for v in xpnet.special.gammaincc(a, x).tolist()]
        [0.367879, 0.199148]
    """
    return _incomplete("special.gammaincc", "igammac", input, other, out)


def igamma(input, other, *, out=None) -> Tensor:
    """``torch.igamma``: :func:`gammainc` (also ``Tensor.igamma``, ``Tensor.igamma_``)."""
    return _incomplete("igamma", "igamma", input, other, out)


def igammac(input, other, *, out=None) -> Tensor:
    """``torch.igammac``: :func:`gammaincc` (also ``Tensor.igammac``, ``Tensor.igammac_``)."""
    return _incomplete("igammac", "igammac", input, other, out)


(
    airy_ai, bessel_j0, bessel_j1, bessel_y0, bessel_y1, modified_bessel_k0, modified_bessel_k1,
    scaled_modified_bessel_k0, scaled_modified_bessel_k1, spherical_bessel_j0,
) = (_bessel(name) for name in BESSEL)  # fmt: skip
(
    chebyshev_polynomial_t, chebyshev_polynomial_u, chebyshev_polynomial_v,
    chebyshev_polynomial_w, shifted_chebyshev_polynomial_t, shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v, shifted_chebyshev_polynomial_w, hermite_polynomial_h,
    hermite_polynomial_he, laguerre_polynomial_l, legendre_polynomial_p,
) = (_polynomial(name) for name in polynomials.NAMES)  # fmt: skip


def _igamma_method(self, other) -> Tensor:
    """``torch.Tensor.igamma``: :func:`igamma` of this tensor and ``other``."""
    return igamma(self, other)


def _igammac_method(self, other) -> Tensor:
    """``torch.Tensor.igammac``: :func:`igammac` of this tensor and ``other``."""
    return igammac(self, other)


def _in_place(name: str):
    """``Tensor.igamma_``/``igammac_``: an integer or bool tensor beside a float ``other``
    cannot hold the float result (PyTorch's RuntimeError); else :func:`in_place_form`'s."""
    form = in_place_form(name, name[:-1])

    def in_place(self, other) -> Tensor:
        kind = getattr(other, "dtype", numpy.dtype("float32")).kind
        if self.dtype.kind in "biu" and kind == "f":
            msg = f"Tensor.{name}: result type {other.dtype} can't be cast to the desired "
            raise RuntimeError(msg + f"output type {self.dtype}")
        return form(self, other)

    in_place.__name__, in_place.__qualname__ = name, f"Tensor.{name}"
    in_place.__doc__ = form.__doc__
    return in_place


_igamma_method.__name__, _igammac_method.__name__ = "igamma", "igammac"
_igamma_method.__qualname__, _igammac_method.__qualname__ = "Tensor.igamma", "Tensor.igammac"
METHODS = {
    "igamma": _igamma_method,
    "igammac": _igammac_method,
    "igamma_": _in_place("igamma_"),
    "igammac_": _in_place("igammac_"),
}
for _name, _method in METHODS.items():  # xpnet.special imports this module: always attached
    if _name not in vars(Tensor):
        setattr(Tensor, _name, _method)
