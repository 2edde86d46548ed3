"""The test oracle: PyTorch autograd in float64, and finite differences.

``check_against_torch`` is the one comparison helper: tests do not hand-roll comparisons.
"""

from __future__ import annotations

import ast
import functools
import pathlib

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import xpnet
import xpnet.kernels as K
from xpnet.autograd import Tensor
from xpnet.backends import backend_of, registered_backends, to_backend
from xpnet.backends._precision import cublas_switches

# Tolerances per dtype, one table. float16 is judged in ulps of the correctly rounded result.
RTOL = {np.float64: 1e-10, np.float32: 1e-4, np.float16: None}
FLOAT16_ULPS = 2
# float32 products in TF32 (CuPy at "high" on a GPU with TF32 tensor cores), as PyTorch's
# allow_tf32: each operand is rounded to a 10-bit mantissa (up to 2**-11 = 4.9e-4 off), so a
# sum of K products of operands in [-1, 1] is off by about 2**-11 * sqrt(K) / 4 (one standard
# deviation). The convolutions these tests compare at "high" sum up to K = 576 products: the
# window formulas' largest error is 0.0079 on an H200 (0.0095 at most over 20 seeds, with
# every float32 product's operands rounded to TF32 on the CPU), the convolution theorem's,
# whose transforms are products too, 0.02 at most so emulated. The bound is 2.5 times that,
# and only where TF32 applies: see tf32_rtol
TF32_RTOL = 5e-2


def random_input(shape, seed=0, dtype=np.float64, low=-1.0, high=1.0):
    """A NumPy array of uniform values, reproducible from ``seed``."""
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype)


def assert_close(actual, expected, dtype, what="output", rtol=None):
    """Compare a NumPy result with a float64 reference at the tolerance of ``dtype``.

    float64/float32: ``|a - e| <= rtol * max(1, |e|)`` elementwise, ``rtol`` from ``RTOL``
    unless given (``tf32_rtol``). float16: ``|a - round16(e)| <= 2 ulp(round16(e))``. NaNs
    must match NaNs, infs must match exactly.
    """
    actual = np.asarray(actual)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    a = actual.astype(np.float64)
    dtype = np.dtype(dtype).type
    if dtype is np.float16:
        rounded = expected.astype(np.float16)
        bound = FLOAT16_ULPS * np.spacing(np.abs(rounded)).astype(np.float64)
        e = rounded.astype(np.float64)
    else:
        e = expected
        bound = (RTOL[dtype] if rtol is None else rtol) * np.maximum(1.0, np.abs(e))
    nan_mismatch = np.isnan(a) != np.isnan(e)
    assert not nan_mismatch.any(), f"{what}: NaN mismatch at {np.argwhere(nan_mismatch)[:5]}"
    finite = np.isfinite(e) & np.isfinite(a)
    inf_ok = np.array_equal(a[np.isinf(e) | np.isinf(a)], e[np.isinf(e) | np.isinf(a)])
    assert inf_ok, f"{what}: inf mismatch"
    # subtract only where both are finite: inf - inf would warn (and warnings are errors)
    error = np.abs(np.where(finite, a, 0.0) - np.where(finite, e, 0.0))
    excess = np.where(finite, error - bound, 0.0)
    if excess.size and excess.max() > 0:
        where = np.unravel_index(np.argmax(excess), excess.shape)
        raise AssertionError(
            f"{what} ({np.dtype(dtype).name}): max |diff| {error.max():.3g} at {where}: "
            f"got {a[where]!r}, expected {e[where]!r} (bound {bound[where]:.3g})"
        )


