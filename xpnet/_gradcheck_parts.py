"""Parts of :mod:`xpnet._gradcheck`: which checks ``gradcheck`` runs (PyTorch's rules for its
``check_*`` flags), the Jacobians by forward mode (:mod:`xpnet.autograd.forward_ad`, one dual
per input element: a column of ``J`` each, as PyTorch's slow forward check) and the small
helpers both use.

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([1.0, 2.0], dtype=xpnet.float64, requires_grad=True)
    >>> [[j.tolist() for j in per_input] for per_input in forward_jacobians(lambda t: t**2, (x,))]
    [[[[2.0, 0.0], [0.0, 4.0]]]]
"""

from __future__ import annotations

import numpy

from . import _forward_ad as forward_ad
from .autograd import Tensor
from .backends import backend_of

__all__ = ["as_tuple", "check_modes", "forward_jacobians", "host_array", "wants_grad"]


def check_modes(forward: bool, backward: bool, batched: bool, batched_forward: bool) -> None:
    """PyTorch's AssertionErrors for ``gradcheck``'s flags that cannot go together, and
    NotImplementedError for the batched checks (xpnet has no batched gradients)."""
    if not (forward or backward):
        msg = "Expected at least one of check_forward_ad or check_backward_ad to be True"
        raise AssertionError(msg)
    if batched and not backward:
        msg = "Setting check_batched_grad=True requires check_backward_ad to be True"
        raise AssertionError(msg)
    if batched_forward and not forward:
        msg = "Setting check_batched_forward_grad=True requires check_forward_ad to be True"
        raise AssertionError(msg)
    for name, value in (
        ("check_batched_grad", batched),
        ("check_batched_forward_grad", batched_forward),
    ):
        if value:
            msg = f"gradcheck: {name}=True is not supported: xpnet has no batched (vmap) gradients"
            raise NotImplementedError(msg)


def forward_jacobians(func, inputs: tuple) -> list[list]:
    """``[k][j]``: the Jacobian of ``func``'s differentiable output ``k`` with respect to input
    ``j`` (those that require grad), ``(input numel, output numel)`` as PyTorch's, by forward
    mode: row ``e`` is the tangent of the outputs for the dual of input ``j`` with tangent
    ``e``'s one-hot (zeros for an output that does not depend on the input)."""
    columns = []  # per input: per element, the outputs' tangents
    for j, value in enumerate(inputs):
        if not wants_grad(value):
            continue
        backend, rows = backend_of(value.array), []
        for element in range(value.numel()):
            one_hot = numpy.zeros(value.numel(), value.dtype)
            one_hot[element] = 1
            tangent = Tensor(backend.asarray(one_hot.reshape(value.shape)))
            with forward_ad.dual_level():
                args = list(inputs)
                args[j] = forward_ad.make_dual(value.detach(), tangent)
                outputs = [o for o in as_tuple(func(*args)) if o.requires_grad]
                rows.append([_tangent_row(forward_ad.unpack_dual(o).tangent, o) for o in outputs])
        columns.append(rows)
    count = len(columns[0][0]) if columns and columns[0] else 0
    return [[numpy.stack([row[k] for row in rows]) for rows in columns] for k in range(count)]


def _tangent_row(tangent, output) -> numpy.ndarray:
    if tangent is None:
        return numpy.zeros(output.numel(), output.dtype)
    return numpy.asarray(host_array(tangent)).reshape(-1)


def wants_grad(value) -> bool:
    return isinstance(value, Tensor) and value.requires_grad


def as_tuple(values) -> tuple:
    if isinstance(values, tuple):
        return values
    return tuple(values) if isinstance(values, list) else (values,)


def host_array(tensor):
    return backend_of(tensor.array).to_host(tensor.array)
