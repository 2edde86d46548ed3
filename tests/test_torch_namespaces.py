"""PyTorch's module paths that ported scripts import from: ``xpnet.utils.data`` (and its
submodules), ``xpnet.nn.parallel``, ``xpnet.backends.mps`` and ``xpnet.cuda``'s calls,
against torch's own modules (a CPU build) and, for the GPU paths, a stand-in GPU backend."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

import xpnet
import xpnet.cuda as xpnet_cuda
from xpnet.kernels import dropout

SUBMODULES = ["dataloader", "dataset", "distributed", "sampler"]


@pytest.mark.parametrize("name", SUBMODULES)
def test_utils_data_submodules_hold_torchs_names(name):
    theirs = importlib.import_module(f"torch.utils.data.{name}")
    ours = importlib.import_module(f"xpnet.utils.data.{name}")
    assert sorted(ours.__all__) == sorted(theirs.__all__)
    assert all(getattr(ours, n) is getattr(xpnet.data, n) for n in ours.__all__)
    assert getattr(xpnet.utils.data, name) is ours


def test_utils_data_is_xpnet_data():
    from xpnet.utils.data import DataLoader, random_split

    assert DataLoader is xpnet.data.DataLoader and random_split is xpnet.data.random_split
    torchs = {n for n in torch.utils.data.__all__ if "DataPipe" not in n and n[0] != "_"}
    missing = torchs - set(xpnet.utils.data.__all__)
    datapipes = {"DataChunk", "argument_validation", "functional_datapipe", "non_deterministic"}
    datapipes |= {"guaranteed_datapipes_determinism", "runtime_validation"}
    assert missing <= datapipes | {"runtime_validation_disabled"}  # xpnet has no datapipes


def test_nn_parallel_names_the_parallel_wrappers():
    from xpnet.nn.parallel import DataParallel, DistributedDataParallel

    assert DataParallel is xpnet.nn.DataParallel
    assert DistributedDataParallel is xpnet.distributed.DistributedDataParallel
    assert set(xpnet.nn.parallel.__all__) <= set(dir(torch.nn.parallel))


def test_mps_is_unavailable_as_in_torchs_cpu_build():
    ours, theirs = xpnet.backends.mps, torch.backends.mps
    assert (ours.is_available(), ours.is_built()) == (False, False)
    assert (theirs.is_available(), theirs.is_built()) == (False, False)


def test_cuda_calls_without_a_gpu_do_what_torchs_cpu_build_does():
    if xpnet.cuda.is_available():
        pytest.skip("a GPU is present: see the stand-in test")
    for name in ("synchronize", "get_device_name"):
        for module in (xpnet.cuda, torch.cuda):
            with pytest.raises(AssertionError):
                getattr(module, name)()
    with pytest.raises(AssertionError, match="xpnet.cuda.synchronize: CUDA is not available"):
        xpnet.cuda.synchronize()
    for name, args in [("empty_cache", ()), ("manual_seed", (1,)), ("manual_seed_all", (1,)),
                       ("seed", ()), ("seed_all", ())]:  # fmt: skip
        assert getattr(xpnet.cuda, name)(*args) is None is getattr(torch.cuda, name)(*args)
    with pytest.raises(TypeError, match="xpnet.cuda.manual_seed: seed must be an int"):
        xpnet.cuda.manual_seed(None)


@pytest.fixture
def stand_in_gpu(monkeypatch):
    """xpnet.cuda driving the strict backend as if it were the GPU's."""
    monkeypatch.setattr(xpnet_cuda, "gpu_problem", lambda: None)
    monkeypatch.setattr(xpnet_cuda, "gpu_backend_name", lambda: "strict")
    released = []
    monkeypatch.setattr(xpnet_cuda, "release_kept_memory", lambda: released.append(True))
    return released


def _masks(backend_name, count=2):
    with xpnet.use_backend(backend_name) as backend:
        ones = backend.xp.ones(64, dtype="float32")
        return [backend.to_host(dropout(ones, 0.5)) for _ in range(count)]


def test_cuda_manual_seed_reseeds_the_gpus_generator_alone(stand_in_gpu):
    xpnet.manual_seed(0)
    host = _masks("numpy", 2)
    xpnet.manual_seed(3)
    gpu = _masks("strict", 1)
    xpnet.manual_seed(0)
    first = _masks("numpy", 1)
    xpnet.cuda.manual_seed_all(3)  # the stand-in GPU's masks start again from 3
    assert np.array_equal(_masks("strict", 1)[0], gpu[0])
    assert np.array_equal(_masks("numpy", 1)[0], host[1]) and np.array_equal(first[0], host[0])


def test_cuda_calls_reach_the_gpu_backend(stand_in_gpu):
    xpnet.cuda.synchronize()
    assert xpnet.cuda.get_device_name() == xpnet.backends.load_backend("strict").device_name()
    xpnet.cuda.empty_cache()
    assert stand_in_gpu == [True]
