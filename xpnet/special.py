"""``xpnet.special``: PyTorch's ``torch.special`` (2.13's names and signatures, ``out=``
included) on xpnet Tensors, for both backends.

Most are other names of xpnet functions (one computation each: ``erf``, ``erfc``,
``erfinv``, ``expm1``, ``exp2``, ``log1p``, ``sinc``, ``round``, ``logit``, ``xlogy``,
``i0``, ``softmax``, ``log_softmax``, ``logsumexp``; ``expit`` is ``sigmoid``, ``gammaln``
``lgamma``, ``digamma``/``psi`` ``digamma``, ``multigammaln`` ``mvlgamma``); the functions
only ``torch.special`` has (``erfcx``, ``ndtr``, ``ndtri``, ``log_ndtr``, ``entr``,
``xlog1py``, ``zeta``, ``i0e``, ``i1``, ``i1e``, ``modified_bessel_i0``/``_i1``) are Tensor
operations of :mod:`xpnet._special_ops` with PyTorch's gradients, differentiable again
(:mod:`xpnet._double_backward_special`; ``zeta``: for ``other`` only; the
``modified_bessel_*`` results, as PyTorch's, never require grad). Integer and bool inputs
give the default dtype. ``ndtr`` keeps its relative accuracy in the lower tail (PyTorch's
``(1 + erf(x / sqrt 2)) / 2`` is 0 below -8.3). The Bessel functions ``J``, ``Y``, ``K``,
``airy_ai``, ``spherical_bessel_j0``, the orthogonal polynomials and ``gammainc``/
``gammaincc`` are :mod:`xpnet._special_more`'s (PyTorch's algorithms).

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([0.0, 1.0], dtype=xpnet.float64)
    >>> xpnet.special.ndtr(x).round(decimals=6).tolist(), xpnet.special.i1(x).tolist()[0]
    ([0.5, 0.841345], 0.0)
"""

from __future__ import annotations

import math

from . import _double_backward_special  # noqa: F401 (registers the create_graph formulas)
from . import _special_ops as ops
from . import _tensor_elementwise as elementwise
from . import _tensor_trig as trig
from . import _torch_functions as functions
from ._dtypes import floating, torch_operands
from ._node_names import named_nodes
from ._special_more import *  # noqa: F403 (the Bessel functions, polynomials, gammainc)
from ._special_more import __all__ as _more_all
from ._special_more import written as _written
from ._tensor_checks import refuse_dtype
from ._torch_functions import as_input
from ._torch_ops_more import i0 as _torch_i0
from .autograd import Function, Tensor, is_grad_enabled
from .backends import float_errors_ignored

__all__ = [
    "erf", "erfc", "erfcx", "erfinv", "expit", "logit", "exp2", "expm1", "log1p", "xlogy",
    "xlog1py", "gammaln", "digamma", "psi", "polygamma", "multigammaln", "i0", "i0e", "i1",
    "i1e", "modified_bessel_i0", "modified_bessel_i1", "ndtr", "ndtri", "log_ndtr",
    "log_softmax", "softmax", "logsumexp", "entr", "sinc", "round", "zeta",
]  # fmt: skip
__all__ += [name for name in _more_all if not name.startswith(("igamma", "written"))]

_UNARY = {
    name: Function(getattr(ops, name), getattr(ops, f"{name}_backward"), wrt=("a",))
    for name in ("erfcx", "ndtri", "log_ndtr", "entr", "i0e", "i1", "i1e")
}
_BINARY = {
    name: Function(getattr(ops, name), getattr(ops, f"{name}_backward"), wrt=("a", "b"))
    for name in ("xlog1py", "zeta")
}


# the unary functions whose PyTorch CPU kernels take complex tensors; the others refuse them
_COMPLEX = ("expit", "exp2", "expm1", "log1p", "sinc")


