"""Dropout with the backend's seeded generator, and its backward function.

The generators are not kept here: they live in :mod:`xpnet._random` with the rest of
xpnet's random state, seeded by :func:`xpnet.manual_seed`. The other kernels are the
neighbouring files of :mod:`xpnet.kernels`; :func:`xpnet.nn.functional.dropout` lifts this
pair to Tensors.
"""

from __future__ import annotations

from .. import _random
from ..backends import backend_of
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_ndim,
    check_probability,
    check_same_shape,
    kernel,
    require_arrays,
)

__all__ = [
    "dropout",
    "dropout1d",
    "dropout1d_backward",
    "dropout2d",
    "dropout2d_backward",
    "dropout3d",
    "dropout3d_backward",
    "dropout_backward",
]

# The names this module gave the dropout generators' functions before they moved to
# xpnet._random; kept so that code importing them from here still runs.
manual_seed = _random.seed_dropout
default_generator = _random.dropout_generator


def _masked(array, mask, p):
    """``array * mask / (1 - p)`` in the dtype of ``array``: what dropout and its backward do."""
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)  # p = 1 drops everything: 0 instead of 1 / 0
    # asarray: NumPy's arithmetic on 0-d arrays returns scalars
    return backend_of(array).xp.asarray(array * (mask * scale).astype(array.dtype))


@kernel
def dropout(
    input,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    return_mask: bool = False,
):
    r"""Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The mask comes from the backend's dropout generator (see :func:`xpnet.manual_seed`).

    Args:
        input: array of any shape.
        p: probability of zeroing an element, in [0, 1]. Default: 0.5.
        training: apply dropout; when ``False`` the input is returned unchanged. Default: ``True``.
        inplace: write the result into ``input``. Default: ``False``.
        return_mask: also return the boolean keep-mask that :func:`dropout_backward` needs
            (``None`` when nothing was dropped). Default: ``False``.

    Returns:
        Array of the shape and dtype of ``input`` (or ``(output, mask)``).

    Raises:
        ValueError: if ``p`` is outside [0, 1].

    Example:
        >>> import xpnet
        >>> _ = xpnet.manual_seed(0)
        >>> dropout(xp.ones(6), p=0.5)
        array([2., 0., 0., 0., 2., 2.])
    """
    require_arrays("dropout", input=input)
    backend = array_backend("dropout", input=input)
    check_probability("dropout", "p", p)
    if not training or p == 0:
        return (input, None) if return_mask else input
    mask = _random.dropout_generator(backend).random(input.shape) >= p  # True: kept
    mask = backend.xp.asarray(mask)  # a 0-d draw compares to a scalar
    output = _masked(input, mask, p)
    if inplace:
        input[...] = output
        output = input
    return (output, mask) if return_mask else output


@kernel
def dropout_backward(
    grad_output, input, p: float = 0.5, training: bool = True, inplace: bool = False, *, mask=None
):
    """Gradient of :func:`dropout`: ``grad_output * mask / (1 - p)``.

    ``mask`` is the one ``dropout(..., return_mask=True)`` returned: a random mask cannot be
    recomputed. Without training (or with ``p = 0``) the gradient passes unchanged.

    Raises:
        ValueError: if ``mask`` is missing while training with ``p > 0``, or has another shape
            than ``input``, or ``grad_output`` has another shape than ``input``.
        TypeError: if ``mask`` is not a bool array, or ``grad_output`` has another dtype.
    """
    where = "dropout_backward"
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, grad_output=grad_output)
    check_probability(where, "p", p)
    check_grad_output(where, grad_output, input.shape, input.dtype, of="input")
    if not training or p == 0:
        return grad_output
    if mask is None:
        msg = (
            "dropout_backward: mask (from dropout(..., return_mask=True)) is required when "
            f"training with p > 0, got mask=None, p={p}"
        )
        raise ArgumentError(msg)
    backend_of(input, mask, names=("input", "mask"), where=where)
    if getattr(mask, "dtype", None) != backend.xp.bool_:
        got = getattr(mask, "dtype", type(mask).__name__)
        msg = f"{where}: mask must be a bool array (True: kept), got {got}"
        raise TypeError(msg)
    check_same_shape(where, "mask", mask, "input", input)
    return _masked(grad_output, mask, p)


# Channel-wise dropout (PyTorch's feature_dropout): one draw per (sample, channel), the mask
# shaped (N, C, 1, ...) so that it broadcasts over the spatial axes. dropout1d takes (N, C, L)
# or (C, L), dropout2d (N, C, H, W) or, as PyTorch, a 3-D input read as (N, C, L), dropout3d
# (N, C, D, H, W) or (C, D, H, W); an unbatched input is one sample.
_CHANNEL_RANKS = {"dropout1d": (2, 3), "dropout2d": (3, 4), "dropout3d": (4, 5)}
_LAYOUTS = {
    "dropout1d": "(N, C, L) or (C, L)",
    "dropout2d": "(N, C, H, W) or (N, C, L)",
    "dropout3d": "(N, C, D, H, W) or (C, D, H, W)",
}


