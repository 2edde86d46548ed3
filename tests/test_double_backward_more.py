"""``xpnet.autograd.grad(..., create_graph=True)`` against ``torch.autograd`` in float64 for the
formulas of :mod:`xpnet._double_backward_elementwise`, :mod:`xpnet._double_backward_reductions`,
:mod:`xpnet.nn._double_backward_activations` and :mod:`xpnet.nn._double_backward_more`: the
first and second derivatives with respect to every input, and third orders for a few."""

from __future__ import annotations

import numpy as np
import pytest
from _second_order import check_second_derivatives, check_third_derivatives, host
from _second_order import normal as _normal

import xpnet


def _uniform(low, high, *shape):
    return lambda rng: rng.uniform(low, high, shape)


def _ties(*shape):
    """Small integers as floats: ties for the extremes and the median."""
    return lambda rng: rng.integers(-2, 3, shape).astype(float)


def _with_zero(*shape):
    """Normal values with one exact zero (prod's and cumprod's exclusive products)."""

    def make(rng):
        values = rng.standard_normal(shape)
        values.flat[1] = 0.0
        return values

    return make


# name: (f(module, F, constant, *inputs) on xpnet or torch alike, input makers)
ELEMENTWISE = {
    "sin_cos_tan": (lambda m, F, c, a: a.sin() * a.cos() + a.tan(), [_normal(3, 4)]),
    "asin_acos_atan": (
        lambda m, F, c, a: a.asin() * a + a.acos() ** 2 + a.atan(),
        [_uniform(-0.9, 0.9, 3, 4)],
    ),
    "sinh_cosh": (lambda m, F, c, a: a.sinh() * a.cosh(), [_normal(3, 4)]),
    "asinh_acosh_atanh": (
        lambda m, F, c, a: a.asinh() * a.atanh() + (a + 2).acosh() ** 2,
        [_uniform(-0.9, 0.9, 3, 4)],
    ),
    "log1p_expm1": (lambda m, F, c, a: a.log1p() * a.expm1(), [_uniform(-0.5, 2, 3, 4)]),
    "log2_log10_exp2": (
        lambda m, F, c, a: a.log2() * a + a.log10() ** 2 + a.exp2(),
        [_uniform(0.5, 2, 3, 4)],
    ),
    "sinc": (lambda m, F, c, a: m.sinc(a) * a, [_normal(3, 4)]),
    "erfc_erfinv": (
        lambda m, F, c, a: a.erfc() * a + a.erfinv() ** 2,
        [_uniform(-0.9, 0.9, 3, 4)],
    ),
    "trunc_frac_nan_to_num": (
        lambda m, F, c, a: a.trunc() * a + a.frac() ** 2 + a.nan_to_num() ** 3,
        [_uniform(-3, 3, 3, 4)],
    ),
    "logit": (lambda m, F, c, a: a.logit() ** 2 + a.logit(0.3) * a, [_uniform(0.1, 0.9, 3, 4)]),
    "atan2": (lambda m, F, c, a, b: m.atan2(a, b) * a, [_normal(3, 4), _normal(4)]),
    "hypot": (lambda m, F, c, a, b: m.hypot(a, b) * b, [_normal(3, 4), _normal(3, 1)]),
    "logaddexp": (
        lambda m, F, c, a, b: m.logaddexp(a, b) * a + m.logaddexp2(a, b) ** 2,
        [_normal(3, 4), _normal(4)],
    ),
    "xlogy": (lambda m, F, c, a, b: m.xlogy(a, b) * a, [_normal(3, 4), _uniform(0.5, 2, 3, 4)]),
    "fmod_remainder": (
        lambda m, F, c, a, b: m.fmod(a, b) * a + m.remainder(a, b) ** 2 + m.remainder(a, 0.7) * b,
        [_uniform(-3, 3, 3, 4), _uniform(0.5, 1.5, 4)],
    ),
    "copysign": (lambda m, F, c, a, b: m.copysign(a, b) * a * b, [_normal(3, 4), _normal(3, 4)]),
    "maximum_minimum_ties": (
        lambda m, F, c, a, b: m.maximum(a, b) * a + m.minimum(a, b) ** 2,
        [_ties(3, 4), _ties(4)],
    ),
    "fmax_fmin": (
        lambda m, F, c, a, b: m.fmax(a, b) * a + m.fmin(a, b) ** 2,
        [_ties(3, 4), _ties(3, 4)],
    ),
}

