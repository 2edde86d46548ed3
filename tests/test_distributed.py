"""xpnet.distributed in one process: the fake engine's ranks are threads (xpnet.distributed.fake).

The collectives, what every engine refuses, mismatch and deadline errors, DistributedDataParallel
(buckets, no_sync, broadcast at start), SyncBatchNorm against BatchNorm and torch, the sampler
against torch's, and the training loop's split of a global batch. The real MPI engine runs in
tests/test_distributed_mpi.py; the NCCL engine against a recording fake in
tests/test_distributed_nccl.py.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

import xpnet
from xpnet import distributed as dist
from xpnet import models, nn
from xpnet.distributed import DistributedDataParallel, DistributedError
from xpnet.distributed.ddp import plan_buckets
from xpnet.distributed.fake import run_ranks
from xpnet.distributed.mpi import mpi_is_cuda_aware
from xpnet.train.parallel import RankBatches, rank_slice


def host(array):
    return xpnet.to_numpy(array)


# -- collectives ------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["sum", "max", "min", "prod", "avg"])
def test_all_reduce_matches_numpy(xp, op):
    values = [np.array([[1.5, -2.0], [3.0, 0.25]]) * (r + 1) - r for r in range(3)]

    def job():
        array = xp.asarray(values[dist.get_rank()].copy())
        assert dist.all_reduce(array, op) is array  # in place, as torch's
        return host(array)

    expected = {"sum": np.sum, "max": np.max, "min": np.min, "prod": np.prod, "avg": np.mean}
    for result in run_ranks(job, world_size=3):
        np.testing.assert_allclose(result, expected[op](np.stack(values), axis=0), rtol=1e-15)


def test_broadcast_all_gather_barrier_object(xp):
    def job():
        rank = dist.get_rank()
        array = xp.asarray(np.arange(4.0) * (rank + 1))
        dist.broadcast(array, src=1)
        scalar = xp.asarray(np.array(7 + rank, dtype=np.int64))  # 0-d
        dist.broadcast(scalar, src=0)
        gathered = dist.all_gather(xp.asarray(np.array([rank, 10 * rank], dtype=np.int32)))
        dist.barrier()
        return host(array), int(host(scalar)), host(gathered), dist.broadcast_object({rank}, 1)

    for array, scalar, gathered, obj in run_ranks(job):
        np.testing.assert_array_equal(array, np.arange(4.0) * 2)
        assert scalar == 7 and obj == {1}
        np.testing.assert_array_equal(gathered, [[0, 0], [1, 10]])
        assert gathered.dtype == np.int32


def test_rank_world_and_local_rank():
    def job():
        return dist.get_rank(), dist.get_world_size(), dist.get_local_rank()

    assert run_ranks(job, world_size=4, ranks_per_node=2) == [
        (0, 4, 0),
        (1, 4, 1),
        (2, 4, 0),
        (3, 4, 1),
    ]
    assert (dist.is_initialized(), dist.get_rank(), dist.get_world_size()) == (False, 0, 1)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: dist.all_reduce([1.0, 2.0]), TypeError, "must be a backend array"),
        (lambda: dist.all_reduce(np.ones(2, dtype=bool)), TypeError, "dtype must be one of"),
        (lambda: dist.all_reduce(np.ones(2, dtype=complex)), TypeError, "got complex128"),
        (lambda: dist.all_reduce(np.ones(2), op="mean"), ValueError, "op must be one of"),
        (lambda: dist.all_reduce(np.ones(2, dtype=np.int64), "avg"), TypeError, "floating"),
        (lambda: dist.broadcast(np.ones(2), src=2), ValueError, r"src must be in \[0, 2\)"),
        (lambda: dist.broadcast(np.ones(2), src=True), TypeError, "src must be an int"),
        (lambda: dist.all_reduce(np.broadcast_to(np.ones(1), (3,))), ValueError, "writable"),
    ],
)
def test_collectives_refuse_what_engines_refuse(call, error, match):
    def job():
        with pytest.raises(error, match=match):
            call()
        return dist.get_communicator().sequence  # refused before it was numbered

    assert run_ranks(job) == [0, 0]


def test_collectives_outside_a_job_raise():
    with pytest.raises(RuntimeError, match="not initialized; call xpnet.distributed.init"):
        dist.all_reduce(np.ones(2))


@pytest.mark.parametrize(
    "call0, call1, match",
    [
        (lambda: dist.all_reduce(np.ones(3)), dist.barrier, r"rank 1: barrier\(\) #1"),
        (
            lambda: dist.all_reduce(np.ones(3)),
            lambda: dist.all_reduce(np.ones(4)),
            r"rank 0: all_reduce\(float64, shape \(3,\), op=sum\) #1; rank 1: all_reduce"
            r"\(float64, shape \(4,\)",
        ),
        (
            lambda: dist.all_reduce(np.ones(3)),
            lambda: dist.all_reduce(np.ones(3, dtype=np.float32)),
            "float32",
        ),
        (lambda: dist.broadcast(np.ones(3), 0), lambda: dist.broadcast(np.ones(3), 1), "src=1"),
    ],
)
def test_mismatched_collectives_raise_on_every_rank(call0, call1, match):
    def job():
        with pytest.raises(DistributedError, match="ranks issued different collectives") as info:
            (call0 if dist.get_rank() == 0 else call1)()
        return str(info.value)

    for message in run_ranks(job):
        assert pytest.importorskip("re").search(match, message), message


def test_a_late_rank_passes_the_deadline_with_rank_collective_and_number():
    def job():
        dist.barrier()
        if dist.get_rank() == 1:
            time.sleep(0.6)
        dist.all_reduce(np.ones(2))

    with pytest.raises(DistributedError) as info:
        run_ranks(job, timeout=0.2)
    assert "rank 0 of 2: all_reduce (collective #2) did not complete within 0.2 s" in str(
        info.value
    )


def test_a_rank_that_raises_or_returns_ends_the_waits_of_the_others():
    def raises():
        if dist.get_rank() == 1:
            raise KeyError("rank 1 fails")
        dist.all_reduce(np.ones(2))

    with pytest.raises(KeyError, match="rank 1 fails"):
        run_ranks(raises, timeout=30)

    def leaves():
        if dist.get_rank() == 0:
            dist.all_reduce(np.ones(2))

    start = time.perf_counter()
    with pytest.raises(DistributedError, match=r"rank 0 waits in all_reduce .* rank 1 ended"):
        run_ranks(leaves, timeout=30)
    assert time.perf_counter() - start < 10  # not the 30 s deadline


# -- DistributedDataParallel ------------------------------------------------------------------
def _lenet(sync=False):
    model = models.LeNet(image_size=8, widths=(4, 6)).double()
    return nn.SyncBatchNorm.convert_sync_batchnorm(model) if sync else model


def _batch(n=7, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 1, 8, 8)), rng.integers(0, 10, n)


def _grads(model, images, labels, count):
    logits = model(xpnet.Tensor(xpnet.asarray(images)))
    loss = nn.CrossEntropyLoss(reduction="sum")(logits, xpnet.asarray(labels)) / count
    loss.backward()


def _reference(sync, images, labels, parts):
    """One process: the global batch (SyncBatchNorm), or each rank's part in turn with its
    own BatchNorm statistics, the gradients summed."""
    xpnet.manual_seed(0)
    model = _lenet(sync)
    for part in parts if not sync else [slice(None)]:
        _grads(model, images[part], labels[part], len(labels))
    return [host(p.grad) for p in model.parameters()]


@pytest.mark.parametrize("sync", [False, True])
@pytest.mark.parametrize("sizes", [(4, 3), (7, 0)])
def test_ddp_sums_the_gradients_of_the_global_batch(sync, sizes):
    if not sync and 0 in sizes:
        pytest.skip("per-rank BatchNorm has no statistics on an empty rank")
    images, labels = _batch()
    parts = [slice(sum(sizes[:rank]), sum(sizes[: rank + 1])) for rank in range(2)]
    expected = _reference(sync, images, labels, parts)

    xpnet.manual_seed(0)  # the global generator: seed in this thread, not in the ranks'
    nets = [_lenet(sync), _lenet(sync)]  # rank 1's other weights: the broadcast must fix them

    def job():
        rank = dist.get_rank()
        model = DistributedDataParallel(nets[rank], bucket_cap_mb=0.001, gradient_op="sum")
        assert len(model.buckets) > 2
        _grads(model, images[parts[rank]], labels[parts[rank]], len(labels))
        return [host(p.grad) for p in model.module.parameters()]

    for grads in run_ranks(job):
        for got, want in zip(grads, expected, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


def test_ddp_no_sync_accumulates_locally_then_reduces_the_sum():
    images, labels = _batch(8)

    xpnet.manual_seed(0)
    nets = [nn.Linear(64, 10).double() for _ in range(2)]

    def job():
        rank = dist.get_rank()
        model = DistributedDataParallel(nets[rank])
        x = images.reshape(8, 64)
        with model.no_sync():
            model(xpnet.Tensor(xpnet.asarray(x[rank * 2 : rank * 2 + 2]))).sum().backward()
        local = host(model.module.weight.grad).copy()
        model(xpnet.Tensor(xpnet.asarray(x[4 + rank * 2 : 6 + rank * 2]))).sum().backward()
        return local, host(model.module.weight.grad)

    (local0, total0), (local1, total1) = run_ranks(job)
    assert not np.allclose(local0, local1)  # no communication inside no_sync
    np.testing.assert_allclose(total0, total1)
    xpnet.manual_seed(0)
    single = nn.Linear(64, 10).double()
    single(xpnet.Tensor(xpnet.asarray(images.reshape(8, 64)))).sum().backward()
    np.testing.assert_allclose(total0, host(single.weight.grad) / 2)  # "avg", as PyTorch


class _TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.used, self.unused = nn.Linear(2, 2), nn.Linear(2, 2)

    def forward(self, x):
        self.unused(x)  # its parameters get no gradient
        return self.used(x)


def test_ddp_refuses_unused_parameters_at_the_next_forward():
    def job():
        model = DistributedDataParallel(_TwoHeads())
        x = xpnet.Tensor(xpnet.asarray(np.ones((1, 2), dtype=np.float32)))
        model(x)
        model(x)  # a forward without backward (evaluation with grad enabled) is fine
        model(x).sum().backward()
        with pytest.raises(RuntimeError, match=r"expected to have finished reduction .* \[2, 3\]"):
            model(x)
        return True

    assert run_ranks(job) == [True, True]


class _Tied(nn.Module):
    """Two layers sharing one weight (tied embeddings): one parameter used twice."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


