"""PyTorch's lazy modules: layers whose input size is read from the first input.

``UninitializedParameter`` and ``UninitializedBuffer`` stand in until then;
``LazyModuleMixin`` runs ``initialize_parameters`` in a forward pre-hook on the first call,
then turns the module into its eager class (``cls_to_become``): ``LazyLinear`` becomes a
:class:`~xpnet.nn.Linear`, and so on for the convolutions and the batch and instance norms.
``Buffer`` (PyTorch 2.5's ``nn.Buffer``) is in :mod:`xpnet.nn.parameter`.
"""

from __future__ import annotations

from collections import OrderedDict

from .._dtypes import get_default_dtype
from ..autograd import data_of
from ..backends import backend_of
from ..kernels._checks import ArgumentError
from . import init
from ._module_hooks import RemovableHandle
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear
from .parameter import Parameter, new_array

__all__ = [
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "LazyLinear",
    "LazyModuleMixin",
    "UninitializedBuffer",
    "UninitializedParameter",
]

_UNINITIALIZED = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually "
    "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
    "initialized one. Call `forward` to initialize the parameters before accessing their "
    "attributes."
)


class UninitializedBuffer:
    """A buffer whose shape is not known yet; :meth:`materialize` gives the array.

    xpnet's buffers are plain arrays, so, unlike PyTorch's, this one does not turn into the
    array in place: the lazy module stores what :meth:`materialize` returns.

    Args:
        requires_grad: kept for PyTorch's signature. Default: ``False``.
        device: backend name. Default: the current one.
        dtype: Default: :func:`xpnet.get_default_dtype`.
    """

    def __init__(self, requires_grad: bool = False, device=None, dtype=None):
        self.device, self.dtype = device, dtype if dtype is not None else get_default_dtype()

    @property
    def shape(self):
        raise ArgumentError(_UNINITIALIZED)  # PyTorch's RuntimeError, and a ValueError

    ndim = size = shape

    def astype(self, dtype, copy: bool = True) -> UninitializedBuffer:
        """The same placeholder in ``dtype`` (what ``module.double()`` does to it)."""
        return type(self)(device=self.device, dtype=dtype)

    def moved(self, function) -> UninitializedBuffer:
        """The placeholder of what ``function`` makes of an array of this backend and dtype:
        ``module.to(...)``, ``.cpu()``, ``.double()`` on a lazy module, as PyTorch's."""
        array = function(new_array((0,), self.device, self.dtype))
        return type(self)(device=backend_of(array).name, dtype=array.dtype)

    def materialize(self, shape, device=None, dtype=None):
        """A zero array of ``shape`` on the stored backend and dtype (or the ones given)."""
        device = self.device if device is None else device
        return new_array(shape, device, self.dtype if dtype is None else dtype)

    def __repr__(self):
        return f"<{type(self).__name__}>"


class UninitializedParameter(Parameter):
    """A Parameter whose shape is not known yet; :meth:`materialize` makes it a Parameter in
    place (the same object), as PyTorch's.

    Args:
        requires_grad: Default: ``True``.
        device: backend name. Default: the current one.
        dtype: Default: :func:`xpnet.get_default_dtype`.
    """

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        # no array yet: Tensor.__init__ would make one
        self.array = UninitializedBuffer(device=device, dtype=dtype)
        self.grad, self.requires_grad, self.grad_fn = None, requires_grad, None
        self._own_version, self._storage_writes, self._view_of = 0, [0], None  # as Tensor's

    def materialize(self, shape, device=None, dtype=None) -> None:
        self.array = self.array.materialize(shape, device, dtype)
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return f"<{type(self).__name__}>"

    @property
    def data(self):  # PyTorch's is an empty tensor, which an init function would fill silently
        msg = "Can't access the data of an uninitialized parameter: call `forward` first"
        raise ValueError(msg)


def is_lazy(value) -> bool:
    return isinstance(value, (UninitializedParameter, UninitializedBuffer))


def _infer_parameters(module, args, kwargs):
    module.initialize_parameters(*args, **kwargs)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
    module._initialize_hook.remove()
    module._load_hook.remove()
    del module._initialize_hook, module._load_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


class LazyModuleMixin:
    """Put first among the bases of a module that defines ``initialize_parameters(input)``:
    the first call runs it, then the module's class becomes ``cls_to_become``.
    ``load_state_dict`` materialises the uninitialized entries with the shapes it loads."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters, with_kwargs=True)
        hooks = self.__dict__.setdefault("_load_state_dict_pre_hooks", OrderedDict())
        self._load_hook = RemovableHandle(hooks)
        hooks[self._load_hook.id] = self._lazy_load_hook

    def _lazy_load_hook(self, state_dict, prefix: str) -> None:
        for registry in (self._parameters, self._buffers):
            for name, value in registry.items():
                loaded = state_dict.get(prefix + name)
                if not is_lazy(value) or loaded is None or is_lazy(loaded):
                    continue
                shape = data_of(loaded).shape
                if isinstance(value, UninitializedParameter):
                    value.materialize(shape)
                else:
                    registry[name] = value.materialize(shape)

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer is still uninitialized."""
        values = [*self._parameters.values(), *self._buffers.values()]
        return any(is_lazy(value) for value in values)

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {type(self).__name__}"
        )


