"""``xpnet.get_rng_state``/``set_rng_state``/``initial_seed``/``seed``, ``xpnet.random`` (as
``torch.random``, with ``fork_rng``) and ``Generator.get_state``/``set_state``
(:mod:`xpnet.random`, :mod:`xpnet._random`): a state is a 1-d uint8 Tensor that repeats every
random op's draws (random tensors, dropout masks on each backend, initial weights, loader
shuffles), whether the generators existed when it was taken or not; the seeds go with it; and
the errors, of PyTorch's kinds, for states that are not xpnet's (PyTorch's, a Generator's,
truncated, changed), after which nothing has changed. PyTorch's numbers are not NumPy's, so
the draws are compared with themselves, and PyTorch's behaviour with the same steps."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import xpnet
import xpnet.kernels as K
import xpnet.random
from xpnet._random import dropout_generator, host_generator
from xpnet.autograd import Tensor
from xpnet.kernels import ArgumentError


def draws(backend):
    """One draw of every kind of random op, on ``backend``, as host lists."""
    x = backend.asarray(np.ones(64))
    loader = xpnet.data.DataLoader(xpnet.data.TensorDataset(np.arange(10.0)), shuffle=True)
    return [
        xpnet.rand(3).tolist(),
        xpnet.randn(2, 2).tolist(),
        xpnet.randint(0, 100, (4,)).tolist(),
        xpnet.randperm(6).tolist(),
        backend.to_host(K.dropout(x, 0.5)).tolist(),
        backend.to_host(K.alpha_dropout(x, 0.5, training=True)).tolist(),
        xpnet.nn.Linear(3, 2).weight.tolist(),
        [batch[0].tolist() for batch in loader],
    ]


def test_set_rng_state_repeats_every_random_op(backend):
    xpnet.manual_seed(3)
    state = xpnet.get_rng_state()
    first = draws(backend)  # the dropout generators are made here, after the state
    later = xpnet.get_rng_state()  # now they exist: their states go with it
    second = draws(backend)
    assert first != second
    xpnet.set_rng_state(state)
    assert draws(backend) == first
    xpnet.set_rng_state(later)
    assert draws(backend) == second
    xpnet.set_rng_state(later)  # twice: the state is not used up
    assert draws(backend) == second


def test_set_rng_state_restores_the_generators_that_exist_in_place(backend):
    # holders of them (a training run's checkpoint, an init function) see the state too
    xpnet.manual_seed(0)
    K.dropout(backend.asarray(np.ones(4)))
    held, host = dropout_generator(backend), host_generator()
    state = xpnet.get_rng_state()
    first, host_first = backend.to_host(held.random(4)).tolist(), host.random(2).tolist()
    xpnet.set_rng_state(state)
    assert dropout_generator(backend) is held and host_generator() is host
    assert backend.to_host(held.random(4)).tolist() == first
    assert host.random(2).tolist() == host_first


def test_rng_state_is_a_host_uint8_tensor_as_torch(backend):
    state, theirs = xpnet.get_rng_state(), torch.get_rng_state()
    assert isinstance(state, Tensor) and state.dtype == np.uint8 == theirs.numpy().dtype
    assert state.ndim == theirs.ndim == 1 and isinstance(state.array, np.ndarray)
    state.array[:] = 0  # a copy: changing it changes nothing
    assert xpnet.get_rng_state().numpy().any()
    # on any backend, as a copy moved there
    xpnet.manual_seed(1)
    moved = Tensor(backend.asarray(xpnet.get_rng_state().numpy()))
    first = xpnet.rand(2).tolist()
    xpnet.set_rng_state(moved)
    assert xpnet.rand(2).tolist() == first


def test_initial_seed_and_seed_as_torch():
    for library in (torch, xpnet):
        library.manual_seed(7)
        state = library.get_rng_state()
        assert library.initial_seed() == 7
        library.manual_seed(np.int64(8))
        assert library.initial_seed() == 8 and isinstance(library.initial_seed(), int)
        library.set_rng_state(state)
        assert library.initial_seed() == 7  # the seed goes with the state
        drawn = library.seed()
        assert isinstance(drawn, int) and 0 <= drawn < 2**64 and library.initial_seed() == drawn
        first = library.rand(3).tolist()
        library.manual_seed(drawn)
        assert library.rand(3).tolist() == first
        assert library.seed() != drawn


def test_xpnet_random_has_torch_random_names():
    names = set(torch.random.__all__) - {"thread_safe_generator"}
    assert set(xpnet.random.__all__) == names
    for name in ("get_rng_state", "set_rng_state", "initial_seed", "seed", "manual_seed"):
        assert getattr(xpnet, name) is getattr(xpnet.random, name)


@pytest.mark.parametrize("enabled", [True, False])
def test_fork_rng_restores_the_state_as_torch(backend, enabled):
    for library in (torch, xpnet):
        library.manual_seed(0)
        with library.random.fork_rng(enabled=enabled):
            inside = library.rand(3).tolist()
        assert (library.rand(3).tolist() == inside) is enabled
    xpnet.manual_seed(0)
    x = backend.asarray(np.ones(32))
    with xpnet.random.fork_rng(devices=[], device_type="cuda"):
        inside = backend.to_host(K.dropout(x)).tolist()
    assert backend.to_host(K.dropout(x)).tolist() == inside


def test_fork_rng_restores_after_an_exception_and_checks_devices():
    xpnet.manual_seed(0)
    with pytest.raises(KeyError), xpnet.random.fork_rng():
        inside = xpnet.rand(2).tolist()
        raise KeyError("inside")
    assert xpnet.rand(2).tolist() == inside
    for library in (torch, xpnet):
        with pytest.raises(TypeError), library.random.fork_rng(devices=3):
            pass
    with pytest.raises(TypeError, match="fork_rng: devices must be an iterable"):
        with xpnet.random.fork_rng(devices=3):
            pass


def test_generator_state_is_a_uint8_tensor_with_its_seed_as_torch():
    for library in (torch, xpnet):
        g = library.Generator().manual_seed(5)
        state = g.get_state()
        assert state.dtype in (torch.uint8, np.uint8) and state.ndim == 1
        first = library.rand(3, generator=g).tolist()
        h = library.Generator()
        assert h.set_state(state) is h and h.initial_seed() == 5
        assert library.rand(3, generator=h).tolist() == first


def encoded(kind, header, blobs=None):
    return xpnet.random.encode_state(kind, header, blobs)


def changed_states():
    """States xpnet must refuse, each with its message."""
    K.dropout(np.ones(4))  # a NumPy dropout generator: its state follows the header
    good = xpnet.get_rng_state().numpy()
    header = json.loads(bytes(good[24 : 24 + int.from_bytes(bytes(good[16:24]), "little")]))
    wrong_numpy_state = {**header, "host": {**header["host"], "bit_generator": "MT19937"}}
    del header["kind"], header["blobs"]
    return [
        (torch.get_rng_state().numpy(), "not PyTorch's"),  # PyTorch's bytes
        (good[:-1], "truncated or changed"),
        (np.concatenate([good, good[:1]]), "truncated or changed"),
        (good[:20], "not one"),
        (np.concatenate([good[:24], np.frombuffer(b"{no json", np.uint8)]), "unreadable"),
        (xpnet.Generator().get_state().numpy(), r"from xpnet.Generator.get_state\(\)"),
        (encoded("xpnet", {"host": 1}).numpy(), "missing"),
        (encoded("xpnet", {**header, "kind": 0}).numpy()[:0], "0 bytes"),
        (encoded("xpnet", wrong_numpy_state).numpy(), "NumPy refuses"),
    ]


def test_set_rng_state_refuses_what_is_not_an_xpnet_state_and_changes_nothing(backend):
    xpnet.manual_seed(0)
    expected = xpnet.rand(4).tolist()
    xpnet.manual_seed(0)
    for values, match in changed_states():
        with pytest.raises(ArgumentError, match=f"set_rng_state: new_state .*{match}"):
            xpnet.set_rng_state(Tensor(backend.asarray(values)))
    with pytest.raises(RuntimeError):
        torch.set_rng_state(torch.zeros(3, dtype=torch.uint8))
    assert xpnet.rand(4).tolist() == expected


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.zeros(3), "uint8 Tensor .*, got float64"),
        ([1, 2], "uint8 Tensor .*, got list"),
        (np.zeros((2, 3), np.uint8), None),
    ],
)
def test_set_rng_state_refuses_other_kinds_and_shapes_as_torch(value, match):
    ours = Tensor(value) if isinstance(value, np.ndarray) else value
    theirs = torch.tensor(value) if isinstance(value, np.ndarray) else value
    if match is None:  # PyTorch refuses by size (RuntimeError), xpnet by shape
        with pytest.raises(RuntimeError):
            torch.set_rng_state(theirs)
        with pytest.raises(ArgumentError, match=r"new_state must be 1-d, .*got shape \(2, 3\)"):
            xpnet.set_rng_state(ours)
        return
    with pytest.raises(TypeError):
        torch.set_rng_state(theirs)
    with pytest.raises(TypeError, match=f"set_rng_state: new_state must be a {match}"):
        xpnet.set_rng_state(ours)


def test_generator_set_state_refuses_what_is_not_a_generator_state():
    g = xpnet.Generator().manual_seed(2)
    with pytest.raises(ArgumentError, match=r"Generator.set_state: .*xpnet.get_rng_state\(\)"):
        g.set_state(xpnet.get_rng_state())
    with pytest.raises(TypeError, match="Generator.set_state: new_state must be a uint8"):
        g.set_state(g.bit_generator.state)
    with pytest.raises(TypeError):
        torch.Generator().set_state(torch.zeros(3))
    assert g.initial_seed() == 2
