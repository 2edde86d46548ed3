"""``x[index] = value`` and in-place changes through views (``x[0].mul_(2)``, ``x[:, 1] += v``)
against PyTorch in float64: values, the gradients of the tensor's history and of the value,
the identity of the changed tensor, and the errors PyTorch raises (a leaf that requires
grad, a view of one, an op that saved the old value)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import check_tensor_method, random_input

import xpnet


def _long(tensor, values):
    """An integer index Tensor on ``tensor``'s side (torch or xpnet)."""
    module = torch if isinstance(tensor, torch.Tensor) else xpnet
    return module.tensor(values)


def set_slice(a, v):
    b = a * 1.0
    b[1:, ::2] = v
    return b


def set_scalar_then_broadcast_row(a, v):
    b = a * 2.0
    b[0] = 5.0
    b[..., 1] = v[:, 0]
    return b


def set_mask(a, v):
    b = a * 1.0
    b[a > 0] = v.sum() * 3.0
    return b


def set_integer_array(a, v):
    b = a * 1.0
    b[_long(a, [2, 0])] = v[:2]
    return b


def set_integer_then_array(a, v):  # x[0, idx] = ...: the integers select first, as PyTorch
    b = a * 1.0
    b[1, _long(a, [3, 0])] = v[0, :2]
    return b


def set_leading_ones(a, v):
    b = a * 1.0
    b[0] = v[:1, :].reshape(1, 1, 4)
    return b


def set_from_itself(a, v):
    b = a * 1.0
    b[0] = b[0] * 3.0 + v[0]
    return b


def add_to_column(a, v):
    b = a * 1.0
    b[:, 1] += v[:, 0]
    return b


def method_on_view(a, v):
    b = a * 2.0  # (exp would save its output: PyTorch refuses the change then)
    b[1:].mul_(v[:2])
    return b * b


def nested_views(a, v):
    b = a * 1.0
    row = b[2]
    row[1:].add_(v[0, 1:])
    row.mul_(2.0)
    return b.tanh()


def operator_on_view_then_base(a, v):
    b = a * 1.0
    alias = b
    view = b[0]
    view += v[1]
    b *= 2.0
    assert alias is b  # the same object changed, as PyTorch's
    return alias


def into_tensor_without_grad(a, v):
    module = torch if isinstance(a, torch.Tensor) else xpnet
    b = module.zeros(3, 4, dtype=a.dtype)
    b[1] = a[0] * v[0]
    return b + a


def layout_views(a, v):
    b = a * 1.0
    b.t()[0].mul_(v[0, 0])
    flat = b.view(-1)
    flat[1:3] += v[1, :2]
    b.permute(1, 0).add_(v.t() * 0.5)
    b.unsqueeze(0).squeeze(0)[1].sub_(0.5)
    b.narrow(1, 1, 2).mul_(3.0)
    b.reshape(4, 3).transpose(0, 1)[2].div_(v[2, 3] + 2.0)
    return b * b


def diagonal_views(a, v):
    b = a * 1.0
    b.diagonal().mul_(v[0, :3])
    b.diagonal(1).add_(1.0)
    b.diagonal(-1).fill_(2.0)
    b.unsqueeze(0).diagonal(0, 1, 2)[0].sub_(v[1, :3])  # planes of dims 1 and 2, then a row
    return b * b


def unfold_views(a, v):
    b = a * 1.0
    b.unfold(1, 2, 2).mul_(v[:, :2].unsqueeze(1))  # disjoint windows: writable views
    b.unfold(0, 1, 2)[1].add_(v[0].unsqueeze(1))  # every other row, as a column
    windows = b.unfold(1, 3, 1)  # overlapping: read, and see later changes of b
    b[0].sub_(v[1])
    return b * windows.sum()


def function_forms_of_views(a, v):
    module = torch if isinstance(a, torch.Tensor) else xpnet
    b = a * 1.0
    module.narrow(b, 1, 0, 2).mul_(v[:, :2])
    module.diagonal(b, -1).add_(v[0, :2])
    module.select(b, 1, 3).div_(2.0)
    return b * b


SCRIPTS = [
    set_slice,
    set_scalar_then_broadcast_row,
    set_mask,
    set_integer_array,
    set_integer_then_array,
    set_leading_ones,
    set_from_itself,
    add_to_column,
    method_on_view,
    nested_views,
    operator_on_view_then_base,
    into_tensor_without_grad,
    layout_views,
    diagonal_views,
    unfold_views,
    function_forms_of_views,
]
VALUES = {set_slice: (2, 2), set_mask: (2, 4)}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda f: f.__name__)
def test_matches_torch_values_and_gradients(backend, script):
    inputs = [random_input((3, 4), seed=1), random_input(VALUES.get(script, (3, 4)), seed=2)]
    check_tensor_method(script, inputs, backend)


