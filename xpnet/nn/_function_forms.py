"""Call forms of ``torch.nn.functional`` that a plain :class:`xpnet.autograd.Function` lacks,
for :mod:`xpnet.nn.functional`'s lifted kernels: the softmax family's ``dtype`` and implicit
``dim`` (:class:`CastFirst`), the dropout family returning its input itself when it drops
nothing (:class:`IdentityWhenOff`), and the losses and distances whose operands PyTorch
promotes to one dtype (:class:`PromotesOperands`)."""

from __future__ import annotations

import warnings

from .._dtypes import result_dtype
from ..amp.autocast_mode import keep_given_dtype
from ..autograd import Function, Tensor, as_tensor


class CastFirst(Function):
    """A softmax-family pair with ``torch.nn.functional``'s signature: ``dtype`` casts the input
    before the op (a recorded ``Tensor.to``, so the gradient comes back in the input's dtype),
    and a missing ``dim`` is PyTorch's deprecated implicit one, with its warning."""

    @keep_given_dtype  # a dtype given is kept under autocast, as PyTorch's
    def __call__(self, input, dim=None, _stacklevel=3, dtype=None):
        if dim is None:
            msg = f"Implicit dimension choice for {self.forward.__name__} has been deprecated. "
            msg += "Change the call to include dim=X as an argument."
            # 3 frames up, as torch's: here __call__, keep_given_dtype's wrapper, the caller
            warnings.warn(msg, UserWarning, stacklevel=_stacklevel)
            dim = 0 if input.ndim in (0, 1, 3) else 1
        if dtype is not None:
            input = as_tensor(input).to(dtype)
        return super().__call__(input, dim)


class IdentityWhenOff(Function):
    """A dropout pair that returns its ``input`` Tensor itself, recording nothing, where it
    drops nothing (``training=False``, ``p = 0`` or no elements), as PyTorch's
    ``_dropout_impl``: ``F.dropout(x, training=False) is x``. The kernel still checks the
    arguments, switched off."""

    def __call__(self, *args, **kwargs):
        call = self.signature.bind(*args, **kwargs)
        call.apply_defaults()
        input, p, training = (call.arguments[name] for name in ("input", "p", "training"))
        if not isinstance(input, Tensor) or (training and p != 0 and input.numel()):
            return super().__call__(*args, **kwargs)
        call.arguments.update(input=input.array, training=False)
        self.forward(*call.args, **call.kwargs)  # off: only its checks run
        return input


class PromotesOperands(Function):
    """A loss or distance whose operands PyTorch promotes to one dtype (``mse_loss`` of a
    float32 input and a float64 target is float64), where the kernels take one: the operands
    named in ``promoted`` decide PyTorch's result dtype (:func:`xpnet.result_type`'s rules)
    and those of ``promoted`` and ``following`` (labels PyTorch casts to it) are cast to it
    first, by recorded casts, so each gradient comes back in its operand's dtype. With
    ``floats_only``, integer operands (class indices) stay as they are."""

    promoted: tuple = ()
    following: tuple = ()
    floats_only: bool = False

    def __call__(self, *args, **kwargs):
        call = self.signature.bind(*args, **kwargs)
        deciding = [v for v in map(call.arguments.get, self.promoted) if self._cast(v)]
        if deciding:
            dtype = result_dtype(*deciding)
            for name in (*self.promoted, *self.following):
                value = call.arguments.get(name)
                if self._cast(value) and value.dtype != dtype:
                    call.arguments[name] = as_tensor(value).to(dtype)
        return super().__call__(*call.args, **call.kwargs)

    def _cast(self, value) -> bool:
        """Whether ``value`` is an operand that takes part in the promotion."""
        kinds = "f" if self.floats_only else "fiub"
        return hasattr(value, "dtype") and value.dtype.kind in kinds


def promoting(function: Function, promoted=None, following=(), floats_only=False):
    """``function`` (a lifted kernel) as a :class:`PromotesOperands` of ``promoted`` operands
    (default: those that get gradients), ``following`` and ``floats_only``."""
    function.__class__ = PromotesOperands
    function.promoted = function.wrt if promoted is None else promoted
    function.following, function.floats_only = following, floats_only
    return function
