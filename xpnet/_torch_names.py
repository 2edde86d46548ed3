"""Small names of ``torch`` and ``torch.Tensor`` that ported code reaches for.

Top level (:data:`__all__`): the constants ``pi``, ``e``, ``inf``, ``nan`` and ``newaxis``,
and ``dtype``, the class of xpnet's dtypes (NumPy's, so ``isinstance(x.dtype, xpnet.dtype)``
holds). Tensor (:data:`METHODS`, attached by :mod:`xpnet._tensor_methods`): the storage
flags, all ``False`` for xpnet's dense arrays (``is_sparse``, ``is_sparse_csr``,
``is_quantized``, ``is_meta``, ``is_mps``, ``is_xpu``, ``is_mkldnn``, ``is_nested``), the
memory helpers (``is_pinned``, ``pin_memory``, ``share_memory_``, ``is_shared``,
``data_ptr``, ``storage_offset``), the legacy constructor ``new``, ``to_dense``, the method
forms of ``narrow_copy`` and the ``unsafe_`` splits, ``register_post_accumulate_grad_hook``
(run by :mod:`xpnet._backward_pass`), and ``apply_``/``map_``. Neighbours: the layouts and
memory formats (:mod:`xpnet._memory_formats`), the random fills (:mod:`xpnet._tensor_random_ops`).

Example:
    >>> import xpnet
    >>> x = xpnet.arange(6.0).reshape(2, 3)
    >>> isinstance(x.dtype, xpnet.dtype), x.is_sparse, x[1:].storage_offset()
    (True, False, 3)
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy

from ._creation import empty, tensor
from ._size import Size
from ._torch_copies import narrow_copy, unsafe_chunk, unsafe_split, unsafe_split_with_sizes
from ._versions import mark_written
from .autograd import Tensor
from .backends import backend_of
from .devices import device_of
from .nn._module_hooks import RemovableHandle

__all__ = ["pi", "e", "inf", "nan", "newaxis", "dtype"]

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None  # as torch.newaxis and numpy.newaxis: ``x[:, newaxis]`` adds a dimension
dtype = numpy.dtype  # xpnet.float32, ... are NumPy dtypes (see xpnet._dtypes)


def _on_gpu(self) -> bool:
    return device_of(backend_of(self.array).name).type == "cuda"


def _address(array) -> int:
    """The address of ``array``'s first element: CuPy's from its CUDA array interface, a host
    array's (NumPy, strict) from the NumPy array that DLPack shares its memory with."""
    interface = getattr(array, "__cuda_array_interface__", None)  # GPU: CuPy
    if interface is not None:
        return interface["data"][0]
    return numpy.from_dlpack(array).ctypes.data


def data_ptr(self) -> int:
    """The address of this tensor's first element, as ``torch.Tensor.data_ptr``: a host
    address on NumPy and strict, a device address on CuPy; 0 for an empty tensor, as
    PyTorch's. Views share their base's memory, at an offset.

    Example:
        >>> import xpnet
        >>> x = xpnet.zeros(4)
        >>> x[1:].data_ptr() - x.data_ptr(), xpnet.zeros(0).data_ptr()
        (4, 0)
    """
    return 0 if self.array.size == 0 else _address(self.array)


def storage_offset(self) -> int:
    """Where this tensor starts in its storage (the array that owns the memory), in elements,
    as ``torch.Tensor.storage_offset``: 0 unless it is a view that starts later.

    Example:
        >>> import xpnet
        >>> x = xpnet.zeros(2, 3)
        >>> x.storage_offset(), x[1].storage_offset(), x[:, 2].storage_offset()
        (0, 3, 2)
    """
    root = self.array
    while hasattr(getattr(root, "base", None), "shape"):  # NumPy's base may be a buffer
        root = root.base
    if self.array.size == 0 or root is self.array:
        return 0
    return (_address(self.array) - _address(root)) // self.array.itemsize


