"""Parameters as one vector and back, as ``torch.nn.utils.convert_parameters``.

:func:`parameters_to_vector` joins the parameters with :func:`xpnet.cat` (so the vector is
differentiable, as PyTorch's); :func:`vector_to_parameters` rebinds each ``param.array`` to a
view of the vector, as PyTorch's ``param.data = ...``. The optimizers of :mod:`xpnet.optim`
notice a rebound ``.array`` and gather it into their flat buffers again at their next step.
Gradient clipping is in :mod:`xpnet.nn.utils.clip_grad`.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..._tensor_join import cat
from ...autograd import Tensor
from ...backends import backend_of

__all__ = ["parameters_to_vector", "vector_to_parameters"]


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
            elements are left unused, as in PyTorch).
        parameters: an iterable of Tensors, on ``vec``'s backend.

    Raises:
        TypeError: ``vec`` is not a Tensor; a parameter on another backend.
        RuntimeError: ``vec`` is too short for the parameters.

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
    pointer = 0
    for index, param in enumerate(parameters):
        names = ("vec", f"parameters[{index}]")
        backend_of(vec.array, param.array, names=names, where="vector_to_parameters")
        count = param.numel()
        piece = vec.array.reshape(-1)[pointer : pointer + count]
        if piece.size != count:
            msg = (
                f"vector_to_parameters: vec has {vec.numel()} elements, too few for "
                f"parameters[{index}] of shape {tuple(param.shape)} at offset {pointer}"
            )
            raise RuntimeError(msg)
        param.array = piece.reshape(param.shape)
        pointer += count
