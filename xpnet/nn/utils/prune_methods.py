"""The pruning methods of :mod:`xpnet.nn.utils.prune` (PyTorch's classes): the base class,
which reparametrizes a module's parameter as its original times a mask, the container that
combines successive prunings of one parameter, and the methods that compute the masks.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod

from ... import _creation, _random_tensors
from ...autograd import as_tensor, data_of

__all__ = [
    "BasePruningMethod",
    "CustomFromMask",
    "Identity",
    "L1Unstructured",
    "LnStructured",
    "PruningContainer",
    "RandomStructured",
    "RandomUnstructured",
]


class BasePruningMethod(ABC):
    """A pruning method: :meth:`compute_mask` says what to prune; :meth:`apply` attaches it to
    a module's parameter as a forward pre-hook (PyTorch's base class)."""

    _tensor_name: str | None = None
    PRUNING_TYPE = "unstructured"

    def __call__(self, module, inputs):
        """The forward pre-hook: ``module.<name>`` set to the masked original."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The mask for the importance scores ``t`` (a Tensor), on top of ``default_mask``
        (the previous pruning's, ones at first); a Tensor of ``t``'s shape."""

    def apply_mask(self, module):
        """The pruned tensor: ``module.<name>_mask * module.<name>_orig``, recorded (the
        gradient reaches the unpruned entries of the original)."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = as_tensor(getattr(module, self._tensor_name + "_mask"))
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``, combined with any pruning
        it has already; returns the method (or the container) hooked to the module."""
        method = _combined_method(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is not None and tuple(importance_scores.shape) != tuple(orig.shape):
            raise AssertionError(
                f"importance_scores should have the same shape as parameter {name} of "
                f"{module}, got {tuple(importance_scores.shape)} vs {tuple(orig.shape)}"
            )
        scores = as_tensor(importance_scores if importance_scores is not None else orig).detach()
        first = not isinstance(method, PruningContainer)
        if first:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = _creation.ones_like(scores)
        else:
            default_mask = as_tensor(getattr(module, name + "_mask")).clone()
        try:
            mask = method.compute_mask(scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", data_of(mask))
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first:  # the parameter goes back where it was
                module.register_parameter(name, module._parameters.pop(name + "_orig"))
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times the mask this method computes for it (nothing attached)."""
        scores = t if importance_scores is None else importance_scores
        if tuple(scores.shape) != tuple(t.shape):
            raise AssertionError(
                "importance_scores should have the same shape as tensor t, got "
                f"{tuple(scores.shape)} vs {tuple(t.shape)}"
            )
        default_mask = _creation.ones_like(t) if default_mask is None else default_mask
        return t * self.compute_mask(as_tensor(scores), default_mask=as_tensor(default_mask))

    def remove(self, module) -> None:
        """Make the pruning permanent: ``<name>`` a parameter again, holding the masked
        values; ``<name>_orig``, ``<name>_mask`` gone (the pruning is not undone)."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if self._tensor_name in module.__dict__:
            delattr(module, self._tensor_name)
        orig = module._parameters.pop(self._tensor_name + "_orig")
        orig.data = weight.data
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def prunes(hook, name: str) -> bool:
    return isinstance(hook, BasePruningMethod) and hook._tensor_name == name


def _combined_method(cls, module, name, *args, **kwargs):
    """``cls(*args, **kwargs)`` for ``module.<name>``, in a container with the pruning the
    parameter has already (its hook taken off the module)."""
    hooks = module._forward_pre_hooks
    found = [
        k for k, h in hooks.items() if isinstance(h, BasePruningMethod) and h._tensor_name == name
    ]
    if len(found) > 1:
        raise AssertionError(
            f"Avoid adding multiple pruning hooks to the same tensor {name} of module "
            f"{module}. Use a PruningContainer."
        )
    old = hooks.pop(found[0]) if found else None
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if isinstance(old, PruningContainer):
        old.add_pruning_method(method)
        return old
    if old is not None:
        container = PruningContainer(old)
        container.add_pruning_method(method)
        return container
    return method


class PruningContainer(BasePruningMethod):
    """Successive pruning methods of one parameter: each new one computes its mask on what
    the earlier ones left (the unpruned entries, or channels, of the default mask)."""

    def __init__(self, *args) -> None:
        self._pruning_methods: tuple = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method) -> None:
        """Append ``method``, which must prune the same parameter."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(
                "Can only add pruning methods acting on the parameter named "
                f"'{self._tensor_name}' to PruningContainer {self}. "
                f"Found '{method._tensor_name}'"
            )
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, index):
        return self._pruning_methods[index]

    def compute_mask(self, t, default_mask):
        """The last method's mask, computed on the slice ``default_mask`` leaves: its ones
        (unstructured), its channels with a one (structured) or everything (global)."""
        method, mask = self._pruning_methods[-1], default_mask.to(dtype=t.dtype)
        if method.PRUNING_TYPE == "unstructured":
            where = default_mask == 1
        elif method.PRUNING_TYPE == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError(
                    'Pruning methods of PRUNING_TYPE "structured" need to have the attribute '
                    "`dim` defined."
                )
            dims, dim = t.dim(), method.dim
            dim = dim + dims if dim < 0 else dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {dims}")
            kept = default_mask.sum(dim=[d for d in range(dims) if d != dim]) != 0
            where = tuple(kept if d == dim else slice(None) for d in range(dims))
        elif method.PRUNING_TYPE == "global":
            where = (slice(None),) * t.dim()
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        partial = method.compute_mask(t[where], default_mask=default_mask[where])
        mask[where] = partial.to(dtype=mask.dtype)
        return mask