REDUCTIONS = {
    # einsum and its compositions; products make the second derivatives cross terms
    "einsum_matmul": (
        lambda m, F, c, a, b: m.einsum("ij,jk->ik", a, b) * m.einsum("ij,jk->ik", a, b),
        [_normal(3, 4), _normal(4, 2)],
    ),
    "einsum_batched_broadcast": (
        lambda m, F, c, a, b: m.einsum("...ij,jk->...ik", a * a, b).tanh(),
        [_normal(2, 3, 4), _normal(4, 2)],
    ),
    "einsum_summed_alone": (
        lambda m, F, c, a, b: m.einsum("ij,k->i", a, b * b) * a.sum(1),
        [_normal(3, 4), _normal(5)],
    ),
    "dot_outer_tensordot": (
        lambda m, F, c, a, b: (
            m.outer(a, b) * m.dot(a, a) + m.tensordot(m.outer(a, b), b, 1).unsqueeze(1)
        ),
        [_normal(3), _normal(4)],
    ),
    "prod": (
        lambda m, F, c, a: a.prod() * a + a.prod(1).unsqueeze(1) ** 2,
        [_uniform(0.5, 1.5, 3, 4)],
    ),
    "prod_zero": (
        lambda m, F, c, a: a.prod() * a + a.prod(0, keepdim=True) * a,
        [_with_zero(3, 4)],
    ),
    "var_std": (
        lambda m, F, c, a: (
            a.var(1).unsqueeze(1) * a.std() + a.var((0, 1), correction=0) * a + a.std(0) ** 2 * a
        ),
        [_normal(3, 4)],
    ),
    "amax_amin_ties": (
        lambda m, F, c, a: a.amax(1, keepdim=True) * a + a.amin((0, 1)) ** 2 * a,
        [_ties(3, 4)],
    ),
    "max_min_all_ties": (lambda m, F, c, a: a.max() * a + a.min() ** 2, [_ties(3, 4)]),
    "max_min_dim": (
        lambda m, F, c, a: (a.max(1).values ** 2).sum() * a + a.min(0, keepdim=True)[0] * a,
        [_normal(3, 4)],
    ),
    "median": (lambda m, F, c, a: a.median() * a, [_ties(3, 4)]),
    "cumprod": (lambda m, F, c, a: a.cumprod(1) * a, [_uniform(0.5, 1.5, 3, 4)]),
    "cumprod_zero": (lambda m, F, c, a: a.cumprod(1) ** 2 + a.cumprod(0) * a, [_with_zero(3, 4)]),
    "logcumsumexp": (lambda m, F, c, a: a.logcumsumexp(1) * a, [_normal(3, 4)]),
    "flip_roll_rot90": (
        lambda m, F, c, a: a.flip(0) * a.roll(1, 1) + a.rot90().sum() * a**2,
        [_normal(3, 4)],
    ),
    "tril_triu_diagonal": (
        lambda m, F, c, a: a.tril() * a + a.triu(1) ** 2 + a.diagonal().sum() * a,
        [_normal(3, 4)],
    ),
    "repeat_interleave_unfold": (
        lambda m, F, c, a: (a.repeat_interleave(2, 0) ** 3).sum() * a + a.unfold(1, 2, 1).sum() * a,
        [_normal(3, 4)],
    ),
}

