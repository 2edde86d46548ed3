"""1-D and 3-D pooling (max, average, adaptive), and their backward functions.

The same bodies as the 2-D kernels (:mod:`.max_pooling`, :mod:`.avg_pooling`,
:mod:`.adaptive_pooling`) over the N-d window helper (:mod:`._windows`): the window
geometry, padding, strided views and PyTorch's rules (ties go to the first maximum in
row-major order, a NaN wins its window; ``count_include_pad`` and the ``ceil_mode`` overhang;
adaptive windows ``[floor(i * L / out), ceil((i + 1) * L / out))``) are the 2-D ones, per
axis. Inputs are (N, C, L) or (C, L) in 1-D and (N, C, D, H, W) or (C, D, H, W) in 3-D;
``return_indices`` gives flat indices into each L or D x H x W volume, as PyTorch.
"""

from __future__ import annotations

from ._checks import kernel
from .adaptive_pooling import (
    adaptive_avg_pool,
    adaptive_avg_pool_backward,
    adaptive_max_pool,
    adaptive_max_pool_backward,
)
from .avg_pooling import avg_pool, avg_pool_backward
from .max_pooling import max_pool, max_pool_backward

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool1d_backward",
    "adaptive_avg_pool3d",
    "adaptive_avg_pool3d_backward",
    "adaptive_max_pool1d",
    "adaptive_max_pool1d_backward",
    "adaptive_max_pool3d",
    "adaptive_max_pool3d_backward",
    "avg_pool1d",
    "avg_pool1d_backward",
    "avg_pool3d",
    "avg_pool3d_backward",
    "max_pool1d",
    "max_pool1d_backward",
    "max_pool3d",
    "max_pool3d_backward",
]


