"""The statistics of :mod:`xpnet._tensor_statistics` and the counting functions of
:mod:`xpnet._tensor_histograms` against PyTorch: values, indices (PyTorch's choice where it
is defined), dtypes, every gradient in float64, float32, NaN, ties, empty and 0-d inputs,
negative dims and the error paths."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import by_name as call
from _oracle import check_tensor_method, random_input
from _strategies import PROFILE
from hypothesis import given, settings
from hypothesis import strategies as st

import xpnet
from xpnet.autograd import Tensor

NAN, INF = np.nan, np.inf


def first(name, *args, **kwargs):
    """The values of a ``(values, indices)`` function."""
    return lambda t: call(name, *args, **kwargs)(t)[0]


def t(array):
    return Tensor(xpnet.asarray(np.asarray(array)))


def host(value):
    return value.numpy() if isinstance(value, Tensor) else value.detach().numpy()


def same_pair(ours, theirs):
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == np.dtype(str(b.dtype).removeprefix("torch.")), (a.dtype, b.dtype)
        np.testing.assert_allclose(host(a), host(b), rtol=1e-12)


X = random_input((3, 5), seed=3)


@pytest.mark.parametrize(
    "method",
    [
        call("nansum"),
        call("nansum", 1, keepdim=True),
        call("nanmean", -1),
        lambda x: x.aminmax(dim=0)[0] + x.aminmax(dim=0).max,
        call("median"),
        first("median", 1),
        first("nanmedian", 0, keepdim=True),
        call("nanmedian"),
        first("kthvalue", 2, 1),
        first("kthvalue", 3, dim=0),
        call("quantile", 0.3),
        call("quantile", 0.5, 1, keepdim=True),
        call("nanquantile", 0.7, 0, interpolation="midpoint"),
        call("quantile", 0.4, -1, interpolation="nearest"),
        call("quantile", 0.4, 0, interpolation="lower"),
        call("quantile", 0.4, 0, interpolation="higher"),
        lambda x: sum(call("std_mean", 1, correction=0)(x)),
        lambda x: sum(call("var_mean")(x)),
        call("cov"),
        call("cov", correction=0),
        call("corrcoef"),
        lambda x: call("dist")(x, x[0] * 2),
        lambda x: call("dist", 1)(x, x.flip(0)),
    ],
)
def test_statistics_match_torch(backend, method):
    check_tensor_method(method, [X], backend)
    check_tensor_method(method, [X], backend, dtype=np.float32)


def test_quantile_with_a_tensor_q_matches_torch(backend):
    q = np.array([0.0, 0.25, 1.0])
    check_tensor_method(
        lambda x, p: call(
            "quantile", p.detach() if isinstance(p, torch.Tensor) else Tensor(p.array), 1
        )(x),
        [X, q],
        backend,
    )


def test_weighted_cov_matches_torch(backend):
    fw, aw = np.array([1, 2, 0, 3, 1]), random_input((5,), seed=7, low=0.1, high=2.0)

    def method(x, a):
        module = torch if isinstance(x, torch.Tensor) else xpnet
        f = torch.tensor(fw) if module is torch else t(fw)
        return module.cov(x, fweights=f, aweights=a) + module.cov(x, aweights=a, correction=0)

    check_tensor_method(method, [X, aw], backend)


@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_of_ties_and_nan_match_torch(backend, name):
    """Lower median; ties share the global gradient evenly; NaN propagates (median) or is
    skipped (nanmedian); an all-NaN row gives NaN at the first NaN."""
    data = np.array([[2.0, 1.0, 2.0, 1.0], [1.0, NAN, 3.0, NAN], [NAN, NAN, NAN, NAN]])
    same_pair(getattr(t(data[:2]), name)(1), getattr(torch.tensor(data[:2]), name)(1))
    values, indices = getattr(t(data), name)(1)  # all NaN: PyTorch's index is unspecified
    assert np.isnan(values.tolist()[2]) and 0 <= indices.tolist()[2] < 4
    check_tensor_method(call(name), [data[0]], backend)
    check_tensor_method(call(name), [data[1]], backend)
    check_tensor_method(first(name, 0), [data[:2]], backend)


def test_selections_on_ties_and_shapes(backend):
    ties = np.array([[1.0, 2.0, 2.0, 1.0, 1.0], [3.0, 3.0, 1.0, 1.0, 0.0]])
    same_pair(t(ties).mode(1), torch.tensor(ties).mode(1))
    same_pair(xpnet.mode(t(ties), 0, True), torch.mode(torch.tensor(ties), 0, True))
    values, indices = t(ties).kthvalue(2, 1)
    assert values.tolist() == [1.0, 1.0]
    assert (ties[[0, 1], indices.tolist()] == values.numpy()).all()  # an index of that value
    check_tensor_method(first("mode", 1), [ties], backend)
    ints = np.array([[3, 1, 2], [5, 5, 4]])
    same_pair(t(ints).median(-1), torch.tensor(ints).median(-1))
    same_pair(t(ints).mode(), torch.tensor(ints).mode())
    zero_d = np.array(2.5)
    same_pair(t(zero_d).median(0), torch.tensor(zero_d).median(0))
    same_pair(t(zero_d).kthvalue(1), torch.tensor(zero_d).kthvalue(1))
    assert np.isnan(xpnet.median(t(np.zeros(0))).item())


def test_mode_counts_each_nan_once_after_every_number(backend):
    """A line of NaN gives NaN at index 0 (PyTorch's for lines of up to 16), where the
    mode used to index -1; a repeated number beats NaN (PyTorch's count, over a sort that
    NaN does not order, depends on where NaN sits: it agrees on the first line only)."""
    data = np.array([[3.0, 3.0, NAN, NAN], [NAN, NAN, NAN, NAN]])
    same_pair(t(data).mode(1), torch.tensor(data).mode(1))
    same_pair(t(data).mode(1, keepdim=True), torch.tensor(data).mode(1, keepdim=True))
    same_pair(t(np.array([NAN])).mode(0), torch.tensor(np.array([NAN])).mode(0))
    for line, expected in (([NAN, 2.0, NAN, 2.0], (2.0, 3)), ([NAN, 5.0, 1.0], (1.0, 2))):
        values, indices = t(np.array(line)).mode()
        assert (values.item(), indices.item()) == expected
    check_tensor_method(first("mode", 1), [data], backend)


def test_nansum_nanmean_and_counts_match_torch(backend):
    data = np.array([[1.0, NAN, 3.0], [NAN, NAN, NAN], [INF, 0.0, -1.0]])
    for name, args in (("nansum", ()), ("nansum", (1,)), ("nanmean", (0,)), ("nanmean", ())):
        np.testing.assert_allclose(
            host(getattr(xpnet, name)(t(data), *args)),
            host(getattr(torch, name)(torch.tensor(data), *args)),
        )
    check_tensor_method(call("nansum", 1), [data], backend)
    check_tensor_method(call("nanmean", 1), [data[[0, 2]]], backend)
    ints = np.array([[0, 2, 0], [1, 0, 0]])
    for args in ((), (0,), ((0, 1),), (-1,)):
        same_pair(
            [xpnet.count_nonzero(t(ints), *args)], [torch.count_nonzero(torch.tensor(ints), *args)]
        )
    same_pair([xpnet.nansum(t(ints), 0)], [torch.nansum(torch.tensor(ints), 0)])
    same_pair(t(ints).aminmax(), torch.tensor(ints).aminmax())
    same_pair(t(ints).aminmax(dim=1, keepdim=True), torch.tensor(ints).aminmax(dim=1, keepdim=True))


def test_counting_functions_match_torch(backend):
    ints = np.array([3, 1, 3, 2, 0, 3])
    ours, theirs = (
        t(ints).unique(return_inverse=True, return_counts=True),
        torch.tensor(ints).unique(return_inverse=True, return_counts=True),
    )
    same_pair(ours, theirs)
    same_pair([xpnet.unique(t(ints))], [torch.unique(torch.tensor(ints))])
    rows = np.array([[1, 2], [0, 1], [1, 2]])
    same_pair(
        xpnet.unique(t(rows), dim=0, return_inverse=True),
        torch.unique(torch.tensor(rows), dim=0, return_inverse=True),
    )
    same_pair([t(ints).bincount()], [torch.tensor(ints).bincount()])
    same_pair(
        [xpnet.bincount(t(ints), minlength=7)], [torch.bincount(torch.tensor(ints), minlength=7)]
    )
    for weights in (np.linspace(0, 1, 6).astype(np.float32), np.arange(6)):
        same_pair(
            [t(ints).bincount(t(weights))], [torch.tensor(ints).bincount(torch.tensor(weights))]
        )
    data = np.concatenate([random_input((200,), seed=5, low=-2, high=5), [NAN, INF, 0.0, 3.0]])
    for args in ((10, 0, 3), (7, -1.0, 1.0)):
        same_pair([t(data).histc(*args)], [torch.tensor(data).histc(*args)])
    for args in ((), (4, 1, 1)):
        same_pair([t(data[:200]).histc(*args)], [torch.tensor(data[:200]).histc(*args)])
    same_pair([t(np.array([2.0, 2.0])).histc(4)], [torch.tensor([2.0, 2.0]).double().histc(4)])
    same_pair(
        [xpnet.histc(t(data[:3].astype(np.float32)), 3)],
        [torch.histc(torch.tensor(data[:3].astype(np.float32)), 3)],
    )
    boundaries = np.array([1.0, 2.0, 2.0, 4.0])
    values = np.array([[0.0, 2.0, 3.0], [4.0, 5.0, 1.0]])
    for right in (False, True):
        same_pair(
            [xpnet.bucketize(t(values), t(boundaries), right=right)],
            [torch.bucketize(torch.tensor(values), torch.tensor(boundaries), right=right)],
        )
        same_pair(
            [xpnet.searchsorted(t(boundaries), t(values), right=right, out_int32=True)],
            [
                torch.searchsorted(
                    torch.tensor(boundaries), torch.tensor(values), right=right, out_int32=True
                )
            ],
        )
    batched = np.array([[1, 3, 5], [2, 4, 6]])
    queries = np.array([[3, 6], [1, 7]])
    for side in ("left", "right"):
        same_pair(
            [xpnet.searchsorted(t(batched), t(queries), side=side)],
            [torch.searchsorted(torch.tensor(batched), torch.tensor(queries), side=side)],
        )
    order = np.array([2, 0, 1])
    same_pair(
        [xpnet.searchsorted(t(np.array([5, 1, 3])), 3, sorter=t(order))],
        [torch.searchsorted(torch.tensor([5, 1, 3]), 3, sorter=torch.tensor(order))],
    )


def test_errors_match_torch_types(backend):
    x, ints = t(X), t(np.array([1, 2]))
    cases = [
        (IndexError, "median.*dim must be in", lambda: x.median(2)),
        (IndexError, "kthvalue.*non-zero size", lambda: t(np.zeros((2, 0))).kthvalue(1)),
        (RuntimeError, r"kthvalue\(\): selected number k=6 out of range", lambda: x.kthvalue(6)),
        (TypeError, r"kthvalue\(\): k must be an int", lambda: x.kthvalue(1.5)),
        (
            RuntimeError,
            r"nanmean\(\): expected input to have floating point",
            lambda: ints.nanmean(),
        ),
        (RuntimeError, r"quantile\(\) q values must be in the range", lambda: x.quantile(1.5)),
        (RuntimeError, r"quantile\(\) q must be a scalar or 1D", lambda: x.quantile(x)),
        (
            RuntimeError,
            r"quantile\(\) q tensor must be same dtype",
            lambda: x.quantile(t(np.array([0.5], np.float32))),
        ),
        (TypeError, r"quantile\(\) q must be a float", lambda: x.quantile("a")),
        (
            RuntimeError,
            r"quantile\(\) interpolation must be one of",
            lambda: x.quantile(0.5, interpolation="cubic"),
        ),
        (
            RuntimeError,
            r"quantile\(\): expected input to have floating",
            lambda: ints.quantile(0.5),
        ),
        (
            RuntimeError,
            r"nanquantile\(\) input tensor must be non-empty",
            lambda: t(np.zeros(0)).nanquantile(0.5),
        ),
        (
            RuntimeError,
            r"cov\(\): expected input to have two or fewer",
            lambda: t(np.zeros((2, 2, 2))).cov(),
        ),
        (
            RuntimeError,
            r"cov\(\): expected fweights to have one element",
            lambda: x.cov(fweights=ints),
        ),
        (
            TypeError,
            r"cov\(\): expected fweights to have an integral",
            lambda: x.cov(fweights=t(np.ones(5))),
        ),
        (
            TypeError,
            r"cov\(\): expected aweights to have a floating",
            lambda: x.cov(aweights=t(np.ones(5, int))),
        ),
        (RuntimeError, "bincount only supports 1-d non-negative integral", lambda: x.bincount()),
        (RuntimeError, "bincount: minlength should be >= 0", lambda: ints.bincount(minlength=-1)),
        (RuntimeError, "bincount: weights should have input's shape", lambda: ints.bincount(x)),
        (RuntimeError, "histc: bins must be > 0", lambda: x.histc(0)),
        (RuntimeError, "histc: max must be larger than min", lambda: x.histc(3, 2, 1)),
        (RuntimeError, "histc: input must be floating point", lambda: ints.histc()),
        (
            RuntimeError,
            r"histc: range of \[nan, nan\] is not finite",
            lambda: t(np.array([NAN, 1.0])).histc(),
        ),
        (RuntimeError, "bucketize: boundaries must be 1-D", lambda: xpnet.bucketize(x, x)),
        (
            RuntimeError,
            "searchsorted: side must be",
            lambda: xpnet.searchsorted(ints, ints, side="left", right=True),
        ),
        (
            RuntimeError,
            "searchsorted: sorted_sequence and input must have the same leading",
            lambda: xpnet.searchsorted(x, ints),
        ),
        (TypeError, "xpnet.median: input must be a Tensor", lambda: xpnet.median([1.0])),
        (TypeError, "xpnet.dist: other must be a Tensor", lambda: xpnet.dist(x, 1.0)),
    ]
    for error, match, thunk in cases:
        with pytest.raises(error, match=match):
            thunk()


@settings(PROFILE, max_examples=30)
@given(
    st.lists(st.integers(-5, 5), min_size=1, max_size=9),
    st.floats(0.0, 1.0),
    st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]),
)
def test_quantile_and_median_property(values, q, interpolation):
    """Ties of small integers: quantile and median equal PyTorch's, and the lower median is
    ``kthvalue((n + 1) // 2)``."""
    data = np.array(values, dtype=np.float64)
    ours, theirs = t(data), torch.tensor(data)
    assert ours.quantile(q, interpolation=interpolation).item() == pytest.approx(
        theirs.quantile(q, interpolation=interpolation).item(), rel=1e-12, abs=1e-12
    )
    assert ours.median().item() == theirs.median().item()
    assert ours.kthvalue((len(values) + 1) // 2).values.item() == theirs.median().item()
    assert ours.mode().values.item() == theirs.mode().values.item()
