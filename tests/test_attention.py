"""scaled_dot_product_attention and MultiheadAttention against PyTorch float64.

The kernel pair: forward and the gradients of query, key, value and a float mask, with bool,
float and broadcast masks, causal, scale, GQA, 3-D and 4-D inputs, fully masked rows, dropout
given its mask, float32/float16, and the errors. The module: torch's with copied weights.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
import xpnet.nn.functional as F
from xpnet import nn
from xpnet.autograd import Tensor


def _check(backend, shapes, mask=None, dtype=np.float64, **options):
    """The kernel pair against torch on random query, key, value of ``shapes`` (and ``mask``:
    a bool array is passed as is, a float one gets a gradient)."""
    inputs = [random_input(shape, seed=seed) for seed, shape in enumerate(shapes)]
    boolean = mask is not None and mask.dtype == bool
    if not boolean:
        inputs.append(mask)
    fixed = backend.asarray(mask) if boolean else None
    fixed_torch = torch.tensor(mask) if boolean else None

    def ours(q, k, v, m=None):
        return K.scaled_dot_product_attention(q, k, v, fixed if boolean else m, **options)

    def ours_backward(g, q, k, v, m=None):
        grads = K.scaled_dot_product_attention_backward(
            g, q, k, v, fixed if boolean else m, **options
        )
        return grads[:3] if boolean else grads

    def theirs(q, k, v, m=None):
        return TF.scaled_dot_product_attention(q, k, v, fixed_torch if boolean else m, **options)

    return check_against_torch(ours, ours_backward, theirs, inputs, backend, dtype)


@pytest.mark.parametrize(
    "shapes",
    [
        ((4, 8), (5, 8), (5, 3)),  # 2-D
        ((2, 4, 8), (2, 5, 8), (2, 5, 6)),  # 3-D, Ev != E
        ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)),  # 4-D
        ((2, 3, 4, 8), (1, 3, 5, 8), (3, 5, 8)),  # broadcast batch dimensions
        ((2, 2, 2, 3, 4), (2, 2, 2, 5, 4), (2, 2, 2, 5, 4)),  # 5-D
    ],
)
@pytest.mark.parametrize("options", [{}, {"scale": 0.3}, {"scale": -2.0}, {"is_causal": True}])
def test_sdpa_matches_torch(backend, shapes, options):
    _check(backend, shapes, **options)


def test_sdpa_causal_with_more_queries_than_keys(backend):
    _check(backend, ((2, 6, 3), (2, 4, 3), (2, 4, 3)), is_causal=True)


@pytest.mark.parametrize("mask_shape", [(4, 5), (3, 1, 5), (2, 3, 4, 5), (1, 5)])
def test_sdpa_bool_and_float_masks_broadcast(backend, mask_shape):
    shapes = ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8))
    _check(backend, shapes, np.random.default_rng(0).random(mask_shape) > 0.3)
    _check(backend, shapes, random_input(mask_shape, seed=7, low=-3.0, high=3.0))


def test_sdpa_fully_masked_rows_give_zeros_as_torch(backend):
    """PyTorch's math path uses a safe softmax: a row without any key gives 0, not NaN."""
    boolean = np.ones((4, 5), dtype=bool)
    boolean[1] = False
    output, grads = _check(backend, ((2, 4, 8), (2, 5, 8), (2, 5, 8)), boolean)
    assert not output[:, 1].any() and not grads[0][:, 1].any()
    additive = random_input((4, 5), seed=3)
    additive[2] = -np.inf
    output, grads = _check(backend, ((2, 4, 8), (2, 5, 8), (2, 5, 8)), additive)
    assert not output[:, 2].any() and not grads[3][2].any()


def test_sdpa_large_scores_are_stable(backend):
    shapes = ((2, 4, 8), (2, 5, 8), (2, 5, 8))
    output, grads = _check(backend, shapes, scale=300.0)  # scores of +-1e3
    assert np.isfinite(output).all() and all(np.isfinite(g).all() for g in grads[:3])


