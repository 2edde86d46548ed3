"""Folding an evaluation-mode BatchNorm into the convolution or linear layer before it
(``torch.nn.utils.fusion``): one layer instead of two, the same outputs up to rounding.

In eval mode BatchNorm is the affine map ``y = (x - mean) * w / sqrt(var + eps) + b`` per
channel, so it folds into the weight (scaled per output channel) and the bias of the layer
before it. Neighbours: the other ``torch.nn.utils`` helpers in :mod:`xpnet.nn.utils`.
"""

from __future__ import annotations

import copy

import numpy

from ...autograd import data_of
from ...backends import backend_of
from ...kernels import ArgumentError
from ..parameter import Parameter

__all__ = [
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
]


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    """A new convolution equal to ``bn(conv(x))``, both modules in eval mode.

    Args:
        conv: a convolution module (``Conv1d/2d/3d``, or a transposed one with
            ``transpose=True``); it is deep-copied, not changed.
        bn: a BatchNorm module with running statistics.
        transpose: ``conv``'s weight has its output channels second (transposed
            convolutions). Default: ``False``.

    Returns:
        The fused convolution (a copy of ``conv`` with new ``weight`` and ``bias``).

    Raises:
        AssertionError: a module in training mode, or ``bn`` without running statistics
            (PyTorch's exception and messages).

    Example:
        >>> import xpnet
        >>> conv, bn = xpnet.nn.Conv2d(1, 2, 1), xpnet.nn.BatchNorm2d(2)
        >>> fused = fuse_conv_bn_eval(conv.eval(), bn.eval())
        >>> x = xpnet.randn(1, 1, 2, 2)
        >>> bool(xpnet.allclose(fused(x), bn(conv(x)), atol=1e-6))
        True
    """
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight,
        fused.bias,
        bn.running_mean,
        bn.running_var,
        bn.eps,
        bn.weight,
        bn.bias,
        transpose,
    )
    return fused


def fuse_conv_bn_weights(
    conv_w, conv_b, bn_rm, bn_rv, bn_eps: float, bn_w, bn_b, transpose: bool = False
) -> tuple[Parameter, Parameter]:
    r"""A convolution's weight and bias with an eval-mode BatchNorm folded in:
    :math:`W' = W \cdot s`, :math:`b' = (b - \mu) s + \beta`, :math:`s = \gamma /
    \sqrt{\sigma^2 + \epsilon}` per output channel.

    Args:
        conv_w: the weight, ``(C_out, C_in / groups, *kernel)`` (``(C_in, C_out / groups,
            *kernel)`` with ``transpose``).
        conv_b: its bias, or ``None`` (zeros).
        bn_rm: the running mean :math:`\mu`, ``(C_out,)``.
        bn_rv: the running variance :math:`\sigma^2`.
        bn_eps: :math:`\epsilon`.
        bn_w: :math:`\gamma`, or ``None`` (ones).
        bn_b: :math:`\beta`, or ``None`` (zeros).
        transpose: scale the weight's second dimension instead of its first.
            Default: ``False``.

    Returns:
        ``(weight, bias)``: new Parameters in ``conv_w``'s and ``conv_b``'s dtypes (the bias
        in ``conv_w``'s when ``conv_b`` is ``None``), requiring grad as those do.

    Raises:
        RuntimeError: the BatchNorm's channels do not broadcast against the weight's output
            channels (:class:`~xpnet.kernels.ArgumentError`).

    Example:
        >>> import numpy as np
        >>> w, b = fuse_conv_bn_weights(np.ones((2, 1, 1, 1)), None, np.zeros(2), np.full(2, 3.0),
        ...                             1.0, None, np.ones(2))
        >>> w.array.ravel().tolist(), b.array.tolist()
        ([0.5, 0.5], [1.0, 1.0])
    """
    weight_in, bias_in = data_of(conv_w), data_of(conv_b)
    bias_dtype = weight_in.dtype if bias_in is None else bias_in.dtype
    mean, inv_std, gamma, beta = _bn_arrays(bn_rm, bn_rv, bn_eps, bn_w, bn_b)
    backend = backend_of(mean)
    if bias_in is None:
        bias_in = backend.xp.zeros_like(mean)
    ones = [1] * (weight_in.ndim - 2)
    shape = [1, -1, *ones] if transpose else [-1, 1, *ones]
    scale = (gamma * inv_std).reshape(shape)
    _check_broadcast("fuse_conv_bn_weights", "conv_w", weight_in.shape, scale.shape)
    with backend.ignore_float_errors():  # inf * 0: NaN, as PyTorch's
        weight = (weight_in * scale).astype(weight_in.dtype)
        bias = ((bias_in - mean) * inv_std * gamma + beta).astype(bias_dtype)
    return _parameter(weight, conv_w), _parameter(bias, conv_b)


