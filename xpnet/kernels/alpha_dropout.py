"""Alpha dropout (SELU's dropout) and its channel-wise form, with their backward functions.

A dropped element becomes SELU's negative saturation value, and an affine map keeps zero mean
and unit variance (Klambauer et al., 2017). The masks come from the backend's dropout
generator in :mod:`xpnet._random`, as :mod:`.dropout`'s; :func:`xpnet.nn.functional.alpha_dropout`
lifts these pairs to Tensors, :class:`xpnet.nn.AlphaDropout` is the layer.
"""

from __future__ import annotations

import math

from .. import _random
from ._blocks import compute_dtype
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_probability,
    check_saved,
    kernel,
    require_arrays,
)

__all__ = [
    "alpha_dropout",
    "alpha_dropout_backward",
    "feature_alpha_dropout",
    "feature_alpha_dropout_backward",
]

# SELU's scale * alpha: -_ALPHA is SELU's saturation value (aten/src/ATen/native/Dropout.cpp)
_ALPHA = 1.7580993408473766


def _affine(p):
    """``(a, b_kept, b_dropped)``: the output is ``a * input + b_kept`` where kept and
    ``b_dropped`` elsewhere, as PyTorch's ``_dropout_impl``: ``a = 1 / sqrt((alpha^2 p + 1)
    (1 - p))``, ``b = (mask - 1) alpha a + alpha a p``."""
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    return a, _ALPHA * a, _ALPHA * a * p


def _scale_and_shift(xp, mask, p, dtype):
    """PyTorch's ``noise * a`` and ``b``, in ``dtype`` (its noise tensor has the input's dtype,
    each step rounded to it; float16 steps run in float32 as PyTorch's opmath)."""
    a, alpha_a, alpha_a_p = _affine(p)
    compute = compute_dtype(xp, dtype)
    keep = mask.astype(compute)
    scale = (keep * a).astype(dtype)
    shift = ((keep - 1.0) * alpha_a).astype(dtype).astype(compute) + alpha_a_p
    return scale, shift.astype(dtype)


def _apply(xp, input, mask, p, inplace):
    """``input * scale + shift``, each product and sum rounded to the input's dtype."""
    compute = compute_dtype(xp, input.dtype)
    scale, shift = _scale_and_shift(xp, mask, p, input.dtype)
    scaled = (input.astype(compute) * scale.astype(compute)).astype(input.dtype)
    output = xp.asarray(scaled.astype(compute) + shift.astype(compute)).astype(input.dtype)
    if inplace:
        input[...] = output
        return input
    return output


def _feature_mask_shape(where, input):
    """(N, C, 1, ...): one draw per (sample, channel), as PyTorch's ``make_feature_noise``."""
    if input.ndim < 2:
        msg = (
            f"{where}: feature dropout requires at least 2 dimensions in the input, "
            f"got shape {input.shape}"
        )
        raise ArgumentError(msg)
    return input.shape[:2] + (1,) * (input.ndim - 2)


def _forward(where, input, p, training, inplace, return_mask, feature):
    require_arrays(where, input=input)
    backend = array_backend(where, input=input)
    check_probability(where, "p", p)
    xp = backend.xp
    mask = None
    if not training or p == 0 or input.size == 0:
        output = input  # PyTorch returns the input itself
    elif p == 1:  # everything dropped: input * 0, as PyTorch (NaN and inf give NaN)
        output = xp.asarray(input * 0.0).astype(input.dtype)
        if inplace:
            input[...] = output
            output = input
    else:
        shape = _feature_mask_shape(where, input) if feature else input.shape
        mask = xp.asarray(_random.dropout_generator(backend).random(shape) >= p)  # True: kept
        output = _apply(xp, input, mask, p, inplace)
    return (output, mask) if return_mask else output


def _backward(where, grad_output, input, p, training, mask, feature):
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, grad_output=grad_output)
    check_probability(where, "p", p)
    check_grad_output(where, grad_output, input.shape, input.dtype, of="input")
    xp = backend.xp
    if not training or p == 0 or input.size == 0:
        return grad_output
    if p == 1:
        return xp.asarray(grad_output * 0.0).astype(grad_output.dtype)
    if mask is None:
        msg = (
            f"{where}: mask (from the forward with return_mask=True) is required when "
            f"training with 0 < p < 1, got mask=None, p={p}"
        )
        raise ArgumentError(msg)
    shape = _feature_mask_shape(where, input) if feature else input.shape
    check_saved(where, "mask", mask, shape, (xp.dtype(xp.bool_),), of="the forward's mask")
    scale, _ = _scale_and_shift(xp, mask, p, input.dtype)
    compute = compute_dtype(xp, input.dtype)
    return xp.asarray(grad_output.astype(compute) * scale.astype(compute)).astype(input.dtype)


