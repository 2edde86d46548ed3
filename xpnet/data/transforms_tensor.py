"""The NumPy side of :mod:`xpnet.data.transforms.functional`: torchvision's tensor path.

Each function takes a host NumPy array of shape ``(..., C, H, W)`` (or ``(..., H, W)`` where
torchvision allows it) and computes what torchvision's ``_functional_tensor.py`` computes with
PyTorch ops: the same dtypes, the same float32 arithmetic for integer images, the same rounding
or truncation back to the image's dtype. Arguments are checked by the public functions in
:mod:`xpnet.data.transforms_functional`.
"""

from __future__ import annotations

import numpy

from ..backends import backend_of
from ..kernels._interpolate_cubic import keys_inner, keys_outer

__all__ = [
    "adjust_hue",
    "blend",
    "compute_dtype",
    "convert_image_dtype",
    "crop",
    "gaussian_blur",
    "grayscale",
    "fused",
    "lanczos_filter",
    "max_value",
    "pad",
    "resampling_filter",
    "resize",
]

_MAX = {"uint8": 255, "int8": 127, "int16": 32767, "uint16": 65535, "int32": 2**31 - 1}


def max_value(dtype) -> int:
    """The largest value of an image of ``dtype``: 255 for uint8, ..., 1 for floats."""
    return _MAX.get(numpy.dtype(dtype).name, 2**63 - 1 if numpy.dtype(dtype).kind in "iu" else 1)


def _is_float(dtype) -> bool:
    return numpy.dtype(dtype).kind == "f"


def compute_dtype(array):
    """The dtype torchvision computes in: the image's own if floating, else float32."""
    return array.dtype if _is_float(array.dtype) else numpy.dtype(numpy.float32)


def convert_image_dtype(image, dtype):
    """torchvision's ``convert_image_dtype``: rescale between integer ranges and [0, 1]."""
    dtype = numpy.dtype(dtype)
    if image.dtype == dtype:
        return image
    if _is_float(image.dtype):
        if _is_float(dtype):
            return image.astype(dtype)
        if (image.dtype == numpy.float32 and dtype in (numpy.int32, numpy.int64)) or (
            image.dtype == numpy.float64 and dtype == numpy.int64
        ):
            msg = f"The cast from {image.dtype} to {dtype} cannot be performed safely."
            raise RuntimeError(msg)
        with numpy.errstate(invalid="ignore", over="ignore"):
            scaled = image * image.dtype.type(float(max_value(dtype)) + 1.0 - 1e-3)
            return scaled.astype(dtype)
    input_max = max_value(image.dtype)
    if _is_float(dtype):
        return (image.astype(dtype) / dtype.type(input_max)).astype(dtype)
    output_max = max_value(dtype)
    if input_max > output_max:
        return (image // ((input_max + 1) // (output_max + 1))).astype(dtype)
    return image.astype(dtype) * dtype.type((output_max + 1) // (input_max + 1))


def crop(image, top: int, left: int, height: int, width: int):
    """The window ``[top, top + height) x [left, left + width)``, zero-padded outside."""
    h, w = image.shape[-2:]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding = [
            max(-left + min(0, right), 0),
            max(-top + min(0, bottom), 0),
            max(right - max(w, left), 0),
            max(bottom - max(h, top), 0),
        ]
        inside = image[..., max(top, 0) : max(bottom, 0), max(left, 0) : max(right, 0)]
        return pad(inside, [padding[0], padding[2], padding[1], padding[3]], 0, "constant")
    return image[..., top:bottom, left:right].copy()


def pad(image, padding, fill, padding_mode: str):
    """Pad the last two axes by ``padding = [left, right, top, bottom]`` (negative crops)."""
    left, right, top, bottom = (-min(p, 0) for p in padding)
    image = image[..., top : image.shape[-2] - bottom, left : image.shape[-1] - right]
    left, right, top, bottom = (max(p, 0) for p in padding)
    widths = [(0, 0)] * (image.ndim - 2) + [(top, bottom), (left, right)]
    mode = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}.get(padding_mode)
    if mode is not None:
        if mode == "reflect" and (max(left, right) >= image.shape[-1] or top >= image.shape[-2]):
            msg = "Padding size should be less than the corresponding input dimension"
            raise RuntimeError(msg)
        return numpy.pad(image, widths, mode=mode)
    value = numpy.array(float(fill)).astype(image.dtype) if fill is not None else 0
    return numpy.pad(image, widths, mode="constant", constant_values=value)


def grayscale(image, num_output_channels: int):
    """``0.2989 R + 0.587 G + 0.114 B`` in float32 (or the image's float dtype), truncated."""
    if image.shape[-3] == 3:
        ct = compute_dtype(image)
        r, g, b = (image[..., c, :, :].astype(ct) for c in range(3))
        gray = (ct.type(0.2989) * r + ct.type(0.587) * g + ct.type(0.114) * b).astype(image.dtype)
        gray = gray[..., None, :, :]
    else:
        gray = image.copy()
    if num_output_channels == 3:
        return numpy.ascontiguousarray(numpy.broadcast_to(gray, image.shape))
    return gray


def blend(image, other, ratio: float):
    """``(ratio * image + (1 - ratio) * other)`` clamped to the dtype's range, as torchvision;
    ``other`` an array of ``image``'s backend (any: ``adjust_sharpness`` computes there)."""
    ct = compute_dtype(image)
    ratio = float(ratio)
    mixed = ct.type(ratio) * image.astype(ct) + ct.type(1.0 - ratio) * other.astype(ct)
    return backend_of(image).xp.clip(mixed, 0, max_value(image.dtype)).astype(image.dtype)


def _rgb_to_hsv(image):
    r, g, b = image[..., 0, :, :], image[..., 1, :, :], image[..., 2, :, :]
    maxc, minc = image.max(axis=-3), image.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = numpy.ones_like(maxc)
    s = cr / numpy.where(eqc, ones, maxc)
    divisor = numpy.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    one = image.dtype.type(1)
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2 * one + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4 * one + gc - rc)
    h = numpy.fmod((hr + hg + hb) / image.dtype.type(6.0) + one, one)
    return h, s, maxc