LAYERS = {
    "hardtanh_relu6_threshold": (
        lambda m, F, c, a: (
            (F.hardtanh(a, -0.5, 0.8) + F.relu6(a * 4) + F.threshold(a, 0.1, 2.0)) * a
        ),
        [_normal(3, 4)],
    ),
    "hardshrink_softshrink": (
        lambda m, F, c, a: (F.hardshrink(a) + F.softshrink(a, 0.3)) * a,
        [_normal(3, 4)],
    ),
    "hardswish": (lambda m, F, c, a: F.hardswish(a * 3), [_normal(3, 4)]),
    "mish_selu_celu": (
        lambda m, F, c, a: F.mish(a) + F.selu(a) + F.celu(a, 0.7),
        [_normal(3, 4)],
    ),
    "logsigmoid_softsign_tanhshrink": (
        lambda m, F, c, a: F.logsigmoid(a) + F.softsign(a) + F.tanhshrink(a),
        [_normal(3, 4)],
    ),
    "prelu": (lambda m, F, c, a, w: F.prelu(a, w) ** 2, [_normal(3, 4, 2), _normal(4)]),
    "prelu_shared": (lambda m, F, c, a, w: F.prelu(a, w) ** 2, [_normal(3, 4), _normal(1)]),
    "glu_softmin": (
        lambda m, F, c, a: F.glu(a, 1).sum() * a + F.softmin(a, 1),
        [_normal(3, 4)],
    ),
    "l1_loss": (
        lambda m, F, c, a, b: F.l1_loss(a, b) * a + F.l1_loss(a * b, b, reduction="none"),
        [_normal(3, 4), _normal(3, 4)],
    ),
    "smooth_l1_huber": (
        lambda m, F, c, a, b: (
            F.smooth_l1_loss(a * b, b, beta=0.5)
            + F.huber_loss(a * b, b, reduction="sum", delta=0.7)
            + F.smooth_l1_loss(a, b, reduction="none", beta=0.0) * a
        ),
        [_normal(3, 4), _normal(3, 4)],
    ),
    "binary_cross_entropy": (
        lambda m, F, c, p, t: F.binary_cross_entropy(p * t, t, weight=c([0.5, 1.0, 2.0, 1.5])),
        [_uniform(0.3, 0.9, 3, 4), _uniform(0.3, 0.9, 3, 4)],
    ),
    "kl_div": (
        lambda m, F, c, a, t: (
            F.kl_div(a, t, reduction="batchmean")
            + F.kl_div(a * t, t, reduction="none", log_target=True)
        ),
        [_normal(3, 4), _uniform(0.1, 1.0, 3, 4)],
    ),
    "cosine_similarity_normalize": (
        lambda m, F, c, a, b: (
            (F.cosine_similarity(a, b) ** 2).sum() * a + F.normalize(a * b, dim=0)
        ),
        [_normal(3, 4), _normal(3, 4)],
    ),
    "cosine_similarity_below_eps": (  # norms under eps: clamped without a gradient, as torch
        lambda m, F, c, a, b: F.cosine_similarity(a * 1e-9, b, eps=1e-8) * a.sum(),
        [_normal(3, 4), _normal(3, 4)],
    ),
    "pairwise_distance": (
        lambda m, F, c, a, b: F.pairwise_distance(a, b) * F.pairwise_distance(a, b * a, 3.0),
        [_normal(3, 4), _normal(4)],
    ),
    "embedding": (
        lambda m, F, c, w: (
            F.embedding(c([[0, 2], [2, 3]]), w, padding_idx=3) ** 2
            + F.embedding(c([1, 1, 0]), w * w, scale_grad_by_freq=True).sum(0)
        ),
        [_normal(4, 3)],
    ),
    "group_norm": (
        lambda m, F, c, x, w, b: F.group_norm(x, 2, w, b) ** 2,
        [_normal(2, 4, 3), _uniform(0.5, 1.5, 4), _normal(4)],
    ),
    "instance_norm": (
        lambda m, F, c, x, w, b: F.instance_norm(x, weight=w, bias=b) ** 2,
        [_normal(2, 3, 5), _uniform(0.5, 1.5, 3), _normal(3)],
    ),
    "rms_norm": (
        lambda m, F, c, x, w: F.rms_norm(x, (4,), w, 1e-5) ** 2,
        [_normal(3, 4), _uniform(0.5, 1.5, 4)],
    ),
    "conv_transpose2d": (
        lambda m, F, c, x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1) ** 2,
        [_normal(2, 4, 3, 3), _normal(4, 2, 3, 3), _normal(2)],
    ),
    "conv_transpose1d_groups": (
        lambda m, F, c, x, w: F.conv_transpose1d(x, w, None, 1, 0, 0, 2, 2).tanh(),
        [_normal(2, 4, 5), _normal(4, 3, 2)],
    ),
    "conv_transpose3d": (
        lambda m, F, c, x, w: F.conv_transpose3d(x, w, stride=2) ** 2,
        [_normal(1, 2, 2, 2, 2), _normal(2, 1, 2, 2, 2)],
    ),
    "pad": (
        lambda m, F, c, x: (
            (F.pad(x, (1, 2), value=0.5) ** 2).sum() * x
            + F.pad(x, (1, 1, 2, 0), mode="reflect").sum() * x
            + F.pad(x * x, (2, 1), mode="replicate").sum() * x
            + F.pad(x, (1, 1, 1, 1), mode="circular").sum() * x
        ),
        [_normal(2, 3, 4)],
    ),
    "interpolate": (
        lambda m, F, c, x: (
            (F.interpolate(x * x, scale_factor=2) ** 2).sum() * x
            + F.interpolate(x, size=(5, 7), mode="bilinear").sum() * x
            + F.interpolate(x, size=(4, 5), mode="bicubic", align_corners=True).sum() * x * x
        ),
        [_normal(1, 2, 3, 4)],
    ),
    "pixel_shuffle_unshuffle": (
        lambda m, F, c, x: (
            (F.pixel_shuffle(x, 2) ** 2).sum() * x + F.pixel_unshuffle(x * x, 2).sum() * x
        ),
        [_normal(1, 8, 2, 2)],
    ),
    "scaled_dot_product_attention": (
        lambda m, F, c, q, k, v: F.scaled_dot_product_attention(q, k, v) ** 2,
        [_normal(2, 3, 4), _normal(2, 5, 4), _normal(2, 5, 3)],
    ),
    "scaled_dot_product_attention_masks": (
        lambda m, F, c, q, k, v, mask: (
            F.scaled_dot_product_attention(q, k, v, mask) ** 2
            + F.scaled_dot_product_attention(q, q, q, is_causal=True, scale=0.3)
        ),
        [_normal(2, 3, 4), _normal(2, 3, 4), _normal(2, 3, 4), _normal(3, 3)],
    ),
}