def _mask_shape(where, input):
    """The (N, C, 1, ...) shape of a channel mask for ``input`` (unbatched: (C, 1, ...))."""
    check_ndim(where, "input", input, _CHANNEL_RANKS[where], _LAYOUTS[where])
    batched = input.ndim == _CHANNEL_RANKS[where][1] or where == "dropout2d"
    kept = 2 if batched else 1
    return input.shape[:kept] + (1,) * (input.ndim - kept)


def _channel_dropout(where, input, p, training, inplace, return_mask):
    require_arrays(where, input=input)
    backend = array_backend(where, input=input)
    check_probability(where, "p", p)
    shape = _mask_shape(where, input)
    if not training or p == 0:
        return (input, None) if return_mask else input
    mask = backend.xp.asarray(_random.dropout_generator(backend).random(shape) >= p)
    output = _masked(input, mask, p)
    if inplace:
        input[...] = output
        output = input
    return (output, mask) if return_mask else output


def _channel_dropout_backward(where, grad_output, input, p, training, mask):
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, grad_output=grad_output)
    check_probability(where, "p", p)
    check_grad_output(where, grad_output, input.shape, input.dtype, of="input")
    shape = _mask_shape(where[: -len("_backward")], input)
    if not training or p == 0:
        return grad_output
    if mask is None:
        msg = (
            f"{where}: mask (from the forward with return_mask=True) is required when "
            f"training with p > 0, got mask=None, p={p}"
        )
        raise ArgumentError(msg)
    backend_of(input, mask, names=("input", "mask"), where=where)
    # a wrong dtype is a TypeError, a wrong shape a ValueError: as dropout_backward's
    if getattr(mask, "dtype", None) != backend.xp.bool_:
        got = getattr(mask, "dtype", type(mask).__name__)
        msg = f"{where}: mask must be a bool array (True: kept), got {got}"
        raise TypeError(msg)
    if tuple(mask.shape) != shape:
        msg = f"{where}: mask must be a bool array of shape {shape} (True: kept), got {mask.shape}"
        raise ArgumentError(msg)
    return _masked(grad_output, mask, p)


@kernel
def dropout1d(
    input,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    return_mask: bool = False,
):
    r"""Zero whole channels with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Args:
        input: array of shape (N, C, L) or (C, L).
        p, training, inplace, return_mask: as :func:`dropout`; the mask has shape
            (N, C, 1) (or (C, 1)): one draw per channel of each sample.

    Returns:
        Array of the shape and dtype of ``input`` (or ``(output, mask)``).

    Raises:
        ValueError: another rank, or ``p`` outside [0, 1].

    Example:
        >>> import xpnet
        >>> _ = xpnet.manual_seed(0)
        >>> dropout1d(xp.ones((1, 3, 2)))
        array([[[2., 2.],
                [0., 0.],
                [0., 0.]]])
    """
    return _channel_dropout("dropout1d", input, p, training, inplace, return_mask)


@kernel
def dropout1d_backward(
    grad_output, input, p: float = 0.5, training: bool = True, inplace: bool = False, *, mask=None
):
    """Gradient of :func:`dropout1d`: ``grad_output * mask / (1 - p)``, the forward's mask."""
    return _channel_dropout_backward("dropout1d_backward", grad_output, input, p, training, mask)


@kernel
def dropout2d(
    input,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    return_mask: bool = False,
):
    r"""Channel-wise dropout of (N, C, H, W) input, as :func:`dropout1d`.

    A 3-D input is read as (N, C, L), as PyTorch does (which also warns that this will
    change); xpnet does not warn. Use :func:`dropout1d` for that layout.

    Example:
        >>> dropout2d(xp.ones((1, 2, 2, 2)), training=False).shape
        (1, 2, 2, 2)
    """
    return _channel_dropout("dropout2d", input, p, training, inplace, return_mask)


@kernel
def dropout2d_backward(
    grad_output, input, p: float = 0.5, training: bool = True, inplace: bool = False, *, mask=None
):
    """Gradient of :func:`dropout2d`: ``grad_output * mask / (1 - p)``, the forward's mask."""
    return _channel_dropout_backward("dropout2d_backward", grad_output, input, p, training, mask)


@kernel
def dropout3d(
    input,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    return_mask: bool = False,
):
    r"""Channel-wise dropout of (N, C, D, H, W) or (C, D, H, W) input, as :func:`dropout1d`.

    Example:
        >>> dropout3d(xp.ones((2, 1, 1, 1)), p=0.0)[:, 0, 0, 0]
        array([1., 1.])
    """
    return _channel_dropout("dropout3d", input, p, training, inplace, return_mask)


@kernel
def dropout3d_backward(
    grad_output, input, p: float = 0.5, training: bool = True, inplace: bool = False, *, mask=None
):
    """Gradient of :func:`dropout3d`: ``grad_output * mask / (1 - p)``, the forward's mask."""
    return _channel_dropout_backward("dropout3d_backward", grad_output, input, p, training, mask)