def _hsv_to_rgb(h, s, v):
    one = h.dtype.type(1)
    i = numpy.floor(h * 6 * one)
    f = h * 6 * one - i
    i = i.astype(numpy.int32) % 6
    p = numpy.clip(v * (one - s), 0, 1)
    q = numpy.clip(v * (one - s * f), 0, 1)
    t = numpy.clip(v * (one - s * (one - f)), 0, 1)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    channels = [
        numpy.select([i == k for k in range(6)], [row[c] for row in table]) for c in range(3)
    ]
    return numpy.stack(channels, axis=-3).astype(h.dtype)


def adjust_hue(image, hue_factor: float):
    """Shift the hue of an RGB image by ``hue_factor`` of a turn, through HSV in float32."""
    work = convert_image_dtype(image, numpy.float32)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        h, s, v = _rgb_to_hsv(work)
        h = (h + numpy.float32(hue_factor)) % numpy.float32(1.0)
        return convert_image_dtype(_hsv_to_rgb(h, s, v), image.dtype)


def _cast_out(result, dtype):
    if not _is_float(dtype):
        result = numpy.round(result)
    return result.astype(dtype)


def lanczos_filter(x, dt):
    """PyTorch's Lanczos-3 filter in ``dt``: ``sinc(x) * sinc(x / 3)`` for ``|x| < 3``, the
    first sinc in ``dt`` and the second in float64 (``x / 3.0`` is a double in its C++),
    their product rounded to ``dt``."""
    x = numpy.abs(x).astype(dt)

    def sinc(v, pi):
        angle = v * pi
        with numpy.errstate(invalid="ignore", divide="ignore"):
            return numpy.where(v == 0, 1.0, numpy.sin(angle) / angle)

    near = sinc(x, dt.type(numpy.pi)).astype(dt) * sinc(x.astype(numpy.float64) / 3.0, numpy.pi)
    return numpy.where(x < 3, near, 0.0).astype(dt)


def resampling_filter(mode: str, dt, cubic_a: float = -0.5):
    """``(taps without antialias, filter)`` of PyTorch's separable resize in ``dt``:
    ``"bilinear"`` (the triangle), ``"bicubic"`` (Keys' cubic with ``cubic_a``: Pillow's -0.5
    antialiased, -0.75 for PyTorch's uint8 kernel without antialias), ``"lanczos"``."""
    if mode == "bilinear":
        return 2, lambda x: numpy.where(numpy.abs(x) < 1, dt.type(1) - numpy.abs(x), dt.type(0))
    if mode == "lanczos":
        return 6, lambda x: lanczos_filter(x, dt)

    def cubic(x):
        x, a = numpy.abs(x).astype(dt), dt.type(cubic_a)
        near, far = _cubic_inner(x, a), _cubic_outer(x, a)
        return numpy.where(x < 1, near, numpy.where(x < 2, far, dt.type(0)))

    return 4, cubic


