"""Gamma.cdf, and through it Chi2.cdf and InverseGamma.cdf, against torch.distributions in
float64: values and the gradients for the value and the rate (torch's igamma has no gradient
for the concentration: both raise at backward)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _distributions import ns
from _oracle import check_against_torch, random_input

import xpnet
import xpnet.distributions as xd

CONCENTRATION = np.array([0.5, 1.0, 2.5, 7.0])  # held fixed: no gradient for it


def _constant(t, array):
    """``array`` as a constant of ``t``'s library (torch's or xpnet's, on ``t``'s device)."""
    if isinstance(t, torch.Tensor):
        return torch.tensor(array, dtype=torch.float64)
    return xpnet.tensor(array, dtype=xpnet.float64, device=t.device)


# name: (make(D, concentration, rate), the values' (low, high))
CASES = {
    "Gamma": (lambda D, c, r: D.Gamma(c, r), (0.01, 6.0)),
    "Chi2": (lambda D, c, r: D.Chi2(2 * c), (0.01, 12.0)),  # rate 1/2: no gradient for r
    "InverseGamma": (lambda D, c, r: D.InverseGamma(c, r), (0.05, 6.0)),
}


def _check(call, inputs, backend):
    def forward(*arrays):
        return call(*[xpnet.Tensor(a) for a in arrays]).array

    def backward(grad_output, *arrays):
        tensors = [xpnet.Tensor(a, requires_grad=True) for a in arrays]
        call(*tensors).backward(grad_output)
        return tuple(t.grad for t in tensors)

    return check_against_torch(forward, backward, call, inputs, backend)


@pytest.mark.parametrize("shape", [(4,), (3, 4), (3, 1)])
@pytest.mark.parametrize("name", CASES)
def test_gamma_family_cdf_matches_torch(backend, name, shape):
    make, (low, high) = CASES[name]
    value = random_input(shape, seed=1, low=low, high=high)
    rate = random_input((4,), seed=2, low=0.5, high=2.0)

    def call(value, rate):
        return make(ns(value), _constant(value, CONCENTRATION), rate).cdf(value)

    output, _ = _check(call, [value, rate], backend)
    assert ((output > 0) & (output < 1)).all()


def test_gamma_cdf_at_zero_and_far_out_matches_torch(backend):
    value = np.array([0.0, 1e-8, 50.0, 200.0])

    def call(value, rate):
        return ns(value).Gamma(_constant(value, CONCENTRATION), rate).cdf(value)

    output, _ = _check(call, [value, np.full(4, 1.5)], backend)
    assert output[0] == 0.0 and output[-1] == 1.0


def test_gamma_cdf_concentration_gradient_raises_as_torch(backend):
    for D, T in [(xd, xpnet.tensor), (torch.distributions, torch.tensor)]:
        concentration = T([2.0], dtype=T([1.0]).dtype).requires_grad_()
        cdf = D.Gamma(concentration, T([1.0])).cdf(T([0.5]))
        with pytest.raises(NotImplementedError):
            cdf.sum().backward()


def test_gamma_cdf_refuses_values_outside_the_support(backend):
    d = xd.Gamma(xpnet.tensor([2.0]), xpnet.tensor([1.0]), validate_args=True)
    with pytest.raises(ValueError, match="within the support"):
        d.cdf(xpnet.tensor([-1.0]))
