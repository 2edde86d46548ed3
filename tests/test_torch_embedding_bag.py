"""``xpnet.embedding_bag`` (the low-level ``torch.embedding_bag``: weight first, integer
``mode``, four results) against PyTorch's: output and its gradients, ``offset2bag``,
``bag_size``, ``max_indices`` with padding, empty and all-padding bags,
``include_last_offset``, int32 indices; and its argument errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet

INDICES = np.array([0, 2, 4, 2, 1, 5, 5, 3, 0, 4])
OFFSETS = np.array([0, 2, 2, 7])  # a bag of 2, an empty bag, a bag of 5, a bag of 3
WEIGHT = np.random.default_rng(0).normal(size=(6, 3))


def both(array, *, requires_grad=False):
    """The same data as an xpnet Tensor on the current backend and a torch tensor."""
    ours = xpnet.tensor(array, device=xpnet.get_backend().name, requires_grad=requires_grad)
    return ours, torch.tensor(array, requires_grad=requires_grad)


def run_both(mode, *, indices=INDICES, offsets=OFFSETS, dtype=np.float64, psw=False,
             include_last_offset=False, padding_idx=None):  # fmt: skip
    """Both functions' four results on the same arguments, and the weight (and
    per_sample_weights) gradients of ``output * upstream``."""
    w, tw = both(WEIGHT.astype(dtype), requires_grad=True)
    i, ti = both(indices)
    o, to = both(offsets)
    p = tp = None
    if psw:
        p, tp = both(np.linspace(0.5, 2.0, len(indices)).astype(dtype), requires_grad=True)
    last = (include_last_offset, padding_idx)
    ours = xpnet.embedding_bag(w, i, o, False, mode, False, p, *last)
    theirs = torch.embedding_bag(tw, ti, to, False, mode, False, tp, *last)
    upstream = np.random.default_rng(1).normal(size=tuple(theirs[0].shape)).astype(dtype)
    (ours[0] * xpnet.tensor(upstream, device=xpnet.get_backend().name)).sum().backward()
    (theirs[0] * torch.tensor(upstream)).sum().backward()
    grads = [(w.grad, tw.grad)] + ([(p.grad, tp.grad)] if psw else [])
    return ours, theirs, grads


def assert_results_match(ours, theirs, grads, dtype=np.float64, full_offset2bag=True):
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    assert len(ours) == 4 and ours[0].dtype == dtype
    np.testing.assert_allclose(xpnet.to_numpy(ours[0]), theirs[0].detach().numpy(), rtol=tolerance)
    for mine, their in grads:
        np.testing.assert_allclose(xpnet.to_numpy(mine), their.numpy(), rtol=tolerance, atol=1e-15)
    for k, (mine, their) in enumerate(zip(ours[1:], theirs[1:], strict=True)):
        if k == 0 and not full_offset2bag:
            continue
        assert mine.dtype == np.dtype(str(their.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(xpnet.to_numpy(mine), their.numpy())
        assert not mine.requires_grad


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"include_last_offset": True, "padding_idx": 4}],
)
def test_embedding_bag_results_match_torch(backend, mode, kwargs):
    offsets = np.append(OFFSETS, 9) if kwargs.get("include_last_offset") else OFFSETS
    assert_results_match(*run_both(mode, offsets=offsets, **kwargs))


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_embedding_bag_float32_and_int32_indices_match_torch(backend, mode):
    # torch's float32 sum without padding_idx leaves offset2bag empty: a fast path's detail
    ours, theirs, grads = run_both(mode, dtype=np.float32)
    assert_results_match(ours, theirs, grads, np.float32, full_offset2bag=mode != 0)
    assert xpnet.to_numpy(ours[1]).tolist() == [0, 0, 2, 2, 2, 2, 2, 3, 3, 3]
    int32 = run_both(mode, indices=INDICES.astype(np.int32), offsets=OFFSETS.astype(np.int32))
    assert_results_match(*int32)
    assert int32[0][1].dtype == np.int32


def test_embedding_bag_per_sample_weights_match_torch(backend):
    assert_results_match(*run_both(0, psw=True))
    assert_results_match(*run_both(0, psw=True, padding_idx=5))


@pytest.mark.parametrize("mode", [1, 2])
def test_embedding_bag_all_padding_and_empty_input_match_torch(backend, mode):
    assert_results_match(*run_both(mode, indices=np.array([1, 1, 3]), offsets=np.array([0, 2]),
                                   padding_idx=1))  # fmt: skip
    empty = run_both(mode, indices=np.zeros(0, dtype=np.int64), offsets=np.array([0, 0]))
    assert_results_match(*empty)


def test_embedding_bag_scale_grad_by_freq_matches_torch(backend):
    w, tw = both(WEIGHT, requires_grad=True)
    (i, ti), (o, to) = both(INDICES), both(OFFSETS)
    xpnet.embedding_bag(w, i, o, True, 2)[0].sum().backward()  # max: ignored, as torch's
    torch.embedding_bag(tw, ti, to, True, 2)[0].sum().backward()
    np.testing.assert_allclose(xpnet.to_numpy(w.grad), tw.grad.numpy(), rtol=1e-12)
    w.grad = None
    tw.grad = None
    # sum: each row's gradient over its count; torch's CPU embedding_bag divides by another
    # index's count (pytorch/pytorch#190063), so the oracle is F.embedding's, summed
    xpnet.embedding_bag(w, i, o, True, 0)[0].sum().backward()
    torch.nn.functional.embedding(ti, tw, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(xpnet.to_numpy(w.grad), tw.grad.numpy(), rtol=1e-12)


def test_embedding_bag_argument_errors_match_torch(backend):
    (w, tw), (i, ti), (o, to) = both(WEIGHT), both(INDICES), both(OFFSETS)
    with pytest.raises(TypeError, match="must be Tensor, not NoneType"):
        torch.embedding_bag(tw, ti, None)
    with pytest.raises(TypeError, match="embedding_bag: offsets must be a Tensor"):
        xpnet.embedding_bag(w, i, None)
    for bad in ("sum", True):
        with pytest.raises(TypeError, match="argument 'mode' .* must be int"):
            torch.embedding_bag(tw, ti, to, False, bad)
        with pytest.raises(TypeError, match="embedding_bag: mode must be an int"):
            xpnet.embedding_bag(w, i, o, False, bad)
    with pytest.raises(RuntimeError, match="mode` must be sum, mean, or max"):
        torch.embedding_bag(tw, ti, to, False, 3)
    with pytest.raises(RuntimeError, match="embedding_bag: mode must be 0, 1 or 2, got 3"):
        xpnet.embedding_bag(w, i, o, False, 3)
    with pytest.raises(TypeError, match="'scale_grad_by_freq' .* must be bool, not int"):
        torch.embedding_bag(tw, ti, to, 1)
    with pytest.raises(TypeError, match="scale_grad_by_freq"):
        xpnet.embedding_bag(w, i, o, 1)
    with pytest.raises(RuntimeError, match="padding_idx must be within"):
        torch.embedding_bag(tw, ti, to, False, 0, False, None, False, 6)
    with pytest.raises(RuntimeError, match="padding_idx"):
        xpnet.embedding_bag(w, i, o, False, 0, False, None, False, 6)
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        torch.embedding_bag(tw, ti, torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="offsets\\[0\\] must be 0"):  # deferred on strict
        xpnet.embedding_bag(w, i, xpnet.tensor([1, 2], device=w.device))[0].tolist()