def fuse_linear_bn_eval(linear, bn):
    """A new linear layer equal to ``bn(linear(x))``, both modules in eval mode.

    Args:
        linear: a ``Linear`` module; it is deep-copied, not changed.
        bn: a BatchNorm module with running statistics, over ``linear.out_features``
            channels (or one).

    Returns:
        The fused ``Linear``.

    Raises:
        AssertionError: a module in training mode, channels that do not match, or ``bn``
            without running statistics (PyTorch's exception and messages).

    Example:
        >>> import xpnet
        >>> linear, bn = xpnet.nn.Linear(3, 2), xpnet.nn.BatchNorm1d(2)
        >>> fused = fuse_linear_bn_eval(linear.eval(), bn.eval())
        >>> x = xpnet.randn(4, 3)
        >>> bool(xpnet.allclose(fused(x), bn(linear(x)), atol=1e-6))
        True
    """
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(linear)
    # the BN's channels broadcast against the linear's last dimension: equal, or one
    if linear.out_features != bn.num_features and bn.num_features != 1:
        msg = (
            "To fuse, linear.out_features == bn.num_features or bn.num_features == 1, got "
            f"linear.out_features={linear.out_features} and bn.num_features={bn.num_features}"
        )
        raise AssertionError(msg)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
    )
    return fused


def fuse_linear_bn_weights(
    linear_w, linear_b, bn_rm, bn_rv, bn_eps: float, bn_w, bn_b
) -> tuple[Parameter, Parameter]:
    r"""A linear layer's weight and bias with an eval-mode BatchNorm folded in (the formulas
    of :func:`fuse_conv_bn_weights`, the scale on the weight's rows).

    Args:
        linear_w: the weight, ``(out_features, in_features)``.
        linear_b: its bias, or ``None`` (zeros).
        bn_rm: the running mean, ``(out_features,)`` or ``(1,)``.
        bn_rv: the running variance.
        bn_eps: the BatchNorm's ``eps``.
        bn_w: its weight (PyTorch requires one here; ``None`` is taken as ones).
        bn_b: its bias (``None``: zeros).

    Returns:
        ``(weight, bias)``: new Parameters in ``linear_w``'s and ``linear_b``'s dtypes,
        requiring grad as those do.

    Example:
        >>> import numpy as np
        >>> w, b = fuse_linear_bn_weights(np.ones((2, 3)), np.ones(2), np.ones(2), np.ones(2),
        ...                               0.0, np.full(2, 2.0), np.zeros(2))
        >>> w.array.tolist(), b.array.tolist()
        ([[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]], [0.0, 0.0])
    """
    weight_in, bias_in = data_of(linear_w), data_of(linear_b)
    bias_dtype = weight_in.dtype if bias_in is None else bias_in.dtype
    mean, inv_std, gamma, beta = _bn_arrays(bn_rm, bn_rv, bn_eps, bn_w, bn_b)
    if bias_in is None:
        bias_in = backend_of(mean).xp.zeros_like(mean)
    scale = gamma * inv_std
    _check_broadcast("fuse_linear_bn_weights", "linear_w", weight_in.shape, scale[:, None].shape)
    with backend_of(mean).ignore_float_errors():  # inf * 0: NaN, as PyTorch's
        weight = weight_in * scale[:, None].astype(weight_in.dtype)
        bias = ((bias_in - mean) * scale + beta).astype(bias_dtype)
    return _parameter(weight, linear_w), _parameter(bias, linear_b)


def _bn_arrays(bn_rm, bn_rv, bn_eps: float, bn_w, bn_b) -> tuple:
    """The BatchNorm's ``(mean, 1 / sqrt(var + eps), weight, bias)`` as arrays, a missing
    weight as ones and a missing bias as zeros (``affine=False``)."""
    mean, var = data_of(bn_rm), data_of(bn_rv)
    backend = backend_of(mean)
    xp = backend.xp
    with backend.ignore_float_errors():  # a negative or zero variance: NaN or inf, as PyTorch
        inv_std = 1 / xp.sqrt(var + bn_eps)
    gamma = xp.ones_like(mean) if bn_w is None else data_of(bn_w)
    beta = xp.zeros_like(mean) if bn_b is None else data_of(bn_b)
    return mean, inv_std, gamma, beta


def _check_broadcast(where: str, name: str, shape, scale_shape) -> None:
    """PyTorch's RuntimeError (an ArgumentError) where the BatchNorm's channels do not
    broadcast against the weight's output channels (NumPy's would be a ValueError)."""
    try:
        numpy.broadcast_shapes(tuple(shape), tuple(scale_shape))
    except ValueError:
        msg = (
            f"{where}: the BatchNorm's {max(scale_shape)} channels do not match {name} of "
            f"shape {tuple(shape)} (scaled as {tuple(scale_shape)})"
        )
        raise ArgumentError(msg) from None


def _parameter(array, like) -> Parameter:
    """``array`` as a new Parameter that requires grad where ``like`` (the layer's Tensor it
    replaces) does, as PyTorch's; a missing or plain array one: not."""
    return Parameter(array, requires_grad=bool(getattr(like, "requires_grad", False)))
