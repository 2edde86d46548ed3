"""``RNNCell``, ``LSTMCell``, ``GRUCell`` and the one-step updates that ``RNN``, ``LSTM`` and
``GRU`` (:mod:`xpnet.nn.rnn`) share, as ``torch/nn/modules/rnn.py``.

A step is composed of xpnet's differentiable operations (:func:`xpnet.nn.functional.linear`,
``sigmoid``, ``tanh``, ``relu``, Tensor arithmetic and ``chunk``), so autograd gives the
gradients; there is no fused kernel. Each step takes the input's share of the gates already
projected (``x W_ih^T + b_ih``, computed for every time step at once by the layers) and adds
the hidden state's (``h W_hh^T + b_hh``). A state is a tuple: ``(h,)``, or ``(h, c)`` for LSTM.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ..amp.autocast_mode import cast_operand, is_autocast_enabled
from ..autograd import as_tensor
from ..kernels._checks import ArgumentError, DtypeMismatchError
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter, check_sizes, new_array

__all__ = ["GRUCell", "LSTMCell", "RNNCell"]


def rnn_step(gates_x, state, weight_hh, bias_hh, nonlinearity="tanh"):
    """Elman's update ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``, ``act`` tanh or relu."""
    (h,) = autocast_state(f"rnn_{nonlinearity}_cell", state)
    total = gates_x + F.linear(h, weight_hh, bias_hh)
    return (F.tanh(total) if nonlinearity == "tanh" else F.relu(total),)


def lstm_step(gates_x, state, weight_hh, bias_hh, weight_hr=None):
    """The LSTM update, PyTorch's gate order i, f, g, o (``torch.nn.LSTM``'s docs)::

        c' = sigmoid(f) * c + sigmoid(i) * tanh(g)      h' = sigmoid(o) * tanh(c')

    and ``h' = h' W_hr^T`` with a projection (``proj_size > 0``).
    """
    h, c = autocast_state("lstm_cell", state)
    i, f, g, o = (gates_x + F.linear(h, weight_hh, bias_hh)).chunk(4, -1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
    h = F.sigmoid(o) * F.tanh(c)
    return (h if weight_hr is None else F.linear(h, weight_hr), c)


def gru_step(gates_x, state, weight_hh, bias_hh):
    """The GRU update, PyTorch's gate order r, z, n (``torch.nn.GRU``'s docs)::

        r = sigmoid(x_r + h_r)    z = sigmoid(x_z + h_z)    n = tanh(x_n + r * h_n)
        h' = (1 - z) * n + z * h  =  n + z * (h - n)

    where ``h_n = W_hn h + b_hn``: the reset gate scales the hidden product with its bias.
    """
    (h,) = autocast_state("gru_cell", state)
    x_r, x_z, x_n = gates_x.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, weight_hh, bias_hh).chunk(3, -1)
    r = F.sigmoid(x_r + h_r)
    z = F.sigmoid(x_z + h_z)
    n = F.tanh(x_n + r * h_n)
    return (n + z * (h - n),)


def autocast_state(name: str, state: tuple) -> tuple:
    """``state`` cast as PyTorch's autocast casts a cell's hidden state (float16 in a region,
    with the weights: ``lstm_cell`` and the others are on its CUDA float16 list); as it is
    outside one. Without it a float32 state would promote the whole step back to float32."""
    return tuple(cast_operand(name, as_tensor(value)) for value in state)


def time_steps(sequence) -> list:
    """The time steps of ``sequence`` (T, N, G), as views with their own gradients.

    Taken in two levels (blocks of about sqrt(T) steps, then their steps): each view's
    gradient is a zero array of its parent's shape, so one level would cost T whole-sequence
    arrays in the backward pass (T^2 work); two cost about 2 T^1.5.
    """
    block = max(1, math.isqrt(sequence.shape[0]))
    return [step for part in sequence.split(block, 0) for step in part.unbind(0)]


def reset_uniform(module) -> None:
    """PyTorch's initialisation of recurrent layers: every parameter U(-k, k), k =
    1/sqrt(hidden_size)."""
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


