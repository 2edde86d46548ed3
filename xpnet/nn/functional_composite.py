"""The functions of ``torch.nn.functional`` that are compositions, not kernel pairs.

``gumbel_softmax`` and ``triplet_margin_with_distance_loss`` are built from xpnet's
differentiable Tensor operations (and the lifted pairs of :mod:`xpnet.nn.functional`), so
their gradients are those of the pieces, as in PyTorch. The in-place forms (``relu_``,
``elu_``, ``celu_``, ``selu_``, ``leaky_relu_``, ``hardtanh_``, ``threshold_``, ``rrelu_``)
follow the rules of the in-place Tensor methods of :mod:`xpnet._tensor_inplace`: the value
changes in place, the version counter counts it, and a leaf that requires grad is refused
while gradients are recorded. :mod:`xpnet.nn.functional` imports this module, so every name
here is also ``xpnet.nn.functional``'s.
"""

from __future__ import annotations

import warnings

from .. import _random
from .._tensor_checks import check_tensor
from .._tensor_inplace import apply_in_place
from .._tensor_join import minimum
from ..autograd import Tensor, as_tensor
from ..backends import backend_of
from ..kernels import ArgumentError
from . import functional as F

__all__ = [
    "celu_",
    "elu_",
    "gumbel_softmax",
    "hardtanh_",
    "leaky_relu_",
    "relu_",
    "rrelu_",
    "selu_",
    "threshold_",
    "triplet_margin_with_distance_loss",
]


def _gumbel_noise(logits):
    """Gumbel(0, 1) draws ``-log(E)``, ``E = -log(U)`` exponential, in the dtype of the float
    array ``logits``, from the backend's dropout generator. ``U = 0`` gives ``-inf``: that
    class gets probability 0 (PyTorch's ``exponential_`` draws differ)."""
    backend = backend_of(logits)
    if logits.dtype.kind != "f":
        msg = f"gumbel_softmax: logits must be a floating-point array, got dtype {logits.dtype}"
        raise TypeError(msg)
    uniform = _random.dropout_generator(backend).random(logits.shape)
    with backend.ignore_float_errors():  # log(0) = -inf: a value, not a warning
        return backend.xp.asarray(-backend.xp.log(-backend.xp.log(uniform))).astype(logits.dtype)


def _one_hot_of_max(y, dim):
    """1 at the first largest entry along ``dim`` of the array ``y``, 0 elsewhere (PyTorch's
    ``max(dim)[1]`` scattered into zeros)."""
    xp = backend_of(y).xp
    if y.ndim == 0:
        return xp.ones_like(y)
    axis = dim % y.ndim
    index = xp.argmax(y, axis=axis, keepdims=True)
    positions = xp.arange(y.shape[axis]).reshape((-1,) + (1,) * (y.ndim - 1 - axis))
    return (positions == index).astype(y.dtype)


