"""Gamma, Beta and Dirichlet ``rsample`` of xpnet.distributions against PyTorch in float64: the
implicit reparameterisation gradients (``torch._standard_gamma_grad``, ``torch._dirichlet_grad``)
on the same draws over concentrations from 1e-3 to 1e3, every branch of PyTorch's piecewise
approximations, and the gradients of ``rsample`` through torch's autograd on the same draws."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.distributions.dirichlet import _Dirichlet_backward

import xpnet
import xpnet.distributions as xd
from xpnet.autograd import Tensor
from xpnet.distributions.gamma import dirichlet_draws, standard_gamma
from xpnet.distributions.gamma_grad import dirichlet_grad, standard_gamma_grad

ALPHAS = np.logspace(-3, 3, 61)
TINY = np.finfo(np.float64).tiny
F32 = [float(np.float32(v)) for v in (0.8, 0.9, 1.1)]


def assert_matches(ours, expected):
    """Relative 1e-10 (PyTorch's float64 kernels give the same bits here)."""
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=0)


def gamma_points():
    """Draws over ALPHAS, and x on both sides of each branch bound of standard_gamma_grad_one."""
    rng = np.random.default_rng(0)
    alpha = np.repeat(ALPHAS, 40)
    x = np.maximum(rng.standard_gamma(alpha), TINY)
    edges_a = np.array([0.5, 3.0, 8.0, 8.5, 20.0, 20.0, 20.0, 20.0, 100.0])
    edges_x = np.array(
        [F32[0], F32[0], 1.0, F32[1] * 8.5, F32[1] * 20, F32[2] * 20, 20.0, 17.9, 0.5]
    )
    below = np.nextafter(edges_x, 0)
    return np.concatenate([alpha, edges_a, edges_a]), np.concatenate([x, edges_x, below])


def test_standard_gamma_grad_matches_torch(backend):
    alpha, x = gamma_points()
    ours = standard_gamma_grad(backend.asarray(alpha), backend.asarray(x))
    assert type(ours) is backend.ndarray and ours.dtype == np.float64
    expected = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    assert_matches(backend.to_host(ours), expected)


def dirichlet_points():
    """Dirichlet draws (K = 2, 3, 6) over ALPHAS, as (x, alpha, total) flat arrays."""
    rng = np.random.default_rng(1)
    xs, alphas, totals = [], [], []
    for k in (2, 3, 6):
        c = rng.choice(ALPHAS, size=(2000, k))
        g = np.maximum(rng.standard_gamma(c), TINY)
        x = np.clip(g / g.sum(-1, keepdims=True), TINY, np.nextafter(1.0, 0))
        xs.append(x.ravel())
        alphas.append(c.ravel())
        totals.append(np.broadcast_to(c.sum(-1, keepdims=True), c.shape).ravel())
    return [np.concatenate(v) for v in (xs, alphas, totals)]


def test_dirichlet_grad_matches_torch(backend):
    x, alpha, total = dirichlet_points()
    ours = dirichlet_grad(*(backend.asarray(v) for v in (x, alpha, total)))
    assert type(ours) is backend.ndarray and ours.dtype == np.float64
    expected = torch._dirichlet_grad(*(torch.tensor(v) for v in (x, alpha, total))).numpy()
    assert_matches(backend.to_host(ours), expected)


@pytest.mark.parametrize(
    "x, alpha, total",
    [
        (0.3, 2.0, 5.0),  # near 0: Taylor series in x
        (0.9, 1.0, 1.5),  # near 1: the series in 1 - x
        (0.4, 10.0, 25.0),  # both large: saddle point, polynomial near the mean
        (0.2, 10.0, 25.0),  # both large: saddle point away from the mean
        (0.45, 3.0, 5.0),  # elsewhere: the rational correction
    ],
)
def test_dirichlet_grad_branches_match_torch(backend, x, alpha, total):
    ours = dirichlet_grad(*(backend.asarray(np.array([v])) for v in (x, alpha, total)))
    expected = torch._dirichlet_grad(
        *(torch.tensor([v], dtype=torch.float64) for v in (x, alpha, total))
    )
    assert_matches(backend.to_host(ours), expected.numpy())


class Drawn(torch.autograd.Function):
    """Given draws ``x`` of concentration ``alpha``: torch's backward of its sampler, through
    ``backward_of(x, alpha, grad_output)``."""

    @staticmethod
    def forward(ctx, alpha, x, backward_of):
        ctx.save_for_backward(alpha, x)
        ctx.backward_of = backward_of
        return x.clone()

    @staticmethod
    def backward(ctx, grad_output):
        alpha, x = ctx.saved_tensors
        return ctx.backward_of(x, alpha, grad_output), None, None


