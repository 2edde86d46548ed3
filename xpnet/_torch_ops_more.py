"""More ``torch.<name>`` functions ported scripts call (:data:`__all__`): the bit shifts
(``bitwise_left_shift``, ``bitwise_right_shift``, also ``<<`` and ``>>``), ``i0`` (the
modified Bessel function, with its gradient ``i1``), the deprecated ``chain_matmul``,
``frobenius_norm``, ``nuclear_norm`` and ``range``, ``put`` (also ``Tensor.put``/``put_``),
``feature_dropout``, ``ctc_loss`` with ``torch``'s integer reduction, and the one-step
recurrent cells (``lstm_cell``, ``gru_cell``, ``rnn_tanh_cell``, ``rnn_relu_cell``) in
``torch``'s argument order, on :mod:`xpnet.nn.rnn_cells`' updates. Neighbours: the other
``torch``-only forms of the functional ops (:mod:`xpnet._torch_nn_functions`).

Example:
    >>> import xpnet
    >>> (xpnet.tensor([1, -8]) << 2).tolist(), xpnet.i0(xpnet.tensor([0.0])).tolist()
    ([4, -32], [1.0])
"""

from __future__ import annotations

import math
import warnings

import numpy

from . import linalg
from ._creation import tensor as new_tensor
from ._dtypes import get_default_dtype, result_dtype
from ._node_names import named_nodes
from ._special_ops import i1 as bessel_i1
from ._tensor_checks import flags_checked
from ._tensor_index_put import index_put
from ._tensor_inplace import apply_in_place
from ._tensor_ops import ieee
from ._torch_functions import as_input
from .autograd import Function, Tensor, data_of
from .backends import backend_of
from .kernels import ArgumentError
from .nn import functional as F
from .nn.rnn_cells import gru_step, lstm_step, rnn_step

__all__ = ["bitwise_left_shift", "bitwise_right_shift", "i0", "chain_matmul", "frobenius_norm"]
__all__ += ["nuclear_norm", "range", "put", "feature_dropout", "feature_dropout_", "ctc_loss"]
__all__ += ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]


def _shift(name: str, left: bool):
    def function(input, other) -> Tensor:
        a, b = data_of(input), data_of(other)
        where = a if hasattr(a, "dtype") else b
        xp = backend_of(where).xp
        dtype = result_dtype(a, b)
        if dtype.kind not in "iu":
            msg = f"{name}: input and other must be integer tensors or ints, got {dtype}"
            raise TypeError(msg)
        a, b = xp.asarray(a, dtype=dtype), xp.asarray(b, dtype=dtype)
        bits = dtype.itemsize * 8
        out_of_range = (b < 0) | (b >= bits)  # PyTorch: all bits shifted out, no UB
        amount = xp.where(out_of_range, 0, b)
        if left:
            shifted = xp.where(out_of_range, 0, xp.left_shift(a, amount))
        else:  # an arithmetic shift: out of range leaves the sign's bits (0 or -1)
            sign = xp.right_shift(a, bits - 1) if dtype.kind == "i" else xp.zeros_like(a)
            shifted = xp.where(out_of_range, sign, xp.right_shift(a, amount))
        return Tensor(shifted.astype(dtype, copy=False))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"``input {'<<' if left else '>>'} other`` elementwise, as ``torch.{name}`` (integer "
        "tensors or ints, PyTorch's result dtype; a shift by a negative amount or by the bit "
        f"width or more gives {'0' if left else '0 or -1, by the sign'}).\n\nRaises:\n"
        "    TypeError: a float or bool operand."
    )
    return function


bitwise_left_shift = _shift("bitwise_left_shift", left=True)
bitwise_right_shift = _shift("bitwise_right_shift", left=False)


@ieee  # |x| > 709.8 overflows to inf: a value, never a NumPy warning
def i0_array(x):
    """The modified Bessel function of the first kind, order 0, in ``x``'s dtype (float32 for
    integers, computed in float64)."""
    dtype = x.dtype if x.dtype.kind == "f" else numpy.dtype(get_default_dtype())
    return backend_of(x).xp.i0(x.astype("float64")).astype(dtype)


