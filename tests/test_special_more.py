"""``xpnet.special``'s Bessel and Airy functions, orthogonal polynomials and incomplete gamma
functions (``xpnet.igamma``/``igammac``, ``Tensor.igamma``...) against PyTorch 2.13: values in
float64 (PyTorch's algorithms, so to ~1e-13) and float32 on wide ranges and edges (0, negative,
large, inf, NaN; the polynomials' degree edges), dtypes, operands, ``out=``, gradients and
errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _second_order import check_second_derivatives

import xpnet
from xpnet.autograd import Tensor
from xpnet.kernels import _igamma_math as igamma_math

NAN, INF = np.nan, np.inf
EDGES = np.array([0.0, -0.0, 1e-300, 1e-8, 1e-5, 0.3, -0.7, 0.5, -0.5, 1.0, -1.0, 2.0, 2.0899,
                  2.09, -2.09, -2.0901, 4.99, 5.0, 5.01, -5.01, 8.32, 8.33, 10.0, -10.0, 25.0,
                  -25.0, 103.8, 104.0, -104.0, 700.0, -700.0, 1e6, -1e6, INF, -INF,
                  NAN])  # fmt: skip
BESSEL = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0",
          "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
          "spherical_bessel_j0"]  # fmt: skip
POLYNOMIALS = [f"{kind}chebyshev_polynomial_{t}" for kind in ("", "shifted_") for t in "tuvw"]
POLYNOMIALS += ["hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
                "legendre_polynomial_p"]  # fmt: skip
# x and n: |x| < 1 and >= 1, the shifted forms' 0 and 1, degrees around PyTorch's closed-form
# thresholds (4, 6, 8) and Hermite caps (128, 512), negative, non-integer, NaN and inf degrees
POINTS = np.array([0.0, 1e-20, 0.3, -0.7, 0.5, 1.0, -1.0, 1 - 2**-53, 0.999, 1.0001, -1.0001,
                   1.5, -2.0, 3.0, 10.0, -10.0, INF, -INF, NAN])  # fmt: skip
DEGREES = np.array([-3.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 12.0, 20.0,
                    50.0, 127.0, 128.0, 129.0, 511.0, 512.0, 513.0, 2.7, -2.7, 6.9, 1e20, INF,
                    -INF, NAN])  # fmt: skip


def ours_and_theirs(name, *arrays, module=None):
    """``(xpnet.special.<name>, torch.special.<name>)`` of the NumPy ``arrays``, as NumPy."""
    ours = getattr(module or xpnet.special, name)(*[Tensor(xpnet.asarray(a)) for a in arrays])
    theirs = getattr(torch if module else torch.special, name)(*map(torch.tensor, arrays))
    return ours.numpy(), theirs.numpy()


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_values_match_torch(backend, name):
    """Float64 to PyTorch's own rounding (the same Cephes formulas); ``bessel_y0`` loses
    digits near its zeros by cancellation in both, hence its atol."""
    x = np.concatenate([EDGES, np.random.default_rng(0).uniform(-30.0, 30.0, 200)])
    ours, theirs = ours_and_theirs(name, x)
    assert ours.dtype == np.float64
    atol = 1e-15 if name == "bessel_y0" else 0.0  # relative even for Ai's 1e-300 near 103.9
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=atol, err_msg=name)


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_float32_matches_torch(backend, name):
    """Float32 is computed in float32, as PyTorch's kernels (``bessel_y0`` near its zeros:
    atol)."""
    x = np.concatenate([EDGES, np.random.default_rng(1).uniform(-30.0, 30.0, 200)])
    ours, theirs = ours_and_theirs(name, x.astype(np.float32))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=5e-6, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_dtypes_grad_and_errors_as_torch(backend, name):
    """Integers and bools give float32; the result never requires grad; float16 is refused
    (``NotImplementedError``, PyTorch's CPU kernel has none), a number too (TypeError)."""
    f = getattr(xpnet.special, name)
    assert f(xpnet.tensor([1, 2])).dtype == xpnet.float32
    assert f(xpnet.tensor([True])).dtype == xpnet.float32
    assert not f(xpnet.tensor([1.5], requires_grad=True)).requires_grad
    with pytest.raises(NotImplementedError, match="float16"):
        f(xpnet.tensor([1.0], dtype=xpnet.float16))
    with pytest.raises(TypeError):
        f(2.0)
    out = xpnet.empty(0, dtype=xpnet.float64)
    assert f(xpnet.tensor([1.5, 3.0]), out=out) is out and out.shape == (2,)
    theirs = getattr(torch.special, name)(torch.tensor([1.5, 3.0]))
    np.testing.assert_allclose(out.numpy(), theirs.numpy(), rtol=1e-6)


def _grid():
    return [a.ravel() for a in np.meshgrid(POINTS, DEGREES)]


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomial_values_match_torch(backend, name):
    """Float64 on the grid of points and degrees: PyTorch's recurrences (to their rounding:
    PyTorch's compiled loop fuses multiply-adds), closed forms, special values, caps."""
    x, n = _grid()
    ours, theirs = ours_and_theirs(name, x, n)
    assert ours.dtype == np.float64
    defined = _defined(name, x, n)
    _assert_close(name, ours[defined], theirs[defined], 1e-12, _angle_slack(name, x, n)[defined])
    assert np.isnan(ours[~defined]).all()


def _assert_close(name, actual, desired, rtol, atol):
    """``assert_allclose`` with one ``atol`` per value (NaN equals NaN)."""
    far = ~np.isclose(actual, desired, rtol=rtol, atol=atol, equal_nan=True)
    assert not far.any(), f"{name}: {actual[far]} against {desired[far]} (atol {atol[far]})"


def _angle_slack(name, x, n):
    """Absolute slack for the Chebyshev closed forms on ``|y| < 1`` (``y = 2x - 1`` when
    shifted): ``cos`` or ``sin`` of ``(n + 1) t`` (or ``n + 1/2``) with ``t = acos(y)``, over
    ``sin t``, ``cos(t/2)`` or ``sin(t/2)``. NumPy's float64 ``arccos`` may round ``t`` an ulp
    away from glibc's, which PyTorch calls (NumPy's AVX-512 loops: -0.7 and 0.5 differ on a
    Zen 5 CPU); the degree multiplies that ulp, so near a zero of the polynomial only
    ~``(n + 1) * eps`` of its scale is common to both. 1e-300 elsewhere."""
    y = 2 * x - 1 if name.startswith("shifted_") else x
    inside = name.startswith(("chebyshev", "shifted_chebyshev")) & (np.abs(y) < 1)
    inside &= np.isfinite(n) & (n >= 0)
    t = np.arccos(np.where(inside, y, 0.5))
    divisor = np.minimum(np.sin(t), np.minimum(np.cos(t / 2), np.sin(t / 2)))
    slack = 32 * np.finfo(np.float64).eps * (np.where(inside, n, 0) + 1) * t / divisor
    return np.where(inside, slack, 1e-300)


def _defined(name, x, n):
    """Where PyTorch's value is defined: for a NaN ``x`` and degree 2 or more its ``U``, ``V``,
    ``W``, Laguerre and Legendre loops never run and return an uninitialized variable (inf,
    NaN, whatever was there); xpnet gives NaN."""
    if name.endswith(("_t", "hermite_polynomial_h", "_he")):
        return np.ones(x.shape, dtype=bool)
    return ~(np.isnan(x) & (n >= 2) & (n < 2.0**63))  # larger: negative in int64, so 0


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomial_float32_matches_torch(backend, name):
    """Float32 runs the recurrence in float64 and rounds once: PyTorch's float64 value rounded
    to float32 (within one float32 ulp, ``2**-23`` relative) wherever PyTorch's float32 value
    is finite, closer to it than PyTorch's float32 loop, which rounds every step (up to ~6e-5
    of the magnitude apart where the recurrence is well conditioned, more near ``|x| = 1``);
    overflow to inf and NaN, and the float32 Hermite cap of 128, where PyTorch's float32 loop
    has them."""
    x, n = (a.astype(np.float32) for a in _grid())
    ours, theirs = ours_and_theirs(name, x, n)
    assert ours.dtype == np.float32
    defined = _defined(name, x, n)
    np.testing.assert_array_equal(np.isnan(ours[defined]), np.isnan(theirs[defined]), name)
    np.testing.assert_array_equal(np.isinf(ours[defined]), np.isinf(theirs[defined]), name)
    exact = ours_and_theirs(name, x.astype(np.float64), n.astype(np.float64))[1]
    finite = defined & np.isfinite(theirs)
    slack = _angle_slack(name, x.astype(np.float64), n.astype(np.float64))[finite]
    _assert_close(name, ours[finite], exact[finite], 2**-23, slack)
    tame = (np.abs(x) <= 1.5) & (np.abs(n) <= 20) & (np.abs(np.abs(x) - 1) > 1e-3)
    np.testing.assert_allclose(ours[tame], theirs[tame], rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("name", ["chebyshev_polynomial_t", "hermite_polynomial_h"])
def test_polynomial_operands_as_torch(backend, name):
    """A number on either side (not both), integers (float32), an integer tensor beside a 0-d
    float64 one (float64), broadcasting, and a result that never requires grad."""
    f, g = getattr(xpnet.special, name), getattr(torch.special, name)
    x, t = xpnet.tensor([0.5, 2.0, -1.5]), torch.tensor([0.5, 2.0, -1.5])
    cases = [(f(x, 3), g(t, 3)), (f(2.0, xpnet.tensor([1, 2])), g(2.0, torch.tensor([1, 2])))]
    cases.append(
        (f(xpnet.tensor([1, 2]), xpnet.tensor([2, 3])), g(*torch.tensor([[1, 2], [2, 3]])))
    )
    cases.append((f(x, xpnet.tensor([[1.0], [4.0]])), g(t, torch.tensor([[1.0], [4.0]]))))
    wide = xpnet.tensor(2.5, dtype=xpnet.float64)
    cases.append(
        (f(xpnet.tensor([1, 2]), wide), g(torch.tensor([1, 2]), torch.tensor(2.5).double()))
    )
    for ours, theirs in cases:
        assert ours.dtype == getattr(xpnet, str(theirs.dtype).split(".")[1])
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert not f(xpnet.tensor([0.5], requires_grad=True), 2).requires_grad
    with pytest.raises(TypeError, match="two numbers"):
        f(0.5, 2)
    with pytest.raises(NotImplementedError):
        f(xpnet.tensor([0.5], dtype=xpnet.float16), 2)
    out = xpnet.empty(0)
    assert f(x, 2, out=out) is out
    np.testing.assert_allclose(out.numpy(), g(t, 2).numpy(), rtol=1e-6)


def _gamma_grid():
    a = np.array([0.0, 1e-300, 1e-10, 0.1, 0.5, 1.0, 1.5, 2.0, 5.0, 19.0, 25.0, 50.0, 150.0,
                  199.0, 250.0, 1000.0, 1e5, 1e10, INF, NAN, -1.0])  # fmt: skip
    x = np.array([0.0, 1e-300, 1e-10, 0.1, 0.3, 0.5, 0.6, 1.0, 1.05, 1.1, 1.2, 2.0, 5.0, 10.0,
                  24.0, 45.0, 110.0, 240.0, 260.0, 1050.0, 1e5, 1e10, INF, NAN, -1.0])  # fmt: skip
    a, x = (v.ravel() for v in np.meshgrid(a, x))
    rng = np.random.default_rng(2)
    # beside: a ~ x just outside Temme's region: P's series stops at PyTorch's MAXITER (2000
    # terms) below a, the continued fraction runs above it
    capped_a = np.array([1e6, 4e6, 1e8, 1e8])
    capped_x = np.array([9.94e5, 3.985e6, 9.994e7, 1.0006e8])
    a = np.concatenate([a, capped_a, rng.uniform(0, 60, 100), rng.uniform(0, 400, 60)])
    x = np.concatenate([x, capped_x, rng.uniform(0, 60, 100), rng.uniform(0, 400, 60)])
    return a, x


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma_values_match_torch(backend, name):
    """Every branch of PyTorch's ``calc_igamma``/``calc_igammac`` (series, continued fraction,
    Temme's asymptotic series, the edges of the domain) in float64; float32 computed in float32
    as PyTorch's (its lgamma-based prefactor loses digits in the far tails in both)."""
    a, x = _gamma_grid()
    ours, theirs = ours_and_theirs(name, a, x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-300, err_msg=name)
    ours, theirs = ours_and_theirs(name, a.astype(np.float32), x.astype(np.float32))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=3e-4, atol=1e-7, err_msg=name)


def _loop_work(monkeypatch, name, a, x):
    """``xpnet.special.<name>(a, x)`` (checked against PyTorch) and, for each loop it ran
    (``_iterate``), ``[loop, Python-level steps, elements stepped]`` (steps times the elements
    still in the loop, summed over the steps)."""
    records, iterate = [], igamma_math._iterate

    def counted(xp, step, state, stops):
        record = [step.__qualname__.split(".")[0], 0, 0]
        records.append(record)

        def counting(i, state, running):
            record[1] += 1
            record[2] += state[-1].shape[0]
            return step(i, state, running)

        return iterate(xp, counting, state, stops)

    with monkeypatch.context() as patch:
        patch.setattr(igamma_math, "_iterate", counted)
        ours, theirs = ours_and_theirs(name, a, x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-300)
    return records


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma_loops_are_vectorised(backend, monkeypatch, name):
    """Each loop runs once per batch: its Python-level steps are those of its slowest element
    (not more for 300 elements than for one), and an element costs a batch the steps it costs
    alone (the finished ones drop out at checkpoints instead of waiting for the slowest).
    Points: every branch, fast and slow (the series of ``P`` at ``a = 1e4, x = 9e3`` takes
    hundreds of steps, the continued fraction at ``a = 2, x = 2.5`` eight, at ``0.01, 1.2`` a
    hundred)."""
    a = np.array([0.5, 2.0, 5.0, 1e4, 0.5, 50.0, 0.01, 0.1, 0.5])
    x = np.array([1.5, 2.5, 2.0, 9e3, 0.3, 55.0, 1.2, 0.3, 1.05])
    alone = {}  # loop: (the most steps, the sum of steps) over the elements alone
    for one in zip(a, x, strict=True):
        for loop, steps, stepped in _loop_work(monkeypatch, name, *map(np.array, one)):
            assert steps == stepped  # one element
            most, total = alone.get(loop, (0, 0))
            alone[loop] = (max(most, steps), total + steps)
    order = np.random.default_rng(3).permutation(50 * len(a))
    batch = _loop_work(monkeypatch, name, np.tile(a, 50)[order], np.tile(x, 50)[order])
    assert sorted(map(tuple, batch)) == sorted(
        (loop, most, 50 * total) for loop, (most, total) in alone.items()
    )
    assert max(most for most, _ in alone.values()) > 100  # a slow element among fast ones


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma_device_work_does_not_grow_with_the_batch(strict, name):
    """On the strict backend (CuPy's counts): the same launches and host reads (syncs: one per
    branch and per checkpoint, for the counts of ``nonzero``) for a batch and for the batch
    repeated 40 times."""
    a, x = _gamma_grid()
    counts = []
    for repeat in (1, 40):
        pair = [Tensor(strict.asarray(np.tile(v, repeat))) for v in (a, x)]
        with xpnet.profile(strict) as counted:
            getattr(xpnet.special, name)(*pair)
        counts.append((counted.launches, counted.syncs))
    assert counts[0] == counts[1]
    assert counts[0][1] <= 5 * 11  # five branches, up to ten checkpoints and a gather each


@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_igamma_functions_and_methods_as_torch(backend, name):
    """``xpnet.igamma``, ``Tensor.igamma``/``igamma_`` (and ``igammac``): one computation, the
    dtype of the pair (float64 beside float32), float16 computed in float32."""
    a, x = np.array([0.5, 2.0, 30.0]), np.array([[1.0, 1.5, 31.0], [0.1, 3.0, 20.0]])
    theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(x)).numpy()
    ours = getattr(xpnet, name)(xpnet.tensor(a), xpnet.tensor(x, dtype=xpnet.float32))
    assert ours.dtype == xpnet.float64
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-7)
    method = getattr(xpnet.tensor(x), name)(xpnet.tensor(x))
    np.testing.assert_allclose(method.numpy(), getattr(torch, name)(*[torch.tensor(x)] * 2))
    inplace = xpnet.tensor(x)
    assert getattr(inplace, f"{name}_")(xpnet.tensor(a)) is inplace
    np.testing.assert_allclose(
        inplace.numpy(), getattr(torch, name)(torch.tensor(x), torch.tensor(a))
    )
    half = getattr(xpnet, name)(
        xpnet.tensor(a, dtype=xpnet.float16), xpnet.tensor(a, dtype=xpnet.float16)
    )
    expected = getattr(torch, name)(*[torch.tensor(a, dtype=torch.float16)] * 2)
    assert half.dtype == xpnet.float16
    np.testing.assert_allclose(half.numpy(), expected.numpy(), rtol=1e-3)


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma_gradient_and_errors_as_torch(backend, name):
    """PyTorch's gradient for ``other`` (broadcast), ``NotImplementedError`` at backward for
    ``input``; integers refused (``NotImplementedError``), numbers refused (TypeError)."""
    a, x = np.array([[0.5], [2.0], [30.0]]), np.array([0.3, 1.5, 25.0, 40.0])
    ours = xpnet.tensor(x, dtype=xpnet.float64, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    getattr(xpnet.special, name)(xpnet.tensor(a, dtype=xpnet.float64), ours).sum().backward()
    getattr(torch.special, name)(torch.tensor(a), theirs).sum().backward()
    np.testing.assert_allclose(xpnet.to_numpy(ours.grad), theirs.grad.numpy(), rtol=1e-12)
    f = getattr(xpnet.special, name)
    result = f(xpnet.tensor(a, requires_grad=True), xpnet.tensor(x))
    assert result.requires_grad
    with pytest.raises(NotImplementedError, match="input' is not implemented"):
        result.sum().backward()
    with pytest.raises(NotImplementedError):
        f(xpnet.tensor([1, 2]), xpnet.tensor([2, 3]))
    with pytest.raises(TypeError):
        f(xpnet.tensor([1.0]), 2.0)
    with pytest.raises(TypeError):
        f(1.0, xpnet.tensor([1.0]))
    with pytest.raises(RuntimeError, match="can't be cast"):
        f(xpnet.tensor([1.0]), xpnet.tensor([2.0]), out=xpnet.empty(1, dtype=xpnet.int64))
    method = "igamma_" if name == "gammainc" else "igammac_"
    with pytest.raises(RuntimeError, match="can't be cast"):  # PyTorch's, for int and bool
        getattr(xpnet.tensor([1, 2]), method)(xpnet.tensor([1.0, 2.0]))
    with pytest.raises(NotImplementedError):
        getattr(xpnet.tensor([1, 2]), method)(xpnet.tensor([1, 2]))


def test_new_names_are_torch_special_names():
    """Every ``torch.special`` function now has an ``xpnet.special`` counterpart."""
    public = {n for n in dir(torch.special) if n.islower() and not n.startswith("_")}
    assert public - {"torch", "common_args", "multi_dim_common"} <= set(xpnet.special.__all__)
    assert set(xpnet.special.__all__) <= set(dir(torch.special))
    assert {"igamma", "igammac"} <= set(xpnet.__all__)


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma_second_derivatives_match_torch(backend, name):
    """``create_graph=True``: PyTorch's gradient for ``other`` is differentiable again."""

    def function(module, F, constant, x):
        return getattr(module.special, name)(constant([[0.5], [2.0], [7.5]]), x)

    check_second_derivatives(backend, function, [lambda rng: rng.uniform(0.2, 9.0, (1, 4))])