def _cubic_inner(x, a):
    """ATen's ``cubic_convolution1`` as its compiled antialiasing kernel contracts it: fused."""
    return fused(fused(numpy.full_like(x, a + 2), x, -(a + 3)) * x, x, x.dtype.type(1))


def _cubic_outer(x, a):
    """ATen's ``cubic_convolution2``, fused."""
    return fused(fused(fused(numpy.full_like(x, a), x, -5 * a), x, 8 * a), x, -4 * a)


def _cubic_coefficients(t, a):
    """The four weights of bicubic without antialias: ATen's ``cubic_convolution1`` and ``2``
    unfused (measured: fusing them there moves uint8 results off torchvision's)."""
    return [keys_outer(t + 1, a), keys_inner(t, a), keys_inner(1 - t, a), keys_outer(1 - t + 1, a)]


def _aa_taps(mode, dt, in_size, out_size, scale):
    # PyTorch's C++ mixes float and double here: ``i + 0.5`` and ``... + 0.5`` are doubles,
    # each product of a float with one is a double, and a float variable rounds it back
    size, kernel = resampling_filter(mode, dt)
    wide = numpy.float64(scale)
    support = dt.type(size * 0.5 * wide) if scale >= 1.0 else dt.type(size * 0.5)
    invscale = dt.type(1.0 / wide) if scale >= 1.0 else dt.type(1)
    center = (wide * (numpy.arange(out_size) + 0.5)).astype(dt)
    ends = [
        ((center + side).astype(numpy.float64) + 0.5).astype(numpy.int64)
        for side in (-support, support)
    ]
    lo, hi = numpy.maximum(ends[0], 0), numpy.minimum(ends[1], in_size)
    taps = int((hi - lo).max())
    index = lo[:, None] + numpy.arange(taps)
    offset = (index.astype(dt) - center[:, None]).astype(numpy.float64) + 0.5
    weights = kernel((offset * numpy.float64(invscale)).astype(dt)).astype(dt)
    weights[index >= hi[:, None]] = 0
    total = numpy.zeros(out_size, dt)
    for k in range(taps):
        total += weights[:, k]
    weights = numpy.where(
        total[:, None] != 0, weights / numpy.where(total == 0, 1, total)[:, None], weights
    )
    return numpy.minimum(index, in_size - 1), weights.astype(dt)


def _taps(mode, antialias, dt, in_size, out_size):
    """(indices, weights) of shape (out_size, taps): PyTorch's interpolate along one axis."""
    scale = dt.type(in_size) / dt.type(out_size)
    rows = numpy.arange(out_size, dtype=dt)
    if mode in ("nearest", "nearest-exact"):
        offset = numpy.float32(0.5 if mode == "nearest-exact" else 0.0)
        position = (rows.astype(numpy.float32) + offset) * numpy.float32(in_size / out_size)
        source = numpy.minimum(numpy.floor(position).astype(numpy.int64), in_size - 1)
        return source[:, None], numpy.ones((out_size, 1), dt)
    if antialias:
        return _aa_taps(mode, dt, in_size, out_size, scale)
    source = scale * (rows + dt.type(0.5)) - dt.type(0.5)
    low = numpy.floor(source).astype(numpy.int64)
    coefficients = _cubic_coefficients(source - low.astype(dt), dt.type(-0.75))
    index = numpy.stack([numpy.clip(low - 1 + k, 0, in_size - 1) for k in range(4)], 1)
    return index, numpy.stack(coefficients, 1).astype(dt)


def fused(a, b, c):
    """``a * b + c`` rounded once, as a fused multiply-add: the product of two float32 is exact
    in float64 (48 bits of 53). Other dtypes are not fused (NumPy has no fma)."""
    if a.dtype != numpy.float32:
        return a * b + c
    return (a.astype(numpy.float64) * b + c).astype(numpy.float32)


def _linear_taps(dt, in_size, out_size):
    """``(low, high, 1 - lambda, lambda)`` of PyTorch's ``HelperInterpLinear``; its source
    index ``scale * (i + 0.5) - 0.5`` is one fused multiply-add in its compiled kernel."""
    scale = dt.type(in_size) / dt.type(out_size)
    rows = numpy.arange(out_size, dtype=dt) + dt.type(0.5)
    source = numpy.maximum(fused(numpy.full(out_size, scale, dt), rows, dt.type(-0.5)), 0)
    low = numpy.minimum(numpy.floor(source).astype(numpy.int64), in_size - 1)
    frac = numpy.clip(source - low.astype(dt), 0, 1).astype(dt)
    return low, low + (low < in_size - 1), dt.type(1) - frac, frac


