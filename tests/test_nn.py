"""xpnet.nn modules against torch.nn modules with the same weights, through autograd."""

from __future__ import annotations

import importlib
import math
import pkgutil
from pathlib import Path

import numpy as np
import pytest
import torch
from _oracle import assert_close, check_against_torch, random_input, requires_torch

import xpnet
from xpnet import nn
from xpnet.autograd import Tensor


def load_torch_weights(module, torch_module):
    """Copy a torch module's state into an xpnet module (the interop path under test)."""
    state = {key: value.detach().numpy() for key, value in torch_module.state_dict().items()}
    module.load_state_dict(state)


def check_module(module, torch_module, input_shape, backend, dtype=np.float64, seed=0):
    """Forward and the gradients of the input and every parameter, against torch."""
    torch_module = torch_module.double()
    module.to(backend.name, dtype=dtype)
    load_torch_weights(module, torch_module)
    names = [name for name, _ in torch_module.named_parameters()]
    assert [name for name, _ in module.named_parameters()] == names
    params = list(module.parameters())

    def run(x, *arrays):
        for param, array in zip(params, arrays, strict=True):
            param.array, param.grad = array, None
        x = Tensor(x, requires_grad=True)
        return x, module(x)

    def forward(x, *arrays):
        return run(x, *arrays)[1].array

    def backward(grad_output, x, *arrays):
        x, output = run(x, *arrays)
        output.backward(grad_output)
        return (x.grad, *[param.grad for param in params])

    def torch_forward(x, *tensors):
        return torch.func.functional_call(torch_module, dict(zip(names, tensors, strict=True)), x)

    inputs = [random_input(input_shape, seed=seed)] + [
        p.detach().numpy() for p in torch_module.parameters()
    ]
    check_against_torch(forward, backward, torch_forward, inputs, backend, dtype)


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((3, 4, 3), {}),
        ((3, 4, (3, 2)), {"stride": 2, "padding": 1, "bias": False}),
        ((4, 6, 3), {"groups": 2, "dilation": 2, "padding": (2, 1)}),
        ((3, 2, 3), {"padding": "same"}),
    ],
)
def test_conv2d_matches_torch(backend, args, kwargs):
    check_module(
        nn.Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs), (2, args[0], 7, 6), backend
    )


def test_conv2d_float32_matches_torch(backend):
    check_module(nn.Conv2d(3, 4, 3), torch.nn.Conv2d(3, 4, 3), (2, 3, 6, 6), backend, np.float32)


@pytest.mark.parametrize("bias, shape", [(True, (5, 4)), (False, (2, 3, 4))])
def test_linear_matches_torch(backend, bias, shape):
    check_module(nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias), shape, backend)


@pytest.mark.parametrize(
    "name, args",
    [
        ("MaxPool2d", (2,)),
        ("MaxPool2d", (3, 2, 1)),
        ("AvgPool2d", (3, 2, 1)),
        ("AvgPool2d", (2,)),
        ("AdaptiveAvgPool2d", ((2, 3),)),
        ("AdaptiveMaxPool2d", (3,)),
        ("Flatten", ()),
        ("Identity", ()),
    ],
)
def test_parameterless_layers_match_torch(backend, name, args):
    check_module(getattr(nn, name)(*args), getattr(torch.nn, name)(*args), (2, 3, 7, 6), backend)


@pytest.mark.parametrize("module", [nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.ConvTranspose3d])
def test_conv_modules_refuse_a_one_element_kernel_size(module):
    # PyTorch builds a 1-D kernel from [3], which its 2-D and 3-D forwards refuse
    with pytest.raises(TypeError, match=r"kernel_size must be an int or a tuple of \d ints"):
        module(2, 4, kernel_size=[3])
    assert nn.Conv1d(2, 4, kernel_size=[3]).weight.shape == (4, 2, 3)


