"""Regression tests for the differences from PyTorch 2.13 the attention audit found
(2026-12-07): a NaN score above the causal diagonal (PyTorch adds ``-inf`` to it, so the row
is NaN), gradients when nothing reaches the output (zeros, not ``0 * NaN``), the error
classes of ``scaled_dot_product_attention`` (an integer mask, ``enable_gqa`` without a heads
dimension) and of ``MultiheadAttention``, whose shape and mask-dtype checks PyTorch asserts.

PyTorch is the oracle: each case runs on both libraries; values are compared in float64, a
refusal must be an instance of PyTorch's class with a message naming the function and the
argument.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, random_input

import xpnet.nn.functional as F
from xpnet import nn
from xpnet.autograd import Tensor


def _sdpa_both(backend, arrays, **options):
    """Output and gradients of query, key, value from both libraries (xpnet's on the host)."""
    inputs = [Tensor(backend.asarray(a), requires_grad=True) for a in arrays]
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    output = F.scaled_dot_product_attention(*inputs, **options)
    expected = TF.scaled_dot_product_attention(*tensors, **options)
    grad = random_input(tuple(expected.shape), seed=9)
    (output * Tensor(backend.asarray(grad))).sum().backward()
    (expected * torch.tensor(grad)).sum().backward()
    ours = [backend.to_host(output.array)] + [backend.to_host(x.grad.array) for x in inputs]
    theirs = [expected.detach().numpy()] + [t.grad.numpy() for t in tensors]
    return ours, theirs


def test_sdpa_causal_keeps_a_nan_score_above_the_diagonal(backend):
    # PyTorch's math path adds -inf above the diagonal: a NaN score there makes the row NaN
    q, k, v = (random_input((3, 4), seed=seed) for seed in range(3))
    k[2, 0] = np.nan  # seen by query 2 only; left out for queries 0 and 1
    ours, theirs = _sdpa_both(backend, (q, k, v), is_causal=True)
    assert np.isnan(theirs[0]).all()
    for name, a, e in zip(("output", "query", "key", "value"), ours, theirs, strict=True):
        assert_close(a, e, np.float64, name)


def test_sdpa_causal_with_an_overflowing_scale_as_torch(backend):
    # scale=inf: query 0 scores -inf with key 0 and inf - inf = NaN with key 1, which it does
    # not see: PyTorch's row is NaN, not the zeros of a row that sees no key
    q = np.array([[1.0, 1.0], [1.0, 2.0]])
    k = np.array([[-1.0, -1.0], [-1.0, 1.0]])
    ours, theirs = _sdpa_both(backend, (q, k, np.ones((2, 3))), is_causal=True, scale=np.inf)
    assert np.isnan(theirs[0]).all()
    assert_close(ours[0], theirs[0], np.float64)


@pytest.mark.parametrize(
    "shapes, options",
    [
        (((2, 4, 3), (2, 5, 3), (2, 5, 0)), {}),  # no value features: an empty output
        (((4, 3), (2, 3), (2, 0)), {"is_causal": True}),
        (((2, 4, 3), (2, 0, 3), (2, 0, 2)), {"scale": np.inf}),  # no key: 0 * inf
    ],
)
def test_sdpa_gradients_are_zeros_when_nothing_reaches_the_output(backend, shapes, options):
    # PyTorch's gradients are zeros there, not 0 * a NaN weight (a NaN query, an inf key)
    arrays = [random_input(shape, seed=seed) for seed, shape in enumerate(shapes)]
    if shapes[1][-2]:  # a NaN query with no key: PyTorch's output is NaN everywhere (a quirk)
        arrays[0][..., 0, 0] = np.nan
        arrays[1][..., 0, :] = np.inf
    ours, theirs = _sdpa_both(backend, arrays, **options)
    for name, a, e in zip(("output", "query", "key", "value"), ours, theirs, strict=True):
        assert not np.isnan(e).any()
        assert_close(a, e, np.float64, name)


def test_sdpa_gradient_of_a_float_mask_is_zeros_when_nothing_reaches_the_output(backend):
    q, k, v = random_input((3, 2), seed=0), random_input((4, 2), seed=1), np.ones((4, 0))
    q[1, 0] = np.nan
    mask = random_input((3, 4), seed=2)
    tensors = [torch.tensor(a, requires_grad=True) for a in (q, k, v, mask)]
    TF.scaled_dot_product_attention(*tensors).sum().backward()
    inputs = [Tensor(backend.asarray(a), requires_grad=True) for a in (q, k, v, mask)]
    F.scaled_dot_product_attention(*inputs).sum().backward()
    expected = [np.zeros(t.shape) if t.grad is None else t.grad.numpy() for t in tensors]
    for name, x, e in zip(("query", "key", "value", "mask"), inputs, expected, strict=True):
        assert_close(backend.to_host(x.grad.array), e, np.float64, name)
    assert not backend.to_host(inputs[3].grad.array).any()  # PyTorch: no gradient at all


def _refused_as_torch(torch_call, xpnet_call, pattern):
    """``torch_call()`` raises; ``xpnet_call()`` raises an instance of that class, matching
    ``pattern``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: mismatched mask types
        with pytest.raises(Exception) as expected:  # noqa: PT011 - whatever class torch raises
            torch_call()
    with pytest.raises(expected.type, match=pattern):
        xpnet_call()


@pytest.mark.parametrize(
    "shapes, mask, options, pattern",
    [
        (((2, 3), (4, 3), (4, 2)), np.int64, {}, "attn_mask must be a bool or floating"),
        (((2, 3), (4, 3), (4, 2)), np.float16, {}, "attn_mask .* float32 or query's float64"),
        (((2, 3, 4), (3, 4), (2, 3, 2)), None, {"enable_gqa": True}, "enable_gqa needs"),
    ],
)
def test_sdpa_refusals_are_torch_classes(backend, shapes, mask, options, pattern):
    # a mask neither bool nor float32 nor of query's dtype: PyTorch's RuntimeError (a TypeError
    # too); enable_gqa with a 2-D key: PyTorch's IndexError (dim -3 out of range; a ValueError)
    arrays = [random_input(shape, seed=seed) for seed, shape in enumerate(shapes)]
    masks = [None, None] if mask is None else [np.zeros((2, 4), mask)] * 2
    _refused_as_torch(
        lambda: TF.scaled_dot_product_attention(
            *map(torch.tensor, arrays), None if mask is None else torch.tensor(masks[0]), **options
        ),
        lambda: F.scaled_dot_product_attention(
            *(Tensor(backend.asarray(a)) for a in arrays),
            None if mask is None else Tensor(backend.asarray(masks[1])),
            **options,
        ),
        f"scaled_dot_product_attention: {pattern}",
    )


def _mha_call(module, backend, shapes, seed=0, **masks):
    """``module(query, key, value, **masks)`` on random inputs of ``shapes``, in the module's
    library (masks given as NumPy arrays)."""
    arrays = [random_input(shape, seed=seed + i) for i, shape in enumerate(shapes)]
    if isinstance(module, torch.nn.Module):
        return module(*map(torch.tensor, arrays), **{k: torch.tensor(m) for k, m in masks.items()})
    return module(
        *(Tensor(backend.asarray(a)) for a in arrays),
        **{key: Tensor(backend.asarray(m)) for key, m in masks.items()},
    )


A, B = (3, 2, 4), (3, 4)  # batched (L, N, E) and unbatched (L, E) inputs for embed_dim=4


@pytest.mark.parametrize(
    "options, shapes, masks, pattern",
    [
        ({}, [(4,)] * 3, {}, "query, key and value must all be 3-D .* or 2-D"),
        ({}, [(1, *A)] * 3, {}, "query, key and value must all be 3-D .* or 2-D"),
        ({}, [A, B, B], {}, "query, key and value must all be 3-D .* or 2-D"),
        ({}, [(3, 2, 5)] * 3, {}, "query must have embed_dim=4 features"),
        ({}, [A, A, (4, 2, 4)], {}, "key and value must have one shape"),
        ({}, [A, A, (3, 2, 5)], {}, "key and value must have one shape"),
        ({"vdim": 5}, [A, A, (3, 1, 5)], {}, "key and value must have one length and batch"),
        ({"vdim": 5}, [A, A, A], {}, "key and value must have kdim=4 and vdim=5 features"),
        ({}, [A] * 3, {"key_padding_mask": (3,)}, "key_padding_mask must be 2-D for 3-D query"),
        ({}, [B] * 3, {"key_padding_mask": (1, 3)}, "key_padding_mask must be 1-D for 2-D"),
        ({}, [A] * 3, {"key_padding_mask": (2, 4)}, r"key_padding_mask must have shape \(2, 3\)"),
        ({}, [A] * 3, {"attn_mask": (1, 4, 3, 3)}, "attn_mask must be 2-D or 3-D"),
        ({}, [B] * 3, {"attn_mask": (4, 3, 3)}, r"a 3-D attn_mask must have shape \(2, 3, 3\)"),
    ],
)
def test_multihead_attention_asserts_shapes_as_torch(backend, options, shapes, masks, pattern):
    # PyTorch's _mha_shape_check and multi_head_attention_forward raise AssertionError
    theirs = torch.nn.MultiheadAttention(4, 2, **options).double()
    ours = nn.MultiheadAttention(4, 2, **options).to(backend.name, dtype=np.float64)
    masks = {key: np.zeros(shape, bool) for key, shape in masks.items()}
    _refused_as_torch(
        lambda: _mha_call(theirs, backend, shapes, **masks),
        lambda: _mha_call(ours, backend, shapes, **masks),
        f"MultiheadAttention: {pattern}",
    )


@pytest.mark.parametrize("name", ["key_padding_mask", "attn_mask"])
def test_multihead_attention_asserts_mask_dtypes_as_torch(backend, name):
    theirs = torch.nn.MultiheadAttention(4, 2).double()
    ours = nn.MultiheadAttention(4, 2).to(backend.name, dtype=np.float64)
    mask = {name: np.zeros((2, 3) if name == "key_padding_mask" else (3, 3), np.int64)}
    _refused_as_torch(
        lambda: _mha_call(theirs, backend, [A] * 3, **mask),
        lambda: _mha_call(ours, backend, [A] * 3, **mask),
        f"MultiheadAttention: {name} must be a bool or floating-point mask, got int64",
    )
    with pytest.raises(TypeError):  # a kind, as every dtype refusal
        _mha_call(ours, backend, [A] * 3, **mask)


@pytest.mark.parametrize(
    "build",
    [
        lambda M: M.MultiheadAttention(5, 2),
        lambda M: M.TransformerEncoderLayer(6, 4),
        lambda M: M.TransformerDecoderLayer(6, 4),
    ],
)
def test_heads_that_do_not_divide_embed_dim_are_asserted_as_torch(build):
    _refused_as_torch(
        lambda: build(torch.nn), lambda: build(nn), "embed_dim must be divisible by num_heads"
    )
    with pytest.raises(ValueError, match="MultiheadAttention: embed_dim"):
        build(nn)


def test_transformer_layers_report_the_attention_assertions(backend):
    # the layers reach MultiheadAttention's checks: PyTorch's AssertionError through them
    layers = [
        (torch.nn.TransformerEncoderLayer(4, 2, 8, 0.0), nn.TransformerEncoderLayer(4, 2, 8, 0.0)),
        (torch.nn.TransformerDecoderLayer(4, 2, 8, 0.0), nn.TransformerDecoderLayer(4, 2, 8, 0.0)),
    ]
    x, bad = random_input(A), random_input((3, 2, 5), seed=1)
    for theirs, ours in layers:
        theirs, ours = theirs.double(), ours.to(backend.name, dtype=np.float64)
        inputs = (bad,) if isinstance(ours, nn.TransformerEncoderLayer) else (bad, x)
        _refused_as_torch(
            lambda t=theirs, i=inputs: t(*map(torch.tensor, i)),
            lambda o=ours, i=inputs: o(*(Tensor(backend.asarray(a)) for a in i)),
            "MultiheadAttention: query must have embed_dim=4 features",
        )