def _bilinear(work, size):
    """PyTorch's CPU bilinear resize without antialias, term for term: the four weights
    ``h * w`` and the sum ``((i01 w01 + i00 w00) + i10 w10) + i11 w11`` in fused
    multiply-adds, the order its compiled kernel takes (this decides uint8's rounding ties)."""
    dt = work.dtype
    h_low, h_high, h0, h1 = _linear_taps(dt, work.shape[-2], size[0])
    w_low, w_high, w0, w1 = _linear_taps(dt, work.shape[-1], size[1])
    h0, h1 = h0[:, None], h1[:, None]
    top, bottom = work[..., h_low, :], work[..., h_high, :]
    output = fused(top[..., w_low], h0 * w0, top[..., w_high] * (h0 * w1))
    output = fused(bottom[..., w_low], h1 * w0, output)
    return fused(bottom[..., w_high], h1 * w1, output)


def _apply_taps(work, index, weights, axis):
    result = None
    for k in range(index.shape[1]):
        shape = [1] * work.ndim
        shape[axis] = -1
        taken, w = numpy.take(work, index[:, k], axis=axis), weights[:, k].reshape(shape)
        result = taken * w if result is None else fused(taken, w, result)
    return result


def resize(image, size, interpolation: str, antialias: bool):
    """Resize the last two axes to ``size = [height, width]`` as torchvision's tensor path.

    The arithmetic is float32 (float64 for float64 images), with PyTorch's indices and
    weights. Bilinear without antialias follows PyTorch's order and fused multiply-adds (see
    ``_bilinear``); with antialias, the weights take PyTorch's mixed float/double steps and
    each pass sums in its order with fused multiply-adds, so bilinear uint8 results are
    torchvision's. Bicubic agrees to float32 rounding: a uint8 value rounded at a tie (x.5)
    can still be one apart (about 1 in 10**5)."""
    if interpolation == "lanczos" and not antialias:  # PyTorch's interpolate
        msg = "Lanczos mode requires antialias=True"
        raise ValueError(msg)
    if interpolation not in ("nearest", "nearest-exact", "bilinear", "bicubic", "lanczos"):
        msg = (  # PyTorch's interpolate, which torchvision calls on (N, C, H, W)
            "Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D) for the modes: "
            "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
            f"(got {interpolation})"
        )
        raise NotImplementedError(msg)
    if min(*image.shape[-2:], *size) <= 0:  # PyTorch's interpolate: the same RuntimeError
        msg = (
            "resize: Input and output sizes should be greater than 0, but got input (H: "
            f"{image.shape[-2]}, W: {image.shape[-1]}) output (H: {size[0]}, W: {size[1]})"
        )
        raise RuntimeError(msg)
    antialias = bool(antialias) and interpolation in ("bilinear", "bicubic", "lanczos")
    dtype = image.dtype
    work = image if dtype in (numpy.float32, numpy.float64) else image.astype(numpy.float32)
    dt = work.dtype
    if interpolation == "bilinear" and not antialias:
        work = _bilinear(work, size)
    else:
        for axis, new in ((-1, size[1]), (-2, size[0])):
            index, weights = _taps(interpolation, antialias, dt, work.shape[axis], new)
            work = _apply_taps(work, index, weights, work.ndim + axis)
    if interpolation == "bicubic" and dtype == numpy.uint8:
        work = numpy.clip(work, 0, 255)
    return _cast_out(work, dtype)


def gaussian_blur(image, kernel_size, sigma):
    """Reflect-pad and convolve each channel with torchvision's separable Gaussian kernel."""
    ct = compute_dtype(image)

    def kernel1d(size, s):
        half = (size - 1) * 0.5
        x = numpy.linspace(-half, half, size).astype(ct)
        pdf = numpy.exp(ct.type(-0.5) * (x / ct.type(s)) ** 2)
        return pdf / pdf.sum()

    kernel = numpy.outer(kernel1d(kernel_size[1], sigma[1]), kernel1d(kernel_size[0], sigma[0]))
    kx, ky = kernel_size[0] // 2, kernel_size[1] // 2
    work = image.astype(ct)
    padded = pad(work, [kx, kx, ky, ky], 0, "reflect")
    h, w = image.shape[-2:]
    result = numpy.zeros(work.shape, numpy.float64)
    for a in range(kernel.shape[0]):
        for b in range(kernel.shape[1]):
            result += float(kernel[a, b]) * padded[..., a : a + h, b : b + w]
    return _cast_out(result.astype(ct), image.dtype)
