"""``Module.to`` and its shortcuts (``half``, ``float``, ``double``, ``cpu``, ``cuda``, ``type``,
``to_empty``, ``share_memory``): :class:`Shortcuts`, which :class:`~xpnet.nn.Module` inherits.

Every one goes through :func:`apply_to_arrays`, as PyTorch's go through ``Module._apply``: the
function given maps each parameter's array (and its gradient's) and each buffer to a new array.
A parameter stays the same object with a new array, as PyTorch's ``param.data = ...``; a buffer
given as a Tensor becomes a new Tensor when its array changes, as PyTorch's
``_buffers[name] = fn(buffer)``; a buffer given as an array stays an array.
"""

from __future__ import annotations

from .._dtypes import real_part_for
from .._memory_formats import check_memory_format, conformed
from ..autograd import Tensor
from ..backends import backend_of, load_backend, to_backend
from ..devices import backend_name, to_arguments

__all__ = ["Shortcuts", "apply_to_arrays"]


def _moved_buffer(buffer, function):
    """``function`` applied to a buffer: an array, a Tensor (its array), or ``None``."""
    if buffer is None:
        return None
    if not isinstance(buffer, Tensor):
        return function(buffer)
    array = function(buffer.array)
    if array is buffer.array:  # nothing to do: PyTorch's ``Tensor.to`` returns the tensor itself
        return buffer
    return Tensor(array, requires_grad=buffer.requires_grad and array.dtype.kind in "fc")


def apply_to_arrays(module, function, recurse: bool = True):
    """Replace every parameter's array (and its ``.grad``'s) and every buffer of ``module`` (and
    of its descendants with ``recurse``) by ``function(array)``. Returns ``module``."""
    from .lazy import is_lazy  # lazy.py imports the layers, which import this module

    def apply(array):  # a lazy module's placeholder has no values: its backend and dtype move
        return array.moved(function) if is_lazy(array) else function(array)

    for owner in module.modules() if recurse else [module]:
        for param in owner._parameters.values():
            if param is not None:
                grad = param.grad  # its array moves after the data: .grad's dtype follows
                param.array = apply(param.array)
                param.grad = None if grad is None else function(grad.array)
        for name, buffer in owner._buffers.items():
            owner._buffers[name] = _moved_buffer(buffer, apply)
    return module


def _cast(array, dtype):
    """``array`` (floating or complex) in ``dtype``: a complex one cast to a real dtype keeps
    its real part, with PyTorch's warning (NumPy's ComplexWarning must not leak)."""
    # the caller of Module.to: through move, apply, apply_to_arrays
    return _astype(real_part_for(array, dtype, stacklevel=6), dtype)


def _astype(array, dtype):
    """``array`` in ``dtype``; past float16's range inf, as PyTorch's, without NumPy's
    overflow warning."""
    with backend_of(array).ignore_float_errors():
        return array.astype(dtype, copy=False)


def _to_arguments(where: str, args: tuple, kwargs: dict):
    """``(backend name or None, dtype or None, memory_format or None)`` from the arguments of
    ``Module.to``: those of ``Tensor.to`` (:func:`xpnet.devices.to_arguments`), xpnet's older
    ``backend=``, and a floating dtype only, as PyTorch's."""
    kwargs = dict(kwargs)
    layout = kwargs.pop("memory_format", None)
    if layout is not None:
        check_memory_format(f"{where}.to", layout)
    if "backend" in kwargs:
        kwargs.setdefault("device", kwargs.pop("backend"))
    if len(args) > 3:
        msg = f"{where}.to: takes at most 3 positional arguments, got {len(args)}"
        raise TypeError(msg)
    place, dtype = to_arguments(f"{where}.to", args, kwargs)
    if dtype is not None and dtype.kind not in "fc":
        msg = (
            "nn.Module.to only accepts floating point or complex dtypes, but got desired "
            f"dtype={dtype}"
        )
        raise TypeError(msg)
    return (None if place is None else backend_name(place)), dtype, layout