def test_ddp_reduces_a_tied_weight_once_with_the_gradient_of_both_uses():
    xpnet.manual_seed(0)
    nets = [_Tied().double() for _ in range(2)]
    inputs = [np.array([[1.0, -2.0]]), np.array([[0.5, 3.0]])]

    def job():
        rank = dist.get_rank()
        model = DistributedDataParallel(nets[rank])
        model(xpnet.Tensor(xpnet.asarray(inputs[rank]))).sum().backward()
        return host(model.module.a.weight.grad)

    grad0, grad1 = run_ranks(job)
    weight = torch.tensor(host(nets[0].a.weight.array), requires_grad=True)
    for x in inputs:  # torch: the sum of both ranks' gradients, then the mean
        (torch.tensor(x) @ weight.T @ weight.T).sum().backward()
    np.testing.assert_allclose(grad0, weight.grad.numpy() / 2, rtol=1e-12)
    np.testing.assert_allclose(grad1, grad0)


def test_ddp_takes_torch_arguments_and_refuses_what_it_cannot_do():
    def job():
        model = DistributedDataParallel(nn.Linear(2, 2), [dist.get_rank()], None, 0, True)
        assert model.broadcast_buffers and len(model.buckets) == 1
        for kwargs, match in [
            ({"device_ids": [0, 1]}, "device_ids must be None or hold one device"),
            ({"dim": 1}, "dim must be 0"),
            ({"process_group": object()}, "process_group must be None"),
        ]:
            with pytest.raises(ValueError, match=match):
                DistributedDataParallel(nn.Linear(2, 2), **kwargs)
        return True

    assert run_ranks(job) == [True, True]


