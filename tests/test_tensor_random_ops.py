"""The random functions and in-place random methods of :mod:`xpnet._tensor_random_ops`: their
distributions (moments with fixed seeds, within bounds that a wrong formula fails),
reproducibility under ``xpnet.manual_seed``, shapes and dtypes, ``normal``'s gradients against
PyTorch's formulas, the in-place rules and the error paths, on every backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
from xpnet.autograd import Tensor

N = 20000  # moments: standard errors about 1 / sqrt(N) = 0.007 of a standard deviation


def t(array):
    return Tensor(xpnet.asarray(np.asarray(array)))


def test_normal_forms_moments_and_gradients(backend):
    xpnet.manual_seed(1)
    mean = t(np.full(N, 3.0))
    x = xpnet.normal(mean, 2.0).numpy()
    assert abs(x.mean() - 3.0) < 0.05 and abs(x.std() - 2.0) < 0.05
    x = xpnet.normal(-1.0, t(np.full(N, 0.5))).numpy()
    assert abs(x.mean() + 1.0) < 0.02 and abs(x.std() - 0.5) < 0.02
    x = xpnet.normal(1.0, 3.0, size=(N,), dtype=xpnet.float64)
    assert x.dtype == np.float64 and abs(x.numpy().std() - 3.0) < 0.1
    assert xpnet.normal(0.0, 1.0, (2, 3)).dtype == np.float32
    m = Tensor(xpnet.asarray(np.zeros(4)), requires_grad=True)
    s = Tensor(xpnet.asarray(np.full(4, 2.0)), requires_grad=True)
    out = xpnet.normal(m, s)
    out.sum().backward()
    # PyTorch's: grad for mean, grad * (output - mean) / std for std
    np.testing.assert_allclose(m.grad.tolist(), np.ones(4))
    np.testing.assert_allclose(xpnet.to_numpy(s.grad), out.detach().numpy() / 2.0, rtol=1e-12)
    assert xpnet.normal(t(np.zeros((2, 1))), t(np.ones(3))).shape == (2, 3)


def test_bernoulli_multinomial_poisson_distributions(backend):
    xpnet.manual_seed(2)
    p = t(np.linspace(0.1, 0.9, 5).repeat(N // 5).astype(np.float32))
    draws = xpnet.bernoulli(p)
    assert draws.dtype == np.float32 and set(np.unique(draws.numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(
        draws.numpy().reshape(5, -1).mean(1), np.linspace(0.1, 0.9, 5), atol=0.03
    )
    assert abs(xpnet.bernoulli(t(np.zeros(N)), p=0.25).numpy().mean() - 0.25) < 0.015
    weights = t(np.array([[1.0, 0.0, 3.0], [0.0, 2.0, 2.0]]))
    counts = np.stack(
        [np.bincount(row, minlength=3) for row in xpnet.multinomial(weights, N, True).numpy()]
    )
    np.testing.assert_allclose(counts / N, [[0.25, 0, 0.75], [0, 0.5, 0.5]], atol=0.015)
    picks = xpnet.multinomial(t(np.array([5.0, 1.0, 1.0, 0.5])), 4)
    assert picks.dtype == np.int64 and sorted(picks.tolist()) == [0, 1, 2, 3]
    first = [xpnet.multinomial(t(np.array([8.0, 1.0, 1.0])), 2).tolist()[0] for _ in range(300)]
    assert 0.7 < np.mean(np.array(first) == 0) < 0.9  # without replacement: 8 / 10 first
    rates = t(np.array([0.5, 4.0, 30.0]).repeat(N // 4))
    sample = xpnet.poisson(rates).numpy().reshape(3, -1)
    np.testing.assert_allclose(sample.mean(1), [0.5, 4.0, 30.0], rtol=0.03)
    np.testing.assert_allclose(sample.var(1), [0.5, 4.0, 30.0], rtol=0.06)
    ints = xpnet.randint_like(t(np.zeros((N,), np.int32)), 3, 7)
    assert ints.dtype == np.int32 and set(np.unique(ints.numpy())) == {3, 4, 5, 6}
    assert set(np.unique(xpnet.randint_like(t(np.zeros(100)), 2).numpy())) == {0.0, 1.0}


@pytest.mark.parametrize(
    ("call", "mean", "std"),
    [
        (lambda w: w.uniform_(), 0.5, (1 / 12) ** 0.5),
        (lambda w: w.uniform_(-2, 4), 1.0, 6 / 12**0.5),
        (lambda w: w.normal_(), 0.0, 1.0),
        (lambda w: w.normal_(5.0, 0.1), 5.0, 0.1),
        (lambda w: w.bernoulli_(0.3), 0.3, (0.3 * 0.7) ** 0.5),
        (lambda w: w.bernoulli_(), 0.5, 0.5),
        (lambda w: w.exponential_(), 1.0, 1.0),
        (lambda w: w.exponential_(4.0), 0.25, 0.25),
        (lambda w: w.random_(10), 4.5, (99 / 12) ** 0.5),
        (lambda w: w.random_(3, 5), 3.5, 0.5),
    ],
)
def test_in_place_draws_moments_and_reproducibility(backend, call, mean, std):
    w = xpnet.empty(N, dtype=xpnet.float64)
    view, version = w.array[:3], w._version
    xpnet.manual_seed(7)
    assert call(w) is w and w._version == version + 1
    values = w.numpy()
    assert abs(values.mean() - mean) < 5 * std / N**0.5 + 1e-12
    assert abs(values.std() - std) < 0.05 * std
    assert xpnet.to_numpy(view).tolist() == values[:3].tolist()  # the array itself changed
    xpnet.manual_seed(7)
    assert call(xpnet.empty(N, dtype=xpnet.float64)).numpy().tolist() == values.tolist()
    half = call(xpnet.empty(8, dtype=xpnet.float16))
    assert half.dtype == np.float16


def test_random_integers_and_generators(backend):
    ints = xpnet.zeros(N, dtype=xpnet.int64).random_(-3, 3)
    assert ints.dtype == np.int64 and set(np.unique(ints.numpy())) == set(range(-3, 3))
    floats = xpnet.zeros(N, dtype=xpnet.float32).random_()
    assert floats.numpy().max() > 2**20 and floats.numpy().max() <= 2**24
    a = xpnet.empty(5).normal_(generator=np.random.default_rng(3))
    b = xpnet.empty(5).normal_(generator=np.random.default_rng(3))
    assert a.tolist() == b.tolist()
    xpnet.manual_seed(4)
    first = (
        xpnet.normal(t(np.zeros(3)), 1.0).tolist(),
        xpnet.bernoulli(t(np.full(3, 0.5))).tolist(),
    )
    xpnet.manual_seed(4)
    assert first == (
        xpnet.normal(t(np.zeros(3)), 1.0).tolist(),
        xpnet.bernoulli(t(np.full(3, 0.5))).tolist(),
    )


def test_in_place_rules_and_errors(backend):
    leaf = Tensor(xpnet.asarray(np.zeros(3)), requires_grad=True)
    with pytest.raises(RuntimeError, match="Tensor.normal_: a leaf tensor that requires grad"):
        leaf.normal_()
    with xpnet.no_grad():
        leaf.uniform_()
    assert leaf.requires_grad and (leaf.numpy() < 1).all()
    x = xpnet.empty(3)
    cases = [
        (RuntimeError, r"normal_ expects std >= 0.0", lambda: x.normal_(0, -1)),
        (RuntimeError, r"normal expects std >= 0.0", lambda: xpnet.normal(t(np.zeros(2)), -1.0)),
        (TypeError, "normal: size is required", lambda: xpnet.normal(0.0, 1.0)),
        (RuntimeError, r"bernoulli_ expects p to be in \[0, 1\]", lambda: x.bernoulli_(1.5)),
        (RuntimeError, "exponential_ expects lambda > 0.0", lambda: x.exponential_(0)),
        (RuntimeError, "random_ expects 'from' to be less than 'to'", lambda: x.random_(3, 3)),
        (
            RuntimeError,
            "multinomial: prob_dist must be 1 or 2 dim",
            lambda: xpnet.multinomial(t(np.ones((1, 1, 2))), 1),
        ),
        (
            RuntimeError,
            "multinomial: num_samples must be a positive int",
            lambda: xpnet.multinomial(x, 0),
        ),
        (
            RuntimeError,
            "multinomial: cannot sample n_sample > prob_dist",
            lambda: xpnet.multinomial(t(np.ones(2)), 3),
        ),
        (
            RuntimeError,
            "multinomial: probability tensor contains",
            lambda: xpnet.multinomial(t(np.array([1.0, -1.0])), 1),
        ),
        (
            RuntimeError,
            r"multinomial: invalid multinomial distribution \(sum",
            lambda: xpnet.multinomial(t(np.zeros(2)), 1),
        ),
        (
            RuntimeError,
            r"multinomial: invalid multinomial distribution \(not enough",
            lambda: xpnet.multinomial(t(np.array([1.0, 0.0])), 2),
        ),
        (
            RuntimeError,
            "poisson: rates must be non-negative",
            lambda: xpnet.poisson(t(np.array([-1.0]))),
        ),
        (TypeError, "xpnet.bernoulli: input must be a Tensor", lambda: xpnet.bernoulli([0.5])),
        (TypeError, "generator", lambda: x.uniform_(generator=3)),
    ]
    for error, match, thunk in cases:
        with pytest.raises(error, match=match):
            thunk()
    assert torch.multinomial(torch.ones(2), 1).dtype == torch.int64  # the dtype checked above