def _real(name: str, tensor, kinds: str = "c", argument: str = "input"):
    """``tensor``, after PyTorch's NotImplementedError (an :class:`UnsupportedDtypeError`) for
    a dtype whose kind is in ``kinds``: complex, for most ``torch.special`` kernels."""
    if hasattr(tensor, "dtype"):
        refuse_dtype(f"xpnet.special.{name}", tensor, kinds, "a real tensor", argument)
    return tensor


def _unary(name: str, compute, doc: str):
    def function(input, *, out=None) -> Tensor:
        x = as_input(f"special.{name}", input)
        return _written(name, compute(floating(x if name in _COMPLEX else _real(name, x))), out)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


def _alias(name: str, method: str):
    doc = f"``input.{method}()``, as ``torch.special.{name}`` (``out=`` too)."
    return _unary(name, lambda t: getattr(t, method)(), doc)


erf, erfc, erfinv, expm1, exp2, log1p, sinc = (
    _alias(name, name) for name in ("erf", "erfc", "erfinv", "expm1", "exp2", "log1p", "sinc")
)
expit, gammaln = _alias("expit", "sigmoid"), _alias("gammaln", "lgamma")
digamma, psi = _alias("digamma", "digamma"), _alias("psi", "digamma")


def _i0(t: Tensor) -> Tensor:
    with float_errors_ignored():  # xpnet.i0's exp overflows to inf as a NumPy warning
        return _torch_i0(t)


i0 = _unary("i0", _i0, "``xpnet.i0(input)``, as ``torch.special.i0`` (``out=`` too).")
erfcx = _unary("erfcx", _UNARY["erfcx"], "``exp(x^2) erfc(x)`` without overflow.")
ndtri = _unary("ndtri", _UNARY["ndtri"], "The inverse of :func:`ndtr` (NaN outside [0, 1]).")
log_ndtr = _unary("log_ndtr", _UNARY["log_ndtr"], "``log(ndtr(input))``, accurate below -1.")
entr = _unary("entr", _UNARY["entr"], "``-x log x`` (0 at 0, ``-inf`` below 0).")
i0e = _unary("i0e", _UNARY["i0e"], "``exp(-|x|) i0(x)``, the scaled modified Bessel I0.")
i1 = _unary("i1", _UNARY["i1"], "The modified Bessel function of the first kind, order 1.")
i1e = _unary("i1e", _UNARY["i1e"], "``exp(-|x|) i1(x)``, the scaled modified Bessel I1.")
modified_bessel_i0 = _unary(
    "modified_bessel_i0", lambda t: _i0(t.detach()), ":func:`i0`, never requiring grad."
)
modified_bessel_i1 = _unary(
    "modified_bessel_i1", lambda t: i1(t.detach()), ":func:`i1`, never requiring grad."
)


@named_nodes("MulBackward1")
def ndtr(input, *, out=None) -> Tensor:
    """The standard normal CDF ``(1 + erf(x / sqrt 2)) / 2``, as ``torch.special.ndtr``:
    computed as ``erfc(-x / sqrt 2) / 2`` (relative accuracy in the lower tail); the gradient
    is the normal density, by the chain rule through ``erfc``.

    Example:
        >>> import xpnet
        >>> xpnet.special.ndtr(xpnet.tensor([0.0])).tolist()
        [0.5]
    """
    x = floating(_real("ndtr", as_input("special.ndtr", input)))
    return _written("ndtr", (x * -math.sqrt(0.5)).erfc() * 0.5, out)


def logit(input, eps=None, *, out=None) -> Tensor:
    """:func:`xpnet.logit`, as ``torch.special.logit`` (``out=`` too; complex refused)."""
    return _written("logit", trig.logit(_real("logit", input), eps), out)


def round(input, *, decimals: int = 0, out=None) -> Tensor:  # noqa: A001 (torch's name)
    """:func:`xpnet.round`, as ``torch.special.round`` (``out=`` too); unlike ``torch.round``
    it refuses integers, bools and complex numbers (PyTorch's NotImplementedError)."""
    x = _real("round", input, "biuc")
    return _written("round", functions.round(x, decimals=decimals), out)