@pytest.mark.parametrize("broadcast_buffers", [True, False])
def test_ddp_broadcasts_buffers_before_a_forward_that_follows_a_synchronised_one(
    broadcast_buffers,
):
    def job():
        rank = dist.get_rank()
        model = DistributedDataParallel(nn.BatchNorm1d(2), broadcast_buffers=broadcast_buffers)
        model.eval()
        x = xpnet.Tensor(xpnet.asarray(np.ones((2, 2), dtype=np.float32)))
        seen = []
        for value, grad_mode in [(5.0, True), (6.0, False), (7.0, False)]:
            model.module.running_mean[...] = value + rank
            with xpnet.set_grad_enabled(grad_mode):
                model(x)
            seen.append(host(model.module.running_mean).tolist())
        return seen

    seen = run_ranks(job)
    if broadcast_buffers:  # as PyTorch: not before a forward that follows one without grad
        assert seen[1] == [[5.0, 5.0], [6.0, 6.0], [8.0, 8.0]]
    else:
        assert seen[1] == [[6.0, 6.0], [7.0, 7.0], [8.0, 8.0]]


class _Branches(nn.Module):
    """Rank 0 uses ``a``, rank 1 uses ``b``, no rank uses ``c``."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2)

    def forward(self, x):
        return self.a(x) if dist.get_rank() == 0 else self.b(x)


def test_ddp_find_unused_parameters_reduces_what_any_rank_used():
    def job():
        xpnet.manual_seed(0)
        model = DistributedDataParallel(_Branches(), find_unused_parameters=True)
        x = xpnet.Tensor(xpnet.asarray(np.ones((1, 2), dtype=np.float32)))
        model(x)  # a forward without backward is fine
        for _ in range(2):
            model.zero_grad()
            model(x).sum().backward()
        return [None if p.grad is None else host(p.grad) for p in model.module.parameters()]

    for grads in run_ranks(job):
        # PyTorch: the mean of rank 0's ones and rank 1's zeros; c was used by no rank
        for grad in grads[:4]:
            np.testing.assert_array_equal(grad, np.full_like(grad, 0.5))
        assert grads[4:] == [None, None]


def test_ddp_needs_init_and_a_known_gradient_op():
    with pytest.raises(RuntimeError, match="call xpnet.distributed.init"):
        DistributedDataParallel(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="gradient_op must be"):
        run_ranks(lambda: DistributedDataParallel(nn.Linear(2, 2), gradient_op="mean"))


def test_plan_buckets_reverse_order_cap_and_dtype():
    params = [
        nn.Parameter(np.zeros(n, dtype=d)) for n, d in [(4, "f4"), (4, "f4"), (2, "f8"), (8, "f4")]
    ]
    assert plan_buckets(params, cap_bytes=32) == [[3], [2], [1, 0]]
    assert plan_buckets(params, cap_bytes=1) == [[3], [2], [1], [0]]


# -- SyncBatchNorm ----------------------------------------------------------------------------
def test_sync_batchnorm_alone_matches_torch_batchnorm(xp):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 3, 4, 2)) * 1e-3 + 1e4  # E[x^2] - E[x]^2 would lose it all
    grad = rng.standard_normal(x.shape)
    layer = nn.SyncBatchNorm(3, dtype="float64", device=xpnet.get_backend().name)
    layer.weight.array[...] = xp.asarray(np.array([0.5, 2.0, -1.0]))
    t = xpnet.Tensor(xp.asarray(x), requires_grad=True)
    (layer(t) * xpnet.Tensor(xp.asarray(grad))).sum().backward()
    ref = torch.nn.BatchNorm2d(3, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor([0.5, 2.0, -1.0]))
    tx = torch.tensor(x, requires_grad=True)
    (ref(tx) * torch.tensor(grad)).sum().backward()
    np.testing.assert_allclose(host(t.grad), tx.grad.numpy(), rtol=1e-6, atol=1e-6)
    # x_hat at mean 1e4, std 1e-3 in float64 carries ~1e-9 relative error on either side
    np.testing.assert_allclose(host(layer.weight.grad), ref.weight.grad.numpy(), rtol=1e-7)
    np.testing.assert_allclose(host(layer.running_var), ref.running_var.numpy(), rtol=1e-9)
    np.testing.assert_allclose(host(layer.running_mean), ref.running_mean.numpy(), rtol=1e-12)


@pytest.mark.parametrize("sizes", [(3, 3), (1, 5), (0, 6)])
def test_sync_batchnorm_over_ranks_equals_one_process(sizes):
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((6, 3, 2, 2)) * 0.1 + 50).astype(np.float32)
    grad = rng.standard_normal(x.shape).astype(np.float32)

    def run(part):
        layer = nn.SyncBatchNorm(3)
        t = xpnet.Tensor(xpnet.asarray(x[part]), requires_grad=True)
        out = layer(t)
        (out * xpnet.Tensor(xpnet.asarray(grad[part]))).sum().backward()
        return host(out.array), host(t.grad), host(layer.weight.grad), host(layer.running_var)

    whole = run(slice(None))

    def job():
        rank = dist.get_rank()
        return run(slice(sum(sizes[:rank]), sum(sizes[: rank + 1])))

    (a, b) = run_ranks(job)
    np.testing.assert_allclose(np.concatenate([a[0], b[0]]), whole[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.concatenate([a[1], b[1]]), whole[1], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(a[2] + b[2], whole[2], rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(a[3], b[3])


def test_convert_sync_batchnorm_keeps_parameters_and_keys():
    model = models.LeNet(image_size=8)
    before = {k: host(v).copy() for k, v in model.state_dict().items()}
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert sum(isinstance(m, nn.SyncBatchNorm) for m in converted.modules()) == 2
    after = converted.state_dict()
    assert list(after) == list(before)
    for key, value in before.items():
        np.testing.assert_array_equal(host(after[key]), value)
    with pytest.raises(ValueError, match="process_group must be None"):
        nn.SyncBatchNorm(3, process_group=object())
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.SyncBatchNorm(3)(xpnet.Tensor(np.ones((1, 3), dtype=np.float32)))


# -- DistributedSampler and the loop's split ---------------------------------------------------
@pytest.mark.parametrize("total", [0, 1, 5, 10])
@pytest.mark.parametrize("replicas", [1, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_matches_torch_without_shuffle(total, replicas, drop_last):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for rank in range(replicas):
        ours = xpnet.data.DistributedSampler(range(total), replicas, rank, False, 0, drop_last)
        theirs = TorchSampler(range(total), replicas, rank, False, 0, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_sampler_shuffles_alike_on_every_rank_per_epoch_and_unpadded_partitions():
    def shares(epoch, **options):
        samplers = [xpnet.data.DistributedSampler(range(11), 3, r, **options) for r in range(3)]
        for sampler in samplers:
            sampler.set_epoch(epoch)
        return [list(s) for s in samplers]

    first, again, second = shares(0), shares(0), shares(1)
    assert first == again and first != second
    assert sorted(sum(first, [])) == sorted(list(range(11)) + first[0][:1])  # padded by one
    unpadded = shares(0, pad=False)
    assert sorted(sum(unpadded, [])) == list(range(11))
    assert [len(s) for s in unpadded] == [4, 4, 3]
    with pytest.raises(ValueError, match=r"rank must be in \[0, 3\)"):
        xpnet.data.DistributedSampler(range(3), 3, 3)
    with pytest.raises(ValueError, match="num_replicas must be a positive int"):
        xpnet.data.DistributedSampler(range(3), 0, 0)


def test_rank_batches_split_every_global_batch_without_padding():
    assert [rank_slice(5, r, 3) for r in range(3)] == [slice(0, 1), slice(1, 3), slice(3, 5)]
    data = xpnet.data.TensorDataset(np.arange(7.0).reshape(7, 1), np.arange(7))
    whole = [host(labels).tolist() for _, labels in xpnet.data.DataLoader(data, 3, True, seed=0)]
    parts = [
        list(RankBatches(xpnet.data.DataLoader(data, 3, True, seed=0), rank, 2))
        for rank in range(2)
    ]
    for batch, a, b in zip(whole, *parts, strict=True):
        assert host(a[1]).tolist() + host(b[1]).tolist() == batch
        assert a[2] == b[2] == len(batch)


# -- init, world detection, buffers ------------------------------------------------------------
def test_init_refuses_unknown_engines_and_bad_timeouts():
    with pytest.raises(ValueError, match="engine must be one of mpi, nccl, got 'gloo'"):
        dist.init(engine="gloo")
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds"):
        dist.init(engine="mpi", timeout=0)
    assert not dist.is_initialized()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"backend": "ucc"}, "backend must be one of nccl, mpi, gloo, got 'ucc'"),
        ({"init_method": "tcp://10.0.0.1:23456"}, "init_method must be None or 'env://'"),
        ({"store": object()}, r"no rendezvous options given.*\['store'\]"),
    ],
)
def test_init_process_group_refuses_what_xpnet_cannot_do(kwargs, match):
    # checked before joining: no MPI is touched (the jobs of test_distributed_mpi join one)
    with pytest.raises(ValueError, match=match):
        dist.init_process_group(**kwargs)
    assert not dist.is_initialized()


def test_destroy_process_group_outside_a_job_or_of_a_group_raises():
    with pytest.raises(RuntimeError, match="destroy_process_group: xpnet.distributed is not"):
        dist.destroy_process_group()
    with pytest.raises(ValueError, match="group must be None"):
        dist.destroy_process_group(group=object())


class FakeInfo:
    def __init__(self, kinds):
        self.kinds, self.freed = kinds, False

    def Get(self, key):  # noqa: N802 - mpi4py's name
        return self.kinds if key == "mpi_memory_alloc_kinds" else None

    def Free(self):  # noqa: N802
        self.freed = True


@pytest.mark.parametrize(
    "kinds, setting, aware",
    [
        (None, None, False),  # an MPI without the MPI 4.1 key
        ("mpi,system", None, False),
        ("mpi,system,cuda", None, True),
        ("system,cuda:host:device", None, True),
        ("system,cuda:host", None, False),  # pinned host memory only
        ("system,rocm:device", None, False),
        ("mpi,system,cuda", "0", False),
        ("mpi,system", "1", True),
    ],
)
def test_mpi_is_cuda_aware_reads_memory_kinds_or_the_setting(monkeypatch, kinds, setting, aware):
    monkeypatch.delenv("XPNET_MPI_CUDA_AWARE", raising=False)
    if setting is not None:
        monkeypatch.setenv("XPNET_MPI_CUDA_AWARE", setting)
    info = FakeInfo(kinds)
    comm = type("Comm", (), {"Get_info": lambda self: info})()
    assert mpi_is_cuda_aware(comm) is aware
    assert info.freed or setting is not None
    monkeypatch.setenv("XPNET_MPI_CUDA_AWARE", "yes")
    with pytest.raises(ValueError, match="XPNET_MPI_CUDA_AWARE must be 1 or 0, got 'yes'"):
        mpi_is_cuda_aware(comm)


@pytest.mark.parametrize(
    "variables, size",
    [
        ({}, 1),
        ({"PMI_SIZE": "4"}, 4),
        ({"OMPI_COMM_WORLD_SIZE": "3"}, 3),
        ({"SLURM_NTASKS": "8"}, 1),
    ],
)
def test_launched_world_size_reads_the_launcher(monkeypatch, variables, size):
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "SLURM_NTASKS", "PMI_RANK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert dist.launched_world_size() == size  # init_from_environment joins when above 1


def test_average_buffers_gives_every_rank_the_mean_running_statistics():
    from xpnet.distributed.ddp import average_buffers

    def job():
        layer = nn.BatchNorm1d(2)
        layer.running_mean[...] = float(dist.get_rank())
        layer.num_batches_tracked[...] = 5 + dist.get_rank()  # integers stay
        average_buffers(layer)
        return host(layer.running_mean).tolist(), int(host(layer.num_batches_tracked))

    assert run_ranks(job) == [([0.5, 0.5], 5), ([0.5, 0.5], 6)]


def test_bench_distributed_report_and_throughput():
    from xpnet.bench import distributed as bench

    rows = [
        {"contender": name, "bytes": size, "seconds": seconds}
        for name, seconds in [("xpnet mpi", 1e-5), ("torch gloo", 1e-3)]
        for size, seconds in [(1024, seconds), (2**20, seconds * 100)]
    ]
    report = {"allreduce": rows, "images_per_s": {"1": 100.0, "2": 170.0}}
    text = bench.format_report({**report, "scaling_efficiency": 0.85})
    assert "1 KiB" in text and "1 MiB" in text and "10.0 us" in text and "0.10 GB/s" in text
    assert "scaling efficiency 0.85" in text
    assert bench.SIZES[0] == 2**10 and bench.SIZES[-1] == 64 * 2**20
    assert bench.lenet_throughput(None, steps=1, batch=4) > 0
