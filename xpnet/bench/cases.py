"""The cases of ``xpnet bench``: the benchmarked ops, their shapes, and ``--shapes`` parsing.

A :class:`Case` is one op on one shape, with host inputs that every contender of
:mod:`xpnet.bench.contenders` copies to its device; :data:`OPS` lists the ops with their
standard and ``--quick`` shapes; :func:`xpnet_algorithm` says which formula xpnet runs for a
case (conv2d has several, see :func:`xpnet.kernels.select_conv_algorithm`).
"""

from __future__ import annotations

import dataclasses

import numpy

from ..kernels import select_conv_algorithm

MODES = ("forward", "backward", "forward+backward")
# Nominal flop counts: backward does about twice the forward's work (the gradients of the input
# and of the weight), so forward+backward counts three forwards.
MODE_FLOP_FACTOR = {"forward": 1, "backward": 2, "forward+backward": 3}


@dataclasses.dataclass
class Case:
    """One op on one shape: its inputs (host arrays), static arguments and forward flops.

    Every contender calls ``F.<op>(*arrays, **kwargs)``; the same call works for
    ``xpnet.nn.functional`` and ``torch.nn.functional`` since their signatures are identical.
    """

    op: str
    shape: tuple[int, ...]
    arrays: dict[str, numpy.ndarray]
    grad_names: tuple[str, ...]
    kwargs: dict
    flops: float

    @property
    def label(self) -> str:
        return ",".join(str(n) for n in self.shape)


def xpnet_algorithm(case: Case, backend, dtype: str) -> str | None:
    """The name of the formula xpnet's kernel runs for ``case`` on ``backend`` in ``dtype``,
    under the current :func:`xpnet.kernels.conv_algorithms` settings: for conv2d that of
    :func:`xpnet.kernels.select_conv_algorithm` (``'im2col'``, ``'fourier'``, ...); ``None``
    for ops with one formula.

    Example:
        >>> import xpnet
        >>> from xpnet.backends import load_backend
        >>> case = OPS["conv2d"].case((2, 64, 8, 8, 64, 3, 1, 1))
        >>> xpnet_algorithm(case, load_backend("numpy"), "float32")
        'im2col_per_row'
        >>> with xpnet.float32_matmul_precision("high"):
        ...     xpnet_algorithm(case, load_backend("numpy"), "float32")
        'fourier'
    """
    if case.op != "conv2d":
        return None
    # only the shapes, dtype and backend matter: no need to copy the values to the device
    input, weight = (
        backend.xp.empty(case.arrays[name].shape, dtype) for name in ("input", "weight")
    )
    return select_conv_algorithm(input, weight, None, **case.kwargs).value


def output_size(size: int, k: int, stride: int, padding: int) -> int:
    """The output length of a sliding window of ``k`` along an axis of ``size``."""
    return (size + 2 * padding - k) // stride + 1


def _conv2d(N, C, H, W, C_out, k, stride, padding, rng):
    H_out, W_out = (output_size(n, k, stride, padding) for n in (H, W))
    arrays = {
        "input": rng.standard_normal((N, C, H, W)),
        "weight": rng.standard_normal((C_out, C, k, k)) / (C * k * k) ** 0.5,
        "bias": rng.standard_normal(C_out),
    }
    kwargs = {"stride": stride, "padding": padding}
    return arrays, ("input", "weight", "bias"), kwargs, 2.0 * N * C_out * H_out * W_out * C * k * k


def _pool2d(N, C, H, W, k, stride, padding, rng):
    H_out, W_out = (output_size(n, k, stride, padding) for n in (H, W))
    kwargs = {"kernel_size": k, "stride": stride, "padding": padding}
    return (
        {"input": rng.standard_normal((N, C, H, W))},
        ("input",),
        kwargs,
        N * C * H_out * W_out * k * k,
    )


def _batch_norm(N, C, H, W, rng):
    arrays = {
        "input": rng.standard_normal((N, C, H, W)),
        "running_mean": numpy.zeros(C),
        "running_var": numpy.ones(C),
        "weight": 1.0 + 0.1 * rng.standard_normal(C),
        "bias": 0.1 * rng.standard_normal(C),
    }
    # about ten flops per element: mean, variance, normalise, scale and shift
    return arrays, ("input", "weight", "bias"), {"training": True}, 10.0 * N * C * H * W


def _cross_entropy(N, classes, rng):
    arrays = {"input": rng.standard_normal((N, classes)), "target": rng.integers(0, classes, N)}
    # max, subtract, exp, sum, log and the pick: about five flops per logit
    return arrays, ("input",), {}, 5.0 * N * classes


def _conv1d(N, C, L, C_out, k, stride, padding, rng):
    arrays = {
        "input": rng.standard_normal((N, C, L)),
        "weight": rng.standard_normal((C_out, C, k)) / (C * k) ** 0.5,
        "bias": rng.standard_normal(C_out),
    }
    kwargs = {"stride": stride, "padding": padding}
    flops = 2.0 * N * C_out * output_size(L, k, stride, padding) * C * k
    return arrays, ("input", "weight", "bias"), kwargs, flops


def _conv3d(N, C, D, H, W, C_out, k, stride, padding, rng):
    outputs = [output_size(n, k, stride, padding) for n in (D, H, W)]
    arrays = {
        "input": rng.standard_normal((N, C, D, H, W)),
        "weight": rng.standard_normal((C_out, C, k, k, k)) / (C * k**3) ** 0.5,
        "bias": rng.standard_normal(C_out),
    }
    kwargs = {"stride": stride, "padding": padding}
    flops = 2.0 * N * C_out * outputs[0] * outputs[1] * outputs[2] * C * k**3
    return arrays, ("input", "weight", "bias"), kwargs, flops