CASES = {**ELEMENTWISE, **REDUCTIONS, **LAYERS}


@pytest.mark.parametrize("case", sorted(CASES))
def test_second_derivatives_match_torch(backend, case):
    check_second_derivatives(backend, *CASES[case])


def test_gamma_family_second_derivatives_match_torch(backend):
    """Within 2e-9: xpnet's trigamma (``polygamma(1, x)``, digamma's slope) is accurate to
    about 5e-10 relative, not 1e-10 (the formulas themselves are exact)."""
    function = lambda m, F, c, a: a.lgamma() * a + a.digamma() ** 2 + a.polygamma(2)  # noqa: E731
    check_second_derivatives(backend, function, [_uniform(0.5, 3, 3, 4)], rtol=2e-9)


def test_hardsigmoid_second_derivative_is_its_slope_twice(backend):
    """PyTorch has no double backward for hardsigmoid; ours is the exact one: of
    ``hardsigmoid(4 a) * a``, ``8 * slope`` (PyTorch's float32 1/6 inside ``(-3, 3)``)."""
    a = xpnet.Tensor(backend.asarray(np.array([-1.0, -0.5, 0.25, 0.7])), requires_grad=True)
    (first,) = xpnet.autograd.grad(
        (xpnet.nn.functional.hardsigmoid(a * 4) * a).sum(), a, create_graph=True
    )
    (second,) = xpnet.autograd.grad(first.sum(), a)
    slope = float(np.float32(1 / 6))
    assert host(backend, second).tolist() == [0.0, 8 * slope, 8 * slope, 8 * slope]


THIRD = {
    "trig": (
        lambda m, F, c, a, b: a.sin() * m.atan2(a, b) + a.tanh().asinh(),
        ELEMENTWISE["atan2"][1],
    ),
    "prod_zero": REDUCTIONS["prod_zero"],
    "cumprod_zero": REDUCTIONS["cumprod_zero"],
    "conv_transpose_group_norm": (
        lambda m, F, c, x, w, b: F.group_norm(F.conv_transpose2d(x, w, stride=2), 2) * b,
        [_normal(1, 2, 2, 2), _normal(2, 4, 2, 2), _normal(1, 4, 4, 4)],
    ),
    "activations": (
        lambda m, F, c, a: F.mish(a) * F.selu(a) + F.hardswish(a * 3) * F.logsigmoid(a),
        [_normal(3, 4)],
    ),
    "logcumsumexp_var": (
        lambda m, F, c, a: a.logcumsumexp(0) * a.var(1, keepdim=True),
        [_normal(3, 4)],
    ),
}


@pytest.mark.parametrize("case", sorted(THIRD))
def test_third_derivatives_match_torch(backend, case):
    check_third_derivatives(backend, *THIRD[case])
