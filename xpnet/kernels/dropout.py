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
    check_probability,
    check_same_shape,
    kernel,
    require_arrays,
)

__all__ = ["dropout", "dropout_backward"]

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
