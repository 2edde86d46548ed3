"""The NCCL engine without a GPU: against a recording fake of CuPy's binding, with the fake
engine's ranks as MPI's control plane; and every NCCL name it uses exists in installed CuPy."""

from __future__ import annotations

import glob
import importlib.util
import os
import warnings

import numpy as np
import pytest

from xpnet import distributed as dist
from xpnet.distributed import DistributedError
from xpnet.distributed.fake import run_ranks
from xpnet.distributed.nccl import NCCL_NAMES, NCCLCommunicator


class RecordingNccl:
    """CuPy's ``cupy.cuda.nccl`` as far as the engine uses it; records every call."""

    def __init__(self):
        for code, name in enumerate(n for n in NCCL_NAMES if n.startswith("NCCL_")):
            setattr(self, name, code)
        self.calls = []

    def get_unique_id(self):
        return (42, 7)

    def NcclCommunicator(self, world_size, unique_id, rank):  # noqa: N802 - CuPy's name
        self.calls.append(("init", world_size, unique_id, rank))
        return RecordingCommunicator(self.calls)


class RecordingCommunicator:
    """Records the collectives; ``allReduce`` doubles the buffer (a two-rank sum of equals)."""

    def __init__(self, calls):
        self.calls, self.arrays = calls, {}

    def allReduce(self, send, receive, count, dtype, op, stream):  # noqa: N802
        self.calls.append(("allReduce", send == receive, count, dtype, op, stream))
        self.arrays[receive][...] *= 2

    def bcast(self, pointer, count, dtype, root, stream):
        self.calls.append(("bcast", count, dtype, root, stream))

    def allGather(self, send, receive, count, dtype, stream):  # noqa: N802
        self.calls.append(("allGather", count, dtype, stream))
        self.arrays[receive][...] = self.arrays[send]

    def abort(self):
        self.calls.append(("abort",))

    def destroy(self):
        self.calls.append(("destroy",))


class FakeDevice:
    """NumPy arrays stand for device arrays; an event is done unless ``stuck``."""

    def __init__(self, stuck=False):
        self.stuck, self.comm = stuck, None

    def pointer(self, array):
        self.comm.arrays[id(array)] = array
        return id(array)

    def stream(self):
        return 99

    def event(self):
        return type("Event", (), {"done": not self.stuck})()

    def empty(self, shape, dtype):
        return np.empty(shape, dtype=dtype)

    def is_device_array(self, array):
        return isinstance(array, np.ndarray)


def _engine(binding, stuck=False):
    device = FakeDevice(stuck)
    comm = NCCLCommunicator(dist.get_communicator(), binding=binding, device=device)
    device.comm = comm.comm
    return comm


def test_nccl_engine_issues_the_calls_nccl_expects():
    bindings = [RecordingNccl(), RecordingNccl()]

    def job():
        binding = bindings[dist.get_rank()]
        comm = _engine(binding)
        array = np.ones(5, dtype=np.float32)
        comm.all_reduce(array, "avg")
        comm.broadcast(np.ones(3), src=1)
        gathered = comm.all_gather(np.arange(2, dtype=np.int64))
        comm.finalize()
        return array, gathered, binding.calls

    for rank, (array, gathered, calls) in enumerate(run_ranks(job)):
        nccl = bindings[rank]
        assert calls[0] == ("init", 2, (42, 7), rank)  # rank 0's unique id, sent over MPI
        assert calls[1] == ("allReduce", True, 5, nccl.NCCL_FLOAT32, nccl.NCCL_AVG, 99)
        assert calls[2] == ("bcast", 3, nccl.NCCL_FLOAT64, 1, 99)
        assert calls[3] == ("allGather", 2, nccl.NCCL_INT64, 99)
        assert calls[4] == ("destroy",)
        np.testing.assert_array_equal(array, 2.0)
        assert gathered.shape == (2, 2)


def test_nccl_engine_refuses_host_arrays_checks_headers_and_aborts_at_the_deadline():
    def job():
        binding = RecordingNccl()
        comm = _engine(binding)
        comm.device.is_device_array = lambda array: False
        with pytest.raises(TypeError, match="needs a device \\(CuPy\\) array, got ndarray"):
            comm.all_reduce(np.ones(2))
        comm.device.is_device_array = lambda array: True
        with pytest.raises(DistributedError, match="ranks issued different collectives"):
            comm.all_reduce(np.ones(2 + dist.get_rank()))
        comm.device.stuck = True
        comm.timeout = 0.05
        with pytest.raises(DistributedError, match="all_reduce .* did not complete within 0.05 s"):
            comm.all_reduce(np.ones(2))
        return binding.calls[-1]

    assert run_ranks(job) == [("abort",), ("abort",)]  # ncclCommAbort before the job's


def _import_nccl():
    """``cupy.cuda.nccl`` (None without CuPy); without libnccl it warns, and is unavailable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from cupy.cuda import nccl
        except ImportError:
            return None
    return nccl


def _binding_names():
    """The names CuPy's NCCL module defines: imported when libnccl loads, else read from the
    compiled module (its identifiers are stored as strings)."""
    nccl = _import_nccl()
    if nccl is None:
        pytest.skip("CuPy is not installed")
    if getattr(nccl, "available", False):
        return lambda name: hasattr(nccl, name) or hasattr(nccl.NcclCommunicator, name)
    spec = importlib.util.find_spec("cupy_backends.cuda.libs")
    folder = os.path.dirname(spec.origin)
    (library,) = glob.glob(os.path.join(folder, "nccl.*.so")) or glob.glob(
        os.path.join(folder, "nccl.*.pyd")
    )
    with open(library, "rb") as file:
        data = file.read()
    return lambda name: name.encode() in data


def test_every_nccl_name_the_engine_uses_exists_in_cupy():
    has = _binding_names()
    missing = [name for name in NCCL_NAMES if not has(name)]
    assert not missing
    assert not has("ncclNoSuchName_xpnet")  # the check can fail


@pytest.mark.gpu
def test_one_rank_nccl_job_on_a_gpu():
    cupy = pytest.importorskip("cupy")
    nccl = _import_nccl()
    if not getattr(nccl, "available", False) or not _gpu_count(cupy):
        pytest.skip("needs a GPU and NCCL")

    def job():
        comm = NCCLCommunicator(dist.get_communicator())
        array = cupy.arange(4, dtype=cupy.float32)
        comm.all_reduce(array)
        return cupy.asnumpy(array)

    np.testing.assert_array_equal(run_ranks(job, world_size=1)[0], np.arange(4.0))


def _gpu_count(cupy) -> int:
    try:
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:  # noqa: BLE001 - no driver: no GPU
        return 0
