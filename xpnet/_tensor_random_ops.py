"""PyTorch's random functions of tensors: ``xpnet.normal`` (Tensor or number ``mean`` and
``std``), ``bernoulli``, ``binomial``, ``multinomial``, ``poisson``, ``randint_like``, and
the in-place Tensor methods ``uniform_``, ``normal_``, ``bernoulli_``, ``exponential_``,
``cauchy_``, ``log_normal_``, ``geometric_`` and ``random_``.

As :mod:`xpnet._random_tensors`, the random bits come from the host generator that
:func:`xpnet.manual_seed` seeds (or a ``generator=``), then go to the device: one seed gives
the same numbers on NumPy, strict and CuPy, and other numbers than PyTorch's (the
distributions are PyTorch's). ``multinomial``, ``binomial`` and ``poisson`` read their
probabilities, counts and rates on the host (a device-to-host sync). ``normal`` is
differentiable in ``mean`` and ``std`` (PyTorch's gradients, ``grad`` and
``grad * (output - mean) / std``); the others have no gradient. The in-place methods
follow :mod:`xpnet._tensor_inplace`'s rules (a leaf that requires grad changes only under
:class:`~xpnet.no_grad`; the version counts).

Example:
    >>> import xpnet
    >>> _ = xpnet.manual_seed(0)
    >>> w = xpnet.empty(1000, dtype=xpnet.float64)
    >>> round(float(w.normal_(2.0, 0.5).mean()), 1), float(w.uniform_(-1, 1).abs().max()) < 1
    (2.0, True)
"""

from __future__ import annotations

import inspect
import numbers

import numpy

from ._creation import parse_size
from ._dtypes import float32, get_default_dtype, int64
from ._random import check_generator, host_generator
from ._random_tensors import check_bounds, draw_random, randint_like
from ._tensor_checks import check_real, flags_checked, refuse_dtype
from ._tensor_inplace import apply_in_place
from ._tensor_operands import check_operand, describe
from ._torch_functions import as_input
from .autograd import Tensor
from .backends import backend_of, get_backend
from .backends._deferred import defer_check
from .kernels import ArgumentError, UnsupportedDtypeError
from .kernels._checks import check_int

__all__ = ["normal", "bernoulli", "binomial", "multinomial", "poisson", "randint_like"]


def _host(where: str, generator) -> numpy.random.Generator:
    if generator is None:
        return host_generator()
    check_generator(where, generator)
    return generator


def _draw_dtype(dtype) -> numpy.dtype:
    """Draws in float32 at least (NumPy's generator has no float16)."""
    return numpy.promote_types(dtype, float32)


def _on(tensor_or_backend, host: numpy.ndarray, dtype):
    backend = tensor_or_backend if not isinstance(tensor_or_backend, Tensor) else backend_of(
        tensor_or_backend.array
    )  # fmt: skip
    return backend.asarray(numpy.asarray(host).astype(dtype, copy=False))


def _check_std(where: str, std) -> None:
    if isinstance(std, numbers.Real) and not std >= 0:  # NaN too, as PyTorch
        raise ArgumentError(f"{where} expects std >= 0.0, but found std {std}")


def _check_probability(where: str, p) -> None:
    if isinstance(p, numbers.Real) and not 0 <= p <= 1:  # NaN too, as PyTorch
        raise ArgumentError(f"{where} expects p to be in [0, 1], but got p={p}")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False):
    """Values drawn from normal distributions of ``mean`` and ``std`` (Tensors broadcast
    together, or numbers with ``size``), as ``torch.normal``: ``mean + std * z``, ``z``
    standard normal, so gradients reach Tensor ``mean``/``std`` as PyTorch's.

    Raises:
        ArgumentError: a negative or NaN ``std``, as PyTorch's RuntimeError (a Tensor's is
            checked at the next host read on a GPU, :func:`xpnet.backends.raise_deferred`).
        TypeError: numbers for both without ``size``; ``mean`` or ``std`` not a number or a
            Tensor. UnsupportedDtypeError: an integer or bool Tensor, as PyTorch.
    """
    _check_std("normal", std)
    for name, value in (("mean", mean), ("std", std)):
        check_operand("xpnet.normal", name, value)
        if hasattr(value, "dtype"):  # PyTorch draws only floats
            refuse_dtype("xpnet.normal", value, "iub", "floating point", name)
    tensors = [
        as_input("normal", v, n) for v, n in ((mean, "mean"), (std, "std")) if hasattr(v, "shape")
    ]
    draw = _host("normal", generator)
    if tensors and (size is not None or dtype is not None):  # not in normal(Tensor, ...)
        raise TypeError("xpnet.normal: size and dtype are only for a number mean and std")
    if not tensors:
        if size is None:
            raise TypeError("normal: size is required when mean and std are numbers")
        dtype = numpy.dtype(dtype or get_default_dtype())
        if dtype.kind != "f":  # PyTorch has no integer kernel
            raise UnsupportedDtypeError(f"normal: dtype must be floating point, got {dtype}")
        if not isinstance(size, (tuple, list)):  # PyTorch's parser: a sequence of ints
            raise TypeError(f"xpnet.normal: size must be a tuple of ints, got {describe(size)}")
        shape = parse_size("normal", (size,))
        z = draw.standard_normal(shape, dtype=_draw_dtype(dtype))
        result = Tensor(_on(get_backend(), z * std + mean, dtype))
        result.requires_grad = bool(requires_grad)
        return result
    mean = as_input("normal", mean, "mean") if hasattr(mean, "shape") else mean
    std = as_input("normal", std, "std") if hasattr(std, "shape") else std
    if isinstance(std, Tensor):
        xp = backend_of(std.array).xp
        defer_check(backend_of(std.array), xp.any(~(std.array >= 0)), _negative_std)
    try:
        shape = numpy.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    except ValueError:  # PyTorch's RuntimeError, with the names
        msg = f"normal: mean and std must broadcast together, got {mean.shape} and {std.shape}"
        raise ArgumentError(msg) from None
    dtype = numpy.result_type(*(t.dtype for t in tensors))
    z = Tensor(_on(tensors[0], draw.standard_normal(shape, dtype=_draw_dtype(dtype)), dtype))
    return mean + std * z