@pytest.mark.parametrize("kv_heads", [(1, 1), (2, 2), (2, 3)])
def test_sdpa_grouped_query_attention(backend, kv_heads):
    shapes = ((2, 6, 4, 8), (2, kv_heads[0], 5, 8), (2, kv_heads[1], 5, 4))
    _check(backend, shapes, enable_gqa=True)
    _check(backend, ((6, 4, 8), (kv_heads[0], 5, 8), (kv_heads[1], 5, 8)), enable_gqa=True)


@pytest.mark.parametrize(
    "shapes",
    [
        ((2, 4, 0), (2, 5, 0), (2, 5, 3)),
        ((2, 4, 3), (2, 0, 3), (2, 0, 3)),
        ((0, 4, 3), (0, 5, 3), (0, 5, 3)),
    ],
)
def test_sdpa_empty_shapes(backend, shapes):
    _check(backend, shapes)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_sdpa_lower_precision(backend, dtype):
    mask = random_input((4, 5), seed=5)
    output, _ = _check(backend, ((2, 4, 8), (2, 5, 8), (2, 5, 8)), mask, dtype)
    assert output.dtype == dtype


def test_sdpa_dropout_matches_torch_given_the_mask(backend):
    q, k, v = (random_input(s, seed=i) for i, s in enumerate([(2, 4, 8), (2, 5, 8), (2, 5, 3)]))
    xpnet.manual_seed(0)
    arrays = [backend.asarray(a) for a in (q, k, v)]
    output, mask = K.scaled_dot_product_attention(*arrays, dropout_p=0.4, return_mask=True)
    keep = backend.to_host(mask)
    assert keep.shape == (2, 4, 5) and keep.dtype == bool and 0 < keep.mean() < 1

    def theirs(q, k, v):
        weights = torch.softmax(q @ k.transpose(-1, -2) / np.sqrt(8), -1)
        return (weights * torch.tensor(keep) / 0.6) @ v

    check_against_torch(
        lambda *_: output,
        lambda g, q, k, v: K.scaled_dot_product_attention_backward(
            g, q, k, v, dropout_p=0.4, mask=mask
        )[:3],
        theirs,
        [q, k, v],
        backend,
    )
    with pytest.raises(ValueError, match="backward: mask .* is required with dropout_p > 0"):
        K.scaled_dot_product_attention_backward(
            backend.asarray(np.ones((2, 4, 3))), *arrays, dropout_p=0.4
        )


def test_sdpa_lifted_gradients_and_dropout(backend):
    q = Tensor(backend.asarray(random_input((2, 4, 8))), requires_grad=True)
    mask = Tensor(backend.asarray(random_input((4, 4), seed=1)), requires_grad=True)
    F.scaled_dot_product_attention(q, q, q, mask).sum().backward()
    tq = torch.tensor(random_input((2, 4, 8)), requires_grad=True)
    tm = torch.tensor(random_input((4, 4), seed=1), requires_grad=True)
    TF.scaled_dot_product_attention(tq, tq, tq, tm).sum().backward()
    assert_close(backend.to_host(q.grad.array), tq.grad.numpy(), np.float64, "grad query")
    assert_close(backend.to_host(mask.grad.array), tm.grad.numpy(), np.float64, "grad mask")
    q.grad = None
    out = F.scaled_dot_product_attention(q, q, q, dropout_p=1.0)  # everything dropped
    out.sum().backward()
    assert not backend.to_host(out.array).any() and not backend.to_host(q.grad.array).any()