@ieee
def i0_array_backward(grad_output, x):
    """``grad_output * i1(x)`` (DLMF 10.29.3: I0' = I1; ``torch.special.i1``'s values)."""
    return ((grad_output * bessel_i1(x.astype("float64"))).astype(grad_output.dtype),)


_i0 = Function(i0_array, i0_array_backward, wrt=("x",))


def i0(input) -> Tensor:
    """The modified Bessel function of the first kind of order 0, as ``torch.i0`` (also
    ``Tensor.i0``; ``torch.special.i0``): float32 for integer input, the gradient ``i1``.

    Example:
        >>> import xpnet
        >>> round(xpnet.i0(xpnet.tensor([1.0])).item(), 6)
        1.266066
    """
    return _i0(as_input("i0", input))


def _deprecated(name: str, instead: str) -> None:
    msg = f"xpnet.{name} is deprecated, as torch.{name}; use {instead} instead"
    warnings.warn(msg, UserWarning, stacklevel=3)


def chain_matmul(*matrices) -> Tensor:
    """The product of the 2-D ``matrices``, as the deprecated ``torch.chain_matmul`` (warns):
    :func:`xpnet.linalg.multi_dot` of them (one matrix: itself)."""
    _deprecated("chain_matmul", "xpnet.linalg.multi_dot")
    tensors = [as_input("chain_matmul", m, "matrices") for m in matrices]
    for t in tensors:
        if t.ndim != 2:
            raise ArgumentError(f"chain_matmul: matrices must be 2-D, got shape {tuple(t.shape)}")
    return tensors[0].clone() if len(tensors) == 1 else linalg.multi_dot(tensors)  # PyTorch's


def frobenius_norm(input, dim, keepdim: bool = False) -> Tensor:
    """The 2-norm of the elements over ``dim``, as the deprecated ``torch.frobenius_norm``
    (warns): ``xpnet.linalg.vector_norm(input, 2, dim, keepdim)``."""
    _deprecated("frobenius_norm", "xpnet.linalg.vector_norm")
    return linalg.vector_norm(as_input("frobenius_norm", input), 2, dim, keepdim)


def nuclear_norm(input, dim=(-2, -1), keepdim: bool = False) -> Tensor:
    """The sum of the singular values over the two dims ``dim``, as the deprecated
    ``torch.nuclear_norm`` (warns): ``xpnet.linalg.matrix_norm(input, 'nuc', dim, keepdim)``.
    """
    _deprecated("nuclear_norm", "xpnet.linalg.matrix_norm")
    if isinstance(dim, bool):  # torch.nuclear_norm(input, keepdim)
        dim, keepdim = (-2, -1), dim
    return linalg.matrix_norm(as_input("nuclear_norm", input), "nuc", dim, keepdim)