def polygamma(n: int, input, *, out=None) -> Tensor:
    """:func:`xpnet.polygamma` (``n`` first), as ``torch.special.polygamma``."""
    return _written("polygamma", elementwise.polygamma(n, _real("polygamma", input)), out)


def multigammaln(input, p: int, *, out=None) -> Tensor:
    """:func:`xpnet.mvlgamma`, as ``torch.special.multigammaln`` (``out=`` too)."""
    x = _real("multigammaln", input)
    return _written("multigammaln", elementwise.mvlgamma(x, p), out)


def xlogy(input, other, *, out=None) -> Tensor:
    """:func:`xpnet.xlogy`, as ``torch.special.xlogy`` (either may be a number)."""
    if not hasattr(input, "dtype"):  # torch.special.xlogy(x, 2): 2 as a 0-d tensor
        other = as_input("special.xlogy", other, "other")
    input, other = _real("xlogy", input), _real("xlogy", other, argument="other")
    return _written("xlogy", elementwise.xlogy(input, other), out)


def _binary_operands(where: str, input, other):
    """``(input, other)`` of PyTorch's result dtype (floating for integers) for a binary
    special function; either may be a Python number, not both."""
    if not hasattr(input, "dtype") and not hasattr(other, "dtype"):
        msg = f"xpnet.special.{where}: input or other must be a Tensor, got two numbers"
        raise TypeError(msg)
    a = as_input(f"special.{where}", input) if hasattr(input, "dtype") else input
    b = as_input(f"special.{where}", other, "other") if hasattr(other, "dtype") else other
    return torch_operands(_real(where, a), _real(where, b, argument="other"), true_division=True)


def xlog1py(input, other, *, out=None) -> Tensor:
    """``input * log1p(other)``, 0 where ``input`` is 0 unless ``other`` is NaN, as
    ``torch.special.xlog1py`` (either may be a number), with PyTorch's gradients.

    Example:
        >>> import xpnet
        >>> xpnet.special.xlog1py(xpnet.tensor([0.0, 2.0]), xpnet.tensor([-1.0, 0.0])).tolist()
        [0.0, 0.0]
    """
    return _written("xlog1py", _BINARY["xlog1py"](*_binary_operands("xlog1py", input, other)), out)


def zeta(input, other, *, out=None) -> Tensor:
    """The Hurwitz zeta function ``sum_k (other + k)^-input``, as ``torch.special.zeta``
    (either may be a number); PyTorch's gradient for ``other``.

    Raises:
        RuntimeError: ``input`` requires grad (PyTorch has no derivative for it; it raises at
            backward, xpnet at once).

    Example:
        >>> import xpnet
        >>> f"{xpnet.special.zeta(xpnet.tensor([2.0]), 1.0).item():.6f}"  # pi^2 / 6
        '1.644934'
    """
    if is_grad_enabled() and isinstance(input, Tensor) and input.requires_grad:
        raise RuntimeError("xpnet.special.zeta: the derivative for 'input' is not implemented.")
    return _written("zeta", _BINARY["zeta"](*_binary_operands("zeta", input, other)), out)


def softmax(input, dim, *, dtype=None) -> Tensor:
    """:func:`xpnet.softmax`, as ``torch.special.softmax``."""
    return functions.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None) -> Tensor:
    """:func:`xpnet.log_softmax`, as ``torch.special.log_softmax``."""
    return functions.log_softmax(input, dim, dtype=dtype)


def logsumexp(input, dim, keepdim: bool = False, *, out=None) -> Tensor:
    """:func:`xpnet.logsumexp`, as ``torch.special.logsumexp`` (``out=`` too)."""
    return _written("logsumexp", functions.logsumexp(input, dim, keepdim), out)
