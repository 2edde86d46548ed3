"""PyTorch's CUDA autocast op lists, under xpnet's op names: which ops :mod:`.autocast_mode`
runs in float16, in float32, in the widest dtype of their inputs, or refuses.

PyTorch keeps them in ``aten/src/ATen/autocast_mode.h`` (``AT_FORALL_LOWER_PRECISION_FP``,
``AT_FORALL_FP32``, ``AT_FORALL_FP32_SET_OPT_DTYPE``, ``AT_FORALL_PROMOTE``) and a copy for its
tests in ``torch/testing/_internal/autocast_test_lists.py``, which xpnet's tests compare with.
An op is found by its kernel's ``__name__`` (:class:`xpnet.autograd.Function`) or, for the
compositions, by the name they hand to ``cast_operand``.

Example:
    >>> "matmul" in LOWER_PRECISION_OPS, "softmax" in FLOAT32_OPS, "dot" in PROMOTE_OPS
    (True, True, True)
"""

from __future__ import annotations

__all__ = ["BANNED_OPS", "FLOAT32_OPS", "LOWER_PRECISION_OPS", "PROMOTE_OPS", "SET_OPT_DTYPE_OPS"]

# PyTorch's CUDA "lower_precision_fp" list, for the ops xpnet has (or will have); PyTorch's
# own copy of its CUDA lists: torch/testing/_internal/autocast_test_lists.py
LOWER_PRECISION_OPS = frozenset(
    {
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "linear",
        "matmul",
        "bmm",
        "mm",
        "prelu",
        "scaled_dot_product_attention",
        "einsum",  # not tensordot (nor inner, a tensordot): PyTorch's promote list has it
        # composed of the ops above and an addition: cast_operand casts their ``input``
        "addmm",
        "addmv",
        "addr",
        "addbmm",
        "baddbmm",
        # compositions: cast_operand casts their operands (vecdot: a float16 product, summed
        # in float32 and rounded once, as PyTorch's ``sum(x * y)`` in float16)
        "linalg_vecdot",
        # the recurrent cells, and the layers (PyTorch's CUDA ``_cudnn_rnn`` casts too):
        # cast_operand casts the hidden state, linear the weights
        "lstm_cell",
        "gru_cell",
        "rnn_tanh_cell",
        "rnn_relu_cell",
    }
)
# PyTorch's "fp32" list (plus the norms, whose xpnet kernels want one dtype for input and
# weight: PyTorch's batch_norm takes float16 input with float32 weights instead)
FLOAT32_OPS = frozenset(
    {
        # reductions and pointwise ops that overflow or lose precision in float16
        "sum",
        "mean",
        "pow",
        "exp",
        "log",
        "logsumexp",
        "cumsum",
        "cumprod",
        "prod",
        "acos",
        "asin",
        "cosh",
        "sinh",
        "tan",
        "erfinv",
        "expm1",
        "log1p",
        "log2",
        "log10",
        "reciprocal",
        "rsqrt",
        # norm, linalg.vector_norm, dist, cdist (its vector_norm path, and p=0, 1 and inf)
        "vector_norm",
        # linalg.matrix_norm (and nuclear_norm): cast_operand casts the input of a composition
        "linalg_matrix_norm",
        "count_distance",
        "abs_distance",
        "max_distance",
        # norms
        "batch_norm",
        "layer_norm",
        "group_norm",
        "instance_norm",
        "rms_norm",
        # PyTorch's Python compositions around pow: its float32 result promotes the rest
        "local_response_norm",
        "gaussian_nll_loss",  # log(var) and (input - target) ** 2
        "multilabel_soft_margin_loss",  # a sum over the classes
        "lp_pool1d",
        "lp_pool2d",
        "lp_pool3d",
        # distances (norms inside)
        "cosine_similarity",
        "pairwise_distance",
        "pdist",
        "normalize",
        "renorm",  # a composition: cast_operand widens its input
        # softplus (exp inside), softmax and softmin (a softmax of -x in PyTorch)
        "softplus",
        "softmax",
        "log_softmax",
        "softmin",
        # losses
        "cross_entropy",
        "nll_loss",
        "mse_loss",
        "l1_loss",
        "smooth_l1_loss",
        "huber_loss",
        "kl_div",
        "binary_cross_entropy_with_logits",
        "poisson_nll_loss",
        "cosine_embedding_loss",
        "hinge_embedding_loss",
        "margin_ranking_loss",
        "soft_margin_loss",
        "triplet_margin_loss",
        "multi_margin_loss",
        "multilabel_margin_loss",
        "ctc_loss",
        # PyTorch 2.13's upsample_* ops (its 'area' mode is adaptive_avg_pool: on no list)
        "interpolate",
    }
)
# PyTorch's "fp32_set_opt_dtype" ops (AT_FORALL_FP32_SET_OPT_DTYPE), a part of FLOAT32_OPS
# under xpnet's names: float32 unless the call gives a ``dtype``, which they keep (as torch's
# ``sum(x, dtype=torch.float16)``), by :func:`.autocast_mode.keep_given_dtype`
SET_OPT_DTYPE_OPS = frozenset(
    {"prod", "softmax", "log_softmax", "cumprod", "cumsum", "vector_norm", "linalg_matrix_norm",
     "sum"}
)  # fmt: skip
# PyTorch's CUDA "promote" list (AT_FORALL_PROMOTE in ATen/autocast_mode.h), under xpnet's
# names (grid_sample: PyTorch's grid_sampler). bilinear and grid_sample are one kernel each:
# cast_arguments casts them; the compositions call promote_operands. atan2 promotes by itself;
# addcmul and addcdiv too, but multiply float16 tensor1 and tensor2 in float16 beside a float32
# input (PyTorch's region: in float32, no overflow), so they call promote_operands as well.
PROMOTE_OPS = frozenset(
    {
        "addcdiv",
        "addcmul",
        "atan2",
        "bilinear",
        "cross",
        "dot",
        "vdot",
        "grid_sample",
        "index_put",
        "tensordot",
        "scatter_add",
    }
)
# unsafe in float16 (log of a probability that rounded to 0 or 1): PyTorch refuses them
BANNED_OPS = frozenset({"binary_cross_entropy"})