def test_without_gradients_the_array_changes_in_place_and_views_see_it(backend):
    x = xpnet.Tensor(backend.asarray(np.zeros((3, 4))))
    row = x[1]
    x[1, ::2] = 7
    x[x > 5] += 1.0
    x[:, 3] = xpnet.Tensor(backend.asarray(np.array([1.0, 2.0, 3.0])))
    assert row.tolist() == [8.0, 0.0, 8.0, 2.0]
    assert x._version == 3


def test_value_is_cast_to_the_tensor_dtype(backend):
    x = xpnet.Tensor(backend.asarray(np.zeros(3, dtype=np.int64)))
    x[0] = 2.7
    x[1:] = xpnet.Tensor(backend.asarray(np.array([-1.9, 3.2])))
    expected = torch.zeros(3, dtype=torch.int64)
    expected[0] = 2.7
    expected[1:] = torch.tensor([-1.9, 3.2])
    assert x.tolist() == expected.tolist()
    assert x.dtype == np.int64


def test_positional_encoding_buffer_as_in_pytorch_tutorials(backend):
    position = xpnet.arange(6, dtype=xpnet.float64).unsqueeze(1)
    encoding = xpnet.zeros(6, 4, dtype=xpnet.float64)
    encoding[:, 0::2] = xpnet.sin(position * 0.5)
    encoding[:, 1::2] = xpnet.cos(position * 0.5)
    theirs = torch.zeros(6, 4, dtype=torch.float64)
    theirs[:, 0::2] = torch.sin(torch.arange(6, dtype=torch.float64).unsqueeze(1) * 0.5)
    theirs[:, 1::2] = torch.cos(torch.arange(6, dtype=torch.float64).unsqueeze(1) * 0.5)
    np.testing.assert_allclose(encoding.numpy(), theirs.numpy(), rtol=1e-15)