class LazyLinear(LazyModuleMixin, Linear):
    """:class:`~xpnet.nn.Linear` whose ``in_features`` is the last size of the first input.

    Args:
        out_features: size of each output sample.
        bias: learn an additive bias. Default: ``True``.
        device: backend name. Default: current. dtype: Default: float32.

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.LazyLinear(3)
        >>> layer(np.ones((2, 5), dtype=np.float32)).shape, layer
        ((2, 3), Linear(in_features=5, out_features=3, bias=True))
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(0, 0, False, device, dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        if self.in_features == 0:  # loaded by load_state_dict: PyTorch reads it off the input
            if input.shape[-1] != self.weight.shape[-1]:
                msg = (
                    f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                    f"in_features from self.weight: {self.weight.shape[-1]}"
                )
                raise ValueError(msg)
            self.in_features = input.shape[-1]


class _LazyConvXdMixin(LazyModuleMixin):
    """What the lazy convolutions share: ``in_channels`` from the first input."""

    def _lazy_init(self, out_channels: int, bias: bool, device, dtype) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        unbatched, batched = self._nd + 1, self._nd + 2
        if input.ndim not in (unbatched, batched):
            msg = (
                f"Expected {unbatched}D (unbatched) or {batched}D (batched) input to "
                f"{type(self).__name__}, but got input of size: {tuple(input.shape)}"
            )
            raise RuntimeError(msg)
        self.in_channels = input.shape[1] if input.ndim == batched else input.shape[0]
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        channels = (self.in_channels, self.out_channels // self.groups)
        if not self.transposed:
            channels = (self.out_channels, self.in_channels // self.groups)
        self.weight.materialize((*channels, *self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


def _lazy_conv(eager: type, transposed: bool) -> type:
    """The lazy class of ``eager``, with PyTorch's constructor (no ``in_channels``)."""

    def __init__(  # noqa: N807 - a constructor
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        *options,
        bias: bool = True,
        device=None,
        dtype=None,
        **keywords,
    ):
        # PyTorch's positional orders: dilation, groups, bias, padding_mode (Conv); or
        # output_padding, groups, bias, dilation, padding_mode (ConvTranspose)
        names = ("output_padding", "groups", "bias", "dilation", "padding_mode")
        if not transposed:
            names = ("dilation", "groups", "bias", "padding_mode")
        given = dict(zip(names, options, strict=False), **keywords)
        bias = given.pop("bias", bias)
        LazyModuleMixin.__init__(  # the hooks, then the eager class's __init__
            self,
            0,
            0,
            kernel_size,
            stride,
            padding,
            bias=False,
            **given,
            device=device,
            dtype=dtype,
        )
        self._lazy_init(out_channels, bias, device, dtype)

    doc = (
        f":class:`~xpnet.nn.{eager.__name__}` whose ``in_channels`` is read from the first "
        "input (dimension 1, or 0 unbatched); the other arguments are the eager class's."
    )
    attrs = {"__init__": __init__, "cls_to_become": eager, "__doc__": doc, "__module__": __name__}
    return type(f"Lazy{eager.__name__}", (_LazyConvXdMixin, eager), attrs)


LazyConv1d = _lazy_conv(Conv1d, False)
LazyConv2d = _lazy_conv(Conv2d, False)
LazyConv3d = _lazy_conv(Conv3d, False)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, True)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, True)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, True)


class _LazyNormBase(LazyModuleMixin):
    """What the lazy batch and instance norms share: ``num_features = input.shape[1]`` (also
    for an unbatched instance-norm input, as PyTorch)."""

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        self._has_bias = affine and bias
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = new_array((), device, "int64")

    def initialize_parameters(self, input) -> None:
        if not self.has_uninitialized_params():
            return
        self.num_features = n = input.shape[1]
        for name in ("weight", "bias"):
            if is_lazy(self._parameters.get(name)):
                self._parameters[name].materialize((n,))
        for name in ("running_mean", "running_var"):
            if is_lazy(self._buffers.get(name)):
                self._buffers[name] = self._buffers[name].materialize((n,))
        if self.num_features != 0:  # PyTorch's reset_parameters
            for name in ("weight", "running_var"):
                if getattr(self, name) is not None:
                    init.ones_(getattr(self, name))
            for name in ("bias", "running_mean", "num_batches_tracked"):
                if getattr(self, name) is not None:
                    init.zeros_(getattr(self, name))


def _lazy_norm(eager: type) -> type:
    def __init__(  # noqa: N807 - a constructor
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,  # also for the instance norms, as PyTorch's lazy ones
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        _LazyNormBase.__init__(
            self, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    doc = (
        f":class:`~xpnet.nn.{eager.__name__}` whose ``num_features`` is the first input's "
        "size at dimension 1; the other arguments are the eager class's (``affine`` and "
        "``track_running_stats`` default to ``True``, also for the instance norms, as PyTorch)."
    )
    attrs = {"__init__": __init__, "cls_to_become": eager, "__doc__": doc, "__module__": __name__}
    return type(f"Lazy{eager.__name__}", (_LazyNormBase, eager), attrs)


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)
