"""Parameters as one vector and back, as ``torch.nn.utils.convert_parameters``.

:func:`parameters_to_vector` joins the parameters with :func:`xpnet.cat` (so the vector is
differentiable, as PyTorch's); :func:`vector_to_parameters` rebinds each ``param.array`` to a
view of the vector, as PyTorch's ``param.data = ...``. The optimizers of :mod:`xpnet.optim`
notice a rebound ``.array`` and gather it into their flat buffers again at their next step.
Gradient clipping is in :mod:`xpnet.nn.utils.clip_grad`.

PyTorch's ``torch.nn.utils.memory_format`` is here too: :func:`convert_conv2d_weight_memory_format`
(:func:`convert_conv3d_weight_memory_format`) lays out the weights of the 2-d (3-d)
convolutions of a model in a memory format, ``channels_last`` (``channels_last_3d``) or back to
``contiguous_format``, and leaves the other layers as they are (``Module.to(memory_format=...)``
lays out every 4-d or 5-d tensor). The weights keep their Parameter objects and values, their
``.array`` rebound to a copy in the new layout (:mod:`xpnet._memory_formats`), as PyTorch sets
``weight.data``. xpnet's convolutions give the same numbers in every layout: the layout shows
in the strides and in the speed of the backend's kernels.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..._memory_formats import contiguous_format, preserve_format, relaid
from ..._tensor_join import cat
from ...autograd import Tensor
from ...backends import backend_of
from ..conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..module import Module

__all__ = [
    "convert_conv2d_weight_memory_format",
    "convert_conv3d_weight_memory_format",
    "parameters_to_vector",
    "vector_to_parameters",
]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    r"""Flatten ``parameters`` into one 1-d Tensor, in their order.

    Args:
        parameters: an iterable of Tensors (``model.parameters()``), all on one backend.

    Returns:
        A new 1-d Tensor (a copy) joining every parameter's elements, differentiable with
        respect to them.

    Raises:
        TypeError: parameters on different backends (PyTorch: on different devices).
        ValueError: no parameters (PyTorch's ``cat`` refuses an empty list too, with a
            RuntimeError).

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.Linear(3, 2)
        >>> parameters_to_vector(layer.parameters()).shape
        (8,)
    """
    return cat([param.reshape(-1) for param in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    r"""Copy consecutive slices of ``vec`` into ``parameters``: each ``param.array`` becomes
    a view of ``vec``'s array, shaped like the parameter (PyTorch's ``param.data = ...``).

    Args:
        vec: a 1-d Tensor with at least as many elements as the parameters together (extra
            elements are left unused, as in PyTorch). As PyTorch's, it is sliced along its
            first dimension, each slice viewed as a parameter.
        parameters: an iterable of Tensors, on ``vec``'s backend.

    Raises:
        TypeError: ``vec`` is not a Tensor; a parameter on another backend.
        IndexError: ``vec`` is 0-d.
        RuntimeError: ``vec`` is too short for the parameters (sliced along its first
            dimension, as PyTorch's), or is not floating point or complex where a parameter
            requires gradients.

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.Linear(2, 1)
        >>> vector_to_parameters(xpnet.arange(3.0), layer.parameters())
        >>> layer.weight.array, layer.bias.array
        (array([[0., 1.]], dtype=float32), array([2.], dtype=float32))
    """
    if not isinstance(vec, Tensor):
        msg = f"vector_to_parameters: vec must be a Tensor, got {type(vec).__name__}"
        raise TypeError(msg)
    if vec.ndim == 0:
        raise IndexError("vector_to_parameters: vec must be a vector, got a 0-d tensor")
    pointer = 0
    for index, param in enumerate(parameters):
        names = ("vec", f"parameters[{index}]")
        backend_of(vec.array, param.array, names=names, where="vector_to_parameters")
        if param.requires_grad and vec.array.dtype.kind not in "fc":
            msg = (  # PyTorch's ``param.data = ...`` check
                f"vector_to_parameters: vec of dtype {vec.array.dtype} cannot be the data of "
                f"parameters[{index}], which requires gradients (floating point or complex only)"
            )
            raise RuntimeError(msg)
        count = param.numel()
        # PyTorch's ``vec[pointer : pointer + count].view_as(param)``: slices along dim 0
        piece = vec.array[pointer : pointer + count]
        if piece.size != count:
            msg = (
                f"vector_to_parameters: vec has {vec.numel()} elements, too few for "
                f"parameters[{index}] of shape {tuple(param.shape)} at offset {pointer} (vec "
                f"of shape {tuple(vec.shape)} sliced along dimension 0, as PyTorch's)"
            )
            raise RuntimeError(msg)
        param.array = piece.reshape(param.shape)
        pointer += count


# xpnet's Conv1d and Conv3d are subclasses of Conv2d (PyTorch's are not): told apart here
_CONVS_2D = (Conv2d, ConvTranspose2d)
_CONVS_3D = (Conv3d, ConvTranspose3d)
_CONVS_1D = (Conv1d, ConvTranspose1d)


def _convert(where: str, module: Module, memory_format, is_target) -> Module:
    """Lay out the weight of ``module`` and of each module under it for which ``is_target``."""
    for layer in module.modules():
        if not is_target(layer):
            continue
        if memory_format is None:  # PyTorch's clone and resize_ with None: the layout kept
            continue
        if memory_format is preserve_format:  # PyTorch's resize_ refuses it
            msg = f"{where}: unsupported memory format {memory_format} (resize_ refuses it)"
            raise RuntimeError(msg)
        weight, copy = layer.weight, memory_format is contiguous_format
        # always a fresh copy, as PyTorch's clone: its strides are the format's own even
        # where another layout's fit too (a weight with one input channel)
        weight.array = weight.array.copy() if copy else relaid(where, weight.array, memory_format)
    return module


def convert_conv2d_weight_memory_format(module: Module, memory_format) -> Module:
    """Lay out the weight of every :class:`~xpnet.nn.Conv2d` and
    :class:`~xpnet.nn.ConvTranspose2d` in ``module`` (itself included) in ``memory_format``,
    as ``torch.nn.utils.convert_conv2d_weight_memory_format``.

    Args:
        module: a convolution, or a module holding some.
        memory_format: ``xpnet.channels_last`` or ``xpnet.contiguous_format`` (``None``
            leaves the weights as they are, as PyTorch's).

    Returns:
        ``module``, its convolution weights the same Parameters with the same values.

    Raises:
        RuntimeError: ``channels_last_3d`` (a 4-d weight) or ``preserve_format``, where there
            is a 2-d convolution, as PyTorch.
        TypeError: a ``memory_format`` that is not an ``xpnet.memory_format``, where there is
            a 2-d convolution.

    Example:
        >>> import xpnet
        >>> model = xpnet.nn.Sequential(xpnet.nn.Conv2d(8, 4, 3), xpnet.nn.ReLU())
        >>> model = convert_conv2d_weight_memory_format(model, xpnet.channels_last)
        >>> model[0].weight.stride()
        (72, 1, 24, 8)
    """

    def is_target(layer) -> bool:
        return isinstance(layer, _CONVS_2D) and not isinstance(layer, _CONVS_1D + _CONVS_3D)

    where = "convert_conv2d_weight_memory_format"
    return _convert(where, module, memory_format, is_target)


def convert_conv3d_weight_memory_format(module: Module, memory_format) -> Module:
    """Lay out the weight of every :class:`~xpnet.nn.Conv3d` and
    :class:`~xpnet.nn.ConvTranspose3d` in ``module`` (itself included) in ``memory_format``,
    as ``torch.nn.utils.convert_conv3d_weight_memory_format``.

    Args:
        module: a convolution, or a module holding some.
        memory_format: ``xpnet.channels_last_3d`` or ``xpnet.contiguous_format`` (``None``
            leaves the weights as they are, as PyTorch's).

    Returns:
        ``module``, its convolution weights the same Parameters with the same values.

    Raises:
        RuntimeError: ``channels_last`` (a 5-d weight) or ``preserve_format``, where there is
            a 3-d convolution, as PyTorch.
        TypeError: a ``memory_format`` that is not an ``xpnet.memory_format``, where there is
            a 3-d convolution.

    Example:
        >>> import xpnet
        >>> layer = convert_conv3d_weight_memory_format(
        ...     xpnet.nn.Conv3d(2, 4, 3), xpnet.channels_last_3d
        ... )
        >>> layer.weight.stride()
        (54, 1, 18, 6, 2)
    """

    def is_target(layer) -> bool:
        return isinstance(layer, _CONVS_3D)

    return _convert("convert_conv3d_weight_memory_format", module, memory_format, is_target)