def pin_memory(self, device=None) -> Tensor:
    """This tensor, as ``torch.Tensor.pin_memory`` where xpnet can: PyTorch copies a CPU
    tensor into page-locked memory for faster GPU transfers; xpnet's host-to-GPU copies are
    synchronous and use NumPy's memory, so with a GPU present this returns ``self`` (and
    :meth:`is_pinned` stays ``False``).

    Raises:
        RuntimeError: without a GPU (as PyTorch's CPU build), or for a tensor on the GPU.
    """
    if _on_gpu(self):
        msg = "Tensor.pin_memory: cannot pin a tensor on the GPU; only CPU tensors can be pinned"
        raise RuntimeError(msg)
    from . import cuda  # on use: xpnet.cuda imports the backends' device queries

    if not cuda.is_available():
        msg = "Tensor.pin_memory: Cannot access accelerator device when none is available."
        raise RuntimeError(msg)
    return self


def share_memory_(self) -> Tensor:
    """This tensor, unchanged, as ``torch.Tensor.share_memory_`` where xpnet can: PyTorch
    moves a CPU tensor's storage into shared memory for ``torch.multiprocessing``; xpnet has
    no such storage (its worker processes receive copies), so :meth:`is_shared` stays
    ``False`` on the host; a GPU tensor is shared already, as PyTorch's."""
    return self


def new(self, *args, device=None) -> Tensor:
    """PyTorch's legacy constructor, in this tensor's dtype and on its device (or
    ``device``): ``new()`` an empty 1-d tensor, ``new(2, 3)`` or ``new(xpnet.Size(...))`` an
    uninitialised one of that shape, ``new(data)`` a copy of a list or tuple (a tuple is data,
    not a shape, as PyTorch's), ``new(other)`` ``other``'s array (of this dtype). Prefer
    ``new_empty``, ``new_tensor``.

    Raises:
        TypeError: a number, string or other non-sequence as data, or a Tensor of another
            dtype.

    Example:
        >>> import xpnet
        >>> x = xpnet.zeros(2, dtype=xpnet.int64)
        >>> x.new(2, 3).shape, x.new([1.5, 2.0]).tolist(), x.new().shape
        ((2, 3), [1, 2], (0,))
    """
    device = backend_of(self.array).name if device is None else device
    if len(args) == 1 and isinstance(args[0], Tensor):
        if args[0].dtype != self.dtype:
            msg = f"Tensor.new: expected a Tensor of dtype {self.dtype}, got {args[0].dtype}"
            raise TypeError(msg)
        return Tensor(args[0].array)
    if len(args) == 1 and isinstance(args[0], (list, tuple)) and not isinstance(args[0], Size):
        return tensor(args[0], dtype=self.dtype, device=device)
    shape = args[0] if len(args) == 1 and isinstance(args[0], Size) else args or (0,)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
        bad = next(a for a in args if not isinstance(a, int) or isinstance(a, bool))
        msg = f"Tensor.new: data must be a sequence or sizes ints, got {type(bad).__name__}"
        raise TypeError(msg)
    return empty(*shape, dtype=self.dtype, device=device)


def to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
    """This tensor (xpnet's tensors are dense), cast to ``dtype`` if given, as
    ``torch.Tensor.to_dense``."""
    return self if dtype is None else self.to(dtype)


def register_post_accumulate_grad_hook(self, hook) -> RemovableHandle:
    """Call ``hook(tensor)`` with this leaf tensor once ``backward`` has added its gradient
    into ``.grad``, as PyTorch's (an optimizer step fused into backward); its result is
    ignored. :func:`xpnet.autograd.grad` does not run it (it fills no ``.grad``).
    Returns a handle whose ``remove()`` unregisters the hook.

    Raises:
        RuntimeError: if this tensor does not require grad or is not a leaf.

    Example:
        >>> import xpnet
        >>> w = xpnet.ones(2, requires_grad=True)
        >>> handle = w.register_post_accumulate_grad_hook(lambda t: print(t.grad.tolist()))
        >>> (w * 3).sum().backward()
        [3.0, 3.0]
    """
    if not self.requires_grad:
        msg = (
            "Tensor.register_post_accumulate_grad_hook: cannot register a hook on a tensor "
            "that does not require grad"
        )
        raise RuntimeError(msg)
    if not self.is_leaf:
        msg = "post accumulate grad hooks cannot be registered on non-leaf tensors"
        raise RuntimeError(f"Tensor.register_post_accumulate_grad_hook: {msg}")
    if getattr(self, "_post_accumulate_grad_hooks", None) is None:
        self._post_accumulate_grad_hooks = OrderedDict()
    handle = RemovableHandle(self._post_accumulate_grad_hooks)
    self._post_accumulate_grad_hooks[handle.id] = hook
    return handle


