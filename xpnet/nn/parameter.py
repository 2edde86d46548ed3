"""``Parameter``: a Tensor that a Module registers as learnable; and :func:`new_array`.

:func:`new_array` makes the zero array that each layer's parameters and buffers start from,
before :mod:`xpnet.nn.init` fills them. :class:`~xpnet.nn.Module` (:mod:`xpnet.nn.module`)
registers Parameters; the optimizers of :mod:`xpnet.optim` update them.
"""

from __future__ import annotations

import copy

from .._dtypes import get_default_dtype
from ..autograd import Tensor
from ..backends import get_backend, load_backend
from ..devices import backend_name
from ..kernels._checks import ArgumentError, check_int

__all__ = ["Buffer", "Parameter"]


class Parameter(Tensor):
    """A leaf Tensor that, assigned to a :class:`Module` attribute, joins its parameters.

    Optimizers read ``param.array`` (a backend array) and ``param.grad`` (a backend array of
    the same shape and dtype, or ``None``) and update ``param.array``.

    ``copy.deepcopy`` gives a new Parameter on a copy of the array with the same
    ``requires_grad``, and pickling keeps the array, ``requires_grad`` and the attributes set on
    it; neither keeps ``.grad`` or hooks, as PyTorch's.

    Args:
        data: the initial array (kept, not copied). Default: an empty one of shape ``(0,)``
            in :func:`xpnet.get_default_dtype`, as PyTorch's.
        requires_grad: Default: ``True``.

    Example:
        >>> import xpnet
        >>> p = xpnet.nn.Parameter(np.zeros(2))
        >>> p.requires_grad, p.grad is None
        (True, True)
    """

    def __init__(self, data=None, requires_grad: bool = True):
        super().__init__(new_array((0,)) if data is None else data, requires_grad=requires_grad)

    def __deepcopy__(self, memo):
        if id(self) not in memo:  # PyTorch's: the data cloned, no grad, no hooks
            memo[id(self)] = _rebuild_parameter(
                type(self), copy.deepcopy(self.array), self.requires_grad, {}
            )
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        # PyTorch's: the data, requires_grad and the Python attributes; not grad nor hooks
        state = {key: value for key, value in vars(self).items() if key not in _TENSOR_FIELDS}
        return _rebuild_parameter, (type(self), self.array, self.requires_grad, state)

    def __repr__(self):
        return f"Parameter containing:\n{super().__repr__()}"


# what a Tensor keeps about its graph, gradient, hooks and versions, rebuilt fresh by a copy
_TENSOR_FIELDS = frozenset(
    {
        "array",
        "_requires_grad",
        "_grad",
        "grad_fn",
        "_own_version",
        "_storage_writes",
        "_view_of",
        "_views",
        "_consumers",
        "_aliases",
        "_retains_grad",
        "_backward_hooks",
        "_post_accumulate_grad_hooks",
    }
)


def _rebuild_parameter(cls, array, requires_grad: bool, state: dict):
    """A new leaf ``cls`` on ``array`` (what pickling and ``copy.deepcopy`` build)."""
    param = Tensor.__new__(cls)
    Tensor.__init__(param, new_array((0,)))  # a fresh leaf's fields, then the array itself:
    param.array = array  # a lazy module's placeholder is not an array Tensor() would take
    param.requires_grad = requires_grad
    vars(param).update(state)
    return param


class Buffer(Tensor):
    """PyTorch 2.5's ``nn.Buffer``: assigned to a :class:`Module` attribute, its array is
    registered as a buffer (``persistent=False`` keeps it out of ``state_dict``).

    Args:
        data: the array. Default: an empty one.
        persistent: keyword-only. Default: ``True``.

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.Identity()
        >>> layer.steps = xpnet.nn.Buffer(np.zeros(1))
        >>> list(layer.state_dict())
        ['steps']
    """

    def __init__(self, data=None, *, persistent: bool = True):
        super().__init__(new_array((0,)) if data is None else data)
        self.persistent = persistent


def new_array(shape, device: str | None = None, dtype=None):
    """A zero array for a new parameter or buffer: on ``device`` (a device such as ``"cpu"``
    or ``"cuda:0"``, or a backend name; default: the current backend), of ``dtype`` (default:
    :func:`xpnet.get_default_dtype`, float32). Initialisers then fill it."""
    backend = get_backend() if device is None else load_backend(backend_name(device))
    return backend.xp.zeros(shape, dtype=get_default_dtype() if dtype is None else dtype)


def check_sizes(where: str, **sizes) -> None:
    """TypeError for a size that is not an int, ValueError for a negative one, naming the
    layer and the argument: PyTorch's layers fail inside ``torch.empty`` instead, with a
    message that names neither (``Linear(-1, 3)``)."""
    for name, size in sizes.items():
        if check_int(where, name, size) < 0:
            msg = f"{where}: {name} must be non-negative, got {size}"
            raise ArgumentError(msg)