@pytest.mark.parametrize(
    "shape, output_size, expected",
    [
        ((1, 2, 8, 8), [16], "for 4D input, output_size must have 2 or 4 elements, got 1"),
        ((1, 2, 8, 8), [1, 4, 16, 16, 1], "output_size must have 2 or 4 elements, got 5"),
        ((2, 8, 8), [1, 2, 16, 16], "for 3D input, output_size must have 2 or 3 elements, got 4"),
    ],
)
def test_conv_transpose_module_checks_output_size_length_as_torch(shape, output_size, expected):
    layer = nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1)
    x = np.zeros(shape, np.float32)
    with pytest.raises(ValueError, match=expected):
        layer(xpnet.asarray(x), output_size=output_size)
    with pytest.raises(ValueError, match="output_size must have"):
        torch.nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1)(torch.from_numpy(x), output_size)
    # the whole shape, with batch and channels, is taken as PyTorch takes it
    whole = [*shape[:-2], 16, 15]
    assert layer(xpnet.asarray(x), output_size=whole).shape == (*shape[:-3], 4, 16, 15)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("ReLU", {}),
        ("ReLU6", {}),
        ("LeakyReLU", {"negative_slope": 0.2}),
        ("ELU", {"alpha": 0.7}),
        ("GELU", {}),
        ("GELU", {"approximate": "tanh"}),
        ("Hardtanh", {"min_val": -0.5, "max_val": 0.3}),
        ("Sigmoid", {}),
        ("SiLU", {}),
        ("Tanh", {}),
        ("Softplus", {}),
        ("Softplus", {"beta": 2.0, "threshold": 3.0}),
        ("Mish", {}),
        ("SELU", {}),
        ("CELU", {"alpha": 0.5}),
        ("LogSigmoid", {}),
        ("Softsign", {}),
        ("Tanhshrink", {}),
        ("Softmax", {"dim": 1}),
        ("LogSoftmax", {"dim": -1}),
        ("Hardswish", {}),
        ("Hardsigmoid", {}),
        ("Threshold", {"threshold": 0.1, "value": 20.0}),
        ("Hardshrink", {}),
        ("Softshrink", {"lambd": 0.3}),
        ("GLU", {"dim": 1}),
        ("Softmin", {"dim": 1}),
        ("PReLU", {}),
        ("PReLU", {"num_parameters": 4, "init": -0.1}),
    ],
)
def test_activations_match_torch(backend, name, kwargs):
    check_module(getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs), (3, 4, 5), backend)


def test_every_activation_is_a_module():
    # every kernel module xpnet/kernels/activation*.py (activation, activation_smooth, ...)
    families = [
        importlib.import_module(f"xpnet.kernels.{info.name}")
        for info in pkgutil.iter_modules(xpnet.kernels.__path__)
        if info.name.startswith("activation")
    ]
    names = {name for family in families for name in family.__all__}
    kernels = {name for name in names if not name.endswith("_backward")}
    kernels |= {"softmax", "log_softmax"}
    lifted = {
        cls.function.forward.__name__  # the kernel that the class's function lifts
        for cls in vars(nn.activation).values()
        if isinstance(cls, type) and issubclass(cls, nn.activation._Activation) and cls.function
    }
    # a layer that holds parameters is a plain Module calling its function: PReLU (prelu)
    holders = {"prelu": "PReLU"}
    lifted |= {kernel for kernel, layer in holders.items() if hasattr(nn.activation, layer)}
    assert lifted == kernels


