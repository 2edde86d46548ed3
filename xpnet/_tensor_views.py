"""PyTorch's view semantics for the Tensor methods that return a view of their input's array
(``reshape``/``view``, ``permute``, ``transpose``, ``t``, ``squeeze``, ``unsqueeze``,
``flatten``, ``narrow``, ``select``, ``movedim``, ``swapaxes``, ``view_as``, ``diagonal``,
each part of ``tensor_split``, ``hsplit``, ``vsplit``, ``dsplit`` (slices, as PyTorch's), and
each part of ``split``, ``chunk``, ``unbind``, whose recorded in-place changes are refused,
as PyTorch's), besides indexing with ints and slices (in :meth:`xpnet.Tensor.__getitem__`).

:func:`track_views` wraps them so that a result that shares its input's array is marked as
a view of it (:func:`xpnet._tensor_inplace.mark_view`): then, as PyTorch's, a recorded
in-place change of the input is seen by the view, and a recorded in-place change of the view
(``x.view(-1).mul_(2)``, ``x.t()[0] = y``) is written through to the input, with its
gradient. Where NumPy had to copy (``reshape`` of a non-contiguous array) the result is no
view, as PyTorch's ``reshape`` is none then; unrecorded changes write the shared array
itself, so every view sees them anyway. The function forms that compute views themselves
(``xpnet.narrow``, ``split``, ``chunk``, ``unbind``, ``diagonal``, ``tensor_split``, ...)
are decorated with :func:`viewing`, :func:`splitting` or :func:`viewing_pieces`, which mark
their results as the methods' are.

Example:
    >>> import xpnet
    >>> w = xpnet.ones(2, 3, requires_grad=True)
    >>> h = w * 1.0
    >>> _ = h.t()[0].mul_(5.0)
    >>> h.tolist()
    [[5.0, 1.0, 1.0], [5.0, 1.0, 1.0]]
"""

from __future__ import annotations

import functools

import numpy

from ._tensor_dims import shape_argument
from ._tensor_inplace import mark_view
from ._torch_functions import as_input
from ._versions import share_array, share_writes
from .autograd import Tensor
from .backends import backend_of
from .kernels import ArgumentError

VIEW_METHODS = ("reshape", "view", "permute", "transpose", "t", "squeeze", "unsqueeze",
                "flatten", "narrow", "select", "movedim", "moveaxis", "swapaxes", "swapdims",
                "view_as", "diagonal")  # fmt: skip
SPLITTING_METHODS = ("split", "chunk", "unbind")
PIECE_VIEW_METHODS = ("tensor_split", "hsplit", "vsplit", "dsplit")


def _is_view(result, tensor: Tensor) -> bool:
    return (
        isinstance(result, Tensor)
        and result is not tensor
        and result._view_of is None
        and backend_of(tensor.array).xp.may_share_memory(result.array, tensor.array)
    )


def viewing(method):
    """``method`` (a Tensor method, or a function of a tensor first) marking its result as a
    view of that tensor where it shares its array: a decorator for the function forms
    (``xpnet.narrow``) as well as the methods."""

    @functools.wraps(method)
    def view_method(self, *args, **kwargs):
        self = as_input(method.__name__, self)  # as_tensor would wrap None, 'abc', [1]
        result = method(self, *args, **kwargs)
        if _is_view(result, self):
            mark_view(result, self, lambda base: method(base, *args, **kwargs))
        return result

    view_method.tracks_views = True
    return view_method


def splitting(method):
    """``method`` (returning several parts) marking the parts that share the input's array:
    PyTorch refuses a recorded in-place change of them (views returned by a function that
    returns several), and so does xpnet. A decorator for function forms too."""

    @functools.wraps(method)
    def split_method(self, *args, **kwargs):
        self = as_input(method.__name__, self)
        parts = method(self, *args, **kwargs)
        for part in parts:
            if _is_view(part, self):
                part.one_of_several_views = True
                share_writes(part, self)
        return parts

    split_method.tracks_views = True
    return split_method


def viewing_pieces(method):
    """``method`` (returning several parts) marking each part that shares the input's array
    as a view of it, as :func:`viewing` marks one result: PyTorch's ``tensor_split`` (and
    ``hsplit``, ...) cuts by slicing, so its parts, unlike ``split``'s, may change in place
    while gradients are recorded, written through to the input. A decorator for function
    forms too."""

    @functools.wraps(method)
    def pieces_method(self, *args, **kwargs):
        self = as_input(method.__name__, self)
        parts = method(self, *args, **kwargs)
        for i, part in enumerate(parts):
            if _is_view(part, self):
                mark_view(part, self, lambda base, i=i: method(base, *args, **kwargs)[i])
        return parts

    pieces_method.tracks_views = True
    return pieces_method