@kernel
def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    r"""Maximum of each window of length k, as ``torch.nn.functional.max_pool1d``.

    Args:
        input: array of shape (N, C, L) or (C, L).
        kernel_size, stride, padding, dilation: ints (or 1-tuples); ``stride`` defaults to
            ``kernel_size``, ``padding`` (implicit -inf) is at most ``kernel_size // 2``.
        ceil_mode: round the output length up. Default: ``False``.
        return_indices: also return the int64 index of each maximum. Default: ``False``.

    Shape:
        - Output: (N, C, L_out), L_out = floor((L + 2 * padding - dilation * (k - 1) - 1) /
          stride) + 1 (``ceil`` in ceil_mode; a window starting in the right padding is dropped).

    Returns:
        The pooled array, and with ``return_indices`` the indices. Ties and NaN as
        :func:`~xpnet.kernels.max_pool2d`.

    Raises:
        TypeError: a non-float input, non-int sizes. ValueError: wrong ndim, non-positive sizes,
        padding over half the window, a window larger than the padded input.
        MemoryError: an output larger than the backend can allocate.

    Example:
        >>> max_pool1d(xp.asarray([[[1.0, 3.0, 2.0, 5.0]]]), 2, return_indices=True)
        (array([[[3., 5.]]]), array([[[1, 3]]]))
    """
    options = (kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    return max_pool("max_pool1d", 1, input, *options)


@kernel
def max_pool1d_backward(
    grad_output,
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
    *,
    indices=None,
):
    r"""Gradient of :func:`max_pool1d`: each window's gradient goes to its maximum;
    ``indices`` from the forward skips finding them again.

    Example:
        >>> max_pool1d_backward(xp.ones((1, 1, 1)), xp.asarray([[[1.0, 3.0]]]), 2)
        array([[[0., 1.]]])
    """
    options = (kernel_size, stride, padding, dilation, ceil_mode, indices)
    return max_pool_backward("max_pool1d_backward", 1, grad_output, input, *options)


@kernel
def max_pool3d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    r"""Maximum of each kD x kH x kW window, as ``torch.nn.functional.max_pool3d``.

    Args:
        input: array of shape (N, C, D, H, W) or (C, D, H, W).
        kernel_size, stride, padding, dilation: ints or triples, as :func:`max_pool1d`.
        ceil_mode: round the output size up. Default: ``False``.
        return_indices: also return the flat index into each D x H x W volume. Default:
            ``False``.

    Shape:
        - Output: (N, C, D_out, H_out, W_out), each as L_out in :func:`max_pool1d`.

    Returns:
        The pooled array, and with ``return_indices`` the int64 indices. Ties go to the first
        maximum in (d, h, w) order; a NaN wins its window.

    Raises:
        As :func:`max_pool1d`.

    Example:
        >>> x = xp.arange(8.0).reshape(1, 1, 2, 2, 2)
        >>> max_pool3d(x, 2, return_indices=True)
        (array([[[[[7.]]]]]), array([[[[[7]]]]]))
    """
    options = (kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    return max_pool("max_pool3d", 3, input, *options)


@kernel
def max_pool3d_backward(
    grad_output,
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
    *,
    indices=None,
):
    r"""Gradient of :func:`max_pool3d`: each window's gradient goes to its maximum, one group
    of disjoint windows at a time (deterministic); ``indices`` skips finding them again.

    Example:
        >>> x = xp.arange(8.0).reshape(1, 1, 2, 2, 2)
        >>> max_pool3d_backward(xp.ones((1, 1, 1, 1, 1)), x, 2).reshape(-1)
        array([0., 0., 0., 0., 0., 0., 0., 1.])
    """
    options = (kernel_size, stride, padding, dilation, ceil_mode, indices)
    return max_pool_backward("max_pool3d_backward", 3, grad_output, input, *options)


@kernel
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    r"""Average of each window of length k, as ``torch.nn.functional.avg_pool1d``.

    Args:
        input: array of shape (N, C, L) or (C, L).
        kernel_size, stride, padding: ints (or 1-tuples); ``stride`` defaults to
            ``kernel_size``, ``padding`` (zeros) is at most ``kernel_size // 2``.
        ceil_mode: round the output length up. Default: ``False``.
        count_include_pad: count padded zeros in the divisor (never the ceil_mode overhang).
            Default: ``True``.

    Returns:
        Array (N, C, L_out) of the dtype of ``input``; L_out as :func:`max_pool1d` with
        dilation 1. PyTorch's ``avg_pool1d`` has no ``divisor_override``, nor has this one.

    Raises:
        As :func:`max_pool1d`.

    Example:
        >>> avg_pool1d(xp.asarray([[[1.0, 3.0, 2.0, 6.0]]]), 2)
        array([[[2., 4.]]])
    """
    options = (kernel_size, stride, padding, ceil_mode, count_include_pad, None)
    return avg_pool("avg_pool1d", 1, input, *options)


@kernel
def avg_pool1d_backward(
    grad_output, input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
):
    r"""Gradient of :func:`avg_pool1d`: each element gets ``grad_output / divisor`` of every
    window holding it.

    Example:
        >>> avg_pool1d_backward(xp.ones((1, 1, 1)), xp.zeros((1, 1, 2)), 2)
        array([[[0.5, 0.5]]])
    """
    options = (kernel_size, stride, padding, ceil_mode, count_include_pad, None)
    return avg_pool_backward("avg_pool1d_backward", 1, grad_output, input, *options)


@kernel
def avg_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    r"""Average of each kD x kH x kW window, as ``torch.nn.functional.avg_pool3d``.

    Args:
        input: array of shape (N, C, D, H, W) or (C, D, H, W).
        kernel_size, stride, padding, ceil_mode, count_include_pad: as :func:`avg_pool1d`,
            ints or triples.
        divisor_override: divide by this non-zero int instead. Default: ``None``.

    Returns:
        Array (N, C, D_out, H_out, W_out) of the dtype of ``input``.

    Raises:
        As :func:`max_pool1d`, and ValueError for ``divisor_override=0``.

    Example:
        >>> avg_pool3d(xp.arange(8.0).reshape(1, 1, 2, 2, 2), 2)
        array([[[[[3.5]]]]])
    """
    options = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return avg_pool("avg_pool3d", 3, input, *options)


@kernel
def avg_pool3d_backward(
    grad_output,
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    r"""Gradient of :func:`avg_pool3d`, as :func:`avg_pool1d_backward`.

    Example:
        >>> avg_pool3d_backward(xp.ones((1, 1, 1, 1, 1)), xp.zeros((1, 1, 2, 2, 2)), 2).sum()
        np.float64(1.0)
    """
    options = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return avg_pool_backward("avg_pool3d_backward", 3, grad_output, input, *options)


@kernel
def adaptive_avg_pool1d(input, output_size):
    r"""Average over windows chosen so the output has length ``output_size``, as PyTorch.

    Args:
        input: array of shape (N, C, L) or (C, L).
        output_size: int (or 1-tuple) >= 0.

    Returns:
        Array (N, C, L_out); window i covers [floor(i * L / L_out), ceil((i + 1) * L / L_out)).

    Example:
        >>> adaptive_avg_pool1d(xp.arange(3.0).reshape(1, 1, 3), 2)
        array([[[0.5, 1.5]]])
    """
    return adaptive_avg_pool("adaptive_avg_pool1d", 1, input, output_size)


@kernel
def adaptive_avg_pool1d_backward(grad_output, input, output_size):
    r"""Gradient of :func:`adaptive_avg_pool1d`: each element gets ``grad_output / window
    length`` of every window holding it.

    Example:
        >>> adaptive_avg_pool1d_backward(xp.ones((1, 1, 1)), xp.zeros((1, 1, 2)), 1)
        array([[[0.5, 0.5]]])
    """
    where = "adaptive_avg_pool1d_backward"
    return adaptive_avg_pool_backward(where, 1, grad_output, input, output_size)


@kernel
def adaptive_avg_pool3d(input, output_size):
    r"""Average over windows chosen so the output is ``output_size`` (D_out, H_out, W_out).

    Args:
        input: array of shape (N, C, D, H, W) or (C, D, H, W).
        output_size: int or triple; a ``None`` entry keeps that input size.

    Example:
        >>> adaptive_avg_pool3d(xp.arange(8.0).reshape(1, 1, 2, 2, 2), 1)
        array([[[[[3.5]]]]])
    """
    return adaptive_avg_pool("adaptive_avg_pool3d", 3, input, output_size)


@kernel
def adaptive_avg_pool3d_backward(grad_output, input, output_size):
    r"""Gradient of :func:`adaptive_avg_pool3d`: each element gets ``grad_output / window
    size`` of every window holding it, one axis at a time.

    Example:
        >>> adaptive_avg_pool3d_backward(xp.ones((1, 1, 1, 1, 1)), xp.zeros((1, 1, 1, 1, 2)), 1)
        array([[[[[0.5, 0.5]]]]])
    """
    where = "adaptive_avg_pool3d_backward"
    return adaptive_avg_pool_backward(where, 3, grad_output, input, output_size)


@kernel
def adaptive_max_pool1d(input, output_size, return_indices=False):
    r"""Maximum over adaptive windows (as :func:`adaptive_avg_pool1d`); ties and NaN as
    :func:`max_pool1d`.

    Returns:
        The pooled array, and with ``return_indices`` the int64 index of each maximum.

    Example:
        >>> adaptive_max_pool1d(xp.asarray([[[1.0, 3.0, 2.0]]]), 2, return_indices=True)
        (array([[[3., 3.]]]), array([[[1, 1]]]))
    """
    return adaptive_max_pool("adaptive_max_pool1d", 1, input, output_size, return_indices)


@kernel
def adaptive_max_pool1d_backward(
    grad_output, input, output_size, return_indices=False, *, indices=None
):
    r"""Gradient of :func:`adaptive_max_pool1d`: each window's gradient goes to its maximum.

    Example:
        >>> adaptive_max_pool1d_backward(xp.ones((1, 1, 2)), xp.asarray([[[1.0, 3.0, 2.0]]]), 2)
        array([[[0., 2., 0.]]])
    """
    options = (output_size, indices)
    return adaptive_max_pool_backward(
        "adaptive_max_pool1d_backward", 1, grad_output, input, *options
    )


@kernel
def adaptive_max_pool3d(input, output_size, return_indices=False):
    r"""Maximum over adaptive windows (as :func:`adaptive_avg_pool3d`); indices are flat
    into each D x H x W volume.

    Example:
        >>> adaptive_max_pool3d(xp.arange(8.0).reshape(1, 1, 2, 2, 2), 1, return_indices=True)
        (array([[[[[7.]]]]]), array([[[[[7]]]]]))
    """
    return adaptive_max_pool("adaptive_max_pool3d", 3, input, output_size, return_indices)


@kernel
def adaptive_max_pool3d_backward(
    grad_output, input, output_size, return_indices=False, *, indices=None
):
    r"""Gradient of :func:`adaptive_max_pool3d`: each window's gradient goes to its maximum.

    Example:
        >>> x = xp.arange(8.0).reshape(1, 1, 2, 2, 2)
        >>> adaptive_max_pool3d_backward(xp.ones((1, 1, 1, 1, 1)), x, 1).reshape(-1)
        array([0., 0., 0., 0., 0., 0., 0., 1.])
    """
    options = (output_size, indices)
    return adaptive_max_pool_backward(
        "adaptive_max_pool3d_backward", 3, grad_output, input, *options
    )
