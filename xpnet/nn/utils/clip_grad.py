"""Gradient clipping, as ``torch.nn.utils.clip_grad``: by the total norm or by value.

``.grad`` is a backend array in xpnet (:mod:`xpnet.autograd`), so these functions change it
in place with the backend's ``xp``: after ``loss.backward()`` and before
``optimizer.step()``, which reads ``param.grad`` afresh at every step
(:mod:`xpnet.optim.optimizer`). Nothing here reads a value on the host (the strict backend
checks): the total norm and the clip factor stay 0-d device arrays, and the factor is
applied by a multiplication even where it is 1, as PyTorch does to avoid the sync that an
``if clip_coef < 1`` would need. Only ``error_if_nonfinite=True`` reads the norm, once, as
PyTorch's does. The other helpers of :mod:`xpnet.nn.utils` are
:mod:`~xpnet.nn.utils.convert_parameters` and :mod:`~xpnet.nn.utils.rnn`.
"""

from __future__ import annotations

import math
import types
import warnings

import numpy

from ..._dtypes import get_default_dtype
from ...autograd import Tensor, data_of
from ...backends import backend_of, host_sync_forbidden
from ...kernels import ArgumentError, DtypeMismatchError
from ...kernels._vector_norm import vector_norm

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
]


def _arrays(tensors) -> list:
    """``tensors`` (one Tensor or array, or an iterable of them) as a list of arrays."""
    if isinstance(tensors, Tensor) or hasattr(tensors, "shape"):
        tensors = [tensors]
    return [data_of(tensor) for tensor in tensors]


def _parameters(parameters) -> list:
    """``parameters`` (one Tensor, or an iterable of them) as a list."""
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _compute_dtype(dtype):
    """float16 sums in float32 and rounds once, as PyTorch's reductions (its opmath type)."""
    return numpy.promote_types(dtype, numpy.float32)


def _check_norm_of(name: str, array, norm_type: float) -> None:
    """PyTorch's checks in ``linalg.vector_norm``: a floating or complex ``array`` (its
    RuntimeError, here also a TypeError), and one with elements for the inf and negative
    norms, which have no identity (-0.0 and 0 have one: a sum)."""
    if array.dtype.kind not in "fc":
        msg = (
            f"get_total_norm: {name} must be a floating point or complex tensor (as "
            f"linalg.vector_norm's input), got dtype {array.dtype}"
        )
        raise DtypeMismatchError(msg)
    if (norm_type < 0 or math.isinf(norm_type)) and array.size == 0:
        msg = (
            f"get_total_norm: the {norm_type} norm needs non-empty tensors (it has no "
            f"identity), got {name} of shape {tuple(array.shape)}"
        )
        raise ArgumentError(msg)


def _norm(xp, array, norm_type: float):
    """PyTorch's ``linalg.vector_norm(array, norm_type)``, computed in at least float32 and
    rounded to ``array``'s dtype (checked by :func:`_check_norm_of`); of one element ``|x|``
    (``x != 0`` for the 0-norm), PyTorch's fast path, so that ``1e200`` does not overflow
    into ``inf`` through its square."""
    compute = array.astype(_compute_dtype(array.dtype), copy=False)
    if array.size == 1:
        one = (compute != 0).astype(compute.dtype) if norm_type == 0 else xp.abs(compute)
        return one.reshape(()).astype(array.dtype)
    return vector_norm(xp, compute, norm_type, None, keepdims=False).astype(array.dtype)