@pytest.mark.parametrize(
    "change",
    [
        lambda w: w.__setitem__(0, 1.0),
        lambda w: w[0].mul_(2.0),
        lambda w: w[:, 1].zero_(),
    ],
    ids=["setitem", "view-method", "view-zero"],
)
def test_a_leaf_that_requires_grad_or_its_view_is_refused(backend, change):
    w = xpnet.Tensor(backend.asarray(random_input((2, 3))), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        change(w)
    with xpnet.no_grad():
        change(w)  # allowed, as PyTorch's: an optimizer step


def test_an_op_that_saved_the_old_value_gets_its_gradient_from_it(backend):
    """PyTorch refuses this backward (mul saved ``hidden``, then changed in place); xpnet's
    recorded change was computed out of place, so mul's saved values are the old ones and
    its gradient is the one PyTorch gives without the change."""
    w = xpnet.Tensor(backend.asarray(random_input((2, 3))), requires_grad=True)
    hidden = w * 2.0
    product = hidden * hidden
    hidden[0] = 1.0
    (product.sum() + hidden.sum()).backward()
    tw = torch.tensor(random_input((2, 3)), requires_grad=True)
    th = tw * 2.0
    (th * th).sum().backward()
    expected = tw.grad.numpy() + np.array([[0.0] * 3, [2.0] * 3])
    np.testing.assert_allclose(xpnet.Tensor(w.grad).numpy(), expected, rtol=1e-15)


def test_an_unrecorded_change_after_a_use_still_refuses_that_backward(backend):
    w = xpnet.Tensor(backend.asarray(random_input((2, 3))), requires_grad=True)
    data = xpnet.Tensor(backend.asarray(random_input((2, 3), seed=3)))
    product = w * data  # saves data's array, which the next line overwrites
    data[0] = 1.0
    with pytest.raises(RuntimeError, match="changed by an in-place operation"):
        product.sum().backward()


def test_a_view_taken_before_a_recorded_change_keeps_its_gradient_path(backend):
    w = xpnet.Tensor(backend.asarray(random_input((2, 3))), requires_grad=True)
    hidden = w * 1.0
    first_row = hidden[0]  # indexing saves no values: its backward still runs
    hidden[0] = 0.0
    (first_row.sum() + hidden.sum()).backward()
    tw = torch.tensor(random_input((2, 3)), requires_grad=True)
    th = tw * 1.0
    tr = th[0]
    th[0] = 0.0
    (tr.sum() + th.sum()).backward()
    np.testing.assert_array_equal(xpnet.Tensor(w.grad).numpy(), tw.grad.numpy())


def test_bad_index_and_shape_raise_as_numpy(backend):
    x = xpnet.Tensor(backend.asarray(np.zeros((2, 3))))
    with pytest.raises(IndexError):
        x[5] = 1.0
    with pytest.raises(ValueError):
        x[0] = xpnet.Tensor(backend.asarray(np.zeros(4)))


@pytest.mark.parametrize("split", ["split", "chunk", "unbind"])
@pytest.mark.parametrize("form", ["method", "function"])
def test_a_part_of_split_is_refused_as_torch(backend, split, form):
    def part_of(module, tensor):
        if form == "method":
            return getattr(tensor, split)(1)[0]
        return getattr(module, split)(tensor, 1)[0]

    w = xpnet.Tensor(backend.asarray(random_input((2, 2))), requires_grad=True)
    part = part_of(xpnet, w * 1.0)
    with pytest.raises(RuntimeError, match="one of several views returned by split"):
        part.mul_(2.0)
    theirs = part_of(torch, torch.ones(2, 2, requires_grad=True) * 1.0)
    with pytest.raises(RuntimeError, match="returns multiple views"):
        theirs.mul_(2.0)


def test_diagonal_is_a_view_and_diag_a_copy_as_torch(backend):
    x = xpnet.Tensor(backend.asarray(np.zeros((3, 3))))
    x.diagonal().fill_(1.0)  # the mask idiom, without gradients: the shared array changes
    xpnet.diagonal(x, 1).add_(2.0)
    xpnet.diag(x).fill_(7.0)  # torch.diag of a matrix is a copy
    np.testing.assert_array_equal(x.numpy(), np.eye(3) + 2.0 * np.eye(3, k=1))
    theirs = torch.zeros(3, 3)
    theirs.diagonal().fill_(1.0)
    torch.diagonal(theirs, 1).add_(2.0)
    torch.diag(theirs).fill_(7.0)
    np.testing.assert_array_equal(theirs.numpy(), x.numpy())


def test_reshape_that_copies_is_no_view_as_torch(backend):
    w = xpnet.Tensor(backend.asarray(random_input((3, 4))), requires_grad=True)
    hidden = w * 1.0
    copy = hidden.t().reshape(-1)  # not contiguous: a copy, in PyTorch too
    copy.mul_(2.0)
    np.testing.assert_array_equal(hidden.numpy(), random_input((3, 4)))


CHANGES = {
    "add_": lambda t: t.add_(1),
    "mul_": lambda t: t.mul_(2),
    "copy_": lambda t: t.copy_(t.clone()),
    "setitem": lambda t: t.__setitem__(0, 5),
    "+=": lambda t: t.__iadd__(1),
    "&=": lambda t: t.__iand__(1),
    "exp_": lambda t: t.exp_(),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_an_expanded_tensor_is_refused_in_place_as_torch(backend, change):
    dtype = np.int64 if change == "&=" else np.float64
    ours = xpnet.Tensor(backend.asarray(np.ones((3, 1), dtype=dtype))).expand(3, 4)
    with pytest.raises(RuntimeError, match="more than one element of this tensor refers to"):
        CHANGES[change](ours)
    theirs = torch.ones(3, 1, dtype=getattr(torch, dtype.__name__)).expand(3, 4)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        CHANGES[change](theirs)


def test_overlapping_unfold_windows_are_refused_in_place(backend):
    """PyTorch lets these through, and its result depends on the order of the writes
    (``arange(5.).unfold(0, 3, 1).add_(1)`` gives 1, 3, 5, 5, 5); refused here."""
    x = xpnet.Tensor(backend.asarray(np.arange(5.0)))
    with pytest.raises(RuntimeError, match=r"Tensor\.add_: more than one element"):
        x.unfold(0, 3, 1).add_(1.0)
    x.unfold(0, 2, 2).mul_(2.0)  # disjoint windows write through
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0, 4.0, 6.0, 4.0])


def test_fill_of_an_expanded_tensor_is_refused_too(backend):
    """Stricter than PyTorch, which lets ``fill_`` and ``zero_`` write one value to the shared
    places: NumPy's expanded arrays are read-only, and one rule for every in-place change."""
    ours = xpnet.Tensor(backend.asarray(np.ones((3, 1)))).expand(3, 4)
    with pytest.raises(RuntimeError, match=r"Tensor\.fill_: more than one element"):
        ours.fill_(0.0)


