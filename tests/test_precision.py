"""The float32 matmul precision: exact conv2d by default, the Fourier formula as an opt-in, and
TF32 for CuPy's float32 products at "high" only (the switches faked, their names checked
against the installed CuPy)."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import pathlib
import sys
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import random_input

import xpnet
import xpnet.backends as xpnet_backends
import xpnet.kernels as K
from xpnet import bench
from xpnet.backends._precision import CUBLAS_MATH_MODES, cublas_switches
from xpnet.bench import timing

A = K.ConvAlgorithm
# LeNet's second convolution (32 -> 64 channels on 14x14, 5x5, padding 2): Fourier pays here
LENET_INPUT, LENET_WEIGHT, LENET_PADDING = (8, 32, 14, 14), (64, 32, 5, 5), 2


def _lenet_arrays(backend, dtype="float32"):
    x = random_input(LENET_INPUT, seed=1).astype(dtype)
    w = (random_input(LENET_WEIGHT, seed=2) * 0.1).astype(dtype)
    return x, w


def _torch_conv(x, w):
    return TF.conv2d(
        torch.tensor(x, dtype=torch.float64),
        torch.tensor(w, dtype=torch.float64),
        padding=LENET_PADDING,
    ).numpy()


def test_highest_never_chooses_fourier_high_does(backend, cpu_conv_costs, precision):
    x, w = (backend.xp.empty(shape, dtype="float32") for shape in (LENET_INPUT, LENET_WEIGHT))
    precision("highest")
    assert K.select_conv_algorithm(x, w, padding=LENET_PADDING) is not A.FOURIER
    if not cpu_conv_costs:
        pytest.skip(
            f"{backend.name}: Fourier pays on LeNet's convolution by the CPU's cost constants; "
            "a GPU's take the fewest launches"
        )
    for setting in ("high", "medium"):
        precision(setting)
        assert K.select_conv_algorithm(x, w, padding=LENET_PADDING) is A.FOURIER


def test_naming_fourier_in_conv_algorithms_opts_in_at_highest(backend, cpu_conv_costs, precision):
    precision("highest")
    x, w = (backend.xp.empty(shape, dtype="float32") for shape in (LENET_INPUT, LENET_WEIGHT))
    with K.conv_algorithms("fourier"):
        assert K.select_conv_algorithm(x, w, padding=LENET_PADDING) is A.FOURIER
    # named beside another, it is chosen where it pays: on LeNet's convolution by the CPU's
    # cost constants (a GPU's take the fewest launches there)
    if cpu_conv_costs:
        with K.conv_algorithms(["fourier", "im2col"]):
            assert K.select_conv_algorithm(x, w, padding=LENET_PADDING) is A.FOURIER


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_highest_puts_nan_and_inf_exactly_where_torch_does(backend, precision, value):
    precision("highest")
    x, w = _lenet_arrays(backend)
    x[3, 5, 7, 9] = value
    x[6, 0, 0, 13] = value
    output = backend.to_host(K.conv2d(backend.asarray(x), backend.asarray(w), padding=2))
    expected = _torch_conv(x.astype(np.float64), w.astype(np.float64))
    np.testing.assert_array_equal(np.isnan(output), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(output), np.isinf(expected))
    np.testing.assert_array_equal(
        np.sign(output[np.isinf(output)]), np.sign(expected[np.isinf(expected)])
    )
    assert 0 < np.isnan(expected).sum() + np.isinf(expected).sum() < expected.size // 20


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_high_spreads_nan_and_inf_over_their_sample_without_a_warning(
    backend, cpu_conv_costs, precision, value
):
    # the documented price of the Fourier formula (inf - inf: NaN); NumPy would warn
    # "invalid value encountered in matmul", and pytest turns any warning into an error.
    # "high" takes it here unasked by the CPU's cost constants; a GPU's take the fewest
    # launches, so there it is asked for
    precision("high")
    x, w = _lenet_arrays(backend)
    x[3, 5, 7, 9] = value
    with contextlib.nullcontext() if cpu_conv_costs else K.conv_algorithms("fourier"):
        output = backend.to_host(K.conv2d(backend.asarray(x), backend.asarray(w), padding=2))
        K.conv2d_backward(  # quiet too
            backend.asarray(np.ones_like(output)), backend.asarray(x), backend.asarray(w), padding=2
        )
    assert np.isnan(output[3]).all() and not np.isnan(np.delete(output, 3, axis=0)).any()


def test_highest_keeps_small_outputs_accurate_beside_large_ones(backend, precision):
    """A plane whose left half is 1e4 times its right half: float32 outputs in the small
    half stay within PyTorch-level relative error at "highest"; at "high" the error is
    relative to the plane's largest value, as documented."""
    x, w = _lenet_arrays(backend)
    x[..., :7] *= 1e4
    expected = _torch_conv(x.astype(np.float64), w.astype(np.float64))
    small = (slice(None), slice(None), slice(None), slice(11, None))  # windows in the small half
    errors = {}
    for setting in ("highest", "high"):
        precision(setting)
        output = backend.to_host(K.conv2d(backend.asarray(x), backend.asarray(w), padding=2))
        relative = np.abs(output[small] - expected[small]) / np.abs(expected[small])
        errors[setting] = np.median(relative)
    assert errors["highest"] < 2e-6
    assert errors["high"] > 10 * errors["highest"]  # the trade the setting documents


