"""The kernels of :mod:`xpnet.kernels`, lifted to :class:`xpnet.Tensor`.

Same names and signatures as ``torch.nn.functional`` (and :mod:`xpnet.kernels`); the
array arguments may be Tensors. Each entry is one :class:`xpnet.autograd.Function` built
from a kernel and its ``_backward``: the table below says which arguments get gradients.
Buffers (BatchNorm's running statistics) stay plain arrays that the kernel updates in place.

Example:
    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> x = xpnet.Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    >>> F.relu(x).sum().backward()
    >>> x.grad
    array([0., 1.])
"""

from __future__ import annotations

from .. import kernels
from ..autograd import Function


def _lift(name: str, wrt=("input",), saved=None, forward_options=None) -> Function:
    """The kernel ``name`` and ``name_backward`` as one Function; ``wrt`` get gradients."""
    forward, backward = getattr(kernels, name), getattr(kernels, f"{name}_backward")
    function = Function(forward, backward, wrt, saved, forward_options)
    function.__doc__ = forward.__doc__
    return function


def _indices(extras):
    # the forward's return_indices output: backward reuses it instead of searching again
    return {"indices": extras[0]} if extras else {}


def _stats(extras):
    # the batch mean and 1/std of the forward: backward reuses them
    return {"save_mean": extras[0], "save_invstd": extras[1]}


def _exp(extras):
    # cross_entropy's exp(x - max) and its sums (class-index targets): backward needs no exp
    return {"exp_logits": extras[0], "sum_exp": extras[1]}


def _mask(extras):
    # a random mask cannot be recomputed: backward must get the forward's
    return {"mask": extras[0]}


_AFFINE = ("input", "weight", "bias")

conv2d = _lift("conv2d", _AFFINE)
linear = _lift("linear", _AFFINE)
max_pool2d = _lift("max_pool2d", saved=_indices, forward_options={"return_indices": True})
avg_pool2d = _lift("avg_pool2d")
adaptive_avg_pool2d = _lift("adaptive_avg_pool2d")
adaptive_max_pool2d = _lift(
    "adaptive_max_pool2d", saved=_indices, forward_options={"return_indices": True}
)
# the forward runs once and updates the running statistics; backward only reads them
batch_norm = _lift("batch_norm", _AFFINE, _stats, {"return_stats": True})
layer_norm = _lift("layer_norm", _AFFINE)
group_norm = _lift("group_norm", _AFFINE)
dropout = _lift("dropout", saved=_mask, forward_options={"return_mask": True})
relu = _lift("relu")
relu6 = _lift("relu6")
leaky_relu = _lift("leaky_relu")
elu = _lift("elu")
gelu = _lift("gelu")
hardtanh = _lift("hardtanh")
sigmoid = _lift("sigmoid")
silu = _lift("silu")
tanh = _lift("tanh")
softmax = _lift("softmax")
log_softmax = _lift("log_softmax")
# target gets a gradient when it holds probabilities only
cross_entropy = _lift("cross_entropy", ("input", "target"), _exp, {"return_exp": True})
nll_loss = _lift("nll_loss")

__all__ = [
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "avg_pool2d",
    "batch_norm",
    "conv2d",
    "cross_entropy",
    "dropout",
    "elu",
    "gelu",
    "group_norm",
    "hardtanh",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "nll_loss",
    "relu",
    "relu6",
    "sigmoid",
    "silu",
    "softmax",
    "tanh",
]