def check_layer_options(name, input_size, hidden_size, num_layers, dropout, bias, batch_first):
    """PyTorch's checks of the arguments of ``RNN``, ``LSTM`` and ``GRU``, with its exception
    types (its dropout warning too)."""
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool):
        msg = f"{name}: dropout must be a number in [0, 1], got {dropout!r}"
        raise ValueError(msg)
    if not 0 <= dropout <= 1:
        raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
    if dropout > 0 and num_layers == 1:
        msg = (
            "dropout option adds dropout after all but last recurrent layer, so non-zero "
            f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
            f"num_layers={num_layers}"
        )
        warnings.warn(msg, UserWarning, stacklevel=4)
    for option, value in (("bias", bias), ("batch_first", batch_first)):
        if not isinstance(value, bool):
            msg = f"{name}: {option} should be of type bool, got: {type(value).__name__}"
            raise TypeError(msg)
    for option, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            msg = f"{name}: {option} should be of type int, got: {type(value).__name__}"
            raise TypeError(msg)
    for option, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if value <= 0:
            raise ValueError(f"{name}: {option} must be greater than zero, got {value}")
    if not isinstance(num_layers, int):  # a bool passes, as PyTorch's (its forward refuses it)
        msg = f"{name}: num_layers should be of type int, got: {type(num_layers).__name__}"
        raise TypeError(msg)
    if num_layers <= 0:
        raise ValueError(f"{name}: num_layers must be greater than zero, got {num_layers!r}")


def state_tuple(name: str, hx, count: int, pair: str = "a tuple of two Tensors") -> tuple:
    """``hx`` as a tuple of ``count`` Tensors: one Tensor (h) for ``count`` 1, a tuple or
    list of two (h, c) for 2 (``pair`` words it in the TypeError). Checked here because a
    Tensor is iterable too (a stacked (2, N, H) state would be split into h and c without a
    word), and a list would be stacked into one Tensor of a dimension more."""
    if count == 1:
        if isinstance(hx, tuple | list):
            raise TypeError(f"{name}: hx must be a Tensor, not {type(hx).__name__}")
        return (as_tensor(hx),)
    if not isinstance(hx, tuple | list):
        msg = f"{name}: hx must be {pair} (h_0, c_0), not {type(hx).__name__}"
        raise TypeError(msg)
    if len(hx) != count:  # PyTorch: "lstm_cell expects two hidden states", a RuntimeError
        msg = (
            f"{name}: expects two hidden states (h_0, c_0) in hx, got a "
            f"{type(hx).__name__} of {len(hx)}"
        )
        raise ArgumentError(msg)
    for index, h in enumerate(hx):
        if h is None:  # as_tensor would make it a 0-d array of objects
            raise TypeError(f"{name}: hx[{index}] must be a Tensor, not NoneType")
    return tuple(as_tensor(h) for h in hx)


def check_dtypes(name: str, input, hx, weight=None) -> None:
    """The states ``hx`` (and ``weight``, if given) of ``input``'s dtype, outside autocast
    (which casts them): a RuntimeError as PyTorch's (its matrix product refuses the mix),
    naming the argument rather than the product inside."""
    if is_autocast_enabled():
        return
    if weight is not None and input.dtype != weight.dtype:
        msg = f"{name}: input dtype ({input.dtype}) does not match weight dtype ({weight.dtype})"
        raise DtypeMismatchError(msg)
    for index, h in enumerate(hx):
        if h.dtype != input.dtype:
            label = "hx" if len(hx) == 1 else f"hx[{index}]"
            msg = f"{name}: {label} dtype ({h.dtype}) does not match input dtype ({input.dtype})"
            raise DtypeMismatchError(msg)


