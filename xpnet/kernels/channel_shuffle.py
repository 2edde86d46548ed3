"""Channel shuffle: ``channel_shuffle`` and ``native_channel_shuffle``, with backward functions.

``channel_shuffle(input, groups)`` views the ``C`` channels of ``(N, C, *)`` as a
``(groups, C / groups)`` grid and reads it by columns (Zhang et al. 2017, "ShuffleNet"), so
that the next grouped convolution mixes every group. A permutation: its backward is the
shuffle with ``C / groups`` groups, which undoes it. ``native_channel_shuffle`` is the same
operation under PyTorch's other name.
"""

from __future__ import annotations

from ..backends import backend_of
from ._checks import ArgumentError, check_grad_output, check_int, kernel, require_arrays

__all__ = [
    "channel_shuffle",
    "channel_shuffle_backward",
    "native_channel_shuffle",
    "native_channel_shuffle_backward",
]


def _check(where, input, groups, grad_output=None, backward=False) -> int:
    """``groups`` after PyTorch's checks: an input of > 2 dimensions, positive ``groups``
    that divide the channels; ``grad_output`` of the input's shape and dtype."""
    require_arrays(where, input=input)
    backend_of(input, names=("input",), where=where)  # a number: a TypeError, not .ndim's
    if backward:
        check_grad_output(where, grad_output, input.shape, input.dtype, of="input")
        backend_of(input, grad_output, names=("input", "grad_output"), where=where)
    g = check_int(where, "groups", groups)
    if g <= 0:
        msg = f"{where}: groups must be positive, got {g}"
        raise ArgumentError(msg)
    if input.ndim <= 2:
        msg = f"{where}: input must have more than 2 dimensions (N, C, *), got shape {input.shape}"
        raise ArgumentError(msg)
    if input.shape[1] % g:
        msg = (
            f"{where}: the number of channels must be divisible by groups, got "
            f"{input.shape[1]} channels and {g} groups"
        )
        raise ArgumentError(msg)
    return g


def _shuffle(x, groups):
    """(N, C, *) -> (N, C, *) with channel ``g * (C / groups) + k`` moved to
    ``k * groups + g``, a new array."""
    N, C, *rest = x.shape
    xp = backend_of(x).xp
    grid = xp.reshape(x, (N, groups, C // groups, *rest))
    grid = xp.swapaxes(grid, 1, 2)  # (N, C / groups, groups, *)
    return xp.reshape(grid.copy(), x.shape)  # one copy (reshape alone is a view for groups=1)


@kernel
def channel_shuffle(input, groups: int):
    r"""Shuffle the channels of ``(N, C, *)``:
    ``output[:, k * groups + g] = input[:, g * (C / groups) + k]``. See
    :class:`xpnet.nn.ChannelShuffle`.

    Args:
        input: array of shape (N, C, *), at least 3 dimensions, any dtype.
        groups: number of groups, a positive int dividing ``C``.

    Returns:
        Array of the shape and dtype of ``input``.

    Raises:
        TypeError: a non-int ``groups``.
        ValueError: fewer than 3 dimensions, ``groups <= 0``, ``C`` not divisible by ``groups``.

    Example:
        >>> channel_shuffle(xp.arange(6.0).reshape(1, 6, 1), 2)[0, :, 0]
        array([0., 3., 1., 4., 2., 5.])
    """
    return _shuffle(input, _check("channel_shuffle", input, groups))


@kernel
def channel_shuffle_backward(grad_output, input, groups: int):
    """Gradient of :func:`channel_shuffle`: ``grad_output`` shuffled with ``C / groups``
    groups, the inverse permutation."""
    g = _check("channel_shuffle_backward", input, groups, grad_output, backward=True)
    # no channels: nothing moves (C / groups = 0 groups would divide by zero)
    return _shuffle(grad_output, max(input.shape[1] // g, 1))


@kernel
def native_channel_shuffle(input, groups: int):
    """:func:`channel_shuffle` under PyTorch's ``native_channel_shuffle`` name.

    Example:
        >>> native_channel_shuffle(xp.arange(4.0).reshape(1, 4, 1), 2)[0, :, 0]
        array([0., 2., 1., 3.])
    """
    return _shuffle(input, _check("native_channel_shuffle", input, groups))


@kernel
def native_channel_shuffle_backward(grad_output, input, groups: int):
    """Gradient of :func:`native_channel_shuffle` (as :func:`channel_shuffle_backward`)."""
    g = _check("native_channel_shuffle_backward", input, groups, grad_output, backward=True)
    return _shuffle(grad_output, max(input.shape[1] // g, 1))
