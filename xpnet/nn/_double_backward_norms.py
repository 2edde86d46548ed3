"""Differentiable backwards (:mod:`xpnet._double_backward`) of ``layer_norm`` and
``batch_norm``, for :mod:`xpnet.nn._double_backward_layers`.

The statistics are recomputed in recorded Tensor operations (the biased variance, as the
forward's), so that the input's gradient keeps its dependence on them: PyTorch's
``batchnorm_double_backward`` and ``layer_norm_double_backward`` differentiate the same
formula. ``batch_norm`` outside training normalizes by the running statistics, constants.
"""

from __future__ import annotations

from .. import kernels as K
from .._double_backward import differentiable_backward
from .._double_backward_ops import needs
from ..autograd import Tensor

__all__: list[str] = []


def _normalized(input, dims: tuple, eps: float) -> tuple:
    """``(x_hat, rstd)``: ``input`` normalized over ``dims``, and ``1 / sqrt(var + eps)``."""
    centered = input - input.mean(dims, keepdim=True)
    rstd = ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()
    return centered * rstd, rstd


def _through_normalization(grad_hat, x_hat, rstd, dims: tuple):
    """The input's gradient from ``grad_hat``, x_hat's: ``rstd * (g - mean(g) - x_hat *
    mean(g * x_hat))`` over ``dims``."""
    mean = grad_hat.mean(dims, keepdim=True)
    return rstd * (grad_hat - mean - x_hat * (grad_hat * x_hat).mean(dims, keepdim=True))


@differentiable_backward(K.layer_norm_backward)
def _layer_norm_formula(grad_output, input, normalized_shape, weight=None, bias=None, eps=1e-5):
    count = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    dims = tuple(range(input.ndim - count, input.ndim))
    leading = tuple(range(input.ndim - count))
    x_hat, rstd = _normalized(input, dims, eps)
    grad_hat = grad_output if weight is None else grad_output * weight
    return (
        _through_normalization(grad_hat, x_hat, rstd, dims) if needs(input) else None,
        (grad_output * x_hat).sum(leading) if needs(weight) else None,
        grad_output.sum(leading) if needs(bias) else None,
    )


@differentiable_backward(K.batch_norm_backward)
def _batch_norm_formula(
    grad_output,
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
    **saved,
):
    """Batch statistics in training (or without running statistics), else the running ones."""
    dims = (0, *range(2, input.ndim))  # every dim but the channels'
    per_channel = (1, -1) + (1,) * (input.ndim - 2)
    if training or running_mean is None:
        x_hat, rstd = _normalized(input, dims, eps)
    else:
        rstd = Tensor(((running_var + eps) ** -0.5).reshape(per_channel))
        x_hat = (input - Tensor(running_mean.reshape(per_channel))) * rstd
    grad_hat = grad_output if weight is None else grad_output * weight.reshape(per_channel)
    grad_input = None
    if needs(input) and (training or running_mean is None):
        grad_input = _through_normalization(grad_hat, x_hat, rstd, dims)
    elif needs(input):
        grad_input = grad_hat * rstd
    return (
        grad_input,
        (grad_output * x_hat).sum(dims) if needs(weight) else None,
        (grad_output.sum(dims) if needs(bias) else None),
    )