@pytest.mark.parametrize("setting", ["low", "HIGH", None, 1])
def test_bad_precision_is_refused(setting):
    with pytest.raises(ValueError, match=r"set_float32_matmul_precision: precision must be one"):
        xpnet.set_float32_matmul_precision(setting)
    with pytest.raises(ValueError, match=r"float32_matmul_precision: precision must be one"):
        with xpnet.float32_matmul_precision(setting):
            pass


def test_precision_block_restores_after_an_exception(precision):
    precision("highest")
    with pytest.raises(RuntimeError), xpnet.float32_matmul_precision("high"):
        assert xpnet.get_float32_matmul_precision() == "high"
        raise RuntimeError
    assert xpnet.get_float32_matmul_precision() == "highest"


# --- TF32 on CuPy: the switches the cupy backend flips, faked here, checked against CuPy ----------


# every name the cupy backend's precision hook uses, by the module it comes from
CUPY_NAMES = {
    "cupy.cuda": ("Device", "device", "runtime"),  # and cublas, a lazily loaded module
    "cupy.cuda.device": ("get_cublas_handle",),
    "cupy._core._routines_linalg": (
        "set_compute_type",
        "COMPUTE_TYPE_DEFAULT",
        "COMPUTE_TYPE_TF32",
    ),
}
# CuPy 14 exports no TF32 math mode (seen on an H200): the backend passes cuBLAS's numbers
CUBLAS_NAMES = ("setMathMode",)
# CuPy 14's values: COMPUTE_TYPE_* in _routines_linalg.pxd, cublasMath_t in cublas_api.h
DEFAULT, TF32, DEFAULT_MATH, TF32_MATH, HANDLE = 1, 7, 0, 3, 1234


def _module(name, **attributes):
    module = types.ModuleType(name)  # only the names given: any other use raises
    module.__dict__.update(attributes)
    return module


@pytest.fixture
def fake_cupy(monkeypatch):
    """``(switches, load)``: ``load(compute_capability)`` imports the cupy backend on a fake
    CuPy that has only the names above; ``switches`` collects what it sets, in order. The
    real modules (and a real cupy backend) are back after the test."""
    switches = []
    linalg = _module(
        "cupy._core._routines_linalg",
        COMPUTE_TYPE_DEFAULT=DEFAULT,
        COMPUTE_TYPE_TF32=TF32,
        set_compute_type=lambda dtype, t: switches.append((np.dtype(dtype).name, t)),
    )
    cublas = _module(
        "cupy.cuda.cublas",
        setMathMode=lambda handle, mode: switches.append((handle, mode)),
    )

    def load(compute_capability="90"):
        device = types.SimpleNamespace(compute_capability=compute_capability)
        cuda = _module(
            "cupy.cuda",
            Device=lambda: device,
            device=_module("cupy.cuda.device", get_cublas_handle=lambda: HANDLE),
            cublas=cublas,
            runtime=_module("cupy.cuda.runtime", getDeviceCount=lambda: 1),
        )
        core = _module("cupy._core", _routines_linalg=linalg)
        fake = _module("cupy", cuda=cuda, _core=core, ndarray=type("ndarray", (), {}))
        modules = {"cupy": fake, "cupy._core": core, "cupy._core._routines_linalg": linalg}
        for name, module in {**modules, "cupyx": _module("cupyx")}.items():
            monkeypatch.setitem(sys.modules, name, module)
        return importlib.import_module("xpnet.backends.cupy_backend")

    name = "xpnet.backends.cupy_backend"
    real = sys.modules.pop(name, None)
    try:
        yield switches, load
    finally:
        sys.modules.pop(name, None)
        if hasattr(xpnet_backends, "cupy_backend"):
            delattr(xpnet_backends, "cupy_backend")
        if real is not None:
            sys.modules[name] = real
            xpnet_backends.cupy_backend = real


def _tf32(on):
    return [("float32", TF32 if on else DEFAULT), (HANDLE, TF32_MATH if on else DEFAULT_MATH)]


def test_cupy_high_turns_tf32_on_for_2d_and_batched_products_and_restores(fake_cupy, precision):
    switches, load = fake_cupy
    precision("highest")
    load()
    # "highest" holds from the load, whatever CUPY_TF32 says; the handle is new: no math mode
    assert switches == _tf32(False)[:1]
    switches.clear()
    with xpnet.float32_matmul_precision("high"):
        assert switches == _tf32(True)
    assert switches == _tf32(True) + _tf32(False)
    switches.clear()
    with pytest.raises(KeyError), xpnet.float32_matmul_precision("medium"):
        raise KeyError  # restored after an exception too
    assert switches == _tf32(True) + _tf32(False)


def test_cupy_loaded_after_high_starts_with_tf32(fake_cupy, precision):
    switches, load = fake_cupy
    precision("high")
    load()
    assert switches == _tf32(True)
    switches.clear()
    xpnet.set_float32_matmul_precision("highest")
    assert switches == _tf32(False)


