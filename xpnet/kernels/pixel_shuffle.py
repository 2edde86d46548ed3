"""Pixel shuffle: ``pixel_shuffle`` and ``pixel_unshuffle``, with backward functions.

``pixel_shuffle`` moves each group of ``r * r`` channels into an ``r x r`` block of pixels,
``(*, C * r^2, H, W) -> (*, C, H * r, W * r)`` (Shi et al. 2016, "Real-Time Single Image and
Video Super-Resolution Using an Efficient Sub-Pixel Convolutional Neural Network"), and
``pixel_unshuffle`` undoes it. Both are permutations, so each one's backward is the other
applied to ``grad_output``. Any number of leading batch dimensions, as PyTorch.
"""

from __future__ import annotations

from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_int,
    kernel,
    moved_backend,
    require_arrays,
)

__all__ = [
    "pixel_shuffle",
    "pixel_shuffle_backward",
    "pixel_unshuffle",
    "pixel_unshuffle_backward",
]


def _shuffle(xp, x, r):
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r), a new array."""
    *batch, channels, H, W = x.shape
    C, k = channels // (r * r), len(batch)
    blocks = xp.reshape(x, (*batch, C, r, r, H, W))
    # (*, C, H, r, W, r): row i of block (h, w) comes from channel group i
    blocks = xp.transpose(blocks, (*range(k), k, k + 3, k + 1, k + 4, k + 2))
    # one copy, in the output's order (reshape alone would return a view of input for r = 1)
    return xp.reshape(blocks.copy(), (*batch, C, H * r, W * r))


def _unshuffle(xp, x, r):
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W), a new array."""
    *batch, C, height, width = x.shape
    H, W, k = height // r, width // r, len(batch)
    blocks = xp.reshape(x, (*batch, C, H, r, W, r))
    blocks = xp.transpose(blocks, (*range(k), k, k + 2, k + 4, k + 1, k + 3))  # (*, C, r, r, H, W)
    return xp.reshape(blocks.copy(), (*batch, C * r * r, H, W))


def _check(where, name, input, factor, grad_output=None, backward=False):
    """``(xp, r)`` after the checks of PyTorch's: an input of >= 3 dimensions (of any
    bool, integer or float dtype; float with a gradient), a positive int factor, channels
    (shuffle) or H and W (unshuffle) divisible."""
    require_arrays(where, input=input)
    if backward:
        backend = array_backend(where, input=input, grad_output=grad_output)
    else:
        backend = moved_backend(where, input)
    r = check_int(where, name, factor)
    if r <= 0:
        msg = f"{where}: {name} must be positive, got {r}"
        raise ArgumentError(msg)
    if input.ndim < 3:
        msg = (
            f"{where}: input must have at least 3 dimensions (*, C, H, W), got shape {input.shape}"
        )
        raise ArgumentError(msg)
    *batch, C, H, W = input.shape
    if name == "upscale_factor":
        if C % (r * r):
            msg = (
                f"{where}: input's channel dimension (-3) must be divisible by "
                f"upscale_factor^2 = {r * r}, got shape {input.shape}"
            )
            raise ArgumentError(msg)
        out_shape = (*batch, C // (r * r), H * r, W * r)
    else:
        for axis, size in (("height (-2)", H), ("width (-1)", W)):
            if size % r:
                msg = (
                    f"{where}: input's {axis} must be divisible by downscale_factor {r}, "
                    f"got shape {input.shape}"
                )
                raise ArgumentError(msg)
        out_shape = (*batch, C * r * r, H // r, W // r)
    if backward:
        check_grad_output(where, grad_output, out_shape, input.dtype)
    return backend.xp, r


@kernel
def pixel_shuffle(input, upscale_factor: int):
    r"""Rearrange ``(*, C * r^2, H, W)`` into ``(*, C, H * r, W * r)``, ``r = upscale_factor``:
    ``output[..., c, h * r + i, w * r + j] = input[..., c * r^2 + i * r + j, h, w]``.

    Args:
        input: array with at least 3 dimensions (any leading batch dimensions), of any
            bool, integer or float dtype.
        upscale_factor: ``r``, a positive int.

    Returns:
        Array of shape (*, C, H * r, W * r), the dtype of ``input``.

    Raises:
        TypeError: a complex input, a non-int ``upscale_factor``.
        ValueError: fewer than 3 dimensions, ``r <= 0``, channels not divisible by ``r^2``.

    Example:
        >>> pixel_shuffle(xp.arange(4.0).reshape(4, 1, 1), 2)
        array([[[0., 1.],
                [2., 3.]]])
    """
    xp, r = _check("pixel_shuffle", "upscale_factor", input, upscale_factor)
    return _shuffle(xp, input, r)


@kernel
def pixel_shuffle_backward(grad_output, input, upscale_factor: int):
    """Gradient of :func:`pixel_shuffle`: ``pixel_unshuffle(grad_output, upscale_factor)``."""
    where = "pixel_shuffle_backward"
    xp, r = _check(where, "upscale_factor", input, upscale_factor, grad_output, True)
    return _unshuffle(xp, grad_output, r)


@kernel
def pixel_unshuffle(input, downscale_factor: int):
    r"""Rearrange ``(*, C, H * r, W * r)`` into ``(*, C * r^2, H, W)``, ``r = downscale_factor``:
    the inverse of :func:`pixel_shuffle`.

    Args:
        input: array with at least 3 dimensions (any leading batch dimensions), of any
            bool, integer or float dtype.
        downscale_factor: ``r``, a positive int.

    Returns:
        Array of shape (*, C * r^2, H / r, W / r), the dtype of ``input``.

    Raises:
        TypeError: a complex input, a non-int ``downscale_factor``.
        ValueError: fewer than 3 dimensions, ``r <= 0``, H or W not divisible by ``r``.

    Example:
        >>> pixel_unshuffle(xp.arange(4.0).reshape(1, 2, 2), 2)[:, 0, 0]
        array([0., 1., 2., 3.])
    """
    xp, r = _check("pixel_unshuffle", "downscale_factor", input, downscale_factor)
    return _unshuffle(xp, input, r)


@kernel
def pixel_unshuffle_backward(grad_output, input, downscale_factor: int):
    """Gradient of :func:`pixel_unshuffle`: ``pixel_shuffle(grad_output, downscale_factor)``."""
    where = "pixel_unshuffle_backward"
    xp, r = _check(where, "downscale_factor", input, downscale_factor, grad_output, True)
    return _shuffle(xp, grad_output, r)