def check_against_torch(
    forward,
    backward,
    torch_forward,
    inputs,
    backend,
    dtype=np.float64,
    seed=1,
    grad_output=None,
    rtol=None,
):
    """Run xpnet and PyTorch on the same inputs; compare the output and every gradient.

    Args:
        forward: ``forward(*arrays) -> array``, the xpnet kernel on backend arrays.
        backward: ``backward(grad_output, *arrays) -> tuple`` of gradients (or ``None`` to
            compare the forward only). A ``None`` gradient is compared with "no gradient".
        torch_forward: the same computation on float64 torch tensors.
        inputs: NumPy arrays (``None`` allowed); cast to ``dtype`` and moved to ``backend``.
            Torch sees the same ``dtype``-rounded values, in float64, with ``requires_grad``.
        backend: the backend module under test.
        dtype: the dtype xpnet computes in.
        grad_output: the upstream gradient (NumPy); default: random, same shape as output.
        rtol: the bound of :func:`assert_close` (default: ``RTOL[dtype]``; see
            :func:`tf32_rtol`).

    Returns:
        ``(output, grads)`` of xpnet as NumPy arrays, for extra checks.
    """
    rounded = [None if x is None else np.asarray(x).astype(dtype) for x in inputs]
    device = [None if x is None else backend.asarray(x) for x in rounded]
    output = forward(*device)
    assert type(output) is backend.ndarray, f"output is {type(output)}, not {backend.ndarray}"
    assert output.dtype == dtype, f"output dtype {output.dtype} != {np.dtype(dtype)}"

    tensors = [
        None if x is None else torch.tensor(x.astype(np.float64), requires_grad=True)
        for x in rounded
    ]
    expected = torch_forward(*tensors)
    assert_close(backend.to_host(output), expected.detach().numpy(), dtype, "output", rtol)
    if backward is None:
        return backend.to_host(output), ()

    if grad_output is None:
        grad_output = random_input(tuple(expected.shape), seed=seed)
    grad_output = np.asarray(grad_output).astype(dtype)
    grads = backward(backend.asarray(grad_output), *device)
    grads = grads if isinstance(grads, tuple) else (grads,)
    differentiable = [t for t in tensors if t is not None]
    expected_grads = torch.autograd.grad(
        expected,
        differentiable,
        torch.tensor(grad_output.astype(np.float64)),
        allow_unused=True,
    )
    # realign torch's gradients with the inputs: a None input has a None gradient
    remaining = iter(expected_grads)
    expected_grads = [None if t is None else next(remaining) for t in tensors]
    if len(grads) == len(differentiable) < len(tensors):
        remaining = iter(grads)
        grads = tuple(None if t is None else next(remaining) for t in tensors)
    host_grads = []
    for index, (grad, expected_grad) in enumerate(zip(grads, expected_grads, strict=True)):
        grad = grad.array if isinstance(grad, Tensor) else grad  # a leaf's .grad (autograd)
        if grad is None:
            assert expected_grad is None or not expected_grad.any(), f"grad {index} missing"
            host_grads.append(None)
            continue
        assert type(grad) is backend.ndarray, f"grad {index} is {type(grad)}"
        assert grad.dtype == dtype, f"grad {index} dtype {grad.dtype} != {np.dtype(dtype)}"
        host = backend.to_host(grad)
        reference = np.zeros(host.shape) if expected_grad is None else expected_grad.numpy()
        assert_close(host, reference, dtype, f"grad {index}", rtol)
        host_grads.append(host)
    return backend.to_host(output), tuple(host_grads)