def _x(backend, shape, seed=0):
    return backend.asarray(random_input(shape, seed=seed))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: K.scaled_dot_product_attention(None, x, x), TypeError, "query must be an"),
        (lambda x: K.scaled_dot_product_attention(x, None, x), TypeError, "key must be an"),
        (lambda x: K.scaled_dot_product_attention(x[0, 0, 0], x, x), ValueError, "at least 2"),
        (lambda x: K.scaled_dot_product_attention(x, x[..., :3], x), ValueError, "key must"),
        (lambda x: K.scaled_dot_product_attention(x, x, x[..., :2, :]), ValueError, "value"),
        (
            lambda x: K.scaled_dot_product_attention(x, x, x, x > 0, is_causal=True),
            ValueError,
            "attn_mask must be None when is_causal",
        ),
        (
            lambda x: K.scaled_dot_product_attention(x, x, x, dropout_p=1.5),
            ValueError,
            "dropout_p must be at most 1",
        ),
        (lambda x: K.scaled_dot_product_attention(x, x, x, is_causal=1), TypeError, "is_causal"),
        (lambda x: K.scaled_dot_product_attention(x, x, x, scale="a"), TypeError, "scale"),
        (
            lambda x: K.scaled_dot_product_attention(x, x, x, x.astype(np.int64)),
            TypeError,
            "attn_mask must be a bool or floating",
        ),
        (
            lambda x: K.scaled_dot_product_attention(x, x, x, x[None] > 0),
            ValueError,
            "attn_mask must broadcast",
        ),
        (
            lambda x: K.scaled_dot_product_attention(x, x[:, :2], x[:, :2]),
            ValueError,
            "must broadcast",
        ),
        (
            lambda x: K.scaled_dot_product_attention(x, x[:, :2], x[:, :2], enable_gqa=True),
            ValueError,
            "must divide the number of heads",
        ),
        (lambda x: K.scaled_dot_product_attention(x, x.astype(np.float32), x), TypeError, "dtype"),
    ],
)
def test_sdpa_rejects_bad_arguments(backend, call, error, message):
    with pytest.raises(error, match=f"scaled_dot_product_attention: .*{message}"):
        call(_x(backend, (2, 3, 4, 4)))


def test_sdpa_backward_rejects_bad_grad_output(backend):
    x = _x(backend, (2, 4, 3))
    with pytest.raises(ValueError, match=r"backward: grad_output must have .*\(2, 4, 3\)"):
        K.scaled_dot_product_attention_backward(_x(backend, (2, 4, 4)), x, x, x)
    with pytest.raises(TypeError, match="backward: grad_output must"):
        K.scaled_dot_product_attention_backward(x.astype(np.float32), x, x, x)


@PROFILE
@given(
    batch=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    sizes=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)),
    mask=st.sampled_from([None, "bool", "float"]),
    causal=st.booleans(),
    scale=st.one_of(st.none(), st.floats(-2.0, 2.0)),
    seed=st.integers(0, 2**16),
)
def test_sdpa_matches_torch_on_generated_configurations(
    backend, batch, sizes, mask, causal, scale, seed
):
    L, S, E, Ev = sizes
    shapes = ((*batch, L, E), (*batch, S, E), (*batch, S, Ev))
    rng = np.random.default_rng(seed)
    array = None
    if mask is not None and not causal:
        array = rng.random((L, S)) > 0.3 if mask == "bool" else rng.standard_normal((L, S))
    _check(backend, shapes, array, is_causal=causal, scale=scale)


# -- MultiheadAttention -------------------------------------------------------------------


def _modules(backend, seed=0, **kwargs):
    torch.manual_seed(seed)
    theirs = torch.nn.MultiheadAttention(**kwargs).double()
    ours = nn.MultiheadAttention(**kwargs).to(backend.name, dtype=np.float64)
    state = {key: value.detach().numpy() for key, value in theirs.state_dict().items()}
    ours.load_state_dict(state)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    return ours, theirs


