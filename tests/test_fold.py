"""unfold (im2col) and fold (col2im): PyTorch float64 oracle forward and backward, float32
and float16, unbatched and empty inputs, NaN, PyTorch's argument rules and errors, memory
refusals, generated configurations, and the Unfold and Fold modules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, random_input
from _strategies import FEW, PROFILE, check_rejected, common_mistakes, pair, seeds
from hypothesis import given
from hypothesis import strategies as st
from test_nn import check_module

import xpnet
import xpnet.kernels as K
import xpnet.nn.functional as F
from xpnet import nn

# (input shape, kernel_size, dilation, padding, stride)
CONFIGS = [
    ((2, 3, 5, 5), 2, 1, 0, 1),
    ((2, 2, 7, 6), (3, 2), (2, 1), (1, 2), (2, 3)),
    ((1, 2, 4, 5), 3, 1, 1, 2),
    ((3, 1, 6, 4), (1, 4), 1, 0, (1, 2)),
    ((2, 2, 3, 3), 5, 1, 2, 1),  # windows wider than the input: the padding is read
    ((1, 3, 5, 4), 1, 1, 0, 1),
    ((2, 2, 8, 7), 2, 3, (0, 1), 2),
]


def _options(kernel_size, dilation, padding, stride):
    return {"kernel_size": kernel_size, "dilation": dilation, "padding": padding, "stride": stride}


def _check_unfold(backend, x, dtype=np.float64, **options):
    return check_against_torch(
        lambda a: K.unfold(a, **options),
        lambda g, a: K.unfold_backward(g, a, **options),
        lambda a: TF.unfold(a, **options),
        [x],
        backend,
        dtype=dtype,
    )


def _check_fold(backend, columns, output_size, dtype=np.float64, **options):
    return check_against_torch(
        lambda a: K.fold(a, output_size, **options),
        lambda g, a: K.fold_backward(g, a, output_size, **options),
        lambda a: TF.fold(a, output_size, **options),
        [columns],
        backend,
        dtype=dtype,
    )


def _columns_shape(shape, **options):
    """The shape of unfold's output for an input of ``shape`` (torch computes it)."""
    return tuple(TF.unfold(torch.zeros(shape), **options).shape)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("shape, kernel_size, dilation, padding, stride", CONFIGS)
def test_unfold_matches_torch(backend, shape, kernel_size, dilation, padding, stride, dtype):
    options = _options(kernel_size, dilation, padding, stride)
    _check_unfold(backend, random_input(shape, seed=1), dtype, **options)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("shape, kernel_size, dilation, padding, stride", CONFIGS)
def test_fold_matches_torch(backend, shape, kernel_size, dilation, padding, stride, dtype):
    options = _options(kernel_size, dilation, padding, stride)
    columns = random_input(_columns_shape(shape, **options), seed=2)
    _check_fold(backend, columns, shape[2:], dtype, **options)


def test_unfold_and_fold_take_unbatched_inputs(backend):
    options = _options((2, 3), 1, 1, (2, 1))
    _check_unfold(backend, random_input((3, 5, 4), seed=3), **options)
    columns = random_input(_columns_shape((3, 5, 4), **options), seed=4)
    assert columns.ndim == 2
    _check_fold(backend, columns, (5, 4), **options)


def test_unfold_and_fold_take_empty_batches(backend):
    x = backend.asarray(np.zeros((0, 2, 4, 4)))
    columns = K.unfold(x, 2)
    assert columns.shape == (0, 8, 9) and columns.dtype == x.dtype
    assert K.unfold_backward(columns, x, 2).shape == (0, 2, 4, 4)
    assert K.fold(columns, 4, 2).shape == (0, 2, 4, 4)
    assert K.fold_backward(x, columns, 4, 2).shape == (0, 8, 9)


def test_fold_of_unfold_counts_the_blocks_of_each_pixel(backend):
    """fold(unfold(x)) = x * (how many blocks cover each pixel), PyTorch's documented identity."""
    x = random_input((2, 3, 6, 5), seed=5)
    options = _options(3, 1, 1, 2)
    ours = K.fold(K.unfold(backend.asarray(x), **options), (6, 5), **options)
    counts = TF.fold(
        TF.unfold(torch.ones(1, 1, 6, 5, dtype=torch.float64), **options), (6, 5), **options
    )
    assert_close(backend.to_host(ours), x * counts.numpy(), np.float64)


