"""batch_norm, layer_norm and group_norm against PyTorch autograd (float64) and finite
differences, with the numerically hard cases: huge means, constant channels, tiny variances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, check_finite_differences, random_input

import xpnet.kernels as K
from xpnet.autograd import Tensor
from xpnet.backends import profile, use_backend
from xpnet.nn import functional as F

BN_SHAPES = [(4, 3), (3, 2, 5), (2, 3, 4, 3)]  # (N, C), (N, C, L), (N, C, H, W)
# batch_norm from batch statistics alone (no running ones): ours, our backward, torch's
BATCH_STATS_ONLY = (
    lambda x: K.batch_norm(x, None, None, training=True),
    lambda g, x: K.batch_norm_backward(g, x, None, None, training=True)[0],
    lambda x: TF.batch_norm(x, None, None, training=True),
)


def _running(C, seed=4):
    return random_input((C,), seed=seed), random_input((C,), seed=seed + 1, low=0.5, high=2.0)


def _check_batch_norm(backend, x, training, affine=True, dtype=np.float64, **kwargs):
    """Compare batch_norm and its backward with torch; running stats stay outside autograd."""
    C = x.shape[1]
    mean, var = _running(C)
    params = [random_input((C,), seed=2), random_input((C,), seed=3)] if affine else [None, None]

    def stats():  # fresh copies: the forward updates them in place
        return [backend.asarray(a.astype(dtype)) for a in (mean, var)]

    return check_against_torch(
        lambda x, w, b: K.batch_norm(x, *stats(), w, b, training, **kwargs),
        lambda g, x, w, b: _present(
            K.batch_norm_backward(g, x, *stats(), w, b, training, **kwargs)
        ),
        lambda x, w, b: TF.batch_norm(
            x,
            *(torch.tensor(a.astype(dtype), dtype=torch.float64) for a in (mean, var)),
            w,
            b,
            training,
            **kwargs,
        ),
        [x, *params],
        backend,
        dtype=dtype,
    )


def _present(grads):
    # the oracle expects gradients for the inputs that are not None only
    return tuple(grad for grad in grads if grad is not None)


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_batch_norm_matches_torch(backend, shape, training, dtype):
    _check_batch_norm(
        backend, random_input(shape, seed=1, low=-3.0, high=3.0), training, dtype=dtype
    )


def test_batch_norm_generated_grid(backend):
    """Shapes x training x affine x momentum x eps in float64."""
    for shape, training, affine, momentum, eps in itertools.product(
        BN_SHAPES + [(2, 1, 1, 1), (5, 2, 1)], [True, False], [True, False], [0.1, 0.7], [1e-5, 0.5]
    ):
        x = random_input(shape, seed=len(shape), low=-2.0, high=5.0)
        _check_batch_norm(backend, x, training, affine, momentum=momentum, eps=eps)


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("momentum", [0.1, 1.0])
def test_batch_norm_updates_running_stats_in_place(backend, shape, momentum):
    x = random_input(shape, seed=6, low=-1.0, high=4.0)
    mean, var = _running(shape[1])
    running = [backend.asarray(mean.copy()), backend.asarray(var.copy())]
    before = [id(a) for a in running]
    K.batch_norm(backend.asarray(x), *running, training=True, momentum=momentum)
    expected = [torch.tensor(mean), torch.tensor(var)]
    TF.batch_norm(torch.tensor(x), *expected, training=True, momentum=momentum)
    assert [id(a) for a in running] == before
    for actual, reference in zip(running, expected, strict=True):
        assert_close(backend.to_host(actual), reference.numpy(), np.float64, "running stats")


def test_batch_norm_backward_leaves_running_stats_alone(backend):
    x = backend.asarray(random_input((4, 3), seed=7))
    mean, var = _running(3)
    running = [backend.asarray(mean.copy()), backend.asarray(var.copy())]
    K.batch_norm_backward(x, x, *running, training=True)
    np.testing.assert_array_equal(backend.to_host(running[0]), mean)
    np.testing.assert_array_equal(backend.to_host(running[1]), var)


def test_batch_norm_without_running_stats(backend):
    _check_batch_norm(backend, random_input((4, 3, 2), seed=8), True)
    x = random_input((4, 3, 2), seed=8)
    check_against_torch(*BATCH_STATS_ONLY, [x], backend)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_batch_norm_huge_mean_tiny_std_is_stable(backend, dtype):
    """Mean 1e4, std 1e-3 (float32): within 1e-3 of float64 (PyTorch's CPU kernel: 8 % off)."""
    rng = np.random.default_rng(0)
    mean, std = (1e4, 1e-3) if dtype == np.float32 else (1e3, 1.0)  # float16 ulp(1e3) is 0.5
    x = (mean + std * rng.standard_normal((16, 3, 6, 6))).astype(dtype)
    output, (grad, *_) = check_against_torch(*BATCH_STATS_ONLY, [x], backend, dtype=dtype)
    reference = TF.batch_norm(torch.tensor(x, dtype=torch.float64), None, None, training=True)
    assert np.abs(output - reference.numpy()).max() < 1e-3


@pytest.mark.parametrize("block_bytes", [1, 3 * 8 * 8, 2 * 3 * 8 * 8 + 1])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_blocks(backend, monkeypatch, block_bytes, training):
    """Blocks of one sample with (1, C, 1) operands, of one and of two samples (the last one
    short) with expanded (1, C, S) operands: every block must be centred, summed and scaled."""
    monkeypatch.setattr(backend, "block_bytes", block_bytes)  # a sample is 3 * 8 * 8 bytes
    for dtype in (np.float64, np.float32):
        _check_batch_norm(
            backend, random_input((5, 3, 4, 2), seed=18, low=-2.0, high=3.0), training, dtype=dtype
        )


def test_batch_norm_first_sample_far_from_mean(backend):
    """The shift is the first sample's mean: here 40 std from the batch mean (sqrt(N - 1)
    std at most), over a mean of 1e3, in float32."""
    x = 1e3 + 1e-2 * random_input((1601, 2, 3), seed=19)
    x[0] += 1.0  # the other 1600 samples keep std ~0.006; the first sample is 1.0 away
    output, _ = check_against_torch(*BATCH_STATS_ONLY, [x], backend, dtype=np.float32)
    assert np.isfinite(output).all()


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_constant_channel_and_variance_below_eps(backend, training):
    x = random_input((6, 3, 2, 2), seed=9)
    x[:, 0] = 7.0  # constant: variance 0
    x[:, 1] = 5.0 + 1e-4 * x[:, 1]  # variance ~3e-9, far below eps
    for dtype in (np.float64, np.float32):
        _check_batch_norm(backend, x, training, dtype=dtype)


def test_batch_norm_empty_batch(backend):
    mean, var = _running(3)
    running = [backend.asarray(mean.copy()), backend.asarray(var.copy())]
    x = backend.asarray(np.zeros((0, 3, 4)))
    output = K.batch_norm(x, *running, training=True)
    assert output.shape == (0, 3, 4)
    np.testing.assert_array_equal(backend.to_host(running[0]), mean)
    np.testing.assert_array_equal(backend.to_host(running[1]), var)
    weight = backend.asarray(np.ones(3))
    grad_input, grad_weight, grad_bias = K.batch_norm_backward(x, x, *running, weight, weight, True)
    assert grad_input.shape == (0, 3, 4)
    assert not backend.to_host(grad_weight).any() and not backend.to_host(grad_bias).any()


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_saved_stats_give_the_same_gradients(backend, training):
    x, grad = (backend.asarray(random_input((5, 3, 4), seed=s)) for s in (10, 11))
    mean, var = _running(3)
    weight = backend.asarray(random_input((3,), seed=12))
    output, save_mean, save_invstd = K.batch_norm(
        x, backend.asarray(mean), backend.asarray(var), weight, None, training, return_stats=True
    )
    assert save_mean.shape == save_invstd.shape == (3,)
    args = (grad, x, backend.asarray(mean), backend.asarray(var), weight, None, training)
    saved = K.batch_norm_backward(*args, save_mean=save_mean, save_invstd=save_invstd)
    recomputed = K.batch_norm_backward(*args)
    for a, b in zip(saved[:2], recomputed[:2], strict=True):
        np.testing.assert_allclose(backend.to_host(a), backend.to_host(b), rtol=1e-12, atol=1e-12)
    assert saved[2] is None


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_finite_differences(backend, training):
    mean, var = _running(2)

    def stats():
        return [backend.asarray(a) for a in (mean, var)]

    check_finite_differences(
        lambda x, w, b: K.batch_norm(x, *stats(), w, b, training),
        lambda g, x, w, b: K.batch_norm_backward(g, x, *stats(), w, b, training),
        [
            random_input((3, 2, 2), seed=13),
            random_input((2,), seed=14),
            random_input((2,), seed=15),
        ],
        backend,
    )


def _forward_backward(strict, x, grad, running, weight, bias):
    """F.batch_norm in training on Tensors, and its backward: the output and the gradients."""
    leaves = [Tensor(a, requires_grad=True) for a in (x, weight, bias)]
    output = F.batch_norm(leaves[0], *running, *leaves[1:], training=True)
    output.backward(grad)
    return [output.array, *(leaf.grad.array for leaf in leaves)]


def test_batch_norm_forward_backward_launches_on_strict(strict):
    """Pinned: what CuPy would launch for a LeNet-sized batch norm step (issue 17: <= 20).
    Forward 9: the first sample's mean and its rounding, the centring, two row sums and
    their float64 sums, one fused call for the statistics, the running update and the
    affine factors, one for the output. Backward 8: the shift, the centring and its four
    sums, one fused call for the coefficients and the parameter gradients, one for grad_x."""
    rng = np.random.default_rng(0)
    x, grad = (strict.asarray(rng.standard_normal((64, 32, 28, 28), np.float32)) for _ in "xg")
    weight, bias = (strict.asarray(rng.standard_normal(32, np.float32)) for _ in "wb")
    running = [strict.xp.zeros(32, "float32"), strict.xp.ones(32, "float32")]
    cpu_running = [a.copy() for a in running]
    with profile(strict):  # a warm-up: the counts below are those of a steady state
        _forward_backward(strict, x, grad, running, weight, bias)
    with profile(strict) as counted:
        gpu_results = _forward_backward(strict, x, grad, running, weight, bias)
    launches = {name: counts.launches for name, counts in counted.by_kernel.items()}
    assert launches == {"batch_norm": 9, "batch_norm_backward": 8}  # autograd adds none
    total = counted.total()
    assert total.launches == 17
    assert (total.host_to_device, total.device_to_host, total.syncs) == (0, 0, 0)
    # the one-block fused chains (CuPy's shape) compute what the CPU's blocks compute (to the
    # last bit here; the order of the float64 sums over the blocks may move one)
    for _ in range(2):
        cpu_results = _forward_backward(strict, x, grad, cpu_running, weight, bias)
    for gpu, cpu in zip(gpu_results, cpu_results, strict=True):
        np.testing.assert_allclose(strict.to_host(gpu), strict.to_host(cpu), rtol=1e-6, atol=1e-6)
    for gpu, cpu in zip(running, cpu_running, strict=True):
        np.testing.assert_allclose(strict.to_host(gpu), strict.to_host(cpu), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_batch_norm_in_gpu_blocks_matches_torch(strict, training, dtype):
    """Inside xpnet.profile, strict runs as CuPy would (one block, fused chains)."""
    with use_backend("strict"), profile(strict):
        _check_batch_norm(strict, random_input((3, 4, 5, 2), seed=20), training, dtype=dtype)


LN_CASES = [((4, 5), 5), ((2, 3, 4), (3, 4)), ((2, 3, 4), 4), ((3, 2, 2, 3), (2, 2, 3)), ((6,), 6)]
GN_CASES = [((2, 6), 3), ((2, 6, 5), 2), ((3, 4, 3, 2), 4), ((2, 4, 3, 2), 1), ((1, 3, 2, 2), 3)]


def _params(shape, affine):
    if not affine:
        return [None, None]
    return [random_input(shape, seed=16), random_input(shape, seed=17)]


@pytest.mark.parametrize("shape, normalized_shape", LN_CASES)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_layer_norm_matches_torch(backend, shape, normalized_shape, affine, dtype):
    x = random_input(shape, seed=18, low=-2.0, high=3.0)
    param_shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    check_against_torch(
        lambda x, w, b: K.layer_norm(x, normalized_shape, w, b),
        lambda g, x, w, b: _present(K.layer_norm_backward(g, x, normalized_shape, w, b)),
        lambda x, w, b: TF.layer_norm(x, param_shape, w, b),
        [x, *_params(param_shape, affine)],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("shape, num_groups", GN_CASES)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_group_norm_matches_torch(backend, shape, num_groups, affine, dtype):
    x = random_input(shape, seed=19, low=-2.0, high=3.0)
    check_against_torch(
        lambda x, w, b: K.group_norm(x, num_groups, w, b),
        lambda g, x, w, b: _present(K.group_norm_backward(g, x, num_groups, w, b)),
        lambda x, w, b: TF.group_norm(x, num_groups, w, b),
        [x, *_params(shape[1:2], affine)],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("name", ["layer_norm", "group_norm"])
def test_norm_huge_mean_and_constant_groups(backend, name):
    rng = np.random.default_rng(1)
    x = 1e4 + 1e-3 * rng.standard_normal((3, 4, 5))
    x[0] = 2.0  # a constant sample: variance 0
    arg = 5 if name == "layer_norm" else 2
    output, _ = check_against_torch(
        lambda x: getattr(K, name)(x, arg),
        lambda g, x: getattr(K, f"{name}_backward")(g, x, arg)[0],
        lambda x: getattr(TF, name)(x, (arg,) if name == "layer_norm" else arg),
        [x],
        backend,
        dtype=np.float32,
    )
    reference = getattr(TF, name)(
        torch.tensor(x.astype(np.float32), dtype=torch.float64),
        (arg,) if name == "layer_norm" else arg,
    )
    assert np.abs(output - reference.numpy()).max() < 1e-3


def test_layer_and_group_norm_finite_differences(backend):
    x = random_input((2, 4, 3), seed=20)
    weight, bias = random_input((4, 3), seed=21), random_input((4, 3), seed=22)
    check_finite_differences(
        lambda x, w, b: K.layer_norm(x, (4, 3), w, b),
        lambda g, x, w, b: K.layer_norm_backward(g, x, (4, 3), w, b),
        [x, weight, bias],
        backend,
    )
    check_finite_differences(
        lambda x, w, b: K.group_norm(x, 2, w, b),
        lambda g, x, w, b: K.group_norm_backward(g, x, 2, w, b),
        [x, weight[:, 0], bias[:, 0]],
        backend,
    )


def _zeros(backend, *shapes):
    return [None if shape is None else backend.asarray(np.zeros(shape)) for shape in shapes]


def test_batch_norm_rejects_bad_arguments(backend):
    x, c, c4 = _zeros(backend, (2, 3, 4), (3,), (4,))
    cases = [
        (
            (_zeros(backend, (3,))[0], c, c),
            ValueError,
            # (N, C, *) of any rank since issue 16 (5-D too), so the rule in the text changed
            r"input must have at least 2 dimensions \(N, C, \*\), got shape \(3,\)",
        ),
        ((x, c4, c), ValueError, r"running_mean must have shape \(3,\), got \(4,\)"),
        ((x, c, c, c4), ValueError, r"weight must have shape \(3,\), got \(4,\)"),
        ((x, c, c, None, c4), ValueError, r"bias must have shape \(3,\), got \(4,\)"),
        (
            (x, None, c),
            ValueError,
            r"running_mean and running_var are required when training=False, "
            r"got running_mean=None",
        ),
        (
            (_zeros(backend, (1, 3))[0], None, None, None, None, True),
            ValueError,
            r"expected more than 1 value per channel when training, got input size \(1, 3\)",
        ),
        (
            (x, c.astype(np.float32), c),
            TypeError,
            r"running_mean must have the dtype of input \(float64\), got float32",
        ),
    ]
    for args, error, message in cases:
        with pytest.raises(error, match=f"batch_norm: {message}"):
            K.batch_norm(*args)
        with pytest.raises(error, match=f"batch_norm_backward: {message}"):
            K.batch_norm_backward(args[0], *args)
    with pytest.raises(
        ValueError,
        match=r"batch_norm_backward: grad_output must have the shape of input \(2, 3, 4\), "
        r"got \(3,\)",
    ):
        K.batch_norm_backward(c, x, c, c)


def test_layer_and_group_norm_reject_bad_arguments(backend):
    x, c3, c4 = _zeros(backend, (2, 3, 4), (3,), (4,))
    cases = [
        ("layer_norm", (x, (3,)), r"input shape \(2, 3, 4\) must end with normalized_shape \(3,\)"),
        (
            "layer_norm",
            (x, (1, 2, 3, 4)),
            r"input shape \(2, 3, 4\) must end with normalized_shape \(1, 2, 3, 4\)",
        ),
        ("layer_norm", (x, 4, c3), r"weight must have shape \(4,\), got \(3,\)"),
        ("layer_norm", (x, 4, None, c3), r"bias must have shape \(4,\), got \(3,\)"),
        ("group_norm", (x, 2), r"num_groups must be a positive divisor of C=3, got 2"),
        ("group_norm", (x, 0), r"num_groups must be a positive divisor of C=3, got 0"),
        ("group_norm", (x, 3, c4), r"weight must have shape \(3,\), got \(4,\)"),
        ("group_norm", (c3, 1), r"input must have 2 or 3 or 4 or 5 dimensions \(N, C, \*\)"),
    ]
    for name, args, message in cases:
        with pytest.raises(ValueError, match=f"{name}: {message}"):
            getattr(K, name)(*args)
        with pytest.raises(ValueError, match=f"{name}_backward: {message}"):
            getattr(K, f"{name}_backward")(args[0], *args)


def test_batch_norm_backward_names_each_saved_dtype_once(backend):
    """float64 input: the message lists float64 once, not "float64 or float64"."""
    x = backend.asarray(np.ones((2, 3, 4)))
    stats = backend.asarray(np.ones(3, np.int64))
    with pytest.raises(TypeError, match=r"save_mean must have dtype float64, got int64$"):
        K.batch_norm_backward(x, x, None, None, training=True, save_mean=stats, save_invstd=stats)