def get_total_norm(
    tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None
) -> Tensor:
    r"""The norm of ``tensors`` together: the ``norm_type``-norm of their norms.

    As if the norms of the single tensors were one vector, as :func:`torch.nn.utils.
    get_total_norm`: for ``norm_type`` 2, 1 and inf that is the norm of all their elements
    together; for others (0.5, 0, -inf) it is the norm of the norms, PyTorch's definition.

    Args:
        tensors: a Tensor or a backend array (a ``.grad``), or an iterable of them.
        norm_type: the ``p`` of the p-norm, a float or ``'inf'``. Default: ``2.0``.
        error_if_nonfinite: raise if the total norm is NaN or +-inf (this reads it on the
            host: one sync, as in PyTorch). Default: ``False``.
        foreach: PyTorch's implementation switch, accepted for ported scripts and ignored:
            the result is the same. Default: ``None``.

    Returns:
        A 0-d :class:`~xpnet.Tensor` on the tensors' backend, of their (promoted) dtype; for
        no tensors ``tensor(0.0)`` (the default dtype, the current backend). No host read.

    Raises:
        RuntimeError: ``error_if_nonfinite`` and a non-finite total norm.
        ArgumentError: (a RuntimeError, as PyTorch's) an inf or negative norm of an empty
            tensor (no identity).
        DtypeMismatchError: (a RuntimeError, as PyTorch's, and a TypeError) an integer or
            bool tensor.
        ValueError, TypeError: ``norm_type`` that is not a number (``float()`` refuses it);
            tensors on different backends.

    Example:
        >>> import xpnet
        >>> get_total_norm([xp.array([3.0]), xp.array([4.0])])
        tensor(5., dtype=xpnet.float64)
    """
    arrays = _arrays(tensors)
    norm_type = float(norm_type)
    if not arrays:
        return Tensor(backend_of().asarray(0.0, dtype=get_default_dtype()))
    names = tuple(f"tensors[{i}]" for i in range(len(arrays)))
    backend = backend_of(*arrays, names=names, where="get_total_norm")
    for name, array in zip(names, arrays, strict=True):
        _check_norm_of(name, array, norm_type)
    xp = backend.xp
    dtype = numpy.result_type(*(array.dtype for array in arrays))
    with host_sync_forbidden(), backend.ignore_float_errors():  # overflow to inf, as PyTorch
        norms = xp.stack([_norm(xp, array, norm_type).astype(dtype) for array in arrays])
        total = _norm(xp, norms, norm_type)
    total = Tensor(total if type(total) is backend.ndarray else backend.asarray(total))
    if error_if_nonfinite and not numpy.isfinite(backend.to_host(total.array)).all():
        msg = (
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
        raise RuntimeError(msg)
    return total


def _clip_coef(total_norm, max_norm: float):
    """``max_norm / (total_norm + 1e-6)`` rounded as PyTorch's: ``float / Tensor`` is
    ``reciprocal() * float`` there, each step rounded to the norm's dtype and computed in at
    least float32 (the Python floats taken in that compute dtype, not rounded to float16)."""
    dtype = total_norm.dtype
    compute = _compute_dtype(dtype)
    shifted = (total_norm.astype(compute) + 1e-6).astype(dtype)
    reciprocal = (1.0 / shifted.astype(compute)).astype(dtype)
    return (reciprocal.astype(compute) * max_norm).astype(dtype)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    r"""Scale the gradients of ``parameters`` in place, given their total norm.

    .. math::
        \text{grad} \leftarrow \text{grad} \cdot
        \min\left(\frac{\text{max\_norm}}{\text{total\_norm} + 10^{-6}}, 1\right)

    The factor is a 0-d device array, multiplied in even where it is 1 (no host read); a NaN
    or infinite ``total_norm`` makes NaN or zero gradients, as in PyTorch.

    Args:
        parameters: a Tensor or an iterable of Tensors; those whose ``.grad`` is ``None`` are
            skipped.
        max_norm: the largest total norm the gradients keep.
        total_norm: their total norm, a 0-d Tensor or array (:func:`get_total_norm`).
        foreach: accepted for ported scripts and ignored. Default: ``None``.

    Example:
        >>> import xpnet
        >>> w = xpnet.nn.Parameter(xp.array([3.0, 4.0]))
        >>> w.grad = xp.array([3.0, 4.0])
        >>> clip_grads_with_norm_([w], 1.0, get_total_norm(w.grad))
        >>> w.grad
        tensor([0.6000, 0.8000], dtype=xpnet.float64)
    """
    grads = [data_of(p.grad) for p in _parameters(parameters) if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    total_norm = data_of(total_norm)
    names = ("total_norm", *(f"parameters[{i}].grad" for i in range(len(grads))))
    backend = backend_of(total_norm, *grads, names=names, where="clip_grads_with_norm_")
    xp = backend.xp
    with host_sync_forbidden(), backend.ignore_float_errors():  # inf * 0: NaN, as PyTorch
        clip_coef = xp.minimum(_clip_coef(total_norm, max_norm), 1.0)
        for grad in grads:
            # PyTorch multiplies by the 0-d factor in its compute type (float32 for float16)
            compute = _compute_dtype(grad.dtype)
            product = grad.astype(compute, copy=False) * clip_coef.astype(compute)
            grad[...] = product.astype(grad.dtype, copy=False)


def clip_grad_norm_(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    r"""Scale the gradients of ``parameters`` in place so that their total norm is at most
    ``max_norm``; return the total norm before clipping.

    :func:`get_total_norm` of the gradients followed by :func:`clip_grads_with_norm_`, as
    :func:`torch.nn.utils.clip_grad_norm_`. Call it after ``backward()`` and before
    ``optimizer.step()`` (with :class:`xpnet.GradScaler`: after ``scaler.unscale_(optimizer)``).

    Args:
        parameters: a Tensor or an iterable of Tensors (``model.parameters()``); those whose
            ``.grad`` is ``None`` are skipped.
        max_norm: the largest total norm the gradients keep.
        norm_type: the ``p`` of the p-norm, a float or ``'inf'``. Default: ``2.0``.
        error_if_nonfinite: raise if the total norm is NaN or +-inf (one host read).
            Default: ``False``.
        foreach: PyTorch's implementation switch, accepted and ignored. Default: ``None``.

    Returns:
        The total norm of the gradients (viewed as one vector), a 0-d :class:`~xpnet.Tensor`
        on their backend; ``tensor(0.0)`` when there are none.

    Raises:
        RuntimeError: ``error_if_nonfinite`` and a non-finite total norm (the gradients are
            then left unchanged).

    Warns:
        UserWarning: ``parameters`` is an empty generator.

    Example:
        >>> import xpnet
        >>> w = xpnet.nn.Parameter(xp.array([3.0, 4.0]))
        >>> (w * w).sum().backward()
        >>> clip_grad_norm_(w, max_norm=1.0)
        tensor(10., dtype=xpnet.float64)
        >>> w.grad
        tensor([0.6000, 0.8000], dtype=xpnet.float64)
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)  # a generator is read once
        if is_generator and not parameters:
            warnings.warn(
                "`parameters` is an empty generator, no gradient clipping will occur.",
                stacklevel=2,
            )
    grads = [data_of(param.grad) for param in parameters if param.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(
    parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """PyTorch's deprecated name of :func:`clip_grad_norm_`, which it calls after a
    ``FutureWarning``.

    Args:
        parameters, max_norm, norm_type, error_if_nonfinite, foreach: as
            :func:`clip_grad_norm_`'s.

    Returns:
        The total norm of the gradients, as :func:`clip_grad_norm_`.

    Warns:
        FutureWarning: always, with PyTorch's message.

    Example:
        >>> import warnings
        >>> import xpnet
        >>> w = xpnet.nn.Parameter(xp.array([3.0, 4.0]))
        >>> w.grad = xp.array([3.0, 4.0])
        >>> with warnings.catch_warnings(record=True):
        ...     warnings.simplefilter("always")
        ...     clip_grad_norm([w], 1.0)
        tensor(5., dtype=xpnet.float64)
    """
    msg = (
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`."
    )
    warnings.warn(msg, FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    r"""Clamp every gradient of ``parameters`` into ``[-clip_value, clip_value]``, in place.

    As :func:`torch.nn.utils.clip_grad_value_`: ``clamp_min(-clip_value)`` then
    ``clamp_max(clip_value)``, so NaN stays NaN, and a negative ``clip_value`` sets every
    element to ``clip_value``.

    Args:
        parameters: a Tensor or an iterable of Tensors; those without ``.grad`` are skipped.
        clip_value: the largest magnitude a gradient element keeps.
        foreach: accepted for ported scripts and ignored. Default: ``None``.

    Example:
        >>> import xpnet
        >>> w = xpnet.nn.Parameter(xp.array([0.0, 0.0, 0.0]))
        >>> w.grad = xp.array([-3.0, 0.5, 2.0])
        >>> clip_grad_value_(w, 1.0)
        >>> w.grad
        tensor([-1.0000,  0.5000,  1.0000], dtype=xpnet.float64)
    """
    grads = [data_of(p.grad) for p in _parameters(parameters) if p.grad is not None]
    clip_value = float(clip_value)
    for index, grad in enumerate(grads):
        name = f"parameters[{index}].grad"
        xp = backend_of(grad, names=(name,), where="clip_grad_value_").xp
        with host_sync_forbidden():
            grad[...] = xp.minimum(xp.maximum(grad, -clip_value), clip_value)