def _conv_transpose2d(N, C, H, W, C_out, k, stride, padding, output_padding, rng):
    arrays = {
        "input": rng.standard_normal((N, C, H, W)),
        "weight": rng.standard_normal((C, C_out, k, k)) / (C * k * k) ** 0.5,
        "bias": rng.standard_normal(C_out),
    }
    kwargs = {"stride": stride, "padding": padding, "output_padding": output_padding}
    # every input element meets every tap of its C_out filters once
    return arrays, ("input", "weight", "bias"), kwargs, 2.0 * N * C * H * W * C_out * k * k


@dataclasses.dataclass(frozen=True)
class Op:
    """A benchmarked kernel: how to build a case, its shape fields and its default shapes."""

    name: str
    fields: str
    build: object
    shapes: tuple[tuple[int, ...], ...]
    quick: tuple[tuple[int, ...], ...]

    def case(self, shape: tuple[int, ...], seed: int = 0) -> Case:
        rng = numpy.random.default_rng(seed)
        arrays, grad_names, kwargs, flops = self.build(*shape, rng)
        return Case(self.name, tuple(shape), arrays, grad_names, kwargs, float(flops))


CONV_SHAPES = (
    (64, 1, 28, 28, 32, 5, 1, 2),
    (64, 32, 14, 14, 64, 5, 1, 2),
    (128, 3, 32, 32, 64, 3, 1, 1),
    (128, 64, 32, 32, 64, 3, 1, 1),
    (128, 128, 16, 16, 128, 3, 1, 1),
    (128, 256, 8, 8, 256, 3, 1, 1),
    (128, 64, 32, 32, 128, 3, 2, 1),
    (128, 256, 16, 16, 64, 1, 1, 0),
    (32, 64, 56, 56, 64, 3, 1, 1),
)
_POOL_FIELDS = "N,C,H,W,kernel_size,stride,padding"
OPS = {
    op.name: op
    for op in (
        Op(
            "conv2d",
            "N,C_in,H,W,C_out,k,stride,padding",
            _conv2d,
            CONV_SHAPES,
            ((64, 1, 28, 28, 32, 5, 1, 2), (32, 32, 16, 16, 32, 3, 1, 1)),
        ),
        Op(
            "max_pool2d",
            _POOL_FIELDS,
            _pool2d,
            ((128, 64, 32, 32, 2, 2, 0), (128, 64, 32, 32, 3, 2, 1)),
            ((32, 32, 32, 32, 2, 2, 0), (32, 32, 32, 32, 3, 2, 1)),
        ),
        Op(
            "avg_pool2d",
            _POOL_FIELDS,
            _pool2d,
            ((128, 64, 32, 32, 2, 2, 0),),
            ((32, 32, 32, 32, 2, 2, 0),),
        ),
        Op("batch_norm", "N,C,H,W", _batch_norm, ((128, 64, 32, 32),), ((32, 32, 32, 32),)),
        Op("cross_entropy", "N,classes", _cross_entropy, ((1024, 1000),), ((256, 1000),)),
        Op(
            "conv1d",
            "N,C_in,L,C_out,k,stride,padding",
            _conv1d,
            ((32, 64, 512, 64, 5, 1, 2), (32, 128, 256, 128, 3, 2, 1)),
            ((8, 16, 256, 16, 5, 1, 2),),
        ),
        Op(
            "conv3d",
            "N,C_in,D,H,W,C_out,k,stride,padding",
            _conv3d,
            ((8, 16, 16, 32, 32, 32, 3, 1, 1), (8, 32, 16, 16, 16, 64, 3, 2, 1)),
            ((2, 8, 8, 16, 16, 8, 3, 1, 1),),
        ),
        Op(
            "conv_transpose2d",
            "N,C_in,H,W,C_out,k,stride,padding,output_padding",
            _conv_transpose2d,
            ((64, 64, 16, 16, 32, 4, 2, 1, 0), (32, 128, 8, 8, 64, 3, 2, 1, 1)),
            ((16, 32, 8, 8, 16, 4, 2, 1, 0),),
        ),
    )
}


# fields that divide a size: 0 is no kernel or stride at all
_POSITIVE_FIELDS = ("k", "kernel_size", "stride")


def _check_positive_fields(item: str, fields: str, shape: tuple[int, ...]) -> None:
    for field, value in zip(fields.split(","), shape, strict=True):
        if field in _POSITIVE_FIELDS and value < 1:
            msg = f"--shapes: {item!r} has {field} {value}; it must be at least 1 ({fields})"
            raise ValueError(msg)


def parse_shapes(text: str, ops: list[str]) -> dict[str, list[tuple[int, ...]]]:
    """``"64,1,28,28,32,5,1,2;128,64,32,32"`` -> the shapes of each op whose fields they fit.

    Raises:
        ValueError: if a shape is not comma-separated non-negative ints, fits none of
            ``ops``, or has a kernel or stride of 0.
    """
    chosen: dict[str, list[tuple[int, ...]]] = {name: [] for name in ops}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        try:
            shape = tuple(int(n) for n in item.split(","))
        except ValueError:
            shape = ()
        if not shape or min(shape) < 0:
            msg = f"--shapes: {item!r} is not a comma-separated list of non-negative ints"
            raise ValueError(msg)
        fits = [name for name in ops if len(OPS[name].fields.split(",")) == len(shape)]
        if not fits:
            expected = "; ".join(f"{name}: {OPS[name].fields}" for name in ops)
            msg = f"--shapes: {item!r} has {len(shape)} fields, which fits no op ({expected})"
            raise ValueError(msg)
        for name in fits:
            _check_positive_fields(item, OPS[name].fields, shape)
            chosen[name].append(shape)
    return {name: shapes for name, shapes in chosen.items() if shapes}
