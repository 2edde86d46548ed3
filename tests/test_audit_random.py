"""Regression tests for the random sampling functions against PyTorch 2.13 (audit of
2026-12-07): dtypes PyTorch has no kernel for, bounds a dtype cannot hold (``random_``,
``randint``, ``randperm``, ``uniform_``), ``random_``'s forms (``random_(0)``,
``random_(from, None)``, bool tensors, the largest value included), probabilities outside
[0, 1] in Tensors, ``normal``'s parser, ``randint_like(generator=)``, and seeds as PyTorch
reads them (negative ones wrapped, out-of-range ones refused).

Values cannot match PyTorch's (other generators): a refusal must be PyTorch's class with a
message naming the function and the argument; an accepted call must give PyTorch's shape,
dtype and range, with no NumPy warning.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import refused_as_torch

import xpnet
from xpnet.backends import raise_deferred


def _run(module, call):
    if module is torch:
        with warnings.catch_warnings():  # PyTorch warns of float bounds past 2**digits
            warnings.simplefilter("ignore", UserWarning)
            return call(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning may leak
        result = call(xpnet)
        raise_deferred()  # strict defers value checks to the next host read
    return result


def _refused_as_torch(call, pattern):
    refused_as_torch(_run, call, pattern)


def _z(M, dtype, n=3):
    return M.zeros(n, dtype=getattr(M, dtype))


REFUSALS = {
    # dtypes PyTorch has no kernel for: NotImplementedError (xpnet said TypeError or drew)
    "rand int64": (lambda M: M.rand(2, dtype=M.int64), r"rand: dtype"),
    "randn_like bool": (lambda M: M.randn_like(_z(M, "bool")), r"randn_like: dtype"),
    "randperm bool": (lambda M: M.randperm(3, dtype=M.bool), r"randperm: dtype"),
    "normal size int64": (lambda M: M.normal(0.0, 1.0, (2,), dtype=M.int64), r"normal: dtype"),
    "bernoulli bool": (lambda M: M.bernoulli(_z(M, "bool")), r"bernoulli: input"),
    "bernoulli_ bool p": (lambda M: M.zeros(3).bernoulli_(_z(M, "bool")), r"bernoulli_: p"),
    "poisson int64": (lambda M: M.poisson(_z(M, "int64")), r"poisson: input"),
    "multinomial int64": (
        lambda M: M.multinomial(M.ones(3, dtype=M.int64), 1),
        r"multinomial: input",
    ),
    # bounds the dtype cannot hold: RuntimeError (xpnet drew, wrapped or warned)
    "randint float16": (lambda M: M.randint(0, 70000, (2,), dtype=M.float16), r"randint: high - 1"),
    "randint 2**63": (lambda M: M.randint(2**63, (2,)), r"randint: high"),
    "randperm int8": (lambda M: M.randperm(129, dtype=M.int8), r"randperm: n - 1"),
    "randperm float16": (lambda M: M.randperm(3000, dtype=M.float16), r"randperm: n"),
    "random_(0)": (lambda M: M.zeros(3).random_(0), r"random_.*from=0 >= to=0"),
    "random_ bool (0, 3)": (lambda M: _z(M, "bool").random_(0, 3), r"random_: to - 1"),
    "random_ bool (-1, 1)": (lambda M: _z(M, "bool").random_(-1, 1), r"random_: from"),
    "random_ bool (2, None)": (lambda M: _z(M, "bool").random_(2, None), r"random_: from"),
    "random_ int8 (0, 256)": (lambda M: _z(M, "int8").random_(0, 256), r"random_: to - 1"),
    "random_ uint8 (-1, 1)": (lambda M: _z(M, "uint8").random_(-1, 1), r"random_: from"),
    "random_ float16 2**31": (lambda M: _z(M, "float16").random_(2**31), r"random_: to - 1"),
    "random_ float16 (3000, None)": (
        lambda M: _z(M, "float16").random_(3000, None),
        r"random_: from",
    ),
    "random_ 2**63": (lambda M: _z(M, "int64").random_(2**63), r"random_: to"),
    "random_(True)": (lambda M: M.zeros(3).random_(True), r"random_: from"),
    "uniform_ inf": (lambda M: M.zeros(3).uniform_(-1.0, float("inf")), r"uniform_: to"),
    "uniform_ -inf": (lambda M: M.zeros(3).uniform_(float("-inf"), 0.0), r"uniform_: from"),
    "uniform_ float16": (lambda M: _z(M, "float16").uniform_(0.0, 65505.0), r"uniform_: to"),
    "uniform_ range": (lambda M: M.zeros(3).uniform_(-3e38, 3e38), r"uniform_: to - from"),
    # probabilities outside [0, 1] or NaN in a Tensor: RuntimeError (xpnet drew)
    "bernoulli -0.1": (lambda M: M.bernoulli(M.tensor([-0.1, 0.5])), r"bernoulli: .*probabilit"),
    "bernoulli 1.5": (lambda M: M.bernoulli(M.tensor([1.5, 0.5])), r"bernoulli: .*probabilit"),
    "bernoulli nan": (lambda M: M.bernoulli(M.tensor([float("nan")])), r"bernoulli: .*probabilit"),
    "bernoulli_ 1.5": (lambda M: M.zeros(2).bernoulli_(M.tensor([1.5, 0.5])), r"bernoulli_: .*p\b"),
    "bernoulli_ shape": (lambda M: M.zeros(2, 3).bernoulli_(M.full((2,), 0.5)), r"bernoulli_: p"),
    # parsers: PyTorch's classes (xpnet raised NumPy's ValueError or ArgumentError)
    "multinomial 1.0": (lambda M: M.multinomial(M.ones(2), 1.0), r"multinomial: num_samples"),
    "multinomial True": (lambda M: M.multinomial(M.ones(2), True), r"multinomial: num_samples"),
    "normal dtype": (lambda M: M.normal(M.zeros(2), 1.0, dtype=M.float64), r"normal: .*dtype"),
    "normal broadcast": (lambda M: M.normal(M.zeros(2), M.ones(3)), r"normal: mean and std"),
    "normal size -1": (lambda M: M.normal(0.0, 1.0, (-1,)), r"normal: size"),
    "normal size int": (lambda M: M.normal(0.0, 1.0, 3), r"normal: size"),
    # seeds outside -2**63 .. 2**64 - 1: ValueError (xpnet took them, or NumPy refused -2**63-1)
    "manual_seed 2**64": (lambda M: M.manual_seed(2**64), r"manual_seed: seed"),
    "manual_seed -2**63-1": (lambda M: M.manual_seed(-(2**63) - 1), r"manual_seed: seed"),
    "Generator 2**64": (lambda M: M.Generator().manual_seed(2**64), r"manual_seed: seed"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals_as_torch(case, backend):
    _refused_as_torch(*REFUSALS[case])


# calls PyTorch takes (xpnet refused, crashed or warned): PyTorch's shape and dtype, values
# within the bounds PyTorch documents (inclusive), both reached where there are few
ACCEPTED = {
    "random_(0, None) float32": (lambda M: M.zeros(4000).random_(0, None), (0, 2**24)),
    "random_(-1, None) int64": (lambda M: _z(M, "int64", 4000).random_(-1, None), (-1, 2**63 - 1)),
    "random_(2, None) int8": (lambda M: _z(M, "int8", 4000).random_(2, None), (2, 127)),
    "random_() bool": (lambda M: _z(M, "bool", 4000).random_(), (0, 1)),
    "random_(T(3))": (lambda M: M.zeros(4000).random_(M.tensor(3)), (0, 2)),
    "randint_like generator": (
        lambda M: M.randint_like(M.zeros(500), 4, generator=M.Generator()),
        (0, 3),
    ),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_accepted_as_torch(case, backend):
    call, (low, high) = ACCEPTED[case]
    expected, got = _run(torch, call), _run(xpnet, call)
    assert tuple(got.shape) == tuple(expected.shape)
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.")
    values = got.numpy().astype(np.float64)
    assert low <= values.min() and values.max() <= high
    if high - low < 300:  # 4000 draws reach both ends
        assert (values.min(), values.max()) == (low, high)


def test_random_draws_the_largest_value_of_integer_dtypes(backend):
    # random_() and random_(from, None) take [from, max]: max included, as PyTorch's
    _ = xpnet.manual_seed(0)
    assert int(_z(xpnet, "int8", 4000).random_().max()) == 127
    assert int(_z(xpnet, "int8", 4000).random_(100, None).max()) == 127
    assert float(_z(xpnet, "float16", 4000).random_(2000, None).max()) == 2048.0


def test_randint_like_generator_reproduces(backend):
    def draw(seed):
        generator = xpnet.Generator().manual_seed(seed)
        return xpnet.randint_like(xpnet.zeros(50), 1, 9, generator=generator).numpy()

    np.testing.assert_array_equal(draw(3), draw(3))
    assert not np.array_equal(draw(3), draw(4))


@pytest.mark.parametrize("seed", [-1, -(2**63), 1.5])
def test_manual_seed_reads_seeds_as_torch(seed, backend):
    torch.manual_seed(seed)
    xpnet.manual_seed(seed)
    assert xpnet.initial_seed() == torch.initial_seed()
    state = xpnet.get_rng_state()  # the wrapped seed goes through a state and back
    a = xpnet.rand(3).numpy()
    xpnet.set_rng_state(state)
    np.testing.assert_array_equal(xpnet.rand(3).numpy(), a)


@pytest.mark.parametrize("seed", [-1, -(2**63)])
def test_generator_manual_seed_reads_seeds_as_torch(seed, backend):
    expected = torch.Generator().manual_seed(seed).initial_seed()
    assert xpnet.Generator().manual_seed(seed).initial_seed() == expected
    a = xpnet.rand(4, generator=xpnet.Generator().manual_seed(seed)).numpy()
    b = xpnet.rand(4, generator=xpnet.Generator().manual_seed(seed)).numpy()
    np.testing.assert_array_equal(a, b)