def gumbel_softmax(
    logits, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    r"""Sample from the Gumbel-softmax distribution, and optionally discretize.

    ``softmax((logits + g) / tau, dim)`` with ``g`` Gumbel(0, 1) noise drawn from the
    backend's dropout generator (:func:`xpnet.manual_seed`; not PyTorch's numbers). With
    ``hard``, the result is the one-hot vector of its largest entry along ``dim`` in the
    forward, and the soft sample's gradient in the backward: ``y_hard - y_soft.detach() +
    y_soft``, PyTorch's straight-through estimator, computed in that order.

    Args:
        logits: (..., num_features) unnormalised log-probabilities, a Tensor or an array.
        tau: the temperature, > 0. Default: 1.
        hard: return one-hot samples (straight-through gradient). Default: ``False``.
        eps: deprecated and unused, as in PyTorch (a value other than 1e-10 warns).
        dim: the dimension of the categories. Default: -1.

    Shape:
        - logits: (*). Output: (*), the same shape.

    Returns:
        A Tensor of the shape and dtype of ``logits``: distributions summing to 1 along
        ``dim``, or one-hot vectors with ``hard``.

    Raises:
        TypeError: ``logits`` not floating point.

    Warns:
        UserWarning: if ``eps`` is not 1e-10, as PyTorch.

    Example:
        >>> import xpnet
        >>> _ = xpnet.manual_seed(0)
        >>> y = gumbel_softmax(xpnet.tensor([[1.0, 2.0, 3.0]]), tau=0.5, hard=True)
        >>> y.sum().item(), sorted(y.tolist()[0])
        (1.0, [0.0, 0.0, 1.0])
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    logits = as_tensor(logits)
    y_soft = ((logits + _gumbel_noise(logits.array)) / tau).softmax(dim)
    if not hard:
        return y_soft  # the reparameterisation trick
    return Tensor(_one_hot_of_max(y_soft.array, dim)) - y_soft.detach() + y_soft


def _check_triplet(where, anchor, positive, negative, margin, reduction):
    if reduction not in ("mean", "sum", "none"):
        msg = f"{where}: {reduction} is not a valid value for reduction (mean, sum or none)"
        raise ArgumentError(msg)
    if margin <= 0:
        msg = f"{where}: margin must be greater than 0, got {margin}"
        raise ArgumentError(msg)
    ranks = [len(value.shape) for value in (anchor, positive, negative)]
    if len(set(ranks)) != 1:
        msg = (
            f"{where}: the anchor, positive, and negative tensors are expected to have the same "
            f"number of dimensions, but got: anchor {ranks[0]}D, positive {ranks[1]}D, and "
            f"negative {ranks[2]}D inputs"
        )
        raise ArgumentError(msg)


def triplet_margin_with_distance_loss(
    anchor,
    positive,
    negative,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    r"""Triplet margin loss with a distance of your choice:
    ``max(d(anchor, positive) - d(anchor, negative) + margin, 0)``, reduced.

    ``d`` is ``distance_function`` (two Tensors to a Tensor of distances; default
    :func:`~xpnet.nn.functional.pairwise_distance`). With ``swap`` the negative distance is
    ``min(d(a, n), d(p, n))`` (Balntas et al., 2016). Composed of Tensor operations, as
    PyTorch's: ``clamp_min``'s gradient passes at 0, a tie of the swap splits it in halves.

    Args:
        anchor, positive, negative: Tensors or arrays with the same number of dimensions,
            as ``distance_function`` takes them ((N, D) or (D,) for the default).
        distance_function: callable ``(x1, x2) -> distances``, given Tensors (arrays are
            wrapped first). Default: ``None`` (``pairwise_distance``).
        margin: the margin, > 0. Default: 1.0.
        swap: use the distance swap. Default: ``False``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Inputs: (N, D) or (D,) for the default distance. Output: scalar, or (N,) with
          ``'none'``.

    Returns:
        A Tensor: the loss.

    Raises:
        ValueError: an unknown ``reduction``, ``margin <= 0``, or inputs of different ranks
            (PyTorch raises RuntimeError for the last; xpnet's error is both).

    Example:
        >>> import xpnet
        >>> a, p, n = (xpnet.tensor([[x, y]]) for x, y in [(0.0, 0.0), (3.0, 4.0), (0.0, 1.0)])
        >>> round(triplet_margin_with_distance_loss(a, p, n).item(), 4)
        5.0
    """
    where = "triplet_margin_with_distance_loss"
    _check_triplet(where, anchor, positive, negative, margin, reduction)
    distance = F.pairwise_distance if distance_function is None else distance_function
    # Tensors, graphs kept: a distance_function written for Tensors gets Tensors
    anchor, positive, negative = as_tensor(anchor), as_tensor(positive), as_tensor(negative)
    dist_pos = as_tensor(distance(anchor, positive))
    dist_neg = as_tensor(distance(anchor, negative))
    if swap:
        dist_neg = minimum(dist_neg, as_tensor(distance(positive, negative)))
    loss = (margin + dist_pos - dist_neg).clamp(min=0)
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if reduction == "mean" else loss


def _in_place(name, input, function, *args) -> Tensor:
    """``input`` (a Tensor, or an array wrapped in one that shares it) changed to
    ``function(input, *args)`` in place, by :func:`xpnet._tensor_inplace.apply_in_place`; a
    number is refused (TypeError), as PyTorch's parser: it has no place to write."""
    check_tensor(name, "input", input)
    tensor = input if isinstance(input, Tensor) else Tensor(input)
    return apply_in_place(name, tensor, lambda t: function(t, *args))


def relu_(input) -> Tensor:
    """In-place version of :func:`~xpnet.nn.functional.relu`; returns ``input``.

    As the in-place Tensor methods: the array changes in place unless a graph is recorded
    (then this tensor takes the new value and its ``grad_fn``); ``RuntimeError`` for a leaf
    that requires grad while gradients are recorded, as PyTorch.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([-1.0, 2.0])
        >>> relu_(x) is x, x.tolist()
        (True, [0.0, 2.0])
    """
    return _in_place("relu_", input, F.relu)


def elu_(input, alpha: float = 1.0) -> Tensor:
    """In-place version of :func:`~xpnet.nn.functional.elu`, as :func:`relu_`."""
    return _in_place("elu_", input, F.elu, alpha)


def celu_(input, alpha: float = 1.0) -> Tensor:
    """In-place version of :func:`~xpnet.nn.functional.celu`, as :func:`relu_`."""
    return _in_place("celu_", input, F.celu, alpha)


def selu_(input) -> Tensor:
    """In-place version of :func:`~xpnet.nn.functional.selu`, as :func:`relu_`."""
    return _in_place("selu_", input, F.selu)


def leaky_relu_(input, negative_slope: float = 0.01) -> Tensor:
    """In-place version of :func:`~xpnet.nn.functional.leaky_relu`, as :func:`relu_`."""
    return _in_place("leaky_relu_", input, F.leaky_relu, negative_slope)


def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place version of :func:`~xpnet.nn.functional.hardtanh`, as :func:`relu_`."""
    return _in_place("hardtanh_", input, F.hardtanh, min_val, max_val)


def threshold_(input, threshold: float, value: float) -> Tensor:
    """In-place version of :func:`~xpnet.nn.functional.threshold`, as :func:`relu_`."""
    return _in_place("threshold_", input, F.threshold, threshold, value)


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """In-place version of :func:`~xpnet.nn.functional.rrelu`, as :func:`relu_`; in training
    the drawn slopes are kept for the backward."""
    return _in_place("rrelu_", input, F.rrelu, lower, upper, training)