def test_unfold_and_fold_carry_nan_and_inf_as_torch(backend):
    x = random_input((1, 2, 4, 4), seed=6)
    x[0, 0, 1, 2], x[0, 1, 3, 3] = np.nan, np.inf
    _check_unfold(backend, x, **_options(2, 1, 1, 1))
    columns = random_input((1, 8, 9), seed=7)
    columns[0, 3, 4], columns[0, 5, 0] = np.nan, -np.inf
    _check_fold(backend, columns, (4, 4), **_options(2, 1, 0, 1))


def test_unfold_and_fold_take_non_contiguous_inputs(backend):
    x = backend.asarray(random_input((2, 3, 6, 10), seed=8))[:, :, :, ::2]
    expected = TF.unfold(torch.tensor(backend.to_host(x)), 2, padding=1)
    assert_close(backend.to_host(K.unfold(x, 2, padding=1)), expected.numpy(), np.float64)
    columns = backend.asarray(random_input((2, 12, 18), seed=9))[:, :, ::2]
    expected = TF.fold(torch.tensor(backend.to_host(columns)), (4, 4), 2, padding=1, stride=2)
    ours = K.fold(columns, (4, 4), 2, padding=1, stride=2)
    assert_close(backend.to_host(ours), expected.numpy(), np.float64)


def test_fold_sums_float16_in_float32(backend):
    """Nine blocks add onto one pixel: 1 and eight times 2**-11. Added in float16, each
    2**-11 is half an ulp of 1 and rounds away; summed in float32 they make 2**-8, kept when
    the sum is rounded once."""
    columns = np.zeros((1, 9, 17), dtype=np.float16)
    columns[0, 0, 8] = 1.0
    for offset in range(1, 9):  # kernel offset j of block 8 - j reads output pixel 0
        columns[0, offset, 8 - offset] = 2**-11
    ours = K.fold(backend.asarray(columns), (1, 9), (1, 9), padding=(0, 8))
    assert ours.dtype == np.float16
    assert backend.to_host(ours)[0, 0, 0, 0] == np.float16(1 + 2**-8)


@pytest.mark.parametrize("name", ["kernel_size", "dilation", "padding", "stride"])
@pytest.mark.parametrize("value", [[2], (2, 2, 2), ()])
def test_unfold_and_fold_refuse_sequences_not_of_two_as_torch(backend, name, value):
    """PyTorch's im2col and col2im want pairs: 'It is expected kernel_size equals to 2'."""
    options = {**_options(1, 1, 0, 1), name: value}
    with pytest.raises(RuntimeError, match="equals to 2"):
        TF.unfold(torch.zeros(1, 1, 4, 4), **options)
    x, columns = backend.asarray(np.zeros((1, 1, 4, 4))), backend.asarray(np.zeros((1, 1, 16)))
    with pytest.raises(
        K.ArgumentError, match=rf"^unfold: {name} must be an int or a sequence of 2"
    ):
        K.unfold(x, **options)
    with pytest.raises(K.ArgumentError, match=rf"^fold: {name} must be an int or a sequence of 2"):
        K.fold(columns, 4, **options)
    with pytest.raises(K.ArgumentError, match=r"^fold: output_size must be an int or a seq"):
        K.fold(columns, [4], 1)


@pytest.mark.parametrize(
    "name, value, error, message",
    [
        ("kernel_size", 0, K.ArgumentError, "kernel_size must be at least 1, got 0"),
        ("kernel_size", (2, -1), K.ArgumentError, r"kernel_size must be at least 1"),
        ("dilation", 0, K.ArgumentError, "dilation must be at least 1"),
        ("stride", (1, 0), K.ArgumentError, r"stride must be at least 1, got \(1, 0\)"),
        ("padding", -1, K.ArgumentError, "padding must be at least 0, got -1"),
        ("kernel_size", 2.0, TypeError, "kernel_size must be an int or a tuple of 2 ints"),
        ("stride", True, TypeError, "stride must be an int or a tuple of 2 ints"),
        ("padding", "1", TypeError, "padding must be an int or"),
    ],
)
def test_unfold_and_fold_reject_bad_options(backend, name, value, error, message):
    options = {**_options(2, 1, 0, 1), name: value}
    x, columns = backend.asarray(np.zeros((1, 1, 4, 4))), backend.asarray(np.zeros((1, 4, 9)))
    with pytest.raises(error, match=f"^unfold: {message}"):
        K.unfold(x, **options)
    with pytest.raises(error, match=f"^unfold_backward: {message}"):
        K.unfold_backward(columns, x, **options)
    with pytest.raises(error, match=f"^fold: {message}"):
        K.fold(columns, 4, **options)
    with pytest.raises(error, match=f"^fold_backward: {message}"):
        K.fold_backward(x, columns, 4, **options)