@kernel
def alpha_dropout(
    input,
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
    *,
    return_mask: bool = False,
):
    r"""Alpha dropout: keep SELU's self-normalising mean and variance while dropping.

    Each element is dropped with probability ``p`` (set to SELU's negative saturation
    :math:`-\alpha'` with :math:`\alpha' = 1.7580993408473766`), then the result is mapped by
    :math:`a x + b` with :math:`a = ((\alpha'^2 p + 1)(1 - p))^{-1/2}`, :math:`b = \alpha' a p`
    (kept) or :math:`\alpha' a (p - 1)` (dropped), exactly PyTorch's formula; ``p = 1`` gives
    ``input * 0``. The mask comes from the backend's dropout generator (see
    :func:`xpnet.manual_seed`), so its bits are not PyTorch's.

    Args:
        input: array of any shape.
        p: probability of dropping an element, in [0, 1]. Default: 0.5.
        training: apply dropout; when ``False`` (the default, as PyTorch's) the input is
            returned unchanged.
        inplace: write the result into ``input``. Default: ``False``.
        return_mask: also return the boolean keep-mask that :func:`alpha_dropout_backward`
            needs (``None`` when nothing was drawn). Default: ``False``.

    Shape:
        - Input: (*). Output: (*), the same shape.

    Returns:
        Array of the shape and dtype of ``input`` (or ``(output, mask)``).

    Raises:
        ValueError: if ``p`` is outside [0, 1].
        TypeError: if ``input`` is not a floating-point array.

    Example:
        >>> import xpnet
        >>> _ = xpnet.manual_seed(0)
        >>> alpha_dropout(xp.zeros(4), p=0.5, training=True).round(4)
        array([ 0.7792, -0.7792, -0.7792, -0.7792])
    """
    return _forward("alpha_dropout", input, p, training, inplace, return_mask, False)


@kernel
def alpha_dropout_backward(
    grad_output, input, p: float = 0.5, training: bool = False, inplace: bool = False, *, mask=None
):
    """Gradient of :func:`alpha_dropout`: ``grad_output * a`` where kept, 0 where dropped.

    ``mask`` is the one the forward returned with ``return_mask=True``. Without training,
    with ``p = 0`` or an empty input the gradient passes unchanged; ``p = 1`` gives 0.

    Raises:
        ValueError: ``mask`` missing while training with 0 < p < 1, of another shape, or
            ``grad_output`` of another shape than ``input``; ``p`` outside [0, 1].
        TypeError: ``mask`` not a bool array, or ``grad_output`` of another dtype.
    """
    return _backward("alpha_dropout_backward", grad_output, input, p, training, mask, False)


@kernel
def feature_alpha_dropout(
    input,
    p: float = 0.5,
    training: bool = False,
    inplace: bool = False,
    *,
    return_mask: bool = False,
):
    r"""Alpha dropout of whole channels: one keep-decision per (sample, channel).

    As :func:`alpha_dropout`, with a mask of shape (N, C, 1, ...) that broadcasts over the
    other dimensions, as PyTorch's ``feature_alpha_dropout``: dimension 0 is always the batch
    (a (C, L) input is read as (N, C)).

    Args:
        input: array of at least 2 dimensions (N, C, ...) when dropout applies.
        p, training, inplace, return_mask: as :func:`alpha_dropout`.

    Returns:
        Array of the shape and dtype of ``input`` (or ``(output, mask)``).

    Raises:
        ValueError: ``p`` outside [0, 1]; fewer than 2 dimensions while training with
            0 < p < 1 (PyTorch's "Feature dropout requires at least 2 dimensions").

    Example:
        >>> import xpnet
        >>> _ = xpnet.manual_seed(0)
        >>> feature_alpha_dropout(xp.zeros((1, 2, 3)), 0.5, training=True).round(4)
        array([[[ 0.7792,  0.7792,  0.7792],
                [-0.7792, -0.7792, -0.7792]]])
    """
    return _forward("feature_alpha_dropout", input, p, training, inplace, return_mask, True)


@kernel
def feature_alpha_dropout_backward(
    grad_output, input, p: float = 0.5, training: bool = False, inplace: bool = False, *, mask=None
):
    """Gradient of :func:`feature_alpha_dropout`: ``grad_output * a`` in kept channels, else 0;
    ``mask`` (N, C, 1, ...) is the forward's. Raises as :func:`alpha_dropout_backward`."""
    return _backward("feature_alpha_dropout_backward", grad_output, input, p, training, mask, True)
