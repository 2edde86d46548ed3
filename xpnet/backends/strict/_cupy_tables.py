"""What CuPy 14 has and accepts, as tables: the strict backend refuses everything else.

Generated from ``cupy-cuda13x`` 14.2 (and NumPy 2.4) with ``dir`` and ``inspect.signature``;
``tests/test_cupy_api.py`` checks them against the installed CuPy, and says how to regenerate
one on a mismatch. Only data lives here: :mod:`._array` (the array wrapper) and
:mod:`._namespace` (``xp``, ufuncs, the generator) enforce the tables, and the package's
``__init__`` assembles the backend; :mod:`._counting` reads the last three tables.
"""

from __future__ import annotations

# Names in both NumPy 2.4 and CuPy 14 (top level; submodules below).
CUPY_NAMES = frozenset(
    """
    abs absolute acos acosh add all allclose amax amin angle any append apply_along_axis
    apply_over_axes arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin
    argpartition argsort argwhere around array array2string array_equal array_equiv array_repr
    array_split array_str asanyarray asarray asarray_chkfinite ascontiguousarray asfortranarray
    asin asinh astype atan atan2 atanh atleast_1d atleast_2d atleast_3d average bartlett
    base_repr binary_repr bincount bitwise_and bitwise_count bitwise_invert bitwise_left_shift
    bitwise_not bitwise_or bitwise_right_shift bitwise_xor blackman bool bool_ broadcast
    broadcast_arrays broadcast_shapes broadcast_to byte c_ can_cast cbrt cdouble ceil choose
    clip column_stack common_type complex128 complex64 complexfloating compress concat
    concatenate conj conjugate convolve copy copysign copyto corrcoef correlate cos cosh
    count_nonzero cov cross csingle cumprod cumsum cumulative_prod cumulative_sum deg2rad
    degrees delete diag diag_indices diag_indices_from diagflat diagonal diff digitize divide
    divmod dot double dsplit dstack dtype e ediff1d einsum empty empty_like equal euler_gamma
    exp exp2 expand_dims expm1 extract eye fabs fill_diagonal finfo fix flatiter flatnonzero
    flip fliplr flipud float16 float32 float64 float_power floating floor floor_divide fmax fmin
    fmod format_float_positional format_float_scientific frexp from_dlpack frombuffer fromfile
    fromfunction fromiter fromstring full full_like gcd generic genfromtxt get_printoptions
    gradient greater greater_equal half hamming hanning heaviside histogram histogram2d
    histogramdd hsplit hstack hypot i0 identity iinfo imag index_exp indices inexact inf inner
    int16 int32 int64 int8 int_ intc integer interp intersect1d intp invert isclose iscomplex
    iscomplexobj isdtype isfinite isfortran isin isinf isnan isneginf isposinf isreal isrealobj
    isscalar issubdtype iterable ix_ kaiser kron lcm ldexp left_shift less less_equal lexsort
    linspace load loadtxt log log10 log1p log2 logaddexp logaddexp2 logical_and logical_not
    logical_or logical_xor logspace long longlong mask_indices matmul matrix_transpose max
    maximum may_share_memory mean median meshgrid mgrid min min_scalar_type minimum mintypecode
    mod modf moveaxis multiply nan nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax
    nanmean nanmedian nanmin nanprod nanstd nansum nanvar ndarray ndim ndindex negative newaxis
    nextafter nonzero not_equal number ogrid ones ones_like outer packbits pad partition
    percentile permute_dims pi piecewise place poly poly1d polyadd polyfit polymul polysub
    polyval positive pow power printoptions prod promote_types ptp put put_along_axis putmask
    quantile r_ rad2deg radians ravel ravel_multi_index real real_if_close reciprocal remainder
    repeat require reshape resize result_type right_shift rint roll rollaxis roots rot90 round
    row_stack s_ save savetxt savez savez_compressed searchsorted select set_printoptions
    setdiff1d setxor1d shape shares_memory short show_config sign signbit signedinteger sin sinc
    single sinh size sort sort_complex split sqrt square squeeze stack std subtract sum swapaxes
    take take_along_axis tan tanh tensordot tile trace transpose trapezoid tri tril tril_indices
    tril_indices_from trim_zeros triu triu_indices triu_indices_from true_divide trunc typename
    ubyte ufunc uint uint16 uint32 uint64 uint8 uintc uintp ulong ulonglong union1d unique
    unique_all unique_counts unique_inverse unique_values unpackbits unravel_index
    unsignedinteger unwrap ushort vander var vdot vectorize vsplit vstack where zeros zeros_like
""".split()
)
CUPY_SUBMODULE_NAMES = {
    "linalg": frozenset(
        "LinAlgError cholesky cond cross det eig eigh eigvals eigvalsh inv lstsq matmul "
        "matrix_power matrix_rank matrix_transpose norm pinv qr slogdet solve svd tensorinv "
        "tensorsolve".split()
    ),
    "fft": frozenset(
        "fft fft2 fftfreq fftn fftshift hfft ifft ifft2 ifftn ifftshift ihfft irfft irfft2 irfftn "
        "rfft rfft2 rfftfreq rfftn".split()
    ),
    "lib.stride_tricks": frozenset(["as_strided", "sliding_window_view"]),
}
# Keywords NumPy accepts but CuPy's function does not: {keywords: functions}.
REFUSED_GROUPS = {
    "initial where": "amax amin max min nanmax nanmin nanprod nansum prod sum",
    "where": "all any mean nanmean",
    "correction mean where": "nanstd nanvar std var",
    "casting order out": "einsum",  # CuPy's einsum takes only dtype= and optimize=
    "max min": "clip",  # NumPy's **kwargs hide these from the generated table
    "": "ndarray.clip",  # ... while x.clip(min=, max=) is fine on CuPy
    "check_bounds subok writeable": "lib.stride_tricks.as_strided",  # check_bounds: NumPy 2.5
    "device": "astype empty_like full_like linspace ones_like zeros_like fft.fftfreq fft.rfftfreq",
    "device like": "asanyarray asarray empty eye full ones zeros",
    "device like start_or_stop": "arange",
    "like": "ascontiguousarray asfortranarray identity require tri",
    "like ndmax object": "array",
    "subok": "broadcast_arrays broadcast_to copy",
    "kind order": "argpartition partition",
    "descending order stable": "argsort sort",  # descending: NumPy 2.5
    "keepdims": "count_nonzero",
    "mode": "show_config take",
    "sorted": "unique",
    "sparse": "indices",
    "kind": "isin",
    "axis": "lexsort trim_zeros",
    "weights": "percentile quantile",
    "count": "unpackbits",
    "encoding fix_imports max_header_size": "load",
    "out": "fft.fft fft.fft2 fft.fftn fft.hfft fft.ifft fft.ifft2 fft.ifftn fft.ihfft fft.irfft "
    "fft.irfft2 fft.irfftn fft.rfft fft.rfft2 fft.rfftn",
    "upper": "linalg.cholesky",
    "hermitian": "linalg.svd",
    "hermitian rtol": "linalg.pinv",
    "A hermitian rtol": "linalg.matrix_rank",
    # positional parameters that CuPy names differently: passing them by keyword fails
    "m": "cov flip fliplr flipud rot90",
    "a": "array_str histogram linalg.matrix_power",
    "arrays": "concat concatenate stack",
    "x": "corrcoef linalg.matrix_transpose",
    "arr": "extract take_along_axis",
    "ar1 ar2": "intersect1d union1d",
    "shape": "reshape unravel_index",
    "obj": "delete",
    "ary": "ediff1d",
    "x1 x2": "linalg.matmul",
}
REFUSED = {
    function: frozenset(keywords.split())
    for keywords, functions in REFUSED_GROUPS.items()
    for function in functions.split()
}
UFUNC_KEYWORDS = frozenset(["out", "dtype", "casting"])  # cupy.ufunc.__call__ takes these only
# Functions whose first argument may be a list or tuple on CuPy (a shape, or a sequence of
# arrays); every other function wants an array or a scalar there.
TAKES_SEQUENCES = frozenset(
    "array asarray asanyarray ascontiguousarray zeros ones empty full indices concatenate concat "
    "stack hstack vstack dstack column_stack broadcast_shapes result_type can_cast ndim shape "
    "size einsum meshgrid broadcast_arrays ix_ ravel_multi_index select isscalar iterable "
    "fromiter".split()
)
NOT_EMULATED = {"random": "kernels take generators from backend.default_rng(seed)"}
HOST_DATA_OK = frozenset(["array", "asarray", "asanyarray"])  # CuPy copies host data in
METHODS = frozenset(
    "T all any argmax argmin argpartition argsort astype base byteswap choose clip compress conj "
    "conjugate copy cumprod cumsum data device diagonal dot dtype dump dumps fill flags flatten "
    "imag itemsize mT max mean min nbytes ndim nonzero partition prod put ravel real repeat "
    "reshape round searchsorted shape size sort squeeze std strides sum swapaxes take tobytes "
    "tofile trace transpose var view".split()
)
GENERATOR_METHODS = frozenset(
    "beta binomial chisquare dirichlet exponential f gamma geometric hypergeometric integers "
    "logseries poisson power random standard_exponential standard_gamma standard_normal "
    "uniform".split()
)
# The ufunc methods CuPy implements, and for which ufuncs (cupy/_core/_kernel.pyx)
UFUNC_METHODS = {
    "reduce": ("add", "multiply"),
    "accumulate": ("add", "multiply"),
    "reduceat": ("add",),
    "at": ("add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor"),
    "outer": None,  # every ufunc
}
# ufunc.at / cupyx.scatter_add with index arrays use atomics, which exist for these dtypes only
# (cupy/_core/_routines_indexing.pyx; the other ufuncs' limits are not checked)
SCATTER_DTYPES = {
    "add": ("float16", "float32", "float64", "int32", "uint32", "uint64"),
    "maximum": ("float32", "float64", "int32", "uint32", "uint64"),
    "minimum": ("float32", "float64", "int32", "uint32", "uint64"),
}
# How CuPy runs the calls that are not "one launch if it writes new memory" (the counting model
# of xpnet.profile, in ._counting): calls that only allocate, calls that write into an argument
# and return None, and calls whose output size depends on the values (CuPy copies it to the host)
ALLOCATES_ONLY = frozenset(["empty", "empty_like"])
WRITES_IN_PLACE = frozenset(
    "copyto fill_diagonal place put put_along_axis putmask ndarray.fill ndarray.partition "
    "ndarray.put ndarray.sort".split()
)
SIZE_FROM_DATA = frozenset(
    "argwhere compress extract flatnonzero nonzero unique unique_all unique_counts "
    "unique_inverse unique_values ndarray.compress ndarray.nonzero".split()
)
# CuPy's reductions refuse an axis on a 0-d array (AxisError); NumPy accepts axis 0 and -1
REDUCTIONS = frozenset(
    "all amax amin any argmax argmin count_nonzero cumprod cumsum max mean min nanmax nanmean "
    "nanmin nanprod nansum prod ptp std sum var".split()
)