def range(  # noqa: A001 - torch's name
    start=0, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """``start, start + step, ...`` up to ``end`` included, as the deprecated ``torch.range``
    (warns; :func:`xpnet.arange` leaves ``end`` out); of the default dtype unless ``dtype``.

    Raises:
        ArgumentError: ``step`` zero, or of the wrong sign for ``start`` and ``end``.
    """
    _deprecated("range", "xpnet.arange, which leaves end out")
    if end is None:
        start, end = 0, start
    if step == 0 or (end - start) * step < 0:
        msg = f"range: step must be nonzero and go from start to end, got start={start}, "
        raise ArgumentError(f"{msg}end={end}, step={step}")
    count = math.floor((end - start) / step) + 1
    values = start + numpy.arange(count, dtype=numpy.float64) * step
    dtype = get_default_dtype() if dtype is None else dtype
    return new_tensor(values, dtype=dtype, device=device, requires_grad=requires_grad)


@named_nodes("PutBackward0")
def put(input, index, source, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``source`` written at the flat positions ``index``, as
    ``torch.put`` (also ``Tensor.put``, and ``Tensor.put_`` in place); ``accumulate`` adds.

    Raises:
        ArgumentError: ``index`` and ``source`` with different element counts.
    """
    tensor = as_input("put", input)
    positions, values = as_input("put", index, "index"), as_input("put", source, "source")
    if positions.numel() != values.numel():
        msg = f"put: index and source must have as many elements, got {positions.numel()} and "
        raise ArgumentError(f"{msg}{values.numel()}")
    flat = index_put(tensor.reshape(-1), (positions.reshape(-1),), values.reshape(-1), accumulate)
    return flat.reshape(tensor.shape)


def _put_(self, index, source, accumulate: bool = False) -> Tensor:
    return apply_in_place("put_", self, lambda t, s: put(t, index, s, accumulate), source)


@flags_checked("xpnet")
def feature_dropout(input, p: float, train: bool) -> Tensor:
    """Whole feature maps (``input[n, c]``) zeroed with probability ``p``, the others scaled
    by ``1 / (1 - p)``, as ``torch.feature_dropout`` (what ``dropout2d``/``dropout3d`` run);
    ``input`` unchanged unless ``train``."""
    tensor = as_input("feature_dropout", input)
    if tensor.ndim < 2:
        msg = f"feature_dropout: input must have at least 2 dims (N, C, *), got {tensor.ndim}"
        raise ArgumentError(msg)
    mask = tensor.new_ones(tuple(tensor.shape[:2]) + (1,) * (tensor.ndim - 2))
    return tensor * F.dropout(mask, p, train)  # one draw per feature map, scaled


@flags_checked("xpnet")
def feature_dropout_(input, p: float, train: bool) -> Tensor:
    """:func:`feature_dropout` in place (the version counts it)."""
    tensor = as_input("feature_dropout_", input)
    return apply_in_place("feature_dropout_", tensor, lambda t: feature_dropout(t, p, train))


def ctc_loss(
    log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False
) -> Tensor:
    """:func:`xpnet.nn.functional.ctc_loss` with ``torch.ctc_loss``'s integer ``reduction``
    (0 ``'none'``, 1 ``'mean'``, 2 ``'sum'``)."""
    if isinstance(reduction, bool) or reduction not in (0, 1, 2):
        msg = f"ctc_loss: reduction must be 0 (none), 1 (mean) or 2 (sum), got {reduction!r}"
        raise ArgumentError(msg)
    mode = ("none", "mean", "sum")[reduction]
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, mode, zero_infinity)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> tuple[Tensor, Tensor]:
    """One LSTM step, as ``torch.lstm_cell``: ``hx = (h, c)``, returns ``(h', c')``
    (:class:`xpnet.nn.LSTMCell`'s update, gate order i, f, g, o)."""
    return lstm_step(F.linear(input, w_ih, b_ih), tuple(hx), w_hh, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One GRU step, as ``torch.gru_cell`` (:class:`xpnet.nn.GRUCell`'s update)."""
    return gru_step(F.linear(input, w_ih, b_ih), (hx,), w_hh, b_hh)[0]


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One Elman step ``tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``, as ``torch.rnn_tanh_cell``."""
    return rnn_step(F.linear(input, w_ih, b_ih), (hx,), w_hh, b_hh, "tanh")[0]


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """One Elman step ``relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``, as ``torch.rnn_relu_cell``."""
    return rnn_step(F.linear(input, w_ih, b_ih), (hx,), w_hh, b_hh, "relu")[0]


def _reflected(function):
    return lambda self, other: function(other, self)


METHODS = {
    "bitwise_left_shift": bitwise_left_shift,
    "bitwise_right_shift": bitwise_right_shift,
    "__lshift__": bitwise_left_shift,
    "__rshift__": bitwise_right_shift,
    "__rlshift__": _reflected(bitwise_left_shift),
    "__rrshift__": _reflected(bitwise_right_shift),
    "i0": i0,
    "i0_": lambda self: apply_in_place("i0_", self, i0),  # PyTorch's Tensor.i0_
    "put": put,
    "put_": _put_,
}
