"""``dtype=`` arguments as PyTorch takes them.

``xpnet.nn.functional.softmax``, ``log_softmax`` and ``softmin`` have PyTorch's signature,
``(input, dim=None, _stacklevel=3, dtype=None)``: ``dtype`` casts the input before the op (the
gradient comes back in the input's dtype), is kept under autocast, and a missing ``dim`` is
PyTorch's deprecated implicit choice with its warning. ``linalg.vector_norm``/``matrix_norm``/
``norm`` refuse a ``dtype`` that narrows the input's, and a non-floating one, as PyTorch's
RuntimeError. The oracle is torch 2.13 on the CPU (under autocast: torch outside autocast with
that dtype, as its ``fp32_set_opt_dtype`` runs a call that gives a dtype).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, random_input

import xpnet
import xpnet.nn.functional as F

NAMES = ["softmax", "log_softmax", "softmin"]
DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
DTYPE_ORDER = list(DTYPES)  # narrowest first


def _pair(backend, values, dtype):
    """The same values as an xpnet and a torch leaf tensor of ``dtype`` that require grad."""
    array = np.asarray(values, dtype=dtype)
    ours = xpnet.Tensor(backend.asarray(array), requires_grad=True)
    return ours, torch.tensor(array, requires_grad=True)


def _check(result, expected, computed_in=None):
    """``result`` against torch's ``expected``: the same dtype, and close at the tolerance of
    ``computed_in`` (default: that dtype)."""
    name = str(expected.dtype).removeprefix("torch.")
    assert str(result.dtype) == name
    dtype = DTYPES[computed_in or name]
    assert_close(xpnet.to_numpy(result), expected.detach().double().numpy(), dtype)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "source, dtype", [("float32", "float64"), ("float16", "float32"), ("float64", "float32")]
)
def test_softmax_family_casts_to_dtype_before_the_op(backend, name, source, dtype):
    ours, theirs = _pair(backend, 3 * random_input((3, 5), seed=2), source)
    result = getattr(F, name)(ours, 1, dtype=getattr(xpnet, dtype))
    expected = getattr(TF, name)(theirs, 1, dtype=getattr(torch, dtype))
    _check(result, expected)
    grad_output = random_input((3, 5), seed=3)
    result.backward(xpnet.Tensor(backend.asarray(grad_output.astype(dtype))))
    expected.backward(torch.tensor(grad_output.astype(dtype)))
    # in the input's dtype, through the recorded cast; as accurate as the op's dtype
    _check(ours.grad, theirs.grad, computed_in=min(source, dtype, key=DTYPE_ORDER.index))


@pytest.mark.parametrize("name", NAMES)
def test_softmax_family_dtype_is_positional_fourth_as_torchs(backend, name):
    ours, theirs = _pair(backend, random_input((2, 4), seed=4), "float32")
    result = getattr(F, name)(ours, 0, 3, xpnet.float64)
    _check(result, getattr(TF, name)(theirs, 0, 3, torch.float64))


@pytest.mark.parametrize("name", NAMES)
def test_softmax_family_keeps_a_given_dtype_under_autocast(backend, name):
    ours, theirs = _pair(backend, random_input((2, 4), seed=5), "float32")
    with xpnet.autocast():
        kept = getattr(F, name)(ours, 1, dtype=xpnet.float16)
        widened = getattr(F, name)(ours.half(), 1)
    _check(kept, getattr(TF, name)(theirs, 1, dtype=torch.float16))
    _check(widened, getattr(TF, name)(theirs.half().float(), 1))  # on the float32 list


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_family_without_dim_warns_and_picks_torchs_dim(backend, name, shape):
    ours, theirs = _pair(backend, random_input(shape, seed=6), "float64")
    message = f"Implicit dimension choice for {name} has been deprecated"
    with pytest.warns(UserWarning, match=message) as ours_warned:
        result = getattr(F, name)(ours)
    assert ours_warned[0].filename == __file__  # _stacklevel points at the caller, as torch's
    with pytest.warns(UserWarning, match=message):
        expected = getattr(TF, name)(theirs)
    _check(result, expected)


# (call, input shape) for each linalg norm entry point; torch's message names the norm it runs
NORM_CALLS = {
    "linalg.vector_norm": (lambda m, x, d: m.linalg.vector_norm(x, dtype=d), (3,)),
    "linalg.matrix_norm": (lambda m, x, d: m.linalg.matrix_norm(x, dtype=d), (2, 2)),
    "linalg.matrix_norm_1": (lambda m, x, d: m.linalg.matrix_norm(x, 1, dtype=d), (2, 2)),
    "linalg.matrix_norm_nuc": (lambda m, x, d: m.linalg.matrix_norm(x, "nuc", dtype=d), (2, 2)),
    "linalg.norm_vector": (lambda m, x, d: m.linalg.norm(x, dtype=d), (2, 2)),
    "linalg.norm_matrix": (lambda m, x, d: m.linalg.norm(x, 2, dtype=d), (2, 2)),
}


def _torch_refusal(call, x, dtype):
    with pytest.raises(RuntimeError) as refused:
        call(torch, x, dtype)
    return str(refused.value)


@pytest.mark.parametrize("name", sorted(NORM_CALLS))
@pytest.mark.parametrize(
    "source, dtype", [("float32", "float16"), ("float64", "float32"), ("float64", "float16")]
)
def test_linalg_norms_refuse_a_narrowing_dtype(backend, name, source, dtype):
    call, shape = NORM_CALLS[name]
    ours, theirs = _pair(backend, random_input(shape, seed=7), source)
    expected = _torch_refusal(call, theirs, getattr(torch, dtype))
    # torch's words, with xpnet's dtype names: "(Float)" is "(float32)", "(Half)" "(float16)"
    torch_names = {"Half": "float16", "Float": "float32", "Double": "float64"}
    for torch_name, name_here in torch_names.items():
        expected = expected.replace(f"({torch_name})", f"({name_here})")
    with pytest.raises(RuntimeError) as refused:
        call(xpnet, ours, getattr(xpnet, dtype))
    assert str(refused.value) == expected


# torch's CPU SVD refuses float16 sources: those norms from float32 only
@pytest.mark.parametrize(
    "name, source, dtype",
    [(name, *pair) for name in sorted(NORM_CALLS)
     for pair in [("float16", "float32"), ("float32", "float64")]
     if pair[0] == "float32" or name not in ("linalg.matrix_norm_nuc", "linalg.norm_matrix")],
)  # fmt: skip
def test_linalg_norms_take_a_widening_dtype(backend, name, source, dtype):
    call, shape = NORM_CALLS[name]
    ours, theirs = _pair(backend, random_input(shape, seed=8), source)
    _check(call(xpnet, ours, getattr(xpnet, dtype)), call(torch, theirs, getattr(torch, dtype)))


def test_linalg_norms_refuse_integer_dtypes_as_torch(backend):
    x32, x64 = _pair(backend, [3.0, 4.0], "float32")
    _torch_refusal(NORM_CALLS["linalg.vector_norm"][0], x64, torch.int64)
    with pytest.raises(TypeError, match="vector_norm: dtype must be floating point.*int64"):
        xpnet.linalg.vector_norm(x32, dtype=xpnet.int64)
    _torch_refusal(NORM_CALLS["linalg.vector_norm"][0], x64.long(), torch.float32)
    with pytest.raises(TypeError, match="vector_norm: x must be a floating-point tensor"):
        xpnet.linalg.vector_norm(x32.long(), dtype=xpnet.float32)
