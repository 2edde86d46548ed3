"""The ``nn.Module`` API against torch.nn 2.13: the differences a differential audit of the
module machinery found (2026-12-07), each pinned to PyTorch's behaviour: copies and pickles of
hook handles (lazy modules), lazy modules' placeholders under ``load_state_dict`` and ``.to``,
``requires_grad_``'s checks, ``nn.Buffer`` assigned over other attributes, complex parameters
under ``to(dtype)``, casts and loads without NumPy's warnings, and the containers' index and
``update`` checks."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import xpnet
from xpnet import nn


def _refused_as_torch(call, pattern):
    """``call(torch)`` raises, and ``call(xpnet)`` an instance of the same class matching
    ``pattern``."""
    with pytest.raises(Exception) as expected:  # noqa: PT011 - whatever class torch raises
        call(torch)
    with pytest.raises(expected.type, match=pattern):
        call(xpnet)


# 1. a hook handle copied (deepcopy, pickle) with its module refers to the copy's hooks


@pytest.mark.parametrize("duplicate", ["deepcopy", "pickle"])
def test_a_copied_lazy_module_initializes_apart_from_the_original(backend, duplicate):
    original = nn.LazyLinear(3)
    if duplicate == "deepcopy":
        twin = copy.deepcopy(original)
    else:
        twin = pickle.loads(pickle.dumps(original))
    twin(xpnet.ones(2, 4))  # removes the twin's initialization hook, not the original's
    original(xpnet.ones(2, 5))
    assert type(twin) is nn.Linear and twin.weight.shape == (3, 4)
    assert type(original) is nn.Linear and original.weight.shape == (3, 5)


def _plus_one(module, args, output):
    return output + 1


def _times_ten(module, args, output):
    return output * 10


def test_an_unpickled_handle_removes_its_own_hook(backend):
    layer = nn.Identity()
    layer.handle = layer.register_forward_hook(_plus_one)
    copied = pickle.loads(pickle.dumps(layer))
    copied.register_forward_hook(_times_ten)
    assert copied(1) == 20
    copied.handle.remove()
    assert copied(1) == 10 and layer(1) == 2


def test_an_unpickled_handle_moves_the_id_sequence_past_its_own(backend):
    # a handle pickled in a process that had made more hooks: later ids must not reuse its id
    handle = nn.Identity().register_forward_hook(_plus_one)
    restored = type(handle).__new__(type(handle))
    restored.__setstate__((None, handle.id + 1000, ()))
    restored.remove()  # a dead reference: nothing to remove, no error
    assert nn.Identity().register_forward_hook(_plus_one).id > handle.id + 1000


# 2. lazy modules: placeholders under load_state_dict and .to, PyTorch's RuntimeError


def test_uninitialized_shape_is_torchs_runtime_error(backend):
    _refused_as_torch(lambda M: M.nn.LazyLinear(3).weight.shape, "Can't access the shape")
    _refused_as_torch(
        lambda M: M.nn.Linear(4, 3).load_state_dict(M.nn.LazyLinear(3).state_dict()),
        "Can't access the shape of an uninitialized parameter",
    )


def test_an_uninitialized_state_dict_loads_into_a_lazy_module(backend):
    source, target = nn.LazyLinear(3), nn.LazyBatchNorm1d()
    assert repr(nn.LazyLinear(3).load_state_dict(source.state_dict())) == (
        "<All keys matched successfully>"
    )
    result = target.load_state_dict(nn.LazyBatchNorm1d().state_dict())
    assert result.missing_keys == [] and target.has_uninitialized_params()
    target(xpnet.ones(4, 2))
    assert type(target) is nn.BatchNorm1d and target.running_mean.shape == (2,)


@pytest.mark.parametrize(
    "move, dtype",
    [
        (lambda m: m.cpu(), "float32"),
        (lambda m: m.to("cpu"), "float32"),
        (lambda m: m.to(device="cpu", dtype=np.float64), "float64"),
        (lambda m: m.to_empty(device="cpu").half().float(), "float32"),
    ],
)
def test_a_lazy_module_moves_and_casts_before_its_first_call(move, dtype):
    layer = nn.LazyConv2d(3, 2)
    norm = nn.LazyBatchNorm2d()
    move(layer), move(norm)
    x = xpnet.ones(1, 2, 4, 4, dtype=dtype)
    assert layer(x).dtype == dtype and norm(x).dtype == dtype
    assert layer.weight.dtype == dtype and norm.running_var.dtype == dtype
    assert norm.num_batches_tracked.dtype == np.int64


def test_a_lazy_module_moved_to_another_backend_materializes_there():
    layer = nn.LazyLinear(2).to("strict")
    layer(xpnet.ones(3, 4).to("strict"))
    strict = type(xpnet.to_backend(np.zeros(1), "strict"))
    assert type(layer.weight.array) is strict and type(layer.bias.array) is strict


# 3. requires_grad_ checks its argument and the dtypes, as Tensor.requires_grad_


def test_module_requires_grad_refuses_what_torch_refuses(backend):
    _refused_as_torch(lambda M: M.nn.Linear(2, 2).requires_grad_(0), "requires_grad")

    def integer_parameter(M):
        layer = M.nn.Linear(2, 2)
        layer.index = M.nn.Parameter(M.zeros(2, dtype=M.int64), requires_grad=False)
        layer.requires_grad_(True)

    _refused_as_torch(integer_parameter, "floating")


# 4. nn.Buffer assigned over a parameter, a child or a plain attribute: PyTorch's refusals


@pytest.mark.parametrize(
    "name, pattern",
    [
        ("weight", "cannot assign Buffer to parameter 'weight'"),
        ("child", "cannot assign Buffer to child module 'child'"),
        ("plain", "attribute 'plain' already exists"),
    ],
)
def test_a_buffer_object_is_refused_where_torch_refuses_it(backend, name, pattern):
    def assign(M):
        layer = M.nn.Linear(2, 2)
        layer.child = M.nn.ReLU()
        layer.plain = 3
        setattr(layer, name, M.nn.Buffer(M.zeros(2)))

    _refused_as_torch(assign, pattern)


# 5. to(dtype) casts complex parameters too; half/float/double leave them complex


def test_module_to_a_real_dtype_casts_complex_parameters_as_torch(backend):
    with warnings.catch_warnings():  # torch's warnings: "a new feature", and one given once
        warnings.simplefilter("ignore")
        reference = torch.nn.Linear(2, 2).to(torch.complex128)
        with torch.no_grad():
            reference.weight.fill_(1 + 2j)
        reference.double()  # floating ones only: complex stays complex
        complex_after_double = reference.weight.dtype
        reference.to(torch.float32)
    layer = nn.Linear(2, 2).to(np.complex128)
    layer.weight.array[...] = xpnet.to_backend(np.full((2, 2), 1 + 2j), backend.name)
    layer.double()
    assert complex_after_double == torch.complex128 and layer.weight.dtype == np.complex128
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        layer.to(np.float32)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    np.testing.assert_array_equal(xpnet.to_numpy(layer.weight.array), reference.weight.detach())


# 6. casts and loads that overflow or meet NaN: PyTorch's values, no NumPy warning


@pytest.mark.parametrize("cast", [lambda m: m.half(), lambda m: m.to(xpnet.float16)])
def test_casting_to_float16_overflows_to_inf_without_a_warning(backend, cast):
    layer = nn.Linear(2, 2)
    with xpnet.no_grad():
        layer.weight.fill_(1e10)
        layer.bias.fill_(float("nan"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cast(layer)
    assert np.isposinf(xpnet.to_numpy(layer.weight.array)).all()
    assert np.isnan(xpnet.to_numpy(layer.bias.array)).all()


def test_loading_nan_into_an_integer_buffer_is_torchs_cast_without_a_warning(backend):
    reference, norm = torch.nn.BatchNorm1d(2), nn.BatchNorm1d(2)
    state = {key: xpnet.to_numpy(value).copy() for key, value in norm.state_dict().items()}
    state["num_batches_tracked"] = np.array(np.nan, dtype=np.float32)
    torch_state = {key: torch.from_numpy(value) for key, value in state.items()}
    reference.load_state_dict(torch_state)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert repr(norm.load_state_dict(state)) == "<All keys matched successfully>"
    assert int(xpnet.to_numpy(norm.num_batches_tracked)) == reference.num_batches_tracked.item()


# 7. the containers: indices as PyTorch's operator.index, ModuleDict.update's checks


@pytest.mark.parametrize("index", [1.0, "0", None, [0]])
@pytest.mark.parametrize(
    "operation",
    [
        lambda c, i: c[i],
        lambda c, i: c.__setitem__(i, c[0]),
        lambda c, i: c.__delitem__(i),
        lambda c, i: c.pop(i),
    ],
)
@pytest.mark.parametrize("container", ["Sequential", "ModuleList"])
def test_container_indices_that_are_not_integers_are_type_errors(
    backend, container, operation, index
):
    def call(M):
        modules = [M.nn.ReLU(), M.nn.Tanh()]
        built = getattr(M.nn, container)(*modules) if container == "Sequential" else None
        operation(built or M.nn.ModuleList(modules), index)

    _refused_as_torch(call, f"{container}: indices must be integers or slices, not")


@pytest.mark.parametrize(
    "values, pattern",
    [
        (3, r"ModuleDict.update: expected an iterable of key/value pairs, got int"),
        ([3], r"ModuleDict.update: sequence element #0 must be a pair, got int"),
        (["abc"], r"ModuleDict.update: sequence element #0 has length 3; 2 is required"),
        ([("a", 1, 2)], r"ModuleDict.update: sequence element #0 has length 3; 2 is required"),
    ],
)
def test_module_dict_update_checks_its_pairs_as_torch(backend, values, pattern):
    _refused_as_torch(lambda M: M.nn.ModuleDict().update(values), pattern)
