"""``torch.func.vmap`` as a loop: ``func`` runs once per index of the mapped dimensions and
the results are stacked.

PyTorch batches the operations themselves; xpnet calls ``func`` on each slice
(``Tensor.select``) and stacks each output with :func:`xpnet.stack`, so the results (values
and gradients through them) are PyTorch's but the cost is a Python loop's. The arguments,
their checks and messages, and ``randomness`` are PyTorch's: ``'error'`` compares
:func:`xpnet.get_rng_state` before and after the calls and refuses a function that drew
random numbers (the state is put back first), ``'same'`` gives every call the state saved at
the start, ``'different'`` lets each call draw on. Trees of arguments and outputs:
:mod:`xpnet.func._pytree`.
"""

from __future__ import annotations

import contextlib
import functools

import numpy

from .._tensor_join import stack
from ..autograd import Tensor
from ..random import get_rng_state, set_rng_state
from ._pytree import LEAF, broadcast_prefix, describe, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOM_ERROR = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
    "of vmap"
)


def _name(func) -> str:
    return getattr(func, "__name__", repr(func))


def check_randomness(randomness) -> None:
    """PyTorch's RuntimeError for a ``randomness`` other than 'error', 'different', 'same'."""
    if randomness not in ("error", "different", "same"):
        msg = (
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )
        raise RuntimeError(msg)


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """``func`` mapped over a dimension of its inputs, as ``torch.func.vmap``: the result
    stacks ``func``'s results for each index of the mapped dimension.

    This is a loop, not a vectorization: ``func`` runs once per index (on the slices
    ``x.select(in_dim, i)``) and each output is :func:`xpnet.stack`-ed, so the values and
    gradients are PyTorch's but the cost is at least that of the loop written out. It
    composes with the other transforms: ``vmap(grad(loss), in_dims=(None, 0, 0))`` gives
    per-sample gradients, ``vmap(f, in_dims=(0, 0, None))`` over :func:`stack_module_state`'s
    dicts runs an ensemble.

    Args:
        func: a function of Tensors (or trees of them) returning a Tensor or a tree of them.
        in_dims: the dimension to map for each positional argument: an int for all, or a
            tuple with one entry (an int, ``None`` for an unmapped argument, or a nested tree
            for a tree argument) per argument. Keyword arguments are not mapped. Default: 0.
        out_dims: where the mapped dimension goes in each output: an int, ``None`` (an output
            that does not depend on the mapped inputs: the first call's is returned), or a
            tree matching the output. Default: 0.
        randomness: ``'error'`` (a random draw in ``func`` raises), ``'same'`` (each call
            starts from the same random state) or ``'different'``. Default: ``'error'``.
        chunk_size: a positive int or ``None``; accepted and ignored, since the calls are
            one per index anyway. Default: ``None``.

    Returns:
        A function of ``func``'s arguments.

    Raises:
        ValueError: bad ``in_dims``/``out_dims``, mapped sizes that differ, a mapped argument
            that is not a Tensor, an output that is not a Tensor where ``out_dims`` is an int.
        RuntimeError: a bad ``randomness``; ``func`` drew random numbers under ``'error'``.

    Example:
        >>> import xpnet
        >>> x, y = xpnet.tensor([[1.0, 2.0], [3.0, 4.0]]), xpnet.tensor([10.0, 20.0])
        >>> vmap(lambda row, y: row @ y, in_dims=(0, None))(x, y).tolist()
        [50.0, 110.0]
    """
    check_randomness(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        size, flat_dims, flat_args, spec = _batched_inputs(func, in_dims, args)
        results = _run(func, size, flat_dims, flat_args, spec, kwargs, randomness)
        return _stacked(func, results, out_dims)

    return wrapped


def _batched_inputs(func, in_dims, args: tuple):
    """``(batch size, in_dim per leaf of args, the leaves, their spec)``, checked as
    PyTorch's ``_process_batched_inputs``."""
    where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if not isinstance(in_dims, int | tuple):
        msg = (
            f"{where}: expected `in_dims` to be int or a (potentially nested) tuple matching "
            f"the structure of inputs, got: {type(in_dims)}."
        )
        raise ValueError(msg)
    if not args:
        msg = (
            f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, or "
            "you are trying to vmap over a function with no inputs. The latter is unsupported."
        )
        raise ValueError(msg)
    flat_args, spec = tree_flatten(args)
    flat_dims = broadcast_prefix(in_dims, spec)
    if flat_dims is None:
        msg = (
            f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has "
            f"structure {describe(tree_flatten(in_dims)[1])} but inputs has structure "
            f"{describe(spec)}."
        )
        raise ValueError(msg)
    for index, (arg, dim) in enumerate(zip(flat_args, flat_dims, strict=True)):
        flat_dims[index] = _checked_dim(where, arg, dim)
    sizes = [
        arg.shape[dim] for arg, dim in zip(flat_args, flat_dims, strict=True) if dim is not None
    ]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(size != sizes[0] for size in sizes):
        msg = (
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )
        raise ValueError(msg)
    return sizes[0], flat_dims, flat_args, spec


def _checked_dim(where: str, arg, dim):
    """``dim`` for ``arg``, made non-negative; PyTorch's ValueErrors for a bad one."""
    if dim is None:
        return None
    if not isinstance(dim, int) or isinstance(dim, bool):
        msg = (
            f"{where}: Got in_dim={dim} for an input but in_dim must be either an integer "
            "dimension or None."
        )
        raise ValueError(msg)
    if not isinstance(arg, Tensor):
        msg = (
            f"{where}: Got in_dim={dim} for an input but the input is of type {type(arg)}. We "
            "cannot vmap over non-Tensor arguments, please use None as the respective in_dim"
        )
        raise ValueError(msg)
    if not -arg.dim() <= dim < arg.dim():
        msg = (
            f"{where}: Got in_dim={dim} for some input, but that input is a Tensor of "
            f"dimensionality {arg.dim()} so expected in_dim to satisfy "
            f"-{arg.dim()} <= in_dim < {arg.dim()}."
        )
        raise ValueError(msg)
    return dim % arg.dim()


def _run(func, size: int, flat_dims, flat_args, spec, kwargs: dict, randomness: str) -> list:
    """``func``'s result for each index, under the ``randomness`` rule."""
    if size == 0:
        msg = (
            f"vmap({_name(func)}): the mapped dimension has size 0, and xpnet's vmap calls "
            "func once per index, so it has no output to stack"
        )
        raise ValueError(msg)
    start = None if randomness == "different" else get_rng_state()
    results = []
    for index in range(size):
        if randomness == "same":
            set_rng_state(start)
        sliced = [
            arg if dim is None else arg.select(dim, index)
            for arg, dim in zip(flat_args, flat_dims, strict=True)
        ]
        results.append(func(*tree_unflatten(sliced, spec), **kwargs))
        # the first call catches a draw early; the last, one that only some indices make
        if randomness == "error" and index in (0, size - 1) and _drew(start):
            set_rng_state(start)
            raise RuntimeError(_RANDOM_ERROR)
    return results


@contextlib.contextmanager
def refusing_random_draws():
    """PyTorch's RuntimeError for ``randomness='error'`` where the body drew random numbers
    (the random state is put back first)."""
    start = get_rng_state()
    yield
    if _drew(start):
        set_rng_state(start)
        raise RuntimeError(_RANDOM_ERROR)


def _drew(start) -> bool:
    return not numpy.array_equal(get_rng_state().numpy(), start.numpy())


def _stacked(func, results: list, out_dims):
    """The results of every index combined: each output stacked at its ``out_dims``."""
    name = _name(func)
    flats = [tree_flatten(result) for result in results]
    spec = flats[0][1]
    for _, other in flats[1:]:
        if other != spec:
            msg = (
                f"vmap({name}, ...): `{name}` must return outputs of one structure for every "
                f"index, got {describe(spec)} and {describe(other)}"
            )
            raise ValueError(msg)
    dims = _out_dims(name, out_dims, spec)
    columns = zip(*(flat for flat, _ in flats), strict=True)  # one column per output leaf
    outputs = [_combined(name, list(col), dim) for col, dim in zip(columns, dims, strict=True)]
    return tree_unflatten(outputs, spec)


def _out_dims(name: str, out_dims, spec) -> list:
    for dim in tree_flatten(out_dims)[0]:
        if not isinstance(dim, int) or isinstance(dim, bool):
            msg = (
                f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a "
                "python collection of ints representing where in the outputs the vmapped "
                "dimension should appear."
            )
            raise ValueError(msg)
    if spec == LEAF and isinstance(out_dims, tuple) and len(out_dims) == 1:
        return list(out_dims)  # PyTorch's edge case: (d,) for a single Tensor
    dims = broadcast_prefix(out_dims, spec)
    if dims is None:
        msg = (
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with "
            f"the structure of `outputs`. out_dims has structure "
            f"{describe(tree_flatten(out_dims)[1])} but outputs has structure {describe(spec)}."
        )
        raise ValueError(msg)
    return dims


def _combined(name: str, values: list, dim):
    if dim is None:
        first = values[0]
        if isinstance(first, Tensor) and not all(_same(first, value) for value in values):
            msg = f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None"
            raise ValueError(msg)
        return first
    for value in values:
        if not isinstance(value, Tensor):
            msg = (
                f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(value)}. "
                "Did you mean to set out_dims= to None for output?"
            )
            raise ValueError(msg)
    return stack(values, dim=dim)


def _same(first, value) -> bool:
    """Whether an output for ``out_dims=None`` is the same at another index, as it must be
    where it does not depend on the mapped inputs."""
    if value is first:
        return True
    return (
        isinstance(value, Tensor)
        and value.shape == first.shape
        and bool((value.array == first.array).all())
    )