def _check_module(backend, ours, theirs, shapes, masks=(None, None), **options):
    """Output, weights and the gradients of inputs and parameters against torch."""
    arrays = [random_input(shape, seed=seed) for seed, shape in enumerate(shapes)]
    inputs = [Tensor(backend.asarray(a), requires_grad=True) for a in arrays]
    padding, attn = (None if m is None else backend.asarray(m) for m in masks)
    output, weights = ours(*inputs, key_padding_mask=padding, attn_mask=attn, **options)
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    t_masks = [None if m is None else torch.tensor(m) for m in masks]
    t_output, t_weights = theirs(
        *tensors, key_padding_mask=t_masks[0], attn_mask=t_masks[1], **options
    )
    assert_close(backend.to_host(output.array), t_output.detach().numpy(), np.float64)
    if t_weights is None:
        assert weights is None
    else:
        assert_close(backend.to_host(weights.array), t_weights.detach().numpy(), np.float64)
    grad = random_input(tuple(t_output.shape), seed=9)
    (output * Tensor(backend.asarray(grad))).sum().backward()
    (t_output * torch.tensor(grad)).sum().backward()
    for ours_tensor, theirs_tensor in zip(inputs, tensors, strict=True):
        assert_close(
            backend.to_host(ours_tensor.grad.array), theirs_tensor.grad.numpy(), np.float64
        )
    for (name, param), (_, t_param) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        assert_close(backend.to_host(param.grad.array), t_param.grad.numpy(), np.float64, name)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False), (False, True)])
def test_multihead_attention_matches_torch(backend, batch_first, need_weights, average):
    ours, theirs = _modules(backend, embed_dim=8, num_heads=2, batch_first=batch_first)
    shapes = [(3, 4, 8), (3, 5, 8), (3, 5, 8)] if batch_first else [(4, 3, 8), (5, 3, 8), (5, 3, 8)]
    options = {"need_weights": need_weights, "average_attn_weights": average}
    _check_module(backend, ours, theirs, shapes, **options)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_masks(backend, need_weights):
    rng = np.random.default_rng(0)
    padding = rng.random((3, 5)) > 0.7
    padding[:, 0] = False
    attn = rng.random((4, 5)) > 0.7
    attn[:, 1] = False
    ours, theirs = _modules(backend, embed_dim=8, num_heads=2)
    shapes = [(4, 3, 8), (5, 3, 8), (5, 3, 8)]
    _check_module(backend, ours, theirs, shapes, (padding, attn), need_weights=need_weights)
    _check_module(
        backend,
        ours,
        theirs,
        shapes,
        (None, random_input((6, 4, 5), seed=4)),
        need_weights=need_weights,
    )
    causal = np.triu(np.full((4, 5), -np.inf), 1)
    _check_module(
        backend, ours, theirs, shapes, (None, causal), need_weights=need_weights, is_causal=True
    )


def test_multihead_attention_kdim_vdim_and_unbatched(backend):
    ours, theirs = _modules(backend, embed_dim=6, num_heads=3, kdim=4, vdim=5, bias=False)
    assert "q_proj_weight" in ours.state_dict() and "in_proj_weight" not in ours.state_dict()
    _check_module(backend, ours, theirs, [(4, 2, 6), (3, 2, 4), (3, 2, 5)])
    _check_module(backend, ours, theirs, [(4, 6), (3, 4), (3, 5)], (np.array([0, 1, 0]) > 0, None))


@pytest.mark.parametrize(
    "options",
    [{"add_bias_kv": True}, {"add_zero_attn": True}, {"add_bias_kv": True, "add_zero_attn": True}],
)
def test_multihead_attention_bias_kv_and_zero_attn(backend, options):
    ours, theirs = _modules(backend, embed_dim=4, num_heads=2, **options)
    padding = np.array([[False, True, False], [False, False, False]])
    _check_module(backend, ours, theirs, [(2, 2, 4), (3, 2, 4), (3, 2, 4)], (padding, None))


def test_multihead_attention_initialisation_and_repr():
    module = nn.MultiheadAttention(16, 4, add_bias_kv=True)
    torch_module = torch.nn.MultiheadAttention(16, 4, add_bias_kv=True)
    assert list(module.state_dict()) == list(torch_module.state_dict())
    assert repr(module) == repr(torch_module)
    weight = xpnet.to_numpy(module.in_proj_weight.array)  # on the host under any backend
    bound = np.sqrt(6 / (16 + 48))  # xavier uniform over (48, 16)
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > bound / 2
    biases = [xpnet.to_numpy(b.array) for b in (module.in_proj_bias, module.out_proj.bias)]
    assert not any(b.any() for b in biases)
    assert module.bias_k.array.shape == (1, 1, 16) and xpnet.to_numpy(module.bias_k.array).std() > 0


