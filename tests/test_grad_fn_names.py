"""``grad_fn.name()`` where xpnet records the same operation as PyTorch under another name:
the node names of torch 2.13 (CPU) for the same calls (``tests/test_tensor_print.py`` has
those whose names agree by construction). The differences left are listed in
docs/porting.md."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import xpnet
import xpnet.nn.functional as XF


def _functional(m):
    return TF if m is torch else XF


# name -> the call on namespace m and a (2, 4, 4, 4) tensor x that requires grad
CALLS = {
    "max": lambda m, x: x.max(),
    "min": lambda m, x: x.min(),
    "maximum": lambda m, x: m.maximum(x, x * 2),
    "minimum": lambda m, x: m.minimum(x, x * 2),
    "where": lambda m, x: m.where(x > 0, x, 0.0),
    "masked_fill": lambda m, x: x.masked_fill(x > 0, 0.0),
    "gather": lambda m, x: x.gather(1, m.zeros((2, 1, 4, 4), dtype=m.int64)),
    "take_along_dim": lambda m, x: m.take_along_dim(x, m.zeros((1, 1, 1, 1), dtype=m.int64), 1),
    "index_select": lambda m, x: x.index_select(0, m.tensor([1, 0])),
    "cumsum": lambda m, x: x.cumsum(1),
    "norm": lambda m, x: x.norm(),
    "linalg.vector_norm": lambda m, x: m.linalg.vector_norm(x, 3, dim=1),
    "logsigmoid": lambda m, x: _functional(m).logsigmoid(x),
    "relu6": lambda m, x: _functional(m).relu6(x),
    "unfold": lambda m, x: _functional(m).unfold(x, 2),
    "fold": lambda m, x: _functional(m).fold(x.reshape(2, 16, 4), (4, 4), 2, stride=2),
    "conv1d": lambda m, x: _functional(m).conv1d(x.flatten(2), x[:2, :, 0, :2]),
    "conv2d": lambda m, x: _functional(m).conv2d(x, x[:2, :, :2, :2]),
    "conv_transpose2d": lambda m, x: _functional(m).conv_transpose2d(x, x[0, :, :2, :2, None]),
    "max_pool2d": lambda m, x: _functional(m).max_pool2d(x, 2),
    "max_pool3d": lambda m, x: _functional(m).max_pool3d(x.unsqueeze(0), 2),
    "avg_pool2d": lambda m, x: _functional(m).avg_pool2d(x, 2),
    "avg_pool3d": lambda m, x: _functional(m).avg_pool3d(x.unsqueeze(0), 2),
    "batch_norm": lambda m, x: _functional(m).batch_norm(x, None, None, training=True),
    "layer_norm": lambda m, x: _functional(m).layer_norm(x, (4,)),
    "group_norm": lambda m, x: _functional(m).group_norm(x, 2),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_grad_fn_name_is_torchs_for_the_same_operation(backend, name):
    values = np.linspace(-1.0, 1.0, 128).reshape(2, 4, 4, 4)
    ours = xpnet.Tensor(backend.asarray(values), requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    assert CALLS[name](xpnet, ours).grad_fn.name() == CALLS[name](torch, theirs).grad_fn.name()


def _interpolation(mode, dims):
    def call(m, x):
        x = {1: x.flatten(2), 2: x, 3: x.unsqueeze(1)}[dims]
        return _functional(m).interpolate(x, scale_factor=2, mode=mode)

    return call


def _reduced(loss, reduction):
    return lambda m, x: loss(_functional(m))(x, x.detach() * 2, reduction=reduction)


# einsum equations on (4, 4) matrices and (4,) vectors: PyTorch's last op is a sum or the view
# of its batched product where a letter is summed away, else a permute or a product
EINSUMS = [
    "ij,jk->ik",
    "ij,jk->ki",
    "ij,jk",
    "i,i->",
    "i,j->ij",
    "ij->i",
    "ij->ji",
    "ij",
    "ij->",
    "ii->i",
    "ii->",
    "ij,ij->ij",
    "ij,ji->ij",
    "ij,j->i",
    "ij,k->ik",
    "ij,jk,k->i",
    "i,j,k->ijk",
    "...ij,...jk->...ik",
    "i...->i",
    "ij,ij->i",
]


def _einsum(equation):
    def call(m, x):
        # a matrix for two letters or an ellipsis (then one dim of its own), else a vector
        terms = equation.split("->")[0].split(",")
        operands = [x[0, 0] if len(term) == 2 or "..." in term else x[0, 0, 0] for term in terms]
        return m.einsum(equation, *operands)

    return call


# calls whose node PyTorch names by the arguments or by the function, where xpnet records one
# op for several (sort and topk) or composes the function of others (lerp, addr, unbind)
BY_CALL = {
    "sum_dim": lambda m, x: x.sum(1),
    "sum_every_dim": lambda m, x: x.sum((0, 1, 2, 3)),
    "mean_dim": lambda m, x: x.mean(1, keepdim=True),
    "prod": lambda m, x: x.prod(),
    "prod_dim": lambda m, x: x.prod(1),
    "div_floor": lambda m, x: x.div(2, rounding_mode="floor"),
    "div_trunc_tensor": lambda m, x: m.div(x, x + 3, rounding_mode="trunc"),
    "floor_divide": lambda m, x: m.floor_divide(x, 2),
    # linalg runs its _ex forms; the composed functions are named by their call
    "linalg_slogdet": lambda m, x: m.linalg.slogdet(_spd(m, x))[1],
    "linalg_inv": lambda m, x: m.linalg.inv(_spd(m, x)),
    "inverse": lambda m, x: m.inverse(_spd(m, x)),
    "linalg_solve": lambda m, x: m.linalg.solve(_spd(m, x), x[0, 1]),
    "linalg_cholesky": lambda m, x: m.linalg.cholesky(_spd(m, x)),
    "cholesky_solve": lambda m, x: m.cholesky_solve(x[0, 1], m.linalg.cholesky(_spd(m, x))),
    "cholesky_inverse": lambda m, x: m.cholesky_inverse(m.linalg.cholesky(_spd(m, x))),
    "lu_factor": lambda m, x: m.linalg.lu_factor(_spd(m, x))[0],
    "logdet": lambda m, x: m.logdet(_spd(m, x)),
    "linalg_cross": lambda m, x: m.linalg.cross(x[0, 0, :, :3], x[0, 1, :, :3]),
    "matrix_power_0": lambda m, x: m.linalg.matrix_power(x[0, 0], 0),
    "logcumsumexp": lambda m, x: m.logcumsumexp(x, 1),
    "cdist": lambda m, x: m.cdist(x[0], x[1]),
    **{f"cdist_{p}": lambda m, x, p=p: m.cdist(x[0], x[1], p) for p in (0.0, 1.0, math.inf)},
    "dist": lambda m, x: m.dist(x, x.flip(0)),
    "renorm": lambda m, x: m.renorm(x, 2, 0, 1.0),
    **{
        f"special_{name}": lambda m, x, name=name: getattr(m.special, name)(x)
        for name in ("entr", "erfcx", "log_ndtr", "i0e", "i1", "i1e", "ndtr")
    },
    "special_ndtri": lambda m, x: m.special.ndtri(x * 0.4 + 0.5),
    "special_xlog1py": lambda m, x: m.special.xlog1py(x, x.abs()),
    "i0": lambda m, x: m.i0(x),
    "ldexp": lambda m, x: m.ldexp(x, m.ones(4, dtype=m.int64)),
    "mvlgamma": lambda m, x: m.mvlgamma(x + 3, 2),
    "sgn": lambda m, x: x.sgn(),
    "deg2rad": lambda m, x: m.deg2rad(x),
    "rad2deg": lambda m, x: x.rad2deg(),
    "addcmul": lambda m, x: m.addcmul(x, x, x, value=2),
    "addcdiv": lambda m, x: m.addcdiv(x, x, x.abs() + 1),
    "unfold_method": lambda m, x: x.unfold(1, 2, 1),
    "take": lambda m, x: m.take(x, m.tensor([0, 5])),
    "masked_select": lambda m, x: m.masked_select(x, x > 0),
    "masked_scatter": lambda m, x: x.masked_scatter(x > 0, x),
    "put": lambda m, x: x.put(m.tensor([0, 3]), x[0, 0, 0, :2]),
    "index_put": lambda m, x: x.index_put((m.tensor([0]),), x[1:2], accumulate=True),
    "scatter_src": lambda m, x: x.scatter(1, m.zeros(2, 1, 4, 4, dtype=m.int64), x[:, :1]),
    "scatter_value": lambda m, x: x.scatter(1, m.zeros(2, 1, 4, 4, dtype=m.int64), 2.0),
    "scatter_add": lambda m, x: x.scatter_add(1, m.zeros(2, 1, 4, 4, dtype=m.int64), x[:, :1]),
    "scatter_reduce": lambda m, x: x.scatter_reduce(
        1, m.zeros(2, 1, 4, 4, dtype=m.int64), x[:, :1], "amax"
    ),
    "index_add": lambda m, x: x.index_add(1, m.tensor([0]), x[:, :1]),
    "index_copy": lambda m, x: x.index_copy(1, m.tensor([2]), x[:, :1]),
    "index_fill": lambda m, x: x.index_fill(1, m.tensor([0]), 1.5),
    "index_fill_tensor": lambda m, x: x.index_fill(1, m.tensor([0]), m.tensor(1.5).double()),
    "block_diag": lambda m, x: m.block_diag(x[0, 0], x[0, 1]),
    "combinations": lambda m, x: m.combinations(x[0, 0, 0], 2),
    "affine_grid": lambda m, x: m.nn.functional.affine_grid(
        x[0, :2, :2, :3], (2, 1, 3, 3), align_corners=False
    ),
    "grid_sample_2d": lambda m, x: m.nn.functional.grid_sample(
        x, x[:, 0, :, :2].reshape(2, 2, 2, 2), align_corners=False
    ),
    "grid_sample_3d": lambda m, x: m.nn.functional.grid_sample(
        x[None], x[0, 0, 0, :3].reshape(1, 1, 1, 1, 3), align_corners=False
    ),
    "lp_pool2d": lambda m, x: m.nn.functional.lp_pool2d(x, 2.0, 2),
    "rms_norm": lambda m, x: m.nn.functional.rms_norm(x, (4,)),
    "poisson_nll_none": lambda m, x: m.nn.functional.poisson_nll_loss(x, x.abs(), reduction="none"),
    "poisson_nll_full_none": lambda m, x: m.nn.functional.poisson_nll_loss(
        x.abs() + 1, x.abs(), log_input=False, full=True, reduction="none"
    ),
    "gaussian_nll_none": lambda m, x: m.nn.functional.gaussian_nll_loss(
        x, x.flip(0), x.abs() + 1, reduction="none"
    ),
    "gaussian_nll_full_sum": lambda m, x: m.nn.functional.gaussian_nll_loss(
        x, x.flip(0), x.abs() + 1, full=True, reduction="sum"
    ),
    "multilabel_soft_margin_none": lambda m, x: m.nn.functional.multilabel_soft_margin_loss(
        x[0, 0], x[0, 1].abs(), reduction="none"
    ),
    "triplet_none": lambda m, x: m.nn.functional.triplet_margin_loss(
        x[0, 0], x[0, 1], x[0, 2], reduction="none"
    ),
    "triplet_mean": lambda m, x: m.nn.functional.triplet_margin_loss(x[0, 0], x[0, 1], x[0, 2]),
    # composed functions, named by their last op for the call
    "atleast_2d_of_0d": lambda m, x: m.atleast_2d(x.sum()),
    "atleast_2d_of_1d": lambda m, x: m.atleast_2d(x[0, 0, 0]),
    "atleast_3d_of_2d": lambda m, x: m.atleast_3d(x[0, 0]),
    "trapezoid": lambda m, x: m.trapezoid(x),
    "trapezoid_x": lambda m, x: m.trapezoid(x, x * 2),
    "cumulative_trapezoid": lambda m, x: m.cumulative_trapezoid(x, dx=0.5),
    "cumulative_trapezoid_x": lambda m, x: m.cumulative_trapezoid(x, x * 2),
    **{f"cond_{p}": lambda m, x, p=p: m.linalg.cond(_spd(m, x), p) for p in (None, 2, -2, "nuc")},
    **{f"cond_{p}": lambda m, x, p=p: m.linalg.cond(_spd(m, x), p) for p in ("fro", math.inf, 1)},
    "repeat_interleave": lambda m, x: m.repeat_interleave(x, 2, dim=1),
    "repeat_interleave_counts": lambda m, x: x[0, 0].repeat_interleave(m.tensor([1, 0, 2, 1]), 0),
    "diag_of_matrix": lambda m, x: m.diag(x[0, 0], 1),
    "diag_of_vector": lambda m, x: m.diag(x[0, 0, 0]),
    "tensorinv": lambda m, x: m.linalg.tensorinv(_spd(m, x), 1),
    "quantile": lambda m, x: m.quantile(x, 0.3),
    "nanquantile_dim": lambda m, x: m.nanquantile(x, m.tensor([0.2, 0.5]).double(), dim=1),
    "linalg_vander": lambda m, x: m.linalg.vander(x[0, 0, 0]),
    **{
        f"{loss}_{reduction}": lambda m, x, loss=loss, reduction=reduction: getattr(
            m.nn.functional, loss
        )(*_LABELLED[loss](x), reduction=reduction)
        for loss in ("margin_ranking_loss", "cosine_embedding_loss", "hinge_embedding_loss")
        for reduction in ("mean", "sum", "none")
    },
    "floordiv_operator": lambda m, x: 3.0 // x,
    "max_dim": lambda m, x: x.max(1),
    "min_dim": lambda m, x: x.min(dim=2),
    "median": lambda m, x: x.median(),
    "median_dim": lambda m, x: x.median(1),
    "nanmedian": lambda m, x: x.nanmedian(),
    "nanmedian_dim": lambda m, x: x.nanmedian(1),
    "kthvalue": lambda m, x: x.kthvalue(2),
    "mode": lambda m, x: x.mode(),
    "aminmax": lambda m, x: m.aminmax(x),
    "nansum": lambda m, x: x.nansum(1),
    "std": lambda m, x: x.std(),
    "std_mean": lambda m, x: m.std_mean(x, 1),
    "var_mean": lambda m, x: m.var_mean(x),
    "cumprod": lambda m, x: x.cumprod(1),
    "cummax": lambda m, x: x.cummax(1),
    "cummin": lambda m, x: x.cummin(1),
    "sort": lambda m, x: x.sort(1),
    "sort_0d": lambda m, x: x[0, 0, 0, 0].sort(),
    "msort": lambda m, x: m.msort(x),
    "topk": lambda m, x: x.topk(2),
    "topk_function": lambda m, x: m.topk(x, 4),
    "topk_0d": lambda m, x: x[0, 0, 0, 0].topk(1),
    "tril": lambda m, x: x.tril(),
    "triu": lambda m, x: x.triu(1),
    "clamp_numbers": lambda m, x: x.clamp(-0.5, 0.5),
    "clamp_min_number": lambda m, x: x.clamp(min=0),
    "clamp_tensor": lambda m, x: x.clamp(x.detach() * 0),
    "clamp_min": lambda m, x: x.clamp_min(0),
    "clamp_max": lambda m, x: m.clamp_max(x, 0),
    "clip": lambda m, x: m.clip(x, 0, 1),
    "tensor ** number": lambda m, x: x**2,
    "tensor ** tensor": lambda m, x: x ** x.detach(),
    "number ** tensor": lambda m, x: 2**x,
    "pow": lambda m, x: m.pow(x, x),
    "neg": lambda m, x: -x,
    "negative": lambda m, x: m.negative(x),
    "lerp_number": lambda m, x: m.lerp(x, x * 2, 0.3),
    "lerp_tensor": lambda m, x: x.lerp(x * 2, x.detach()),
    "repeat": lambda m, x: x.repeat(2, 1, 1, 1),
    "tile": lambda m, x: x.tile(2),
    "trace": lambda m, x: x[0, 0].trace(),
    "addmm": lambda m, x: m.addmm(m.ones(4, 4, dtype=x.dtype), x[0, 0], x[0, 1]),
    "addmm_beta_0": lambda m, x: m.addmm(x[0, 0], x[0, 1], x[0, 2], beta=0, alpha=2),
    "addmv": lambda m, x: m.addmv(x[0, 0, 0], x[0, 0], x[0, 1, 0]),
    "addr": lambda m, x: m.addr(x[0, 0], x[0, 1, 0], x[0, 2, 0]),
    "baddbmm": lambda m, x: m.baddbmm(x[0], x[0], x[1]),
    "addbmm": lambda m, x: m.addbmm(x[0, 0], x[0], x[1]),
    "split": lambda m, x: x.split(2, 1),
    "split_sizes": lambda m, x: x.split([1, 3], 2),
    "chunk": lambda m, x: x.chunk(3, 1),
    "unbind": lambda m, x: x.unbind(1),
    "tensor_split": lambda m, x: x.tensor_split(3, 1),
    "hsplit": lambda m, x: m.hsplit(x, 2),
    "unsafe_split": lambda m, x: x.unsafe_split(2),
    "unsafe_chunk": lambda m, x: m.unsafe_chunk(x, 2, 1),
    "unsafe_split_with_sizes": lambda m, x: m.unsafe_split_with_sizes(x, [1, 3], 1),
    "pad": lambda m, x: _functional(m).pad(x, (1, 1)),
    "pad_reflect_1d": lambda m, x: _functional(m).pad(x[0], (1, 2), mode="reflect"),
    "pad_reflect_2d": lambda m, x: _functional(m).pad(x, (1, 1, 2, 0), mode="reflect"),
    "pad_replicate_3d": lambda m, x: _functional(m).pad(x, (1,) * 6, mode="replicate"),
    "pad_circular": lambda m, x: _functional(m).pad(x, (1, 1, 1, 1), mode="circular"),
    "dropout": lambda m, x: _functional(m).dropout(x, 0.5),
    "dropout2d": lambda m, x: _functional(m).dropout2d(x, 0.5),
    "alpha_dropout": lambda m, x: _functional(m).alpha_dropout(x, 0.5, True),
    "feature_alpha_dropout": lambda m, x: _functional(m).feature_alpha_dropout(x, 0.5, True),
    "cross_entropy": lambda m, x: _functional(m).cross_entropy(x[:, :, 0, 0], m.tensor([0, 1])),
    "cross_entropy_none": lambda m, x: _cross_entropy(m, x[:, :, 0, 0], [0, 1], "none"),
    "cross_entropy_3d_none": lambda m, x: _cross_entropy(m, x[:, :, 0], [[0] * 4] * 2, "none"),
    "cross_entropy_4d": lambda m, x: _cross_entropy(m, x, [[[0] * 4] * 4] * 2, "mean"),
    "cross_entropy_4d_none": lambda m, x: _cross_entropy(m, x, [[[0] * 4] * 4] * 2, "none"),
    "cross_entropy_smoothing": lambda m, x: _functional(m).cross_entropy(
        x[:, :, 0, 0], m.tensor([0, 1]), label_smoothing=0.1
    ),
    "cross_entropy_probabilities": lambda m, x: _cross_entropy(
        m, x[:, :, 0, 0], x[:, :, 0, 1].detach().softmax(1), "mean"
    ),
    "cross_entropy_probabilities_sum": lambda m, x: _cross_entropy(
        m, x[:, :, 0, 0], x[:, :, 0, 1].detach().softmax(1), "sum"
    ),
    # the arguments that name the node given by keyword, or all by position
    "pad_keywords": lambda m, x: _functional(m).pad(x[0], pad=(1, 1), mode="reflect"),
    "pad_positional": lambda m, x: _functional(m).pad(x[0], (1, 1), "replicate"),
    "adaptive_keyword": lambda m, x: _functional(m).adaptive_avg_pool2d(x, output_size=1),
    "interpolate_positional": lambda m, x: _functional(m).interpolate(x, None, 2, "bicubic"),
    "l1_loss_positional": lambda m, x: _functional(m).l1_loss(x, x.detach(), None, None, "sum"),
    "cross_entropy_keywords": lambda m, x: _functional(m).cross_entropy(
        input=x[:, :, 0, 0], target=x[:, :, 0, 1].detach().softmax(1), reduction="none"
    ),
    "cross_entropy_positional": lambda m, x: _functional(m).cross_entropy(
        x[:, :, 0, 0], m.tensor([0, 1]), None, None, -100, None, "none", 0.2
    ),
    **{f"einsum {equation}": _einsum(equation) for equation in EINSUMS},
    "tensordot": lambda m, x: m.tensordot(x[0, 0], x[0, 1], 1),
    "outer": lambda m, x: m.outer(x[0, 0, 0], x[0, 0, 1]),
    "ger": lambda m, x: m.ger(x[0, 0, 0], x[0, 0, 1]),
    "inner": lambda m, x: m.inner(x[0, 0], x[0, 1]),
    "vdot": lambda m, x: m.vdot(x[0, 0, 0], x[0, 0, 1]),
    "kron": lambda m, x: m.kron(x[0, 0], x[0, 1]),
    "bilinear": lambda m, x: _functional(m).bilinear(x[0, 0], x[0, 1], x[:, :, 0]),
    "bilinear_bias": lambda m, x: _functional(m).bilinear(
        x[0, 0], x[0, 1], x[:, :, 0], x[1, 1, 1, :2]
    ),
    "rsub": lambda m, x: 1 - x,
    "softmin": lambda m, x: _functional(m).softmin(x, 1),
    "normalize": lambda m, x: _functional(m).normalize(x),
    "cosine_similarity": lambda m, x: _functional(m).cosine_similarity(x, x * 2),
    "pairwise_distance": lambda m, x: _functional(m).pairwise_distance(x, x * 2),
    "local_response_norm": lambda m, x: _functional(m).local_response_norm(x, 2),
    "instance_norm": lambda m, x: _functional(m).instance_norm(x),
    "softsign": lambda m, x: _functional(m).softsign(x),
    "tanhshrink": lambda m, x: _functional(m).tanhshrink(x),
    "selu": lambda m, x: _functional(m).selu(x),
    "rrelu": lambda m, x: _functional(m).rrelu(x),
    "avg_pool1d": lambda m, x: _functional(m).avg_pool1d(x[0], 2),
    "max_pool1d": lambda m, x: _functional(m).max_pool1d(x[0], 2),
    "adaptive_avg_pool1d": lambda m, x: _functional(m).adaptive_avg_pool1d(x[0], 2),
    "adaptive_max_pool1d": lambda m, x: _functional(m).adaptive_max_pool1d(x[0], 2),
    "adaptive_avg_pool2d": lambda m, x: _functional(m).adaptive_avg_pool2d(x, (1, 2)),
    "adaptive_avg_pool2d_to_1": lambda m, x: _functional(m).adaptive_avg_pool2d(x, 1),
    "adaptive_avg_pool3d": lambda m, x: _functional(m).adaptive_avg_pool3d(x, 2),
    "adaptive_avg_pool3d_to_1": lambda m, x: _functional(m).adaptive_avg_pool3d(x, (1, 1, 1)),
    "adaptive_max_pool2d": lambda m, x: _functional(m).adaptive_max_pool2d(x, 1),
    "adaptive_max_pool3d": lambda m, x: _functional(m).adaptive_max_pool3d(x, 2),
    **{
        f"interpolate_{mode}_{dims}d": _interpolation(mode, dims)
        for mode, dims in [
            ("nearest", 1),
            ("nearest", 2),
            ("nearest", 3),
            ("nearest-exact", 1),
            ("nearest-exact", 2),
            ("linear", 1),
            ("bilinear", 2),
            ("bicubic", 2),
            ("trilinear", 3),
            ("area", 1),
            ("area", 2),
            ("area", 3),
        ]
    },
    "interpolate_antialias": lambda m, x: _functional(m).interpolate(
        x, scale_factor=2, mode="bilinear", antialias=True
    ),
    **{f"l1_loss_{r}": _reduced(lambda F: F.l1_loss, r) for r in ("mean", "sum", "none")},
    **{
        f"kl_div_{r}{'_log_target' * log}": _reduced(
            lambda F, log=log: functools.partial(F.kl_div, log_target=log), r
        )
        for r in ("mean", "sum", "none", "batchmean")
        for log in (False, True)
    },
}


def _cross_entropy(m, x, target, reduction):
    target = target if hasattr(target, "shape") else m.tensor(target)
    return _functional(m).cross_entropy(x, target, reduction=reduction)


# the operands of the labelled losses: inputs, then labels +-1 (x's signs)
_LABELLED = {
    "margin_ranking_loss": lambda x: (x[0, 0], x[0, 1], x[0, 2].sign()),
    "cosine_embedding_loss": lambda x: (x[0, 0], x[0, 1], x[0, 2, 0].sign()),
    "hinge_embedding_loss": lambda x: (x[0, 0], x[0, 1].sign()),
}


def _spd(m, x):
    """A symmetric positive-definite 4x4 matrix of the test's tensor."""
    return x[0, 0] @ x[0, 0].mT + 4 * m.eye(4, dtype=x.dtype)


