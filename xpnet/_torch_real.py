"""The real-tensor forms of PyTorch's complex API (:data:`__all__`): xpnet has no complex
dtypes, so ``conj``, ``conj_physical``, ``resolve_conj``, ``resolve_neg`` and ``real`` return
their input itself (as PyTorch's do for a real tensor), ``is_conj`` and ``is_neg`` are
``False``, ``isreal`` is all ``True``; ``imag``, ``view_as_real``, ``view_as_complex``,
``polar`` and ``complex`` raise a TypeError saying so. The Tensor methods of the same names
(and ``Tensor.real``, a property as PyTorch's) are :data:`METHODS`, which
:mod:`xpnet._torch_more` gathers for :mod:`xpnet._tensor_methods`.

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([1.0, -2.0])
    >>> xpnet.conj(x) is x, x.is_conj(), xpnet.isreal(x).tolist()
    (True, False, [True, True])
"""

from __future__ import annotations

from ._torch_functions import as_input
from .autograd import Tensor
from .backends import backend_of

__all__ = ["conj", "conj_physical", "conj_physical_", "resolve_conj", "resolve_neg", "real"]
__all__ += ["is_conj", "is_neg", "isreal", "imag", "view_as_real", "view_as_complex"]
__all__ += ["polar", "complex"]


def _itself(name: str):
    def function(input) -> Tensor:
        return as_input(name, input)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"``input`` itself, as ``torch.{name}`` returns a real tensor (xpnet has no complex "
        "dtypes).\n\nRaises:\n    TypeError: ``input`` not a Tensor or an array."
    )
    return function


conj, conj_physical, conj_physical_, resolve_conj, resolve_neg, real = (
    _itself(name) for name in __all__[:6]
)


def is_conj(input) -> bool:
    """``False``, as ``torch.is_conj`` of a real tensor (xpnet has no complex dtypes)."""
    as_input("is_conj", input)
    return False


def is_neg(input) -> bool:
    """``False``, as ``torch.is_neg`` of a real tensor (xpnet has no lazy negation)."""
    as_input("is_neg", input)
    return False


def isreal(input) -> Tensor:
    """A bool tensor of ``input``'s shape, all ``True``, as ``torch.isreal`` of a real tensor.

    Example:
        >>> import xpnet
        >>> xpnet.isreal(xpnet.tensor([1, 2])).dtype
        dtype('bool')
    """
    tensor = as_input("isreal", input)
    return Tensor(backend_of(tensor.array).xp.ones(tensor.shape, dtype=bool))


def _no_complex(name: str, parameters: str):
    def function(*args, **kwargs):
        msg = (
            f"{name}: xpnet has no complex dtypes, so there is no complex tensor to take or "
            f"make; keep the real and imaginary parts as two real tensors (got {len(args)} "
            "positional arguments)"
        )
        raise TypeError(msg)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"``torch.{name}({parameters})``: raises TypeError, since xpnet has no complex dtypes."
    )
    return function


imag = _no_complex("imag", "input")
view_as_real = _no_complex("view_as_real", "input")
view_as_complex = _no_complex("view_as_complex", "input")
polar = _no_complex("polar", "abs, angle")
complex = _no_complex("complex", "real, imag")  # noqa: A001 - torch's name

METHODS = {
    "conj": conj,
    "conj_physical": conj_physical,
    "conj_physical_": conj_physical_,
    "resolve_conj": resolve_conj,
    "resolve_neg": resolve_neg,
    "is_conj": is_conj,
    "is_neg": is_neg,
    "isreal": isreal,
    "real": property(real),
}