def _check_host(where: str, self) -> None:
    """PyTorch's refusals of ``apply_``/``map_``: a GPU tensor, one that requires grad."""
    if _on_gpu(self):
        raise TypeError(f"{where} is only implemented on CPU tensors")
    if self.requires_grad:
        msg = f"Can't call {where}() on Variable that requires grad. Use var.detach().{where}()"
        raise RuntimeError(f"{msg} instead.")


def _write(self, values: list) -> Tensor:
    """``values`` (Python numbers, one per element in row-major order) into this tensor, cast
    to its dtype as PyTorch's (floats to integers truncate)."""
    host = numpy.asarray(values).astype(self.dtype).reshape(self.shape)
    self.array[...] = backend_of(self.array).asarray(host)
    mark_written(self)
    return self


def apply_(self, callable) -> Tensor:
    """Apply ``callable`` to each element (a Python number) in place, as
    ``torch.Tensor.apply_``: slow, on the host; returns this tensor.

    Raises:
        TypeError: on the GPU (as PyTorch's). RuntimeError: a tensor that requires grad.

    Example:
        >>> import xpnet
        >>> xpnet.tensor([1, 2, 3]).apply_(lambda v: v * 10).tolist()
        [10, 20, 30]
    """
    _check_host("apply_", self)
    return _write(self, [callable(v) for v in self.numpy().ravel().tolist()])


def map_(self, tensor, callable) -> Tensor:
    """``self[i] = callable(self[i], tensor[i])`` for each element, in place, as
    ``torch.Tensor.map_``; ``tensor`` (of this dtype) broadcasts to this tensor's shape.

    Raises:
        TypeError: on the GPU, or ``tensor`` of another dtype. RuntimeError: a tensor that
            requires grad, or ``tensor`` that does not broadcast to this shape.

    Example:
        >>> import xpnet
        >>> xpnet.tensor([1.0, 2.0]).map_(xpnet.tensor([10.0]), lambda a, b: a + b).tolist()
        [11.0, 12.0]
    """
    _check_host("map_", self)
    if not isinstance(tensor, Tensor) or tensor.dtype != self.dtype:
        got = getattr(tensor, "dtype", type(tensor).__name__)
        raise TypeError(f"map_: expected a Tensor of dtype {self.dtype} for 'tensor', got {got}")
    try:
        others = numpy.broadcast_to(tensor.numpy(), self.shape)
    except ValueError:
        msg = f"map_: tensor of shape {tensor.shape} does not broadcast to {self.shape}"
        raise RuntimeError(msg) from None
    pairs = zip(self.numpy().ravel().tolist(), others.ravel().tolist(), strict=True)
    return _write(self, [callable(a, b) for a, b in pairs])


_FLAGS = ("sparse", "sparse_csr", "quantized", "meta", "mps", "xpu", "mkldnn", "nested")

METHODS = {
    **{f"is_{flag}": property(lambda self: False) for flag in _FLAGS},
    "is_pinned": lambda self, device=None: False,
    "pin_memory": pin_memory,
    "share_memory_": share_memory_,
    "is_shared": _on_gpu,
    "data_ptr": data_ptr,
    "storage_offset": storage_offset,
    "new": new,
    "to_dense": to_dense,
    "narrow_copy": narrow_copy,
    "unsafe_chunk": unsafe_chunk,
    "unsafe_split": unsafe_split,
    "unsafe_split_with_sizes": unsafe_split_with_sizes,
    "register_post_accumulate_grad_hook": register_post_accumulate_grad_hook,
    "apply_": apply_,
    "map_": map_,
}