def _node_names(result) -> list:
    results = result if isinstance(result, tuple) else (result,)
    return [getattr(r.grad_fn, "name", lambda: None)() for r in results if hasattr(r, "grad_fn")]


# kl_div's "mean" warns, in both libraries, that PyTorch will change it
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")
@pytest.mark.parametrize("name", list(BY_CALL))
def test_grad_fn_name_follows_the_call_as_torchs(backend, name):
    values = np.linspace(-1.0, 1.0, 128).reshape(2, 4, 4, 4)
    ours = xpnet.Tensor(backend.asarray(values), requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    expected = _node_names(BY_CALL[name](torch, theirs))
    assert expected and _node_names(BY_CALL[name](xpnet, ours)) == expected


def test_named_nodes_leaves_nodes_made_before_the_call():
    from xpnet._node_names import named_nodes

    x = xpnet.ones(2, requires_grad=True)
    y = x * 2

    @named_nodes("RenamedBackward0")
    def maybe_new(tensor, make_new):
        return (tensor + 1, tensor) if make_new else (tensor, tensor)

    assert [t.grad_fn.name() for t in maybe_new(y, True)] == ["RenamedBackward0", "MulBackward0"]
    assert maybe_new(y, False)[0].grad_fn.name() == "MulBackward0"


@pytest.mark.parametrize(
    ("call", "op"),
    [
        (lambda m, x: x // 2, "floor_divide"),
        (lambda m, x: m.floor_divide(2.0, x), "floor_divide"),
        (lambda m, x: 2.5 % x, "remainder"),
        (lambda m, x: m.remainder(2.5, x), "remainder"),
        (lambda m, x: (x * 1).floor_divide_(3), "floor_divide"),  # PyTorch's: floor_divide_
    ],
)
def test_ops_without_a_derivative_raise_in_backward_as_torchs(call, op):
    """PyTorch records ``floor_divide`` and ``remainder(number, tensor)`` as
    ``NotImplemented``: the tensor prints so, and a backward pass through it raises
    (``div(rounding_mode="floor")`` and ``remainder(tensor, number)`` differentiate)."""
    prints = []
    for module in (torch, xpnet):
        x = module.tensor([1.5, -2.5], requires_grad=True)
        y = call(module, x)
        prints.append((repr(y).split("grad_fn=")[1], repr(y.grad_fn).split(" object")[0]))
        with pytest.raises(RuntimeError, match=f"^derivative for aten::{op}_? is not implemented$"):
            y.sum().backward()
    assert prints[0] == prints[1] == ("<NotImplemented>)", "<NotImplemented")