@pytest.mark.parametrize(
    "shape, options, message",
    [
        ((1, 1, 4, 4), {"kernel_size": 5}, r"kernel_size \(dilated: \(5, 5\)\) must not exceed"),
        ((1, 1, 4, 4), {"kernel_size": 3, "dilation": 2}, r"kernel_size \(dilated: \(5, 5\)\)"),
        (
            (1, 1, 2, 2),
            {"kernel_size": 3, "padding": (1, 0)},
            r"kernel_size .* input size \(4, 2\)",
        ),
        (
            (1, 0, 4, 4),
            {"kernel_size": 1},
            r"input must have non-empty C, H and W .*\(1, 0, 4, 4\)",
        ),
        ((1, 1, 0, 4), {"kernel_size": 1, "padding": 1}, r"input must have non-empty C, H and W"),
        ((1, 4), {"kernel_size": 1}, r"input must have 3 or 4 dimensions .*\(1, 4\)"),
        ((1, 1, 1, 4, 4), {"kernel_size": 1}, r"input must have 3 or 4 dimensions"),
    ],
)
def test_unfold_rejects_bad_sizes(backend, shape, options, message):
    x = backend.asarray(np.zeros(shape))
    with pytest.raises(K.ArgumentError, match=f"^unfold: {message}"):
        K.unfold(x, **options)


@pytest.mark.parametrize(
    "shape, output_size, options, message",
    [
        (
            (1, 4, 15),
            5,
            {"kernel_size": 2},
            r"input.s last dimension must be the number of sliding blocks L = 4 \* 4 = 16 .*got 15",
        ),
        (
            (1, 13, 16),
            5,
            {"kernel_size": 2},
            r"input.s dimension C \* kH \* kW must be divisible by kH \* kW = 4 .*got 13",
        ),
        ((1, 0, 16), 5, {"kernel_size": 2}, r"input must have non-empty C \* kH \* kW and L"),
        (
            (2, 4, 0),
            1,
            {"kernel_size": 2, "padding": 1},
            r"input must have non-empty C \* kH \* kW and L",
        ),
        ((1, 4, 16, 1), 5, {"kernel_size": 2}, r"input must have 2 or 3 dimensions"),
        ((4,), 5, {"kernel_size": 2}, r"input must have 2 or 3 dimensions"),
        ((1, 4, 1), 1, {"kernel_size": 2}, r"output_size \(1, 1\) with padding \(0, 0\) must"),
        ((1, 4, 1), (0, 3), {"kernel_size": 1}, r"output_size must be at least 1"),
    ],
)
def test_fold_rejects_bad_sizes(backend, shape, output_size, options, message):
    columns = backend.asarray(np.zeros(shape))
    with pytest.raises(K.ArgumentError, match=f"^fold: {message}"):
        K.fold(columns, output_size, **options)


def test_unfold_and_fold_refuse_impossible_sizes_naming_the_bytes(backend):
    x = backend.asarray(np.zeros((1, 1, 1, 1)))
    with pytest.raises(MemoryError, match=r"^unfold: an output of shape \(1, 1, .* bytes"):
        K.unfold(x, 1, padding=10**6)
    # a broadcast view of 1e12 blocks: nothing allocated, nothing read before the refusal
    columns = backend.xp.broadcast_to(backend.asarray(np.zeros((1, 1, 1))), (1, 1, 10**12))
    with pytest.raises(MemoryError, match=r"^fold: an output of shape \(1, 1, 1000000, .* bytes"):
        K.fold(columns, 10**6, 1)


def test_unfold_and_fold_reject_common_mistakes(backend):
    """int and bool arrays, None, and grad_outputs of another shape or dtype (both sides)."""
    unfold = {"input": random_input((2, 1, 3, 3)), **_options(2, 1, 0, 1)}
    fold = {"input": random_input((2, 4, 4)), "output_size": 3, **_options(2, 1, 0, 1)}
    cases = common_mistakes("unfold", unfold, ("input",), ("input",), (2, 4, 4))
    cases += common_mistakes("fold", fold, ("input",), ("input",), (2, 1, 3, 3))
    for case in cases:
        check_rejected(backend, case.name, case)