def gamma_backward(x, alpha, grad_output):
    return grad_output * torch._standard_gamma_grad(alpha, x)  # derivatives.yaml's _standard_gamma


def t64(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def leaf(backend, values):
    return Tensor(backend.asarray(np.asarray(values, dtype=np.float64)), requires_grad=True)


def compare_grads(backend, tensors, references):
    for ours, reference in zip(tensors, references, strict=True):
        ours = backend.to_host(ours.grad.array)
        np.testing.assert_allclose(ours, reference.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_gamma_rsample_gradients_match_torch(backend):
    alpha, rate = [0.002, 0.5, 3.0, 50.0, 900.0], [2.0, 1.0, 0.5, 3.0, 0.1]
    c, r = leaf(backend, alpha), leaf(backend, rate)
    xpnet.manual_seed(1)
    value = xd.Gamma(c, r).rsample((3,))
    assert value.shape == (3, 5) and type(value.array) is backend.ndarray
    grad_output = np.random.default_rng(0).normal(size=(3, 5))
    value.backward(Tensor(backend.asarray(grad_output)))
    xpnet.manual_seed(1)
    draws = standard_gamma(Tensor(backend.asarray(np.broadcast_to(alpha, (3, 5)).copy())))
    tc, tr = t64(alpha), t64(rate)
    expected = Drawn.apply(tc.expand(3, 5), torch.tensor(draws.numpy()), gamma_backward)
    expected = expected / tr.expand(3, 5)
    expected.backward(torch.tensor(grad_output))
    np.testing.assert_array_equal(value.numpy(), expected.detach().numpy())
    compare_grads(backend, [c, r], [tc, tr])


def torch_dirichlet(concentration, draws):
    return Drawn.apply(concentration, draws, _Dirichlet_backward)


def test_dirichlet_rsample_gradients_match_torch(backend):
    concentration = [[0.003, 2.0, 5.0], [10.0, 20.0, 300.0]]
    c = leaf(backend, concentration)
    xpnet.manual_seed(2)
    value = xd.Dirichlet(c).rsample((4,))
    assert value.shape == (4, 2, 3)
    grad_output = np.random.default_rng(1).normal(size=(4, 2, 3))
    value.backward(Tensor(backend.asarray(grad_output)))
    xpnet.manual_seed(2)
    shape = (4, 2, 3)
    draws = dirichlet_draws(Tensor(backend.asarray(np.broadcast_to(concentration, shape).copy())))
    np.testing.assert_array_equal(value.numpy(), draws.numpy())
    tc = t64(concentration)
    torch_dirichlet(tc.expand(shape), torch.tensor(draws.numpy())).backward(
        torch.tensor(grad_output)
    )
    compare_grads(backend, [c], [tc])


def test_beta_rsample_gradients_match_torch(backend):
    a, b = [0.5, 2.0, 30.0], [0.01, 3.0, 40.0]
    ca, cb = leaf(backend, a), leaf(backend, b)
    xpnet.manual_seed(3)
    value = xd.Beta(ca, cb).rsample((2,))
    assert value.shape == (2, 3)
    grad_output = np.random.default_rng(2).normal(size=(2, 3))
    value.backward(Tensor(backend.asarray(grad_output)))
    xpnet.manual_seed(3)
    stacked = np.broadcast_to(np.stack([a, b], -1), (2, 3, 2)).copy()
    draws = dirichlet_draws(Tensor(backend.asarray(stacked)))
    ta, tb = t64(a), t64(b)
    concentration = torch.stack([ta, tb], -1).expand(2, 3, 2)
    torch_dirichlet(concentration, torch.tensor(draws.numpy()))[..., 0].backward(
        torch.tensor(grad_output)
    )
    compare_grads(backend, [ca, cb], [ta, tb])


@pytest.mark.parametrize("name", ["Gamma", "Beta", "Dirichlet"])
def test_rsample_flags_and_sample_without_graph(backend, name):
    c = leaf(backend, [[1.5, 2.0], [0.5, 4.0]])
    d = {"Gamma": lambda: xd.Gamma(c, 2.0), "Beta": lambda: xd.Beta(c, 1.0)}.get(
        name, lambda: xd.Dirichlet(c)
    )()
    assert d.has_rsample and torch.distributions.__dict__[name].has_rsample
    assert d.rsample().requires_grad and not d.sample().requires_grad
    assert d.rsample((3,)).shape == (3, *d.batch_shape, *d.event_shape)


def test_dirichlet_draws_stay_inside_the_open_simplex(backend):
    xpnet.manual_seed(0)  # tiny concentrations: most gamma draws underflow to 0
    x = xd.Dirichlet(Tensor(backend.asarray(np.full(3, 1e-3)))).sample((2000,)).numpy()
    assert x.min() >= TINY and x.max() <= np.nextafter(1.0, 0)