def nested_lists(value):
    """Batches of either library as nested Python lists, to compare PyTorch's loader with
    xpnet's (dicts kept; tuples become lists, as PyTorch collates tuples into lists)."""
    if isinstance(value, dict):
        return {key: nested_lists(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [nested_lists(item) for item in value]
    if isinstance(value, torch.Tensor):
        return value.numpy().tolist()
    if hasattr(value, "shape"):
        return xpnet.to_numpy(value).tolist()
    return value


def check_no_host_reads(strict, op, shape=(3, 3)):
    """``op(x).sum().backward()`` for a random ``x`` on the strict backend reads nothing back
    to the host, forward or backward: its shapes come from shapes alone."""
    from xpnet.backends import host_reads_forbidden, use_backend

    with use_backend("strict"):
        x = xpnet.Tensor(strict.asarray(random_input(shape, seed=1)), requires_grad=True)
        with host_reads_forbidden():
            op(x).sum().backward()
        assert x.grad.shape == shape


def like(t, values, dtype="int64"):
    """``values`` (indices, by default) as a tensor beside ``t``: a torch tensor for a torch
    one, else an xpnet Tensor on ``t``'s backend."""
    host = np.asarray(values, dtype=dtype)
    if isinstance(t, torch.Tensor):
        return torch.tensor(host)
    return xpnet.Tensor(to_backend(host, backend_of(t.array).name))


def by_name(name, *args, **kwargs):
    """A function of tensors calling ``torch.<name>(*tensors, *args, **kwargs)`` on torch
    tensors and ``xpnet.<name>`` on xpnet Tensors, for :func:`check_tensor_method`."""

    def call(*tensors):
        namespace = torch if isinstance(tensors[0], torch.Tensor) else xpnet
        return getattr(namespace, name)(*tensors, *args, **kwargs)

    return call


def check_tensor_method(
    method, inputs, backend, grad_output=None, dtype=np.float64, torch_method=None
):
    """``method(*tensors)`` (a Tensor method or function, named as PyTorch's) on xpnet and
    ``torch_method`` (default: ``method`` too) on torch, compared by
    :func:`check_against_torch` (forward and grads)."""

    def forward(*arrays):
        return method(*[xpnet.Tensor(a) for a in arrays]).array

    def backward(grad_output, *arrays):
        tensors = [xpnet.Tensor(a, requires_grad=True) for a in arrays]
        method(*tensors).backward(grad_output)
        return tuple(t.grad for t in tensors)

    torch_method = method if torch_method is None else torch_method
    return check_against_torch(
        forward, backward, torch_method, inputs, backend, dtype=dtype, grad_output=grad_output
    )


def check_conv2d_case(backend, case, dtype=np.float64, rtol=None):
    """``check_against_torch`` of conv2d and its backward with bias on ``case``: (input shape,
    weight shape, *conv2d's positional arguments after the bias), on generated inputs."""
    input_shape, weight_shape, *args = case
    inputs = [random_input(input_shape, 0), random_input(weight_shape, 1)]
    inputs.append(random_input(weight_shape[:1], 2))
    return check_against_torch(
        lambda x, w, b: K.conv2d(x, w, b, *args),
        lambda g, x, w, b: K.conv2d_backward(g, x, w, b, *args),
        lambda x, w, b: TF.conv2d(x, w, b, *args),
        inputs,
        backend,
        dtype=dtype,
        rtol=rtol,
    )


def tf32_rtol(backend, dtype):
    """``TF32_RTOL`` where ``backend`` computes float32 products in TF32 now (a GPU backend at
    the "high" or "medium" float32 matmul precision, on a GPU with TF32 tensor cores: what
    ``xpnet.backends._precision.cublas_switches`` turns on), else ``None``: the ``RTOL``
    table's bound, for every other dtype, backend and precision."""
    gpu = any(entry.gpu for entry in registered_backends() if entry.name == backend.name)
    if not gpu or np.dtype(dtype) != np.float32:
        return None
    precision = xpnet.get_float32_matmul_precision()
    capability = backend.xp.cuda.Device().compute_capability
    tf32 = cublas_switches(precision, capability).compute_type == "COMPUTE_TYPE_TF32"
    return TF32_RTOL if tf32 else None


def requires_torch(version, why):
    """A mark that skips a test (or a parameter) where the installed PyTorch is older than
    ``version``, whose behaviour ``why`` names: the oracle's expectations follow the pinned
    PyTorch (pyproject.toml), and an older one, such as a GPU machine's own, differs there."""
    return pytest.mark.skipif(
        torch.__version__ < version,
        reason=f"torch {torch.__version__} is older than {version}, which {why}",
    )


def check_kernel_against_torch(backend, name, x, kwargs, dtype=np.float64, torch_kwargs=None):
    """``check_against_torch`` for a one-input kernel pair of ``xpnet.kernels`` and the
    ``torch.nn.functional`` function of the same name, with the same keyword arguments (or
    ``torch_kwargs`` for PyTorch). With ``return_indices``, the indices must equal PyTorch's,
    and the backward gets the forward's."""
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    reference, torch_kwargs = getattr(TF, name), torch_kwargs or kwargs
    saved = {}
    if kwargs.get("return_indices"):
        _, saved["indices"] = forward(backend.asarray(x), **kwargs)
        _, expected = reference(torch.tensor(x), **torch_kwargs)
        np.testing.assert_array_equal(backend.to_host(saved["indices"]), expected.numpy())
    first = (lambda result: result[0]) if saved else (lambda result: result)
    return check_against_torch(
        lambda x: first(forward(x, **kwargs)),
        lambda g, x: backward(g, x, **kwargs, **saved),
        lambda x: first(reference(x, **torch_kwargs)),
        [x],
        backend,
        dtype=dtype,
    )


def check_running_norm(name, backend, x, params, running, options, saved=False):
    """:func:`check_against_torch` for ``batch_norm`` or ``instance_norm`` (``name``), whose
    forward updates the running statistics in place: each call gets fresh copies of
    ``running`` (two arrays or Nones), and the ones xpnet's forward updated are compared with
    PyTorch's afterwards. ``params`` are (weight, bias); with ``saved`` the backward gets the
    forward's ``save_mean`` and ``save_invstd``."""
    forward_kernel, backward_kernel = getattr(K, name), getattr(K, f"{name}_backward")
    updated = []  # the running stats after xpnet's forward

    def stats():
        return [None if a is None else backend.asarray(a.copy()) for a in running]

    def forward(x, w, b):
        updated[:] = stats()
        return forward_kernel(x, *updated, w, b, **options)

    def backward(g, x, w, b):
        extra = {}
        if saved:
            _, mean, invstd = forward_kernel(x, *stats(), w, b, **options, return_stats=True)
            extra = {"save_mean": mean, "save_invstd": invstd}
        grads = backward_kernel(g, x, *stats(), w, b, **options, **extra)
        return tuple(grad for grad in grads if grad is not None)

    torch_running = [None if a is None else torch.tensor(a.copy()) for a in running]
    reference = getattr(TF, name)
    check_against_torch(
        forward,
        backward,
        lambda x, w, b: reference(x, *torch_running, w, b, **options),
        [x, *params],
        backend,
    )
    for actual, expected in zip(updated, torch_running, strict=True):
        if expected is not None:
            assert_close(backend.to_host(actual), expected.numpy(), np.float64, "running stats")


def check_finite_differences(
    forward, backward, inputs, backend, eps=1e-6, rtol=1e-5, seed=2, wrt=None
):
    """Central differences of ``sum(forward(*inputs) * grad_output)`` against ``backward``.

    float64 only. ``wrt`` lists the input positions to check (default: every non-None one).
    Each input is perturbed element by element, so keep the inputs small.
    """
    inputs = [None if x is None else np.asarray(x, dtype=np.float64) for x in inputs]

    def run(arrays):
        return backend.to_host(
            forward(*[None if a is None else backend.asarray(a) for a in arrays])
        )

    output = run(inputs)
    grad_output = random_input(output.shape, seed=seed)
    grads = backward(
        backend.asarray(grad_output), *[None if a is None else backend.asarray(a) for a in inputs]
    )
    grads = grads if isinstance(grads, tuple) else (grads,)
    positions = wrt if wrt is not None else [i for i, x in enumerate(inputs) if x is not None]
    for position in positions:
        grad = grads[position]
        grad = backend.to_host(grad.array if isinstance(grad, Tensor) else grad)  # or a .grad
        numeric = np.zeros_like(inputs[position])
        for index in np.ndindex(inputs[position].shape):
            plus = [a if a is None else a.copy() for a in inputs]
            minus = [a if a is None else a.copy() for a in inputs]
            plus[position][index] += eps
            minus[position][index] -= eps
            numeric[index] = ((run(plus) - run(minus)) * grad_output).sum() / (2 * eps)
        scale = max(1.0, np.abs(numeric).max())
        error = np.abs(grad - numeric).max() if numeric.size else 0.0
        assert error <= rtol * scale, f"input {position}: finite differences off by {error:.3g}"


@functools.cache
def torch_cuda_autocast_lists() -> dict[str, set[str]]:
    """The op names of each list of PyTorch's ``AutocastTestLists`` (its CUDA policy), read
    with ``ast`` (importing the module needs ``expecttest``)."""
    path = pathlib.Path(torch.__file__).parent / "testing/_internal/autocast_test_lists.py"
    tree = ast.parse(path.read_text())
    cls = next(n for n in tree.body if getattr(n, "name", None) == "AutocastTestLists")
    lists = {}
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            entries = [e for e in node.value.elts if isinstance(e, ast.Tuple)]
            lists[node.targets[0].attr] = {e.elts[0].value for e in entries}
    return lists


def pair_function(lib):
    """A custom Function of ``lib`` (torch or xpnet) with two outputs, ``(2 x, 3 x)``: one
    node for both in PyTorch, an output group in xpnet."""

    class Pair(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    return Pair


def assert_same_as_torch(ours, theirs):
    """``ours`` (xpnet) equals ``theirs`` (torch) exactly: shape, dtype name and values."""
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(np.asarray(ours.tolist()), theirs.numpy())


def refused_as_torch(run, call, pattern):
    """``run(torch, call)`` raises, and ``run(xpnet, call)`` an instance of the same class
    whose message matches ``pattern``; ``run`` is the test file's way to make the call."""
    with pytest.raises(Exception) as expected:  # noqa: PT011 - whatever class torch raises
        run(torch, call)
    with pytest.raises(expected.type, match=pattern):
        run(xpnet, call)