def view(self, *shape, dtype=None) -> Tensor:
    """``self`` in another ``shape`` (as :meth:`~xpnet.Tensor.reshape`), or its memory read
    as ``dtype`` (``view(xpnet.int32)``), as ``torch.Tensor.view``.

    A dtype of another element size scales the last dimension (``float64`` to ``int32``:
    twice as long; the other way, half as long). The result shares ``self``'s memory and,
    as PyTorch's, does not require grad (no gradient flows through it, whatever the dtype).

    Raises:
        ArgumentError: for another element size, a 0-d tensor, a last dimension that is not
            contiguous, or (to a larger element) one whose length or the other dimensions'
            steps the size ratio does not divide, as PyTorch.
        TypeError: both a shape and a dtype.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([1.0, -2.0])
        >>> x.view(xpnet.int32).tolist(), x.view(xpnet.int16).shape, x.view(1, 2).shape
        ([1065353216, -1073741824], (4,), (1, 2))
    """
    is_dtype = isinstance(shape[0], numpy.dtype) if len(shape) == 1 else False
    if is_dtype or (len(shape) == 1 and isinstance(shape[0], type)):
        shape, dtype = (), shape[0]
    if dtype is None:
        if not shape:  # PyTorch's parser: view() names neither
            raise TypeError("Tensor.view: missing the new shape (ints, or one sequence) or dtype")
        result = self.reshape(shape_argument("Tensor.view", shape))
        if not _viewable(self.array, result.shape):  # reshape copied: no view, as PyTorch's
            msg = "Tensor.view: view size is not compatible with input tensor's size and "
            msg += "stride (at least one dimension spans across two contiguous subspaces). "
            raise RuntimeError(f"{msg}Use .reshape(...) instead (shape {tuple(result.shape)})")
        return result
    if shape:
        raise TypeError("Tensor.view: takes a shape or a dtype, not both")
    dtype, array = numpy.dtype(dtype), self.array
    if dtype.itemsize != self.dtype.itemsize:
        _check_resizable(array, dtype, self.storage_offset())
    return share_array(Tensor(array.view(dtype)), self)


view.tracks_views = True  # marks its reshaped views itself (through reshape)


def _viewable(array, shape) -> bool:
    """Whether ``array`` has a view of ``shape`` (as many elements) without a copy: PyTorch's
    ``computeStride``, which joins dimensions only where their strides chain (any for an
    empty array), and splits any one."""
    old, size = array.shape, array.itemsize
    steps = [step // size for step in array.strides]
    if not old or 0 in old:
        return True
    view_d, base = len(shape) - 1, steps[-1]
    tensor_numel = view_numel = 1
    for d in range(len(old) - 1, -1, -1):
        tensor_numel *= old[d]
        if d == 0 or (old[d - 1] != 1 and steps[d - 1] != tensor_numel * base):  # a chunk ends
            while view_d >= 0 and (view_numel < tensor_numel or shape[view_d] == 1):
                view_numel *= shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return False
            if d > 0:
                base, tensor_numel, view_numel = steps[d - 1], 1, 1
    return view_d == -1


def _check_resizable(array, dtype, offset: int) -> None:
    """PyTorch's conditions for viewing ``array`` (starting ``offset`` elements into its
    storage) as a ``dtype`` of another element size."""
    what = f"Tensor.view: to view {array.dtype} as {dtype} (different element sizes)"
    if array.ndim == 0:
        raise ArgumentError(f"{what}, the tensor cannot be 0-d")
    # the step along a last dimension of length 1 is never taken (NumPy's may be anything)
    if array.strides[-1] != array.itemsize and array.size and array.shape[-1] != 1:
        raise ArgumentError(f"{what}, the last dimension must be contiguous (stride 1)")
    if dtype.itemsize > array.itemsize:
        ratio = dtype.itemsize // array.itemsize
        if array.shape[-1] % ratio:
            msg = f"{what}, the last dimension's size must be divisible by {ratio}"
            raise ArgumentError(f"{msg}, got {array.shape[-1]}")
        if offset % ratio:  # the first element must start a whole one of the larger dtype
            msg = f"{what}, the storage offset must be divisible by {ratio}"
            raise ArgumentError(f"{msg}, got {offset}")
        if any(step % dtype.itemsize for step in array.strides[:-1]):
            raise ArgumentError(f"{what}, every dimension's stride must be divisible by {ratio}")


def _root(array):
    """The array that owns ``array``'s memory (NumPy's and CuPy's ``base`` chain)."""
    while hasattr(getattr(array, "base", None), "shape"):  # NumPy's base may be a buffer
        array = array.base
    return array


def is_set_to(self, tensor) -> bool:
    """Whether this tensor and ``tensor`` are the same view of the same memory (the same
    start, shape and strides, whatever their dtypes), as ``torch.Tensor.is_set_to``.

    Raises:
        TypeError: ``tensor`` not a Tensor.

    Example:
        >>> import xpnet
        >>> x = xpnet.zeros(2, 3)
        >>> x.is_set_to(x.view(2, 3)), x.is_set_to(x.t()), x.is_set_to(x.clone())
        (True, False, False)
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"Tensor.is_set_to: tensor must be a Tensor, got {type(tensor).__name__}")
    mine, theirs = self.array, tensor.array
    if mine.shape != theirs.shape or mine.strides != theirs.strides:
        return False
    if mine.size:  # the same first byte: the same memory (a view as another dtype too)
        return self.data_ptr() == tensor.data_ptr()
    return mine is theirs or _root(mine) is _root(theirs)  # (strict wraps its base anew)


def track_views(cls=Tensor) -> None:
    """Wrap ``cls``'s view methods (:data:`VIEW_METHODS`, :data:`SPLITTING_METHODS`,
    :data:`PIECE_VIEW_METHODS`) so that their results are marked as views of their input,
    and give it :func:`view`, which also takes a dtype, and :func:`is_set_to`."""
    cls.view, cls.is_set_to = view, is_set_to
    wrappers = (VIEW_METHODS, viewing), (SPLITTING_METHODS, splitting)
    for names, wrap in (*wrappers, (PIECE_VIEW_METHODS, viewing_pieces)):
        for name in names:
            method = getattr(cls, name, None)
            if method is not None and not getattr(method, "tracks_views", False):
                setattr(cls, name, wrap(method))