def test_unfold_and_fold_backward_check_grad_output(backend):
    x = backend.asarray(np.zeros((2, 1, 3, 3)))
    with pytest.raises(
        K.ArgumentError,
        match=r"^unfold_backward: grad_output must have .*\(2, 4, 4\), got \(2, 4, 5\)",
    ):
        K.unfold_backward(backend.asarray(np.zeros((2, 4, 5))), x, 2)
    with pytest.raises(TypeError, match=r"^fold_backward: grad_output must .*float32"):
        K.fold_backward(
            backend.asarray(np.zeros((2, 1, 3, 3), np.float32)),
            backend.asarray(np.zeros((2, 4, 4))),
            3,
            2,
        )


# ---------------------------------------------------------------------------------------------
# generated configurations


@st.composite
def fold_cases(draw):
    """A fitting unfold/fold configuration: each axis holds at least one dilated window."""
    kernel = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    dilation = draw(st.one_of(st.integers(1, 2), st.tuples(st.integers(1, 2), st.integers(1, 2))))
    padding = draw(st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2))))
    stride = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    size = []
    for k, d, p in zip(pair(kernel), pair(dilation), pair(padding), strict=True):
        span = d * (k - 1) + 1
        size.append(max(1, span - 2 * p) + draw(st.integers(0, 3)))
    batch = draw(st.sampled_from([(), (0,), (1,), (2,)]))
    shape = (*batch, draw(st.integers(1, 3)), *size)
    return {
        "input": shape,
        "options": _options(kernel, dilation, padding, stride),
        "seed": draw(seeds),
    }


@PROFILE
@given(case=fold_cases())
def test_unfold_matches_torch_on_generated_configurations(backend, case):
    _check_unfold(backend, random_input(case["input"], seed=case["seed"]), **case["options"])


@FEW
@given(case=fold_cases(), dtype=st.sampled_from([np.float64, np.float32]))
def test_fold_matches_torch_on_generated_configurations(backend, case, dtype):
    shape, options = case["input"], case["options"]
    columns = random_input(_columns_shape(shape, **options), seed=case["seed"])
    _check_fold(backend, columns, shape[-2:], dtype, **options)


# ---------------------------------------------------------------------------------------------
# modules and the functional form


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((2,), {}),
        (((2, 3),), {"dilation": 2, "padding": 1, "stride": (1, 2)}),
        ((3,), {"stride": 2}),
    ],
)
def test_unfold_module_matches_torch(backend, args, kwargs):
    module, torch_module = nn.Unfold(*args, **kwargs), torch.nn.Unfold(*args, **kwargs)
    assert repr(module) == repr(torch_module)
    assert module.state_dict() == {}
    check_module(module, torch_module, (2, 3, 7, 8), backend)


@pytest.mark.parametrize(
    "args, kwargs",
    [(((5, 6), 2), {}), (((5, 6), (2, 3)), {"dilation": 2, "padding": 1, "stride": (1, 2)})],
)
def test_fold_module_matches_torch(backend, args, kwargs):
    module, torch_module = nn.Fold(*args, **kwargs), torch.nn.Fold(*args, **kwargs)
    assert repr(module) == repr(torch_module)
    shape = _columns_shape((2, 3, *args[0]), kernel_size=args[1], **kwargs)
    check_module(module, torch_module, shape, backend)


def test_fold_and_unfold_modules_keep_torch_repr_of_lists():
    assert repr(nn.Fold([4, 4], [2])) == repr(torch.nn.Fold([4, 4], [2]))
    assert repr(nn.Unfold(kernel_size=[2, 2], padding=(1, 0))) == repr(
        torch.nn.Unfold(kernel_size=[2, 2], padding=(1, 0))
    )


def test_functional_unfold_and_fold_give_torch_gradients(backend):
    x = random_input((2, 2, 5, 5), seed=11)
    tensor = xpnet.Tensor(backend.asarray(x), requires_grad=True)
    F.fold(F.unfold(tensor, 3, padding=1) ** 2, 5, 3, padding=1).sum().backward()
    reference = torch.tensor(x, requires_grad=True)
    TF.fold(TF.unfold(reference, 3, padding=1) ** 2, 5, 3, padding=1).sum().backward()
    assert_close(backend.to_host(tensor.grad.array), reference.grad.numpy(), np.float64)
