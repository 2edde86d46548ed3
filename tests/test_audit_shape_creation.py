"""Regression tests for what the 2026-12-07 audit of shape operations, joins and creation
functions found apart from PyTorch 2.13: ``flip`` of a 0-d tensor taking any dims,
``repeat_interleave`` without its one-argument form, ``cat`` of legacy empty tensors alone
refusing a dim, ``stack``'s order of checks, ``clamp`` by bounds that do not broadcast
(NumPy's ValueError from inside), ``tensor_split``'s keyword forms, ``meshgrid()`` of no
tensors, ``full(-0.0)`` losing its sign, and complex fill values written into real dtypes
(NumPy's ComplexWarning, the imaginary part dropped).

PyTorch is the oracle: each case runs on both libraries; where PyTorch raises, xpnet's
exception must be an instance of PyTorch's class.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import assert_same_as_torch as _same

import xpnet


def _both_raise(call):
    """``call(lib)`` raises on torch, and on xpnet an instance of torch's class, with no
    warning on the way."""
    with pytest.raises(Exception) as expected:
        call(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(expected.type):
            call(xpnet)


@pytest.mark.parametrize("dims", [(1,), (0, 0), (0, -1), (5,)])
def test_flip_of_a_0d_tensor_checks_its_dims(dims):
    _both_raise(lambda lib: lib.flip(lib.tensor(2.0), dims))
    _both_raise(lambda lib: lib.tensor(2.0).flip(*dims))
    _same(xpnet.flip(xpnet.tensor(2.0), (-1,)), torch.flip(torch.tensor(2.0), (-1,)))


@pytest.mark.parametrize("counts", [[1, 0, 2], [3], [], [0, 0]])
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_repeat_interleave_of_counts_alone_repeats_the_indices(counts, dtype):
    ours = xpnet.repeat_interleave(xpnet.tensor(counts, dtype=getattr(xpnet, dtype)))
    _same(ours, torch.repeat_interleave(torch.tensor(counts, dtype=getattr(torch, dtype))))
    total, ours = sum(counts), xpnet.tensor(counts, dtype=xpnet.int64)
    sized = xpnet.repeat_interleave(ours, output_size=total)
    theirs = torch.tensor(counts, dtype=torch.int64)
    _same(sized, torch.repeat_interleave(theirs, output_size=total))


def test_repeat_interleave_refuses_counts_as_torch():
    _both_raise(lambda lib: lib.repeat_interleave(lib.tensor(2)))  # 0-d counts alone
    _both_raise(lambda lib: lib.repeat_interleave(lib.tensor([[1, 2]])))
    _both_raise(lambda lib: lib.repeat_interleave(lib.tensor([1.0, 2.0])))  # not ints
    _both_raise(lambda lib: lib.repeat_interleave(lib.ones(2), lib.tensor([1.0, 2.0])))
    _both_raise(lambda lib: lib.repeat_interleave(lib.ones(2), lib.tensor([[1, 1]]), 0))


@pytest.mark.parametrize("dim", [1, 2, -3])
def test_cat_of_legacy_empty_tensors_alone_takes_any_dim(dim):
    for count in (1, 2):
        ours = xpnet.cat([xpnet.zeros(0, dtype=xpnet.int64)] + [xpnet.zeros(0)] * count, dim)
        _same(ours, torch.cat([torch.zeros(0, dtype=torch.int64)] + [torch.zeros(0)] * count, dim))
    _both_raise(lambda lib: lib.cat([lib.zeros(0), lib.zeros(0)], "1"))  # still an int


@pytest.mark.parametrize("dim", [2, -3])
def test_stack_checks_dim_before_shapes(dim):
    with pytest.raises(IndexError):
        torch.stack([torch.zeros(0), torch.zeros(2, 3)], dim)
    with pytest.raises(IndexError, match="stack: dim"):
        xpnet.stack([xpnet.zeros(0), xpnet.zeros(2, 3)], dim)


@pytest.mark.parametrize("shapes", [((0,), (2, 3)), ((2, 3), (0,)), ((2, 3), (2,))])
def test_clamp_by_bounds_that_do_not_broadcast_is_torchs_error(shapes):
    shape, bound = shapes
    for call in (
        lambda lib: lib.clamp(lib.zeros(shape), lib.zeros(bound), lib.ones(bound)),
        lambda lib: lib.clamp(lib.zeros(shape), min=lib.zeros(bound)),
        lambda lib: lib.zeros(shape).clip(max=lib.zeros(bound)),
    ):
        _both_raise(call)
    with pytest.raises(RuntimeError, match=r"Tensor.clamp: shapes of self, min must broadcast"):
        xpnet.clamp(xpnet.zeros(shape), xpnet.zeros(bound))


@pytest.mark.parametrize(
    "keyword", [{"indices": [1, 3]}, {"sections": 2}, {"tensor_indices_or_sections": [1]}]
)
def test_tensor_split_takes_torchs_keyword_forms(keyword):
    name, value = next(iter(keyword.items()))
    theirs = torch.tensor(value) if name.startswith("tensor") else value
    ours = xpnet.tensor(value) if name.startswith("tensor") else value
    expected = torch.tensor_split(torch.arange(5), **{name: theirs}, dim=0)
    got = xpnet.tensor_split(xpnet.arange(5), **{name: ours}, dim=0)
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        _same(a, b)
    method = xpnet.arange(5).tensor_split(**{name: ours})
    assert [p.tolist() for p in method] == [p.tolist() for p in expected]
    # a keyword of the wrong kind, two forms or none: PyTorch's parser's TypeError
    _both_raise(lambda lib: lib.tensor_split(lib.arange(5), indices=lib.tensor([1])))
    _both_raise(lambda lib: lib.tensor_split(lib.arange(5), sections=[1, 2]))
    _both_raise(lambda lib: lib.tensor_split(lib.arange(5), 2, sections=2))
    _both_raise(lambda lib: lib.tensor_split(lib.arange(5)))


def test_meshgrid_of_no_tensors_is_torchs_runtime_error():
    for call in (lambda lib: lib.meshgrid(indexing="ij"), lambda lib: lib.meshgrid([])):
        _both_raise(call)


@pytest.mark.parametrize("dtype", [None, "float64", "float32"])
def test_full_keeps_the_sign_of_negative_zero(dtype):
    ours_kw = {} if dtype is None else {"dtype": getattr(xpnet, dtype)}
    theirs_kw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    ours, theirs = xpnet.full((2,), -0.0, **ours_kw), torch.full((2,), -0.0, **theirs_kw)
    assert np.signbit(ours.numpy()).all() and torch.signbit(theirs).all()
    like = xpnet.full_like(xpnet.zeros(3, dtype=xpnet.float64), -0.0)
    assert np.signbit(like.numpy()).all()
    assert not np.signbit(xpnet.full((2,), 0.0).numpy()).any()


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "uint8"])
def test_complex_values_for_a_real_dtype_are_refused_as_torch(dtype):
    def of(lib):
        return getattr(lib, dtype)

    _both_raise(lambda lib: lib.full((2,), 1 + 2j, dtype=of(lib)))
    _both_raise(lambda lib: lib.full_like(lib.zeros(2), 1 + 2j, dtype=of(lib)))
    _both_raise(lambda lib: lib.tensor([1 + 2j, 1], dtype=of(lib)))
    _both_raise(lambda lib: lib.tensor(1 + 0j, dtype=of(lib)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(xpnet.full((2,), 3 + 0j, dtype=of(xpnet)), torch.full((2,), 3 + 0j, dtype=of(torch)))
        bools = xpnet.tensor([1 + 2j, 0j], dtype=xpnet.bool)
    _same(bools, torch.tensor([1 + 2j, 0j], dtype=torch.bool))