def test_cupy_before_ampere_never_uses_tf32(fake_cupy, precision):
    switches, load = fake_cupy
    precision("high")
    load(compute_capability="75")  # no TF32 tensor cores (and CuPy would warn)
    assert switches == _tf32(False)


@pytest.mark.parametrize(
    "setting, capability, tf32",
    [("highest", "90", False), ("high", "90", True), ("medium", "80", True), ("high", "70", False)],
)
def test_cublas_switches(setting, capability, tf32):
    switches = cublas_switches(setting, capability)
    assert (switches.compute_type == "COMPUTE_TYPE_TF32") is tf32
    assert (switches.math_mode == "CUBLAS_TF32_TENSOR_OP_MATH") is tf32
    assert switches.compute_type in CUPY_NAMES["cupy._core._routines_linalg"]
    assert CUBLAS_MATH_MODES[switches.math_mode] == (TF32_MATH if tf32 else DEFAULT_MATH)


def test_cupy_names_the_hook_uses_exist_in_the_installed_cupy():
    cupy = pytest.importorskip("cupy")
    for module_name, names in CUPY_NAMES.items():
        module = importlib.import_module(module_name)
        assert [n for n in names if not hasattr(module, n)] == [], module_name
    assert isinstance(cupy.cuda.Device.compute_capability, property | types.GetSetDescriptorType)
    try:
        cublas = cupy.cuda.cublas  # needs libcublas, absent on a machine without CUDA
    except ImportError:
        # the compiled binding names its functions and constants: look in the file itself
        spec = importlib.util.find_spec("cupy_backends.cuda.libs.cublas")
        binary = pathlib.Path(spec.origin).read_bytes()
        assert [n for n in CUBLAS_NAMES if n.encode() not in binary] == []
    else:
        assert [n for n in CUBLAS_NAMES if not hasattr(cublas, n)] == []
    linalg = importlib.import_module("cupy._core._routines_linalg")
    assert (linalg.COMPUTE_TYPE_DEFAULT, linalg.COMPUTE_TYPE_TF32) == (DEFAULT, TF32)


def test_numpy_and_strict_products_ignore_the_precision(precision):
    for name in ("numpy", "strict"):
        backend = xpnet_backends.load_backend(name)
        for setting in ("highest", "high"):
            assert backend.set_matmul_precision(setting) is None


# --- xpnet bench compares like with like: FP32 with TF32-off PyTorch, TF32 with TF32-on -------


@pytest.mark.parametrize(
    "setting, reference",
    [("highest", "torch-cuda"), ("high", "torch-cuda-tf32"), ("medium", "torch-cuda-tf32")],
)
def test_bench_compares_gpu_rows_with_torch_at_the_same_precision(monkeypatch, setting, reference):
    monkeypatch.setenv("CUPY_TF32", "1")  # no longer decides: the precision does
    rows = [
        {"mode": "forward", "contender": name, "device": "gpu", "median_s": seconds}
        for name, seconds in [("xpnet-cupy", 6.0), ("torch-cuda", 2.0), ("torch-cuda-tf32", 1.0)]
    ]
    with xpnet.float32_matmul_precision(setting):
        timing._add_ratios(rows)
    assert timing.torch_cuda_reference(setting) == reference
    expected = 3.0 if reference == "torch-cuda" else 6.0
    assert rows[0]["time_over_torch"] == expected


def test_bench_compares_a_precision_variant_with_torch_at_its_own_precision():
    rows = [
        {"mode": "forward", "contender": name, "device": device, "median_s": seconds}
        for name, device, seconds in [
            ("xpnet-cupy-high", "gpu", 6.0),
            ("xpnet-numpy-high", "cpu", 60.0),
            ("torch-cuda", "gpu", 2.0),
            ("torch-cuda-tf32", "gpu", 1.0),
        ]
    ]
    rows[0]["precision"] = rows[1]["precision"] = "high"
    with xpnet.float32_matmul_precision("highest"):  # the run's: not the variant's
        timing._add_ratios(rows)
    assert rows[0]["time_over_torch"] == 6.0  # against TF32 PyTorch, as the variant uses TF32
    assert rows[0]["gpu_speedup"] == 10.0  # against its CPU twin at the same precision


@pytest.mark.parametrize("setting", ["highest", "high"])
def test_bench_records_the_precision_and_tf32(setting):
    lines = []
    shapes = {"conv2d": [(2, 3, 6, 6, 4, 3, 1, 1)]}
    report = bench.run(
        ["numpy"], ["conv2d"], shapes, repeats=1, echo=lines.append, precision=setting
    )
    tf32 = setting != "highest"
    assert report["settings"]["float32_matmul_precision"] == setting
    assert report["settings"]["tf32"] is tf32
    assert report["settings"]["torch_cuda_reference"] == timing.torch_cuda_reference(setting)
    assert f"float32 matmul precision: {setting} (GPU rows: TF32 {'on' if tf32 else 'off'}" in (
        "\n".join(lines)
    )
