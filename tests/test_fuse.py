"""backend.fuse: an elementwise chain as one device call, with the plain function's results.

NumPy runs the function itself, strict runs it strictly and counts one launch for the whole
chain (CuPy's ``cupy.fuse`` makes one kernel of it), and every backend gives the plain
function's values, bit for bit on the CPU.
"""

from __future__ import annotations

import numpy as np
import pytest

from xpnet.backends import load_backend
from xpnet.backends._base import fuse_of, plain_function
from xpnet.backends._profile import profile


def _adam_like(param, grad, m, v, lr, beta1, rest1, beta2, rest2, eps):
    """An optimizer-style chain: several outputs, Python scalars, a division and a sqrt.
    ``rest = 1 - beta`` comes in precomputed: CuPy's fuse computes scalar-only arithmetic in
    float16 (strict refuses it: see the test below)."""
    m = beta1 * m + rest1 * grad
    v = beta2 * v + rest2 * grad * grad
    return param - lr * m / ((v**0.5) + eps), m, v


SCALARS = (1e-3, 0.9, 1.0 - 0.9, 0.999, 1.0 - 0.999, 1e-8)


def _arrays(backend, dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((5, 7)).astype(dtype) for _ in range(4)]
    arrays[3] = arrays[3] * arrays[3]  # v >= 0
    return [backend.asarray(array) for array in arrays]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fuse_gives_the_plain_functions_results(backend, dtype):
    arrays = _arrays(backend, dtype)
    fused = fuse_of(backend)(_adam_like)
    got = fused(*arrays, *SCALARS)
    want = _adam_like(*arrays, *SCALARS)
    assert len(got) == len(want) == 3
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype == dtype
        np.testing.assert_allclose(backend.to_host(g), backend.to_host(w), rtol=1e-6, atol=0)


def test_fuse_of_a_backend_without_fuse_is_the_plain_function():
    class Bare:
        pass

    assert fuse_of(Bare()) is plain_function
    assert plain_function(_adam_like) is _adam_like


def test_fuse_counts_one_launch_on_strict(strict):
    arrays = _arrays(strict, np.float32)
    with profile(strict) as plain:
        _adam_like(*arrays, *SCALARS)
    with profile(strict) as fused:
        strict.fuse(_adam_like)(*arrays, *SCALARS)
    assert plain.launches > 5  # the chain call by call
    assert fused.launches == 1
    assert (fused.host_to_device, fused.device_to_host, fused.syncs) == (0, 0, 0)


def test_fuse_on_strict_still_refuses_what_cupy_refuses(strict):
    x = strict.xp.arange(3.0)

    def leaks_to_numpy(a):
        return a + np.ones(3)  # host data in a device chain

    with pytest.raises(TypeError):
        strict.fuse(leaks_to_numpy)(x)


def test_fuse_on_strict_refuses_arithmetic_between_scalars(strict):
    """Found on an H200 (CuPy 14.2): ``1.0 - beta2`` inside a fused function ran in float16
    (0.00097656), which moved Adam-like steps and batch norm's running statistics by 1e-4.
    With an array operand the scalar is exact; strict refuses the scalar-only operations."""
    x = strict.xp.arange(3.0)
    fused = strict.fuse(lambda a, beta: (1.0 - beta) * a)
    with pytest.raises(TypeError, match="float16"):
        fused(x, 0.999)
    with pytest.raises(TypeError, match="float16"):
        strict.fuse(lambda a, count: a / (count - 1))(x, 4)
    np.testing.assert_array_equal(
        strict.to_host(strict.fuse(lambda a, b: b * a + a * b)(x, 0.5)), [0.0, 1.0, 2.0]
    )
    # the plain function (NumPy's fuse) computes it in float64, as Python does
    assert (
        fuse_of(load_backend("numpy"))(lambda a, beta: (1.0 - beta) * a)(np.ones(1), 0.999)[0]
        == 1.0 - 0.999
    )


def test_fuse_propagates_exceptions_and_keeps_counting_after(strict):
    x = strict.xp.arange(3.0)

    def fails(a):
        raise ValueError("stop")

    with profile(strict) as counted:
        with pytest.raises(ValueError, match="stop"):
            strict.fuse(fails)(x)
        x + 1.0
    assert counted.launches == 1  # the operator after the failed call, counted again
