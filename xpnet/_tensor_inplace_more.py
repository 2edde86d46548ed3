"""The in-place forms of more Tensor methods: ``relu_``, ``sigmoid_``, ``tanh_``, ``abs_``,
``exp_``, ``log_``, ``sqrt_``, ``neg_``, ``sign_``, ``floor_``, ``ceil_``, ``round_``,
``trunc_``, ``reciprocal_``, ``lerp_``, ``addcmul_``, ``addcdiv_``, ``masked_fill_``,
``fill_diagonal_``, the gamma family's ``lgamma_``, ``digamma_``, ``polygamma_`` and
``mvlgamma_``, and the shape-changing ``squeeze_``, ``unsqueeze_``, ``t_``,
``transpose_``.

They follow :mod:`xpnet._tensor_inplace`'s rules (PyTorch's): the array itself changes unless
the operation is recorded for autograd, a leaf that requires grad changes only under
:class:`~xpnet.no_grad` (else ``RuntimeError``), and every change counts in the tensor's
version, so that an earlier operation's backward refuses a changed input. The values are the
out-of-place methods'. The shape-changing ones give the tensor a view of the new shape (the
old array's other views keep theirs, as PyTorch's views keep their sizes).

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([[-1.0, 4.0]])
    >>> x.relu_().sqrt_().squeeze_().tolist(), x._version
    ([0.0, 2.0], 3)
"""

from __future__ import annotations

import math
import numbers

import numpy

from ._dtypes import checked_scalar
from ._grad_mode import is_grad_enabled, no_grad
from ._tensor_inplace import apply_in_place
from ._versions import mark_modified
from .autograd import Tensor
from .backends import backend_of
from .kernels import ArgumentError

__all__: list[str] = []


def in_place_form(name: str, method: str):
    """The in-place method ``name``: this tensor changed to ``self.<method>(*args,
    **kwargs)`` by :func:`~xpnet._tensor_inplace.apply_in_place`'s rules."""

    def in_place(self, *args, **kwargs):
        def compute(t, *operands):
            return getattr(t, method)(*operands, **kwargs)

        return apply_in_place(name, self, compute, *args)

    in_place.__name__ = name
    in_place.__doc__ = f":meth:`{method}`, in place; returns this tensor."
    return in_place


def _leaf_check(name: str, self: Tensor) -> bool:
    recording = is_grad_enabled() and self.requires_grad
    if recording and self.is_leaf:
        msg = (
            f"Tensor.{name}: a leaf tensor that requires grad cannot change in place while "
            "gradients are recorded; update it inside xpnet.no_grad()"
        )
        raise RuntimeError(msg)
    return recording


def reshaping_in_place(name: str, method: str):
    """The in-place method ``name``: this tensor takes the new shape of ``self.<method>(*args)``
    (a view of its array), counted in its version."""

    def in_place(self, *args):
        if _leaf_check(name, self):
            before = Tensor(self.array)
            before.requires_grad, before.grad_fn = True, self.grad_fn
            result = getattr(before, method)(*args)
            self.array, self.grad_fn = result.array, result.grad_fn
        else:
            with no_grad():
                self.array = getattr(Tensor(self.array), method)(*args).array
        mark_modified(self)
        return self

    in_place.__name__ = name
    in_place.__doc__ = f":meth:`{method}` in place: this tensor takes the new shape; returns it."
    return in_place


def _diagonal_mask(where: str, shape: tuple, wrap: bool) -> numpy.ndarray:
    """A host mask of the main diagonal of an array of ``shape`` (NumPy's
    ``fill_diagonal`` positions: with ``wrap``, a tall matrix's diagonal restarts)."""
    if len(shape) < 2:
        raise ArgumentError(f"{where}: dimensions must larger than 1, got {len(shape)}")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise ArgumentError(f"{where}: all dimensions of input must be of equal length")
    mask = numpy.zeros(math.prod(shape), dtype=bool)
    if len(shape) == 2:
        step = shape[1] + 1
        end = None if wrap else shape[1] * shape[1]
    else:
        step = 1 + int(numpy.cumprod(shape[:-1]).sum())
        end = None
    mask[:end:step] = True
    return mask.reshape(shape)


def _diagonal_value(value, dtype: numpy.dtype):
    """``value`` checked as PyTorch's ``fill_diagonal_`` does: into float16 unchecked, rounded
    (65519.0 is 65504, 1e6 is inf)."""
    if dtype.kind != "f" or dtype.itemsize >= 4 or isinstance(value, bool):
        return checked_scalar("Tensor.fill_diagonal_", "fill_value", value, dtype)
    with numpy.errstate(over="ignore"):  # past float16's range: inf, as PyTorch's
        return numpy.float64(value).astype(dtype)


def fill_diagonal_(self, fill_value, wrap: bool = False) -> Tensor:
    """Fill the main diagonal (of a matrix, or of a tensor whose dimensions are all equal)
    with ``fill_value``, in place, as ``torch.Tensor.fill_diagonal_``; ``wrap`` restarts the
    diagonal of a tall matrix below its square part. Returns this tensor.

    Raises:
        ArgumentError: fewer than 2 dimensions, or unequal ones beyond 2, or a number this
            dtype cannot hold, as PyTorch (which does not check float16: 1e6 gives inf).
    """
    if isinstance(fill_value, numbers.Number):
        fill_value = _diagonal_value(fill_value, self.dtype)
    host_mask = _diagonal_mask("fill_diagonal_", self.shape, wrap)
    mask = Tensor(backend_of(self.array).asarray(host_mask))
    return apply_in_place("fill_diagonal_", self, lambda t: t.masked_fill(mask, fill_value))


METHODS = {
    **{
        f"{name}_": in_place_form(f"{name}_", name)
        for name in (
            "relu",
            "sigmoid",
            "tanh",
            "abs",
            "exp",
            "log",
            "sqrt",
            "neg",
            "sign",
            "floor",
            "ceil",
            "round",
            "trunc",
            "reciprocal",
            "lerp",
            "addcmul",
            "addcdiv",
            "masked_fill",
            "lgamma",
            "digamma",
            "polygamma",
            "mvlgamma",
        )  # fmt: skip
    },
    **{f"{name}_": reshaping_in_place(f"{name}_", name) for name in ("squeeze", "unsqueeze", "t")},
    "transpose_": reshaping_in_place("transpose_", "transpose"),
    "fill_diagonal_": fill_diagonal_,
}