@pytest.mark.parametrize(
    "name, args, kwargs, shape",
    [
        ("BatchNorm1d", (4,), {}, (6, 4)),
        ("BatchNorm1d", (4,), {"affine": False}, (6, 4, 3)),
        ("BatchNorm2d", (3,), {"momentum": None}, (4, 3, 5, 5)),
        ("BatchNorm2d", (3,), {"track_running_stats": False}, (4, 3, 5, 5)),
        ("BatchNorm3d", (3,), {}, (2, 3, 3, 2, 4)),
        ("BatchNorm3d", (2,), {"momentum": None, "affine": False}, (3, 2, 2, 2, 2)),
        ("LayerNorm", ((5, 5),), {}, (4, 3, 5, 5)),
        ("LayerNorm", (5,), {"elementwise_affine": False}, (4, 3, 5)),
        ("LayerNorm", (5,), {"bias": False}, (4, 5)),
        ("GroupNorm", (3, 6), {}, (2, 6, 4, 3)),
        ("GroupNorm", (2, 4), {"affine": False, "eps": 1e-3}, (2, 4, 5)),
    ],
)
@pytest.mark.parametrize("training", [True, False])
def test_normalization_layers_match_torch(backend, name, args, kwargs, shape, training):
    torch_module = getattr(torch.nn, name)(*args, **kwargs)
    module = getattr(nn, name)(*args, **kwargs)
    with torch.no_grad():  # non-trivial affine parameters and running statistics
        for tensor in torch_module.parameters():
            tensor.uniform_(0.5, 1.5)
        for key, tensor in torch_module.named_buffers():
            if key != "num_batches_tracked":
                tensor.uniform_(0.5, 1.5)
    check_module(module.train(training), torch_module.train(training), shape, backend)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batch_norm_running_statistics_match_torch(backend, momentum):
    module = nn.BatchNorm2d(3, momentum=momentum).to(backend.name, dtype="float64")
    torch_module = torch.nn.BatchNorm2d(3, momentum=momentum).double()
    for step in range(3):
        x = random_input((4, 3, 5, 5), seed=step, low=-2, high=3)
        output = module(backend.asarray(x))
        output.sum().backward()  # backward must not update the statistics again
        torch_module(torch.from_numpy(x))
    for key, value in torch_module.state_dict().items():
        assert_close(xpnet.to_numpy(module.state_dict()[key]), value.numpy(), np.float64, key)
    assert module.num_batches_tracked.dtype == np.int64
    assert int(xpnet.to_numpy(module.num_batches_tracked)) == 3


def test_batch_norm_eval_leaves_statistics(backend):
    module = nn.BatchNorm1d(2).to(backend.name).eval()
    module(backend.asarray(random_input((5, 2), dtype=np.float32)))
    assert xpnet.to_numpy(module.running_mean).tolist() == [0.0, 0.0]
    assert int(xpnet.to_numpy(module.num_batches_tracked)) == 0


@pytest.mark.parametrize(
    "name, shape",
    [("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm2d", (2, 3)), ("BatchNorm3d", (2, 3, 4, 5))],
)
def test_batch_norm_rejects_bad_input_dim(name, shape):
    with pytest.raises(ValueError, match=f"{name}: expected .*D input, got {len(shape)}D input"):
        getattr(nn, name)(3)(np.zeros(shape, dtype=np.float32))


def test_group_norm_rejects_indivisible_channels():
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(4, 6)


def test_conv2d_rejects_bad_groups_and_padding_mode():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="reflection")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for'):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("CrossEntropyLoss", {}),
        ("CrossEntropyLoss", {"reduction": "sum", "label_smoothing": 0.1}),
        ("CrossEntropyLoss", {"weight": "w", "ignore_index": 1}),
        ("NLLLoss", {}),
        ("NLLLoss", {"weight": "w", "reduction": "none"}),
    ],
)
def test_losses_match_torch(backend, name, kwargs):
    weight = random_input((5,), seed=3, low=0.5, high=2.0)
    if "weight" in kwargs:
        kwargs = {**kwargs, "weight": weight}
    target = np.array([0, 1, 4, 1, 2, 3])
    module = getattr(nn, name)(
        **{**kwargs, "weight": backend.asarray(weight)} if "weight" in kwargs else kwargs
    )
    torch_module = getattr(torch.nn, name)(
        **{**kwargs, "weight": torch.from_numpy(weight)} if "weight" in kwargs else kwargs
    )
    device_target = backend.asarray(target)
    check_against_torch(
        lambda x: module(Tensor(x), device_target).array,
        lambda g, x: _input_grad(lambda t: module(t, device_target), g, x),
        lambda x: torch_module(x, torch.from_numpy(target)),
        [random_input((6, 5), seed=4)],
        backend,
    )


def _input_grad(function, grad_output, x):
    x = Tensor(x, requires_grad=True)
    function(x).backward(grad_output)
    return x.grad


def test_loss_rejects_deprecated_arguments():
    with pytest.raises(ValueError, match="size_average and reduce are deprecated"):
        nn.CrossEntropyLoss(size_average=True)