def test_a_view_of_a_0d_tensor_writes_through_as_torch(backend):
    """NumPy hands 0-d results around as scalars, which no view can share."""
    grads = []
    for module in (torch, xpnet):
        w = module.tensor(2.0, requires_grad=True, dtype=module.float64)
        h = w * 1.0
        h.reshape(1).mul_(3.0)
        h.unsqueeze(0)[0].add_(w)
        (h * h).backward()
        grads.append((float(h.item()), float(w.grad)))
    assert grads[0] == grads[1]


def test_gradients_summed_over_inf_and_minus_inf_are_nan_without_warnings(backend):
    x = xpnet.Tensor(backend.asarray(np.array([1.0])), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ((x * np.inf) + (x * -np.inf)).sum().backward()  # two paths: inf + -inf
        (x * -np.inf).sum().backward()  # into the kept .grad: nan + -inf
    assert np.isnan(backend.to_host(x.grad.array)).all()


def test_an_element_of_a_1d_tensor_is_a_view_as_torch(backend):
    """NumPy's ``x[0]`` of a 1-d array is a scalar, no view: xpnet indexes with ``...``."""
    results = []
    for module in (torch, xpnet):
        w = module.tensor([2.0, 5.0], requires_grad=True, dtype=module.float64)
        h = w * 1.0
        h[0].mul_(3.0)
        (h * h).sum().backward()
        with module.no_grad():
            v = module.zeros(3, dtype=module.float64)
            v[1].add_(4.0)
        results.append((h.tolist(), w.grad.tolist(), v.tolist()))
    assert results[0] == results[1]


def test_an_unbound_0d_piece_and_x_T_write_through_and_count_as_torch(backend):
    """``unbind`` of a 1-d tensor gave NumPy scalars (copies): in-place changes of a piece
    were lost; ``x.T`` was not a tracked view: its in-place changes left ``x``'s version."""
    results = []
    for module in (torch, xpnet):
        line = module.tensor([-4.0, 9.0], dtype=module.float64)
        line.unbind(0)[0].abs_().sqrt_()
        matrix = module.ones(2, 2, dtype=module.float64)
        matrix.T[0].add_(1.0)
        results.append((line.tolist(), line._version, matrix.tolist(), matrix._version))
    assert results[0] == results[1]


@pytest.mark.filterwarnings("ignore:indexing with dtype torch.uint8 is now deprecated")
def test_a_uint8_index_is_a_mask_as_torch(backend):
    """PyTorch reads a uint8 index tensor as a (deprecated) bool mask, with a warning; NumPy
    read it as integers: ``x[uint8([1, 0])]`` gave rows 1 and 0, not row 0."""
    results = []
    for module in (torch, xpnet):
        values = module.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=module.float64)
        mask = module.tensor([1, 0], dtype=module.uint8)
        picked = values[mask]
        values[mask] = module.zeros(1, 2, dtype=module.float64)
        results.append((picked.tolist(), values.tolist()))
    assert results[0] == results[1]
    with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
        xpnet.zeros(2)[xpnet.tensor([1, 0], dtype=xpnet.uint8)]


UNRECORDED_WRITES = {
    "x.T": lambda h: h.T.mul_(2.0),
    "detach": lambda h: h.detach().zero_(),
    "view under no_grad": lambda h: h[0].zero_(),
    "sibling view": lambda h: h.t().unsqueeze(0).add_(1.0),
    "split part": lambda h: h.split(1)[1].mul_(2.0),
    "detached view": lambda h: h.detach()[1:].fill_(3.0),
}


@pytest.mark.parametrize("write", list(UNRECORDED_WRITES))
def test_an_unrecorded_write_through_shared_memory_refuses_backward_as_torch(backend, write):
    """PyTorch's views and ``detach()`` share one version counter with their base: writing
    the shared array invalidates every op that saved it, whichever tensor wrote it."""
    for module, error in ((torch, "modified by an inplace operation"), (xpnet, "changed by an")):
        w = module.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, dtype=module.float64)
        if module is xpnet:
            w = xpnet.Tensor(backend.asarray(w.numpy()), requires_grad=True)
        h = w * 2.0
        y = h * h  # saves h
        with module.no_grad():
            UNRECORDED_WRITES[write](h)
        with pytest.raises(RuntimeError, match=error):
            y.sum().backward()
