"""What Tensor methods and operators return on a tv_tensor, as torchvision's
``__torch_function__`` decides: a plain :class:`~xpnet.Tensor` (``boxes + 1`` forgets the
format), except ``clone``, ``to``, ``detach``, ``requires_grad_`` and ``pin_memory``, which
keep the class and the metadata; under :func:`set_return_type` ``("TVTensor")`` every method
and operator keeps them (the metadata of the tv_tensor it is called on).

:func:`install_return_types` puts these rules on :class:`~xpnet.data.tv_tensors.TVTensor`'s
methods. xpnet's functions (``xpnet.cat``, ``xpnet.relu``, ...) are not covered: they return
plain Tensors under either setting, where torchvision's ``torch.*`` functions follow it too.
A method that returns the tensor itself (an in-place ``add_``, ``float()`` of a float32
image) returns the tv_tensor, where torchvision's returns a plain Tensor aliasing it.

Example:
    >>> from xpnet.data import tv_tensors
    >>> boxes = tv_tensors.BoundingBoxes([0, 0, 2, 2], format="XYXY", canvas_size=(4, 4))
    >>> type(boxes + 1).__name__, boxes.clone().canvas_size
    ('Tensor', (4, 4))
    >>> with set_return_type("TVTensor"):
    ...     (boxes + 1).format
    <BoundingBoxFormat.XYXY: 'XYXY'>
"""

from __future__ import annotations

import functools

import numpy

from ..autograd import Tensor

__all__ = ["install_return_types", "set_return_type"]

# torchvision's _FORCE_TORCHFUNCTION_SUBCLASS: these keep the class under either setting
KEEP_TYPE = frozenset({"clone", "to", "detach", "requires_grad_", "pin_memory"})
# what is no operation on the values: construction, printing, conversion to Python or NumPy
_NOT_OPERATIONS = frozenset(
    {"__init__", "__repr__", "__array__", "__hash__", "__bool__", "__float__", "__int__",
     "__index__", "__len__", "__setitem__", "backward", "extra_fields", "item", "numpy",
     "tolist"}
)  # fmt: skip
_return_tv_tensors = False  # process-wide, as torchvision's flag
_installed: set = set()


class _ReturnType:
    """Restores the setting it replaced when a ``with`` block ends."""

    def __init__(self, to_restore: bool) -> None:
        self.to_restore = to_restore

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        global _return_tv_tensors
        _return_tv_tensors = self.to_restore


def set_return_type(return_type: str):
    """Set what Tensor methods and operators return on a tv_tensor: ``"Tensor"`` (the
    default: a plain Tensor) or ``"TVTensor"`` (the tv_tensor's class and metadata), case
    insensitive, as torchvision's. For the whole program, or for a ``with`` block.

    Transforms and v2 functionals are not affected: they return what they are given.

    Raises:
        ValueError: for another ``return_type`` (torchvision's message).

    Example:
        >>> with set_return_type("tvtensor"):
        ...     pass
    """
    global _return_tv_tensors
    to_restore = _return_tv_tensors
    try:
        _return_tv_tensors = {"tensor": False, "tvtensor": True}[str(return_type).lower()]
    except KeyError:
        msg = f"return_type must be 'TVTensor' or 'Tensor', got {return_type}"
        raise ValueError(msg) from None
    return _ReturnType(to_restore)


def _as_type_of(like, output):
    """``output`` (a Tensor, or a tuple or list of them) with ``like``'s class and metadata,
    sharing its values and autograd history."""
    if isinstance(output, (tuple, list)):
        return type(output)(_as_type_of(like, part) for part in output)
    if not isinstance(output, Tensor) or isinstance(output, type(like)):
        return output
    kept = object.__new__(type(like))
    kept.__dict__.update(like.__dict__)  # the metadata: format, canvas_size, ...
    kept.__dict__.update(output.__dict__)  # the values, grad_fn, versions: output's
    return kept


@functools.cache
def _tensor_fields() -> frozenset:
    """A Tensor's own attributes (a tv_tensor adds its metadata to them)."""
    return frozenset(vars(Tensor(numpy.zeros(0))))


def _as_plain(output):
    """A tv_tensor made inside a method (``float()`` calls ``to()``) as a plain Tensor."""
    plain = object.__new__(Tensor)
    fields = _tensor_fields()
    plain.__dict__.update({k: v for k, v in output.__dict__.items() if k in fields})
    return plain


def _returning_types(name, method):
    keep = name in KEEP_TYPE

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        output = method(self, *args, **kwargs)
        if keep or _return_tv_tensors:
            return _as_type_of(self, output)
        if type(output) is not Tensor and isinstance(output, Tensor) and output is not self:
            return _as_plain(output)
        return output

    return call


def install_return_types(cls) -> None:
    """Wrap every method and operator ``cls`` inherits from :class:`~xpnet.Tensor` (not
    those ``cls`` defines itself) with the rules above, once: the first tv_tensor calls it,
    after ``import xpnet`` has given Tensor all its methods."""
    if cls in _installed:
        return
    _installed.add(cls)
    for base in reversed(Tensor.__mro__[:-1]):  # object's own methods stay
        for name, method in vars(base).items():
            if name in _NOT_OPERATIONS or name in vars(cls) or not callable(method):
                continue
            if isinstance(method, (staticmethod, classmethod, type, property)):
                continue
            if name.startswith("__") and not _is_operator(name):
                continue
            setattr(cls, name, _returning_types(name, method))


def _is_operator(name: str) -> bool:
    """An arithmetic, comparison, bitwise or indexing dunder (``__add__``, ``__getitem__``)."""
    return name not in {"__getattr__", "__getattribute__", "__setattr__", "__delattr__",
                        "__init_subclass__", "__class_getitem__", "__new__", "__str__",
                        "__format__", "__reduce__", "__reduce_ex__", "__getstate__",
                        "__setstate__", "__sizeof__", "__dir__", "__copy__", "__deepcopy__",
                        "__iter__", "__contains__", "__dlpack__", "__dlpack_device__"}  # fmt: skip