def test_dropout_trains_and_evaluates(backend):
    xpnet.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = Tensor(backend.asarray(np.ones((200, 50))), requires_grad=True)
    output = drop(x)
    output.backward(backend.asarray(np.ones((200, 50))))
    kept = xpnet.to_numpy(output.array) != 0
    assert 0.7 < kept.mean() < 0.8
    assert np.allclose(xpnet.to_numpy(output.array)[kept], 1 / 0.75)
    # the gradient flows through the very mask of the forward
    assert np.array_equal(xpnet.to_numpy(x.grad), xpnet.to_numpy(output.array))
    assert drop.eval()(x).array is x.array
    xpnet.manual_seed(0)
    assert np.array_equal(xpnet.to_numpy(nn.Dropout(0.25)(x).array), xpnet.to_numpy(output.array))


def test_dropout_rejects_bad_p():
    with pytest.raises(ValueError, match=r"Dropout: p must be in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


def _residual_block(lib):
    """The same residual network in xpnet or torch (``lib``): one source for both."""

    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(3, 3, 3, padding=1, bias=False)
            self.bn1 = lib.nn.BatchNorm2d(3)
            self.relu = lib.nn.ReLU()
            self.conv2 = lib.nn.Conv2d(3, 3, 3, padding=1, bias=False)
            self.bn2 = lib.nn.BatchNorm2d(3)

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + x)

    return lib.nn.Sequential(
        Block(), lib.nn.AdaptiveAvgPool2d(1), lib.nn.Flatten(), lib.nn.Linear(3, 4)
    )


def test_residual_network_matches_torch(backend):
    check_module(_residual_block(xpnet), _residual_block(torch), (2, 3, 6, 6), backend)


def test_module_registration_and_traversal():
    net = _residual_block(xpnet)
    assert [name for name, _ in net.named_children()] == ["0", "1", "2", "3"]
    assert len(list(net.modules())) == 10
    assert [name for name, _ in net.named_buffers()][:3] == [
        "0.bn1.running_mean",
        "0.bn1.running_var",
        "0.bn1.num_batches_tracked",
    ]
    assert isinstance(net[0].conv1, nn.Conv2d) and isinstance(net[1:], nn.Sequential)
    assert len(net[1:]) == 3 and net[-1] is net[3]
    assert not any(m.training for m in net.eval().modules())
    assert all(m.training for m in net.train().modules())
    shared = nn.Linear(2, 2)
    assert len(list(nn.Sequential(shared, shared).parameters())) == 2


def test_zero_grad_and_requires_grad():
    layer = nn.Linear(3, 2)  # on the current backend: XPNET_BACKEND may name any
    x = xpnet.asarray(np.ones((1, 3)), dtype="float32")
    layer(x).sum().backward()
    assert layer.weight.grad is not None
    layer.zero_grad(set_to_none=False)
    assert not layer.weight.grad.any()
    layer.zero_grad()
    assert layer.weight.grad is None
    layer.requires_grad_(False)
    assert not layer(x).requires_grad


def test_module_rejects_non_parameter_for_parameter():
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="cannot assign ndarray to parameter 'weight'"):
        layer.weight = np.zeros((2, 3))
    layer.bias = None
    assert "bias" not in layer.state_dict()


def test_add_module_and_delattr():
    net = nn.Module()
    net.add_module("fc", nn.Linear(2, 2))
    net.scale = 2.0
    assert list(net.state_dict()) == ["fc.weight", "fc.bias"]
    del net.fc, net.scale
    assert list(net.state_dict()) == [] and not hasattr(net, "scale")
    net.register_buffer("cache", np.zeros(2), persistent=False)
    assert list(net.state_dict()) == [] and len(list(net.buffers())) == 1


def test_module_without_forward_raises():
    with pytest.raises(NotImplementedError, match="must define forward"):
        nn.Module()(1)


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'kernel'"):
        nn.Linear(1, 1).kernel  # noqa: B018