class Identity(BasePruningMethod):
    """Prunes nothing: the reparametrization with a mask of ones."""

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class _Counted(BasePruningMethod):
    """A method that prunes ``amount``: a count, or a fraction in [0, 1]."""

    def __init__(self, amount) -> None:
        _check_amount(amount)
        self.amount = amount


def _without_entries(t, default_mask, amount, chosen):
    """``default_mask`` with the entries ``chosen(flat t, count)`` picks set to 0."""
    count = _count(amount, t.numel())
    mask = default_mask.clone()
    if count:
        mask.view(-1)[chosen(t.view(-1), count)] = 0
    return mask


class RandomUnstructured(_Counted):
    """Prune ``amount`` (a count, or a fraction in [0, 1]) of the unpruned entries, at random."""

    def compute_mask(self, t, default_mask):
        def drawn(flat, count):
            return _random_tensors.rand_like(flat).topk(count).indices

        return _without_entries(t, default_mask, self.amount, drawn)

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(_Counted):
    """Prune ``amount`` of the unpruned entries, those of the smallest absolute value."""

    def compute_mask(self, t, default_mask):
        def smallest(flat, count):
            return flat.abs().topk(count, largest=False).indices

        return _without_entries(t, default_mask, self.amount, smallest)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(_Counted):
    """Prune ``amount`` of the channels along ``dim`` (default: the last), at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1) -> None:
        super().__init__(amount)
        self.dim = dim

    def compute_mask(self, t, default_mask):
        def drawn(t, channels, count):  # as PyTorch's: above the count-th smallest draw
            draws = _random_tensors.rand(channels)
            return draws > draws.kthvalue(count).values

        return _without_channels(t, default_mask, self.amount, self.dim, drawn)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(_Counted):
    """Prune ``amount`` of the channels along ``dim``, those of the smallest L``n`` norm
    (``n`` as ``xpnet.norm``'s ``p``: a number, ``inf``, ``-inf`` or ``'fro'``)."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1) -> None:
        super().__init__(amount)
        self.n, self.dim = n, dim

    def compute_mask(self, t, default_mask):
        def largest(t, channels, count):
            dim = self.dim % t.dim()
            norms = t.norm(p=self.n, dim=[d for d in range(t.dim()) if d != dim])
            return norms.topk(channels - count).indices

        return _without_channels(t, default_mask, self.amount, self.dim, largest)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(
            module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores
        )


class CustomFromMask(BasePruningMethod):
    """Prune where a given ``mask`` is 0 (on top of any earlier pruning)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask) -> None:
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise AssertionError(
                f"default_mask shape {tuple(default_mask.shape)} must match self.mask shape "
                f"{tuple(self.mask.shape)}"
            )
        return default_mask * as_tensor(self.mask).to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def _without_channels(t, default_mask, amount, dim, kept_of):
    """``default_mask`` zero outside the channels along ``dim`` that ``kept_of(t, channels,
    count)`` keeps (indices or a bool mask), ``count`` of them pruned."""
    _check_structured(t, dim)
    channels = t.shape[dim]
    count = _count(amount, channels)
    if not count:
        return default_mask
    kept = kept_of(t, channels, count)
    mask = _creation.zeros_like(t)
    mask[tuple(kept if d == dim % t.dim() else slice(None) for d in range(t.dim()))] = 1
    return mask * default_mask.to(dtype=t.dtype)


def _check_amount(amount) -> None:
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    integral = isinstance(amount, numbers.Integral)
    if (integral and amount < 0) or (not integral and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(
            f"amount={amount} should either be a float in the range [0, 1] or a non-negative "
            "integer"
        )


def _count(amount, size: int) -> int:
    """How many of ``size`` entries or channels ``amount`` prunes (PyTorch rounds half to
    even, as Python's ``round``)."""
    count = amount if isinstance(amount, numbers.Integral) else round(amount * size)
    if count > size:
        raise ValueError(
            f"amount={amount} should be smaller than the number of parameters to prune={size}"
        )
    return int(count)


def _check_structured(t, dim) -> None:
    if t.dim() <= 1:
        raise ValueError(
            "Structured pruning can only be applied to multidimensional tensors. Found tensor "
            f"of shape {tuple(t.shape)} with {t.dim()} dims"
        )
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {tuple(t.shape)}")