class Shortcuts:
    """``Module.to`` and PyTorch's shortcuts for it: ``half()``, ``float()`` and ``double()`` cast
    the floating-point parameters, gradients and buffers only (integer buffers such as
    ``num_batches_tracked`` keep their dtype); ``cpu()`` and ``cuda()`` move them.

    Example:
        >>> import xpnet
        >>> bn = xpnet.nn.BatchNorm1d(2).half()
        >>> bn.weight.dtype, bn.running_mean.dtype, bn.num_batches_tracked.dtype
        (dtype('float16'), dtype('float16'), dtype('int64'))
    """

    def to(self, *args, **kwargs):
        """Move parameters, gradients and buffers to a device or backend and/or cast the
        floating ones to a floating dtype, in place, as PyTorch's ``Module.to``: ``to(device)``,
        ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` (its backend and dtype) or the
        keywords ``device=`` (also ``backend=``), ``dtype=`` and ``non_blocking=`` (accepted;
        copies are synchronous). A device is ``"cpu"``, ``"cuda"``, ``"cuda:0"``, an
        :class:`xpnet.device` or a backend name (see :mod:`xpnet.devices`). Integer buffers
        such as ``num_batches_tracked`` keep their dtype. ``memory_format=`` (e.g.
        ``xpnet.channels_last``) lays out the 4-d and 5-d parameters, gradients and buffers as
        :meth:`xpnet.Tensor.to` does. Buffers given as Tensors move too (a new Tensor where
        they change, as PyTorch's). Returns the module.

        Raises:
            TypeError: an argument is neither a device nor a dtype, the dtype is not a
                floating one (PyTorch's message), or ``memory_format`` is not an
                ``xpnet.memory_format``.
            RuntimeError: ``channels_last`` with a 5-d parameter or buffer
                (``channels_last_3d``: a 4-d one), as PyTorch.

        Example:
            >>> import xpnet
            >>> layer = xpnet.nn.Linear(2, 2).to("strict", xpnet.float64)
            >>> type(layer.weight.array).__module__.split(".")[0], layer.weight.dtype
            ('xpnet', dtype('float64'))
        """
        where = type(self).__name__
        backend, dtype, layout = _to_arguments(where, args, kwargs)

        def move(array):
            array = to_backend(array, backend) if backend else array
            if dtype is not None and array.dtype.kind in "fc":  # PyTorch's: complex ones too
                array = _cast(array, dtype)
            if layout is not None and array.ndim in (4, 5):  # PyTorch's: images' weights only
                array = conformed(f"{where}.to", array, layout)
            return array

        return apply_to_arrays(self, move)

    def _floating_to(self, dtype: str):
        """PyTorch's ``half``/``float``/``double``: the floating arrays only (not integer nor
        complex ones, which ``to(dtype)`` would cast)."""

        def cast(array):
            return _astype(array, dtype) if array.dtype.kind == "f" else array

        return apply_to_arrays(self, cast)

    def half(self):
        return self._floating_to("float16")

    def float(self):
        return self._floating_to("float32")

    def double(self):
        return self._floating_to("float64")

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def type(self, dst_type):
        """Cast every parameter, gradient and buffer, integer ones too, to ``dst_type``, as
        PyTorch's ``Module.type``: a dtype, a dtype name or a type string such as
        ``"torch.DoubleTensor"`` (what :meth:`xpnet.Tensor.type` takes). Returns the module.

        Raises:
            RuntimeError: a parameter that requires grad would get a dtype that is neither
                floating nor complex (PyTorch's message).
            TypeError: an unknown type string.

        Example:
            >>> import xpnet
            >>> xpnet.nn.BatchNorm1d(2).type(xpnet.float64).num_batches_tracked.dtype
            dtype('float64')
        """

        def cast(array):
            return Tensor(array).type(dst_type).array

        dtype = cast(load_backend("numpy").xp.zeros(0, dtype="float32")).dtype
        if dtype.kind not in "fc" and any(param.requires_grad for param in self.parameters()):
            msg = (
                f"{type(self).__name__}.type: data set to a tensor that requires gradients "
                f"must be floating point or complex dtype, got {dtype}"
            )
            raise RuntimeError(msg)
        return apply_to_arrays(self, cast)

    def to_empty(self, *, device, recurse: bool = True):
        """Replace the parameters' and buffers' arrays by uninitialized ones of the same shapes
        and dtypes on ``device`` (``None``: where each one is), without copying their values,
        as PyTorch's. Parameters stay the same objects. Returns the module.

        Args:
            device: a device or backend name (see :mod:`xpnet.devices`), or ``None``.
            recurse: also the descendants' parameters and buffers. Default: ``True``.

        Example:
            >>> import xpnet
            >>> layer = xpnet.nn.Linear(2, 3).to_empty(device="cpu")
            >>> layer.weight.shape
            (3, 2)
        """
        name = None if device is None else backend_name(device)

        def empty(array):
            if name is None or backend_of(array).name == name:
                return backend_of(array).xp.empty_like(array)  # keeps the layout, as PyTorch's
            return load_backend(name).xp.empty(array.shape, dtype=array.dtype)

        return apply_to_arrays(self, empty, recurse)

    def share_memory(self):
        """This module, unchanged: PyTorch moves CPU parameters and buffers into shared memory
        for ``torch.multiprocessing``; xpnet's arrays have no such storage (see
        :meth:`xpnet.Tensor.share_memory_`). Returns the module."""
        return self