# the normalization layers' repr, as PyTorch's from 2.13 on
BIAS = requires_torch("2.13", "shows the bias= of batch, layer and group norm in their repr")


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.nn.Conv2d(3, 16, 3),
        lambda lib: lib.nn.Conv2d(
            3, 16, (3, 5), stride=2, padding=1, dilation=2, groups=1, bias=False
        ),
        lambda lib: lib.nn.Conv2d(4, 8, 3, padding="same", groups=2),
        lambda lib: lib.nn.Linear(4, 2, bias=False),
        pytest.param(lambda lib: lib.nn.BatchNorm2d(8, momentum=None, affine=False), marks=BIAS),
        pytest.param(lambda lib: lib.nn.BatchNorm1d(8), marks=BIAS),
        pytest.param(
            lambda lib: lib.nn.BatchNorm3d(8, eps=1e-3, track_running_stats=False), marks=BIAS
        ),
        pytest.param(lambda lib: lib.nn.LayerNorm((4, 5)), marks=BIAS),
        pytest.param(lambda lib: lib.nn.GroupNorm(2, 8, affine=False), marks=BIAS),
        lambda lib: lib.nn.MaxPool2d(3, 2, 1),
        lambda lib: lib.nn.AvgPool2d(2),
        lambda lib: lib.nn.AdaptiveAvgPool2d((1, 1)),
        lambda lib: lib.nn.AdaptiveMaxPool2d(2),
        lambda lib: lib.nn.Flatten(),
        lambda lib: lib.nn.Dropout(0.2),
        lambda lib: lib.nn.ReLU(inplace=True),
        lambda lib: lib.nn.LeakyReLU(0.2),
        lambda lib: lib.nn.ELU(),
        lambda lib: lib.nn.GELU(approximate="tanh"),
        lambda lib: lib.nn.Hardtanh(-2.0, 2.0),
        lambda lib: lib.nn.Softmax(dim=1),
        lambda lib: lib.nn.Tanh(),
        lambda lib: lib.nn.Softplus(beta=2, threshold=10),
        lambda lib: lib.nn.CELU(0.5, inplace=True),
        lambda lib: lib.nn.SELU(),
        lambda lib: lib.nn.Hardswish(inplace=True),
        lambda lib: lib.nn.Hardsigmoid(),
        lambda lib: lib.nn.Threshold(0.1, 20, inplace=True),
        lambda lib: lib.nn.Hardshrink(),
        lambda lib: lib.nn.Softshrink(0.3),
        lambda lib: lib.nn.GLU(),
        lambda lib: lib.nn.Softmin(1),
        lambda lib: lib.nn.PReLU(3, 0.1),
        lambda lib: lib.nn.CrossEntropyLoss(),
        # ModuleList folds runs of equal children: "(0-1): 2 x ReLU()", then "(2): Tanh()"
        lambda lib: lib.nn.ModuleList([lib.nn.ReLU(), lib.nn.ReLU(), lib.nn.Tanh()]),
        lambda lib: lib.nn.ModuleList([lib.nn.Linear(2, 3), lib.nn.Linear(2, 3)]),
        lambda lib: lib.nn.ModuleList(),
        pytest.param(lambda lib: _residual_block(lib), marks=BIAS),  # a BatchNorm2d inside
    ],
)
def test_repr_matches_torch(make):
    assert repr(make(xpnet)) == repr(make(torch))


def test_linear_init_bounds():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for param in (layer.weight, layer.bias):
        values = param.numpy()
        assert values.dtype == np.float32 and np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.95 * bound


def test_module_to_moves_parameters_and_buffers(backend):
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).to(backend.name, dtype="float64")
    for array in [*[p.array for p in net.parameters()], *net.buffers()]:
        assert type(array) is backend.ndarray
    assert net[1].running_mean.dtype == np.float64
    assert net[1].num_batches_tracked.dtype == np.int64
    assert net.float()[0].weight.dtype == np.float32


def test_batch_norm3d_state_dict_keys_and_defaults_match_torch():
    module, torch_module = nn.BatchNorm3d(5), torch.nn.BatchNorm3d(5)
    assert list(module.state_dict()) == list(torch_module.state_dict())
    for key, value in torch_module.state_dict().items():
        assert xpnet.to_numpy(module.state_dict()[key]).tolist() == value.numpy().tolist(), key
    assert (module.eps, module.momentum, module.affine) == (1e-5, 0.1, True)
    assert "BatchNorm3d" in nn.__all__


