"""Two call forms of ``torch.nn.functional`` that a plain :class:`xpnet.autograd.Function`
lacks, for :mod:`xpnet.nn.functional`'s lifted kernels: the softmax family's ``dtype`` and
implicit ``dim`` (:class:`CastFirst`), and the dropout family returning its input itself when
it drops nothing (:class:`IdentityWhenOff`)."""

from __future__ import annotations

import warnings

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
