"""xpnet: neural-network kernels written once against an array namespace.

The same code runs on NumPy (CPU) and CuPy (CUDA GPU); pick one with ``XPNET_BACKEND`` or
:func:`use_backend`.
"""

from __future__ import annotations

from . import accelerator, autograd, cuda, data, devices, distributed, kernels, linalg, nn, optim
from . import distributions as distributions
from . import func as func
from . import special as special
from . import testing as testing
from . import utils as utils
from ._anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from ._creation import (
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from ._dtypes import (
    bool_,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from ._memory_formats import *  # noqa: F403 - layout, strided, memory_format, channels_last, ...
from ._memory_formats import __all__ as _memory_formats_all
from ._random import Generator, manual_seed
from ._random_tensors import rand, rand_like, randint, randn, randn_like, randperm
from ._ranges import arange, linspace, logspace
from ._special_more import igamma, igammac
from ._tensor_cross import cross
from ._tensor_elementwise import *  # noqa: F403
from ._tensor_elementwise import __all__ as _elementwise_all
from ._tensor_elementwise_more import *  # noqa: F403
from ._tensor_elementwise_more import __all__ as _elementwise_more_all
from ._tensor_grids import *  # noqa: F403
from ._tensor_grids import __all__ as _grids_all
from ._tensor_histogramdd import histogramdd
from ._tensor_histograms import *  # noqa: F403
from ._tensor_histograms import __all__ as _histograms_all
from ._tensor_index import *  # noqa: F403
from ._tensor_index import __all__ as _index_all
from ._tensor_index_put import *  # noqa: F403
from ._tensor_index_put import __all__ as _index_put_all
from ._tensor_integrals import *  # noqa: F403
from ._tensor_integrals import __all__ as _integrals_all
from ._tensor_join import cat, concat, maximum, minimum, stack
from ._tensor_logical import *  # noqa: F403
from ._tensor_logical import __all__ as _logical_all
from ._tensor_methods import flatten
from ._tensor_products import *  # noqa: F403
from ._tensor_products import __all__ as _products_all
from ._tensor_random_ops import *  # noqa: F403
from ._tensor_random_ops import __all__ as _random_ops_all
from ._tensor_resize import unravel_index
from ._tensor_scans import *  # noqa: F403
from ._tensor_scans import __all__ as _scans_all
from ._tensor_scatter import *  # noqa: F403
from ._tensor_scatter import __all__ as _scatter_all
from ._tensor_scatter_reduce import *  # noqa: F403
from ._tensor_scatter_reduce import __all__ as _scatter_reduce_all
from ._tensor_sequences import *  # noqa: F403
from ._tensor_sequences import __all__ as _sequences_all
from ._tensor_shape_ops import *  # noqa: F403
from ._tensor_shape_ops import __all__ as _shape_ops_all
from ._tensor_slices import as_strided_scatter, diagonal_scatter, select_scatter, slice_scatter
from ._tensor_split import *  # noqa: F403
from ._tensor_split import __all__ as _split_all
from ._tensor_statistics import *  # noqa: F403
from ._tensor_statistics import __all__ as _statistics_all
from ._tensor_trig import *  # noqa: F403
from ._tensor_trig import __all__ as _trig_all
from ._torch_aliases import *  # noqa: F403
from ._torch_aliases import __all__ as _aliases_all
from ._torch_functions import (
    abs,
    add,
    allclose,
    amax,
    amin,
    argmax,
    argmin,
    bmm,
    ceil,
    clamp,
    clip,
    div,
    equal,
    exp,
    floor,
    is_tensor,
    isfinite,
    isinf,
    isnan,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    mean,
    min,
    mm,
    mul,
    neg,
    norm,
    numel,
    permute,
    pow,
    prod,
    relu,
    reshape,
    round,
    sigmoid,
    sign,
    softmax,
    sqrt,
    square,
    squeeze,
    std,
    sub,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
)
from ._torch_names import *  # noqa: F403 - pi, e, inf, nan, newaxis, dtype
from ._torch_names import __all__ as _names_all
from .amp import GradScaler, autocast, get_autocast_dtype, is_autocast_enabled
from .autograd import (
    Tensor,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .backends import (
    available_backends,
    backend_of,
    float32_matmul_precision,
    get_backend,
    get_float32_matmul_precision,
    get_num_threads,
    keep_freed_host_memory,
    memory_budget,
    profile,
    set_backend,
    set_float32_matmul_precision,
    set_memory_budget,
    set_num_threads,
    to_backend,
    use_backend,
)
from .devices import device
from .func import vmap
from .kernels._workspaces import empty_cache
from .linalg import det, matrix_exp
from .linalg import inv as inverse
from .nn import Parameter
from .random import get_rng_state, initial_seed, seed, set_rng_state
from .serialization import load, save

__version__ = "0.1.0"

# torch.float, torch.int and torch.bool, like torch.sum, max, min, abs, pow and round above,
# shadow Python's builtins in this module only
float = float32
int = int32
bool = bool_


def asarray(obj, dtype=None):
    """``obj`` (host data or an array of any backend) as an array of the current backend.

    Example:
        >>> import xpnet
        >>> xpnet.asarray([1.0, 2.0], dtype="float32").dtype
        dtype('float32')
    """
    array = to_backend(obj)
    if array.dtype.kind not in "biufc":  # NumPy makes arrays of None and strings; PyTorch not
        msg = f"xpnet.asarray: obj must be numbers or an array, got {type(obj).__name__}"
        raise (TypeError if array.dtype.kind in "SU" else RuntimeError)(msg)
    return array if dtype is None else array.astype(dtype, copy=False)


def to_numpy(x):
    """A NumPy copy of ``x``, an array of any backend or a Tensor (an explicit
    device-to-host copy)."""
    x = x.array if isinstance(x, Tensor) else x
    return backend_of(x).to_host(x)


__all__ = [
    *_index_all,
    *_grids_all,
    *_products_all,
    *_scans_all,
    *_scatter_all,
    *_scatter_reduce_all,
    *_shape_ops_all,
    "set_default_dtype",
    "Generator",
    "cross",
    "cat",
    "concat",
    "maximum",
    "minimum",
    "stack",
    "abs",
    "add",
    "allclose",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "bmm",
    "ceil",
    "clamp",
    "clip",
    "div",
    "equal",
    "exp",
    "floor",
    "is_tensor",
    "isfinite",
    "isinf",
    "isnan",
    "log",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "mean",
    "min",
    "mm",
    "mul",
    "neg",
    "norm",
    "numel",
    "permute",
    "pow",
    "prod",
    "relu",
    "reshape",
    "round",
    "sigmoid",
    "sign",
    "softmax",
    "sqrt",
    "square",
    "squeeze",
    "std",
    "sub",
    "sum",
    "tanh",
    "transpose",
    "unsqueeze",
    "var",
    "bool",
    "double",
    "float",
    "float16",
    "float32",
    "float64",
    "half",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "short",
    "uint8",
    "arange",
    "as_tensor",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "get_default_dtype",
    "linspace",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "tensor",
    "zeros",
    "zeros_like",
    "GradScaler",
    "Parameter",
    "Tensor",
    "accelerator",
    "cuda",
    "device",
    "devices",
    "flatten",
    "load",
    "save",
    "__version__",
    "asarray",
    "autograd",
    "autocast",
    "available_backends",
    "backend_of",
    "data",
    "distributed",
    "distributions",
    "empty_cache",
    "enable_grad",
    "float32_matmul_precision",
    "get_backend",
    "get_float32_matmul_precision",
    "inference_mode",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "set_anomaly_enabled",
    "kernels",
    "linalg",
    "det",
    "inverse",
    "matrix_exp",
    "manual_seed",
    "get_num_threads",
    "keep_freed_host_memory",
    "memory_budget",
    "nn",
    "no_grad",
    "optim",
    "profile",
    "set_backend",
    "set_float32_matmul_precision",
    "set_grad_enabled",
    "set_memory_budget",
    "set_num_threads",
    "to_backend",
    "to_numpy",
    "use_backend",
]

__all__ += (
    _elementwise_all
    + _elementwise_more_all
    + _trig_all
    + _logical_all
    + _split_all
    + _index_put_all
    + _statistics_all
    + _histograms_all
    + _sequences_all
    + _integrals_all
    + _random_ops_all
    + _aliases_all
    + _memory_formats_all
    + _names_all
)
__all__ += ["unravel_index", "select_scatter", "slice_scatter", "diagonal_scatter", "func"]
__all__ += ["as_strided_scatter", "get_rng_state", "set_rng_state", "initial_seed", "seed"]
__all__ += ["special", "testing", "vmap", "histogramdd", "logspace"]  # vmap: torch.func.vmap
__all__ += ["get_autocast_dtype", "is_autocast_enabled", "igamma", "igammac"]  # igamma*: gammainc*


def __getattr__(name):
    # ``xpnet.functional`` (the kernel layer's old name: its alias module warns once) and
    # ``xpnet.profiler`` load on first use, so that ``import xpnet`` does not pay for them
    if name in ("functional", "profiler"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'xpnet' has no attribute {name!r}")