def test_batch_norm_loads_a_state_dict_without_its_count_as_torch():
    """PyTorch's checkpoints from before 0.4.1 have no num_batches_tracked: it loads them,
    keeping the count (found by a random comparison)."""
    module = nn.BatchNorm1d(3)
    module.num_batches_tracked[...] = 4
    old = {k: v for k, v in module.state_dict().items() if k != "num_batches_tracked"}
    assert nn.Sequential(module).load_state_dict({f"0.{k}": v for k, v in old.items()}) == (
        [],
        [],
    )
    assert int(module.num_batches_tracked) == 4


@pytest.mark.parametrize(
    "dims, error, message",
    [
        ((1, 0), ValueError, r"flatten: start_dim \(1\) must not come after end_dim \(0\)"),
        ((3, 1), IndexError, r"flatten: start_dim must be in \[-3, 2\] .*got 3"),
        ((1, 7), IndexError, r"flatten: end_dim must be in \[-3, 2\] .*got 7"),
    ],
)
def test_flatten_rejects_dims_as_torch(dims, error, message):
    """Found by a random comparison: bad dims wrapped around or inserted an axis silently."""
    with pytest.raises(error, match=message):
        nn.Flatten(*dims)(np.zeros((2, 3, 4)))
    with pytest.raises(Exception):  # noqa: B017 - PyTorch refuses them too
        torch.flatten(torch.zeros(2, 3, 4), *dims)


def test_sequential_slice_keeps_child_names_as_torch():
    """A slice of a Sequential kept by name loads the weights of the same slice of PyTorch's
    (renumbered keys made ``net[1:].load_state_dict`` fail)."""
    net, torch_net = _residual_block(xpnet), _residual_block(torch)
    tail, torch_tail = net[1:], torch_net[1:]
    assert list(tail.state_dict()) == list(torch_tail.state_dict())
    assert [name for name, _ in tail.named_children()] == ["1", "2", "3"]
    assert tail.load_state_dict({k: v.numpy() for k, v in torch_tail.state_dict().items()}) == (
        [],
        [],
    )
    assert [name for name, _ in nn.ModuleList(list(net))[2:].named_children()] == ["0", "1"]


def test_containers_edit_as_torch():
    """Item assignment, deletion, insert and extend renumber the children as PyTorch's."""
    made = []
    for lib in (xpnet, torch):
        layers = lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Tanh(), lib.nn.Sigmoid())
        layers[0] = lib.nn.ELU()
        del layers[1]
        layers.insert(0, lib.nn.Linear(2, 2))
        layers.extend([lib.nn.ReLU6()])
        listed = lib.nn.ModuleList([lib.nn.ReLU()]) + lib.nn.ModuleList([lib.nn.Tanh()])
        del listed[-1]
        made.append((repr(layers), repr(listed), list(layers.state_dict())))
    assert made[0] == made[1]
    with pytest.raises(IndexError, match="Sequential: index 3 is out of range for length 1"):
        nn.Sequential(nn.ReLU())[3]


def test_module_dict_matches_torch():
    made = []
    for lib in (xpnet, torch):
        heads = lib.nn.ModuleDict({"a": lib.nn.Linear(2, 1), "b": lib.nn.ReLU()})
        heads["c"] = lib.nn.Linear(1, 1)
        heads.update([("d", lib.nn.Tanh())])
        del heads["b"]
        made.append((repr(heads), list(heads), list(heads.keys()), len(heads), "a" in heads))
        made[-1] += (list(heads.state_dict()), type(heads.pop("d")).__name__)
    assert made[0] == made[1]
    assert "ModuleDict" in nn.__all__


@pytest.mark.parametrize(
    "edit, error, message",
    [
        (lambda m: setattr(m, "weight", nn.ReLU()), TypeError, "cannot assign ReLU to param"),
        (lambda m: m.register_parameter("w", np.zeros(1)), TypeError, "assign ndarray to par"),
        (lambda m: m.register_buffer("a.b", None), KeyError, "buffer name can.*t contain"),
        (lambda m: m.register_buffer("weight", None), KeyError, "attribute 'weight' already ex"),
        (lambda m: m.register_parameter("", None), KeyError, "parameter name can.*t be empty"),
        (lambda m: m.add_module("x.y", nn.ReLU()), KeyError, "module name can.*t contain"),
        (lambda m: m.add_module("x", 3), TypeError, "Linear.add_module: int is not a Module"),
        (lambda m: m.train("yes"), ValueError, "Linear.train: mode must be a bool, got 'yes'"),
    ],
)
def test_module_registration_refuses_what_torch_refuses(edit, error, message):
    """Found by comparing with PyTorch: these were accepted silently (a Module replaced a
    parameter, a plain array became a 'parameter' no optimizer could update)."""
    with pytest.raises(error, match=message):
        edit(nn.Linear(1, 1))