def test_multihead_attention_rejects_bad_arguments(backend):
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    module = nn.MultiheadAttention(4, 2).to(backend.name, dtype=np.float64)
    x = _x(backend, (3, 2, 4))
    with pytest.raises(ValueError, match="is_causal=True needs attn_mask"):
        module(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match=r"2-D attn_mask must have shape \(3, 3\)"):
        module(x, x, x, attn_mask=_x(backend, (3, 4)) > 0)
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(2, 3\)"):
        module(x, x, x, key_padding_mask=_x(backend, (2, 4)) > 0)
    with pytest.raises(ValueError, match="must all be 3-D"):
        module(x, x[0], x)


@pytest.mark.parametrize("padding_only", [True, False])
def test_multihead_attention_one_head_one_sample_with_a_padding_mask(backend, padding_only):
    # batch * num_heads == 1: a key padding mask alone, (1, 1, S), was read as an (L, S) mask
    ours, theirs = _modules(backend, embed_dim=4, num_heads=1)
    padding = np.array([[False, False, True]])
    attn = None if padding_only else np.array([[False, True, False]] * 3)
    shapes = [(3, 1, 4)] * 3
    _check_module(backend, ours, theirs, shapes, (padding, attn), need_weights=False)


def test_multihead_attention_needs_positive_sizes():
    for sizes in [(0, 1), (4, 0)]:
        with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
            torch.nn.MultiheadAttention(*sizes)
        with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
            nn.MultiheadAttention(*sizes)


def test_sdpa_bool_mask_keeps_a_left_out_nan(backend):
    # PyTorch adds -inf where a bool mask is False: a NaN score there stays NaN (every row)
    q, k, v = (random_input((1, 2, 4), seed=seed) for seed in range(3))
    k[0, 1, 0] = np.nan
    mask = np.array([[True, False], [True, False]])
    expected = TF.scaled_dot_product_attention(*map(torch.tensor, (q, k, v)), torch.tensor(mask))
    assert np.isnan(expected.numpy()).all()
    inputs = [Tensor(backend.asarray(a), requires_grad=True) for a in (q, k, v)]
    output = F.scaled_dot_product_attention(*inputs, Tensor(backend.asarray(mask)))
    assert np.isnan(backend.to_host(output.array)).all()
    output.sum().backward()
    assert np.isnan(backend.to_host(inputs[0].grad.array)).all()


@pytest.mark.parametrize("float_mask", [False, True])
def test_sdpa_second_order_at_a_fully_masked_row(backend, float_mask):
    # a row that sees no key has zero weights: its gradients are zeros under create_graph too
    q, k, v = (random_input((2, 4, 3), seed=seed) for seed in range(3))
    mask = np.ones((4, 4), bool)
    mask[1] = False
    given = np.where(mask, 0.0, -np.inf) if float_mask else mask
    inputs = [Tensor(backend.asarray(a), requires_grad=True) for a in (q, k, v)]
    tensors = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    output = F.scaled_dot_product_attention(*inputs, Tensor(backend.asarray(given)))
    t_output = TF.scaled_dot_product_attention(*tensors, torch.tensor(given))
    grads = xpnet.autograd.grad((output**2).sum(), inputs, create_graph=True)
    t_grads = torch.autograd.grad((t_output**2).sum(), tensors, create_graph=True)
    for ours_grad, theirs_grad in zip(grads, t_grads, strict=True):
        assert_close(backend.to_host(ours_grad.array), theirs_grad.detach().numpy(), np.float64)
    second = xpnet.autograd.grad(sum((g * g).sum() for g in grads), inputs)
    t_second = torch.autograd.grad(sum((g * g).sum() for g in t_grads), tensors)
    for ours_grad, theirs_grad in zip(second, t_second, strict=True):
        assert_close(backend.to_host(ours_grad.array), theirs_grad.numpy(), np.float64)