class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` (G, input_size), ``weight_hh`` (G, hidden_size),
    ``bias_ih`` and ``bias_hh`` (G,), G = ``num_chunks * hidden_size``, and their checks."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        check_sizes(name, input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(new_array((gates, input_size), device, dtype))
        self.weight_hh = Parameter(new_array((gates, hidden_size), device, dtype))
        if bias:
            self.bias_ih = Parameter(new_array((gates,), device, dtype))
            self.bias_hh = Parameter(new_array((gates,), device, dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_uniform(self)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _prepare(self, input, hx, count: int, what: str):
        """``(input (N, input_size), state tuple of (N, hidden_size), batched)`` from the
        forward's arguments, checked as PyTorch; ``hx`` the forward's (see :func:`state_tuple`)."""
        name = type(self).__name__
        input = as_tensor(input)
        if input.ndim not in (1, 2):
            msg = f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead"
            raise ValueError(msg)
        hx = None if hx is None else state_tuple(name, hx, count)
        for index, h in enumerate(hx or ()):
            if h.ndim not in (1, 2):
                label = what if count == 1 else f"{what}[{index}]"
                msg = f"{name}: Expected {label} to be 1D or 2D, got {h.ndim}D instead"
                raise ValueError(msg)
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
            hx = None if hx is None else tuple(h.unsqueeze(0) for h in hx)
        if hx is None:
            hx = (input.new_zeros((input.shape[0], self.hidden_size)),) * count
        self._check_sizes(input, hx)
        check_dtypes(name, input, hx, self.weight_ih)
        return input, hx, batched

    def _check_sizes(self, input, hx) -> None:
        """PyTorch's size checks of a cell's input and state (from its C++ cell functions)."""
        name = type(self).__name__
        if input.shape[1] != self.input_size:
            msg = (
                f"{name}: input has inconsistent input_size: got {input.shape[1]} "
                f"expected {self.input_size}"
            )
            raise RuntimeError(msg)
        for index, h in enumerate(hx):
            if h.shape[0] != input.shape[0]:
                msg = (
                    f"{name}: Input batch size {input.shape[0]} doesn't match "
                    f"hidden{index} batch size {h.shape[0]}"
                )
                raise RuntimeError(msg)
            if h.ndim != 2 or h.shape[1] != self.hidden_size:
                got = h.shape[1] if h.ndim > 1 else tuple(h.shape)
                msg = (
                    f"{name}: hidden{index} has inconsistent hidden_size: got {got}, "
                    f"expected {self.hidden_size}"
                )
                raise RuntimeError(msg)


class RNNCell(RNNCellBase):
    r"""One step of an Elman RNN, as :class:`torch.nn.RNNCell`:
    ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``, ``act`` tanh or relu.

    Args:
        input_size: features of the input ``x``.
        hidden_size: features of the hidden state ``h``.
        bias: learn ``bias_ih`` and ``bias_hh``. Default: ``True``.
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.
        device: backend name. Default: current. dtype: Default: float32.

    Shape:
        - input: (N, input_size) or (input_size,); hx: (N, hidden_size) or (hidden_size,),
          zeros if omitted. Output: h', shaped like hx.

    Attributes:
        weight_ih: (hidden_size, input_size); weight_hh: (hidden_size, hidden_size);
        bias_ih, bias_hh: (hidden_size,). All U(-k, k), k = 1/sqrt(hidden_size).

    Raises:
        ValueError: input or hx not 1-D or 2-D. RuntimeError: sizes that do not match;
            an input not of the weights' dtype, or hx not of the input's; an unknown
            ``nonlinearity`` (at the call, as PyTorch). TypeError: hx a tuple or a list
            (``GRUCell`` too).

    Example:
        >>> import xpnet
        >>> cell = xpnet.nn.RNNCell(3, 5, nonlinearity="relu")
        >>> cell, cell(np.ones((2, 3), dtype=np.float32)).shape
        (RNNCell(3, 5, nonlinearity=relu), (2, 5))
    """

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, state, batched = self._prepare(input, hx, 1, "hidden")
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"RNNCell: Unknown nonlinearity: {self.nonlinearity}")
        gates = F.linear(input, self.weight_ih, self.bias_ih)
        (h,) = rnn_step(gates, state, self.weight_hh, self.bias_hh, self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    r"""One step of an LSTM, as :class:`torch.nn.LSTMCell` (gates i, f, g, o; see
    :class:`xpnet.nn.LSTM` for the equations).

    Args:
        input_size, hidden_size, bias, device, dtype: as :class:`RNNCell`.

    Shape:
        - input: (N, input_size) or (input_size,); hx: a pair (h, c) of (N, hidden_size) or
          (hidden_size,), zeros if omitted. Output: the pair (h', c').

    Attributes:
        weight_ih: (4 * hidden_size, input_size), weight_hh: (4 * hidden_size, hidden_size),
        bias_ih, bias_hh: (4 * hidden_size,), all U(-k, k), k = 1/sqrt(hidden_size).

    Raises:
        TypeError: hx not a tuple or a list (a stacked Tensor). RuntimeError (an
            ``ArgumentError``): hx not of two Tensors; as :class:`RNNCell` for the rest.

    Example:
        >>> import xpnet
        >>> h, c = xpnet.nn.LSTMCell(3, 5)(np.ones(3, dtype=np.float32))
        >>> h.shape, c.shape
        ((5,), (5,))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        input, state, batched = self._prepare(input, hx, 2, "hx")
        gates = F.linear(input, self.weight_ih, self.bias_ih)
        h, c = lstm_step(gates, state, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    r"""One step of a GRU, as :class:`torch.nn.GRUCell` (gates r, z, n; see
    :class:`xpnet.nn.GRU` for the equations).

    Args:
        input_size, hidden_size, bias, device, dtype: as :class:`RNNCell`.

    Shape:
        - input: (N, input_size) or (input_size,); hx: (N, hidden_size) or (hidden_size,),
          zeros if omitted. Output: h', shaped like hx.

    Attributes:
        weight_ih: (3 * hidden_size, input_size), weight_hh: (3 * hidden_size, hidden_size),
        bias_ih, bias_hh: (3 * hidden_size,), all U(-k, k), k = 1/sqrt(hidden_size).

    Example:
        >>> import xpnet
        >>> xpnet.nn.GRUCell(3, 5)(np.ones((2, 3), dtype=np.float32)).shape
        (2, 5)
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        input, state, batched = self._prepare(input, hx, 1, "hidden")
        gates = F.linear(input, self.weight_ih, self.bias_ih)
        (h,) = gru_step(gates, state, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