def test_module_registration_matches_torch():
    """Re-registering a buffer as persistent puts it back in the state_dict; a child set to
    None stays a child slot; ``state_dict`` takes ``prefix`` and ``keep_vars``."""
    seen = []
    for lib, zeros in ((xpnet, np.zeros(1)), (torch, torch.zeros(1))):
        module = lib.nn.Module()
        module.register_buffer("a", zeros, persistent=False)
        module.register_buffer("a", zeros)
        module.child = lib.nn.Linear(1, 1)
        module.child = None
        seen.append((list(module.state_dict()), repr(module), list(module._modules)))
        state = lib.nn.Linear(1, 1).state_dict(prefix="fc.", keep_vars=True)
        seen[-1] += (list(state), type(state["fc.weight"]).__name__)
    assert seen[0] == seen[1]
    assert repr(nn.Linear(1, 1).load_state_dict(nn.Linear(1, 1).state_dict())) == repr(
        torch.nn.Linear(1, 1).load_state_dict(torch.nn.Linear(1, 1).state_dict())
    )


def test_train_calls_the_childrens_train_as_torch():
    """A subclass that overrides ``train`` (to keep its batch norms frozen) is obeyed when its
    parent changes mode; the mode was set on every module directly, skipping the override."""

    class Frozen(nn.BatchNorm2d):
        def train(self, mode=True):
            return super().train(False)

    net = nn.Sequential(nn.Conv2d(1, 2, 3), Frozen(2)).train()
    assert net.training and net[0].training and not net[1].training


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.Linear(-1, 3), ValueError, "Linear: in_features must be non-negative, got -1"),
        (lambda: nn.Linear(3, 2.0), TypeError, "Linear: out_features must be an int, got float"),
        (lambda: nn.Conv2d(-3, 4, 3), ValueError, "Conv2d: in_channels must be non-negative"),
        (lambda: nn.Conv2d(3, 3, 3, groups=0), ValueError, "Conv2d: groups must be a positive"),
        (lambda: nn.BatchNorm2d(-1), ValueError, "BatchNorm2d: num_features must be non-neg"),
        (lambda: nn.Embedding(-1, 3), ValueError, "Embedding: num_embeddings must be non-neg"),
        (lambda: nn.Conv2d(1, 1, 3, padding="same", stride=2), ValueError, "'same' needs stri"),
        (lambda: nn.Conv1d(1, 1, 3, padding="full"), ValueError, "Conv1d: padding must be an"),
    ],
)
def test_layers_reject_bad_sizes_and_padding_when_built(make, error, message):
    """PyTorch refuses these too, in the constructor (a negative size inside torch.empty, with
    a message naming neither layer nor argument); xpnet built the layer, or failed in NumPy."""
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax", "Softmin"])
@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_without_dim_picks_torchs_implicit_dim(name, shape):
    """Older scripts write ``nn.Softmax()``: PyTorch picks the dim from the rank, with a
    deprecation warning; xpnet refused to build the layer."""
    x = random_input(shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice") as ours:
        output = getattr(nn, name)()(Tensor(x))
    with pytest.warns(UserWarning, match="Implicit dimension choice") as theirs:
        expected = getattr(torch.nn, name)()(torch.from_numpy(x)).numpy()
    # the same text (log_softmax's name), pointing at each library's Module call
    assert str(ours[0].message) == str(theirs[0].message)
    assert Path(ours[0].filename).name == Path(theirs[0].filename).name == "module.py"
    assert_close(xpnet.to_numpy(output.array), expected, np.float64, name)
    assert repr(getattr(nn, name)()) == f"{name}(dim=None)"