def _negative_std(any_negative) -> None:
    if bool(any_negative):
        raise ArgumentError("normal: expects all elements of std >= 0.0")


def _outside(any_outside) -> None:
    if bool(any_outside):
        raise ArgumentError("bernoulli: expects all probabilities in [0, 1], none NaN")


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0, in ``input``'s shape and dtype, as
    ``torch.bernoulli``. Not differentiable.

    Raises:
        TypeError: ``p`` not a number. UnsupportedDtypeError: integer or bool probabilities
            ``input``. ArgumentError: a probability outside [0, 1] or NaN (a Tensor's is
            checked at the next host read on a GPU, :func:`xpnet.backends.raise_deferred`).
    """
    tensor = as_input("bernoulli", input)
    refuse_dtype("xpnet.bernoulli", tensor, "iub" if p is None else "", "floating point")
    check_real("xpnet.bernoulli", "p", p)
    _check_probability("xpnet.bernoulli", p)
    probability = tensor.array if p is None else p
    if p is None:  # PyTorch refuses probabilities outside [0, 1], NaN too
        backend = backend_of(tensor.array)
        defer_check(backend, backend.xp.any(~((probability >= 0) & (probability <= 1))), _outside)
    u = _host("bernoulli", generator).random(tensor.shape)
    return Tensor((_on(tensor, u, tensor.dtype) < probability).astype(tensor.dtype))


@flags_checked("xpnet")  # as PyTorch's parser: replacement only a bool
def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """``num_samples`` int64 indices per row of the 1-D or 2-D non-negative weights ``input``,
    drawn with the weights as probabilities (each at most once without ``replacement``), as
    ``torch.multinomial``. Reads ``input`` on the host.

    Raises:
        TypeError: ``num_samples`` not an int. ArgumentError: ``input`` not floating point,
            not 1-D or 2-D, ``num_samples`` < 1, more samples than
            categories without replacement, or weights negative, not finite, summing to 0
            (or with fewer non-zero weights than samples without replacement).
    """
    tensor = as_input("multinomial", input)
    if tensor.ndim not in (1, 2):
        raise ArgumentError(f"multinomial: prob_dist must be 1 or 2 dim, got {tensor.ndim}-d")
    if tensor.dtype.kind != "f":  # PyTorch's RuntimeError
        msg = f"multinomial: input must be floating point, got dtype {tensor.dtype}"
        raise ArgumentError(msg)
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral):
        raise TypeError(f"multinomial: num_samples must be an int, got {describe(num_samples)}")
    if num_samples < 1:
        raise ArgumentError(f"multinomial: num_samples must be a positive int, got {num_samples}")
    rows = numpy.atleast_2d(tensor.numpy().astype(numpy.float64))
    if not replacement and num_samples > rows.shape[1]:
        msg = "multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        raise ArgumentError(msg)
    if not numpy.isfinite(rows).all() or (rows < 0).any():
        raise ArgumentError(
            "multinomial: probability tensor contains either inf, nan or element < 0"
        )
    sums = rows.sum(axis=1)
    if (sums <= 0).any():
        raise ArgumentError(
            "multinomial: invalid multinomial distribution (sum of probabilities <= 0)"
        )
    if not replacement and ((rows > 0).sum(axis=1) < num_samples).any():
        raise ArgumentError(
            "multinomial: invalid multinomial distribution (not enough non-zero probabilities)"
        )
    draw = _host("multinomial", generator)
    picks = [
        draw.choice(rows.shape[1], num_samples, replace=replacement, p=row / total)
        for row, total in zip(rows, sums, strict=True)
    ]
    picks = numpy.stack(picks) if picks else numpy.zeros((0, num_samples), numpy.int64)
    picks = picks.reshape(tensor.shape[:-1] + (num_samples,))  # no rows: empty, as PyTorch
    return Tensor(_on(tensor, picks, int64))


def poisson(input, generator=None) -> Tensor:
    """Counts drawn from Poisson distributions of rates ``input`` (non-negative), in its
    dtype, as ``torch.poisson``. Reads ``input`` on the host.

    Raises:
        ArgumentError: a negative, NaN or too large (inf) rate. UnsupportedDtypeError: integer
            or bool rates.
    """
    tensor = as_input("poisson", input)
    refuse_dtype("xpnet.poisson", tensor, "iub", "floating point")  # PyTorch's kernels
    rates = tensor.numpy().astype(numpy.float64)
    if not (rates >= 0).all():
        raise ArgumentError("poisson: rates must be non-negative and not NaN")
    try:
        counts = _host("poisson", generator).poisson(rates)
    except ValueError:  # NumPy's "lam value too large": its counts are int64 (PyTorch's wrap)
        msg = f"poisson: rates must be finite and below about 9.2e18, got {rates.max()}"
        raise ArgumentError(msg) from None
    return Tensor(_on(tensor, counts, tensor.dtype))


def binomial(count, prob, generator=None) -> Tensor:
    """Successes in ``count`` trials of success probability ``prob`` (floating-point Tensors
    of one dtype, broadcast together), in that dtype, as ``torch.binomial``. Reads both on
    the host.

    Raises:
        ValueError: integer or bool ``count``. RuntimeError: ``prob`` of another dtype.
        ArgumentError: a negative or NaN count, or a probability outside [0, 1] (PyTorch's
            result is then undefined; for a NaN count it does not return).

    Example:
        >>> import xpnet
        >>> xpnet.binomial(xpnet.tensor([0.0, 4.0]), xpnet.tensor([0.5, 1.0])).tolist()
        [0.0, 4.0]
    """
    count, prob = as_input("binomial", count, "count"), as_input("binomial", prob, "prob")
    if count.dtype.kind != "f":
        msg = f"binomial only supports floating-point dtypes for count, got: {count.dtype}"
        raise ValueError(msg)
    if prob.dtype != count.dtype:
        msg = f"binomial: prob must have count's dtype {count.dtype}, got {prob.dtype}"
        raise RuntimeError(msg)
    trials, chances = (t.numpy().astype(numpy.float64) for t in (count, prob))
    if not ((trials >= 0).all() and ((chances >= 0) & (chances <= 1)).all()):
        msg = "binomial: count must be non-negative and prob in [0, 1], none NaN"
        raise ArgumentError(msg)
    successes = _host("binomial", generator).binomial(trials.astype(numpy.int64), chances)
    return Tensor(_on(count, successes, count.dtype))


def _fill(name: str, draw, doc: str):
    """An in-place method filling the tensor with ``draw(generator, shape, dtype, *args)``."""

    def method(self, *args, generator=None):
        args = _fill_arguments(name, self, draw, args)
        values = draw(_host(name, generator), self.shape, self.dtype, *args)

        def compute(t):
            return Tensor(_on(t, values, t.dtype))

        return apply_in_place(name, self, compute)

    method.__name__ = name
    method.__doc__ = (
        f"Fill this tensor in place with values drawn {doc}, from xpnet's generator (or "
        f"``generator``), as ``torch.Tensor.{name}``; returns it."
    )
    return method


# PyTorch has no integer kernels for these
_FLOATS_ONLY = ("uniform_", "normal_", "exponential_", "cauchy_", "log_normal_")
_TORCH_NAMES = {"low": "from", "high": "to"}  # PyTorch's names of the parameters


def _fill_arguments(name: str, tensor: Tensor, draw, args: tuple) -> tuple:
    """``args`` of ``Tensor.<name>``, a 0-d Tensor read as its number (PyTorch's
    parser does, a host read); refused, as PyTorch, an integer or bool tensor to fill with
    floats, and an argument that is not a number (``bernoulli_``'s ``p``: also a Tensor)."""
    if name in _FLOATS_ONLY:
        refuse_dtype(f"Tensor.{name}", tensor, "iub", "floating point", "self")
    elif name == "geometric_":  # PyTorch has integer kernels, not a bool one
        refuse_dtype("Tensor.geometric_", tensor, "b", "not bool", "self")
    parameters = list(inspect.signature(draw).parameters)[3:]  # after generator, shape, dtype
    for parameter, value in zip(parameters, args, strict=False):
        shown = _TORCH_NAMES.get(parameter, parameter)
        if name == "bernoulli_":
            check_operand(f"Tensor.{name}", shown, value)
            if hasattr(value, "dtype"):  # probabilities: floats (PyTorch has no other kernel)
                refuse_dtype(f"Tensor.{name}", value, "iub", "floating point", shown)
        elif name == "random_" and not (value is None and shown == "to"):  # to=None: the max
            check_int("Tensor.random_", shown, value)  # PyTorch: ints, or one-integer Tensors
        else:
            check_real(f"Tensor.{name}", shown, value)
    if name == "bernoulli_":
        return args
    return tuple(value.item() if hasattr(value, "shape") else value for value in args)


def _uniform(generator, shape, dtype, low=0.0, high=1.0):
    if not low <= high:  # NaN too, as PyTorch
        raise ArgumentError(f"Tensor.uniform_: from must be at most to, got from={low}, to={high}")
    check_bounds("Tensor.uniform_", dtype, {"from": low, "to": high})  # inf: PyTorch refuses
    if high - low > float(numpy.finfo(dtype).max):  # the draws would overflow
        msg = f"Tensor.uniform_: to - from must be at most the largest {dtype}, got {high - low}"
        raise ArgumentError(msg)
    return low + (high - low) * generator.random(shape, dtype=_draw_dtype(dtype))


def _normal(generator, shape, dtype, mean=0.0, std=1.0):
    _check_std("normal_", std)
    return mean + std * generator.standard_normal(shape, dtype=_draw_dtype(dtype))


def _bernoulli(generator, shape, dtype, p=0.5):
    _check_probability("bernoulli_", p)
    if isinstance(p, Tensor):  # read on the host: checked as PyTorch's
        p = p.numpy()
        try:
            numpy.broadcast_to(p, shape)
        except ValueError:
            msg = f"Tensor.bernoulli_: p of shape {p.shape} must broadcast to self's {shape}"
            raise ArgumentError(msg) from None
        if not ((p >= 0) & (p <= 1)).all():
            raise ArgumentError("Tensor.bernoulli_: expects all of p in [0, 1], none NaN")
    return generator.random(shape) < p


def _exponential(generator, shape, dtype, lambd=1.0):
    if not lambd > 0:
        raise ArgumentError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return generator.exponential(1.0 / lambd, shape)


def _cauchy(generator, shape, dtype, median=0.0, sigma=1.0):
    if not sigma > 0:
        raise ArgumentError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    return median + sigma * generator.standard_cauchy(shape)


def _log_normal(generator, shape, dtype, mean=1.0, std=2.0):
    if not std > 0:  # PyTorch's mean and std: those of the logarithm
        raise ArgumentError(f"log_normal_ expects std > 0.0, but found std={std}")
    return generator.lognormal(mean, std, shape)


def _geometric(generator, shape, dtype, p=None):
    if p is None:  # PyTorch's p has no default
        raise TypeError("Tensor.geometric_: missing required argument 'p'")
    if not 0 < p < 1:
        raise ArgumentError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return generator.geometric(p, shape)  # trials up to the first success: 1, 2, ...


_DOCS = {
    "uniform_": "uniformly from ``[from, to)`` (default ``[0, 1)``)",
    "normal_": "from the normal distribution of ``mean`` (0) and ``std`` (1)",
    "bernoulli_": "1 with probability ``p`` (0.5; a number or a Tensor), else 0",
    "exponential_": "from the exponential distribution of rate ``lambd`` (1)",
    "cauchy_": "from the Cauchy distribution of ``median`` (0) and scale ``sigma`` (1)",
    "log_normal_": "whose logarithm is normal of ``mean`` (1) and ``std`` (2)",
    "geometric_": "from the geometric distribution of success probability ``p``: 1, 2, ...",
    "random_": (
        "integers from ``[from, to)``; ``random_(to)``: ``[0, to)``; ``random_()`` and "
        "``random_(from, None)``: ``[0 or from, 2**digits]`` for floats (the integers the dtype "
        "holds exactly), ``[0 or from, max]`` for integers and bool"
    ),
}
METHODS = {
    name: _fill(name, draw, _DOCS[name])
    for name, draw in (
        ("uniform_", _uniform),
        ("normal_", _normal),
        ("bernoulli_", _bernoulli),
        ("exponential_", _exponential),
        ("cauchy_", _cauchy),
        ("log_normal_", _log_normal),
        ("geometric_", _geometric),
        ("random_", draw_random),
    )
}
