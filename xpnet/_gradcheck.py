"""``torch.autograd.gradcheck`` and ``gradgradcheck``: a function's analytical Jacobians (by
xpnet's backward pass) against central finite differences, as PyTorch 2.13's slow mode.

For each input that requires grad, each of its elements is moved by ``-eps`` and ``+eps`` in
the input's own dtype and the function run again: ``(f(x + eps) - f(x - eps)) / (2 eps)`` is a
column of the numerical Jacobian. Each row of the analytical one is the backward of a one-hot
output gradient, computed twice (a backward that differs the second time is not reentrant).
Jacobians are ``(input numel, output numel)`` as PyTorch's; ``gradgradcheck`` checks the
gradient itself (:func:`xpnet.autograd.grad`, ``create_graph=True``). Exported by
:mod:`xpnet.autograd` through :mod:`xpnet._autograd_more`.
"""

from __future__ import annotations

import warnings

import numpy

from ._backward_pass import grad
from ._gradcheck_parts import as_tuple, check_modes, forward_jacobians, host_array, wants_grad
from .autograd import Tensor
from .backends import backend_of

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Error raised by :func:`gradcheck` and :func:`gradgradcheck`."""


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against finite differences.

    Every Tensor of ``inputs`` that requires grad is checked: for each differentiable output
    (one that requires grad) the analytical Jacobian must satisfy
    ``|analytical - numerical| <= atol + rtol * |numerical|`` elementwise. Use float64
    inputs: the differences are taken in the inputs' dtype.

    Args:
        func: a function of Tensors returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of arguments (non-Tensors are passed as they are).
        eps: the finite-difference step. Default: ``1e-6``.
        atol: absolute tolerance. Default: ``1e-5``.
        rtol: relative tolerance. Default: ``1e-3``.
        raise_exception: raise :class:`GradcheckError` on a mismatch; else return ``False``.
            Default: ``True``.
        nondet_tol: how far two backward passes may differ. Default: ``0.0``.
        check_undefined_grad: accepted. PyTorch also backpropagates *undefined* output
            gradients; xpnet has none (a missing one is zeros), so the check that zero
            output gradients give zero input gradients, which always runs, covers it.
            Default: ``True``.
        check_grad_dtypes: fail when a gradient's dtype differs from its input's.
            Default: ``False``.
        check_batched_grad: must be ``False``: xpnet has no batched (vmap) gradients.
        check_batched_forward_grad: must be ``False``: no batched forward mode.
        check_forward_ad: also compare the Jacobians that :mod:`xpnet.autograd.forward_ad`
            gives (one dual per input element).
        check_backward_ad: must be ``True``.
        fast_mode: accepted; the full check runs (PyTorch's slow mode). Default: ``False``.
        masked: accepted (it concerns sparse tensors, which xpnet has not). Default: ``None``.

    Returns:
        ``True`` if every check passes (``False`` on a mismatch with
        ``raise_exception=False``).

    Raises:
        GradcheckError: a Jacobian mismatch (``Jacobian mismatch for output i with respect
            to input j,`` then both Jacobians), a non-reentrant backward, a gradient of the
            wrong size (or dtype, with ``check_grad_dtypes``), a backward not multiplied by
            its output gradient, or a nonzero numerical gradient of a function without
            differentiable outputs.
        ValueError: no input requires grad.
        RuntimeError: an input with a stride-0 (expanded) dimension.
        AssertionError: inconsistent switches, as PyTorch's.
        NotImplementedError: ``check_batched_grad`` or ``check_batched_forward_grad`` true.

    Example:
        >>> import xpnet
        >>> x = xpnet.randn(3, dtype=xpnet.float64, requires_grad=True)
        >>> gradcheck(lambda t: (t * t).sin(), (x,))
        True
    """
    check_modes(check_forward_ad, check_backward_ad, check_batched_grad, check_batched_forward_grad)
    try:
        modes = (check_forward_ad, check_backward_ad)
        return _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes, modes)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check the second derivatives of ``func``: :func:`gradcheck` of the map from
    ``(inputs, grad_outputs)`` to the gradients of ``func`` (taken with
    ``create_graph=True``), with respect to both.

    Args:
        func: as for :func:`gradcheck`.
        inputs: as for :func:`gradcheck`.
        grad_outputs: the output gradients (a Tensor or a tuple). Default: ``None``: random
            ones in [-1, 1) that require grad, from :func:`xpnet.testing.make_tensor`.
        eps, atol, rtol, raise_exception, nondet_tol, check_undefined_grad,
            check_grad_dtypes, check_batched_grad, fast_mode, masked: as for
            :func:`gradcheck`.
        gen_non_contig_grad_outputs: make the random output gradients non-contiguous.
            Default: ``False``.
        check_fwd_over_rev: also check the gradient's Jacobians by forward mode
            (:mod:`xpnet.autograd.forward_ad` over the backward: third derivatives).
        check_rev_over_rev: must be ``True``.

    Returns:
        As :func:`gradcheck`.

    Raises:
        GradcheckError: as :func:`gradcheck`, for the gradient function.
        NotImplementedError: an op without a differentiable backward in xpnet (named), or
            ``check_batched_grad`` true.

    Example:
        >>> import xpnet
        >>> x = xpnet.randn(3, dtype=xpnet.float64, requires_grad=True)
        >>> gradgradcheck(lambda t: (t * t).sin(), (x,))
        True
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        msg = "Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True"
        raise AssertionError(msg)
    if check_undefined_grad and not check_rev_over_rev:
        msg = "Setting check_undefined_grad=True requires check_rev_over_rev to be True"
        raise AssertionError(msg)
    inputs = as_tuple(inputs)
    if grad_outputs is None:
        grad_outputs = _random_grad_outputs(func, inputs, gen_non_contig_grad_outputs)
    grad_outputs = as_tuple(grad_outputs)
    count = len(grad_outputs)
    diff_inputs = {i for i, x in enumerate(inputs) if wants_grad(x)}
    diff_grad_outputs = {i for i, x in enumerate(grad_outputs) if wants_grad(x)}

    def new_func(*args):
        args_in = tuple(
            x.requires_grad_() if i in diff_inputs else x for i, x in enumerate(args[:-count])
        )
        outputs = _differentiable(func(*args_in))
        upstream = tuple(
            x.requires_grad_() if i in diff_grad_outputs else x for i, x in enumerate(args[-count:])
        )
        wrt = tuple(x for i, x in enumerate(args_in) if i in diff_inputs)
        grads = grad(outputs, wrt, upstream, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        new_func,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        fast_mode=fast_mode,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
        masked=masked,
    )


def _random_grad_outputs(func, inputs: tuple, noncontiguous: bool) -> tuple:
    from .testing import make_tensor  # it builds on the Tensor module, which imports this

    outputs = _differentiable(func(*inputs))
    return tuple(
        make_tensor(
            *o.shape,
            dtype=o.dtype if o.dtype.kind in "fc" else numpy.float64,
            low=-1,
            high=1,
            requires_grad=True,
            noncontiguous=noncontiguous,
        )
        for o in outputs
    )


def _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes, modes) -> bool:
    inputs = as_tuple(inputs)
    _check_inputs(inputs)
    func_out = as_tuple(func(*inputs))
    outputs = _differentiable(func_out)
    # numerical[k][j]: output k (differentiable or not) by input j (those that require grad)
    numerical = list(zip(*_numerical_jacobians(func, inputs, func_out, eps), strict=True))
    if not outputs:
        if any(numpy.any(n != 0) for per_output in numerical for n in per_output):
            raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    numerical = [n for o, n in zip(func_out, numerical, strict=True) if o.requires_grad]
    forward, backward = modes
    for i, output in enumerate(outputs if backward else ()):
        analytical = _analytical_jacobians(inputs, output, nondet_tol, check_grad_dtypes)
        compare_jacobians(analytical, numerical[i], i, rtol, atol, "")
    for i, analytical in enumerate(forward_jacobians(func, inputs) if forward else ()):
        compare_jacobians(analytical, numerical[i], i, rtol, atol, "computed with forward mode ")
    if backward:
        _check_zero_grad_outputs(outputs, inputs)
    return True


def compare_jacobians(analytical, numerical, output: int, rtol, atol, mode: str) -> None:
    """GradcheckError, PyTorch's message, where an analytical Jacobian of ``output`` is not
    ``allclose`` (with type promotion) to the numerical one, for each input."""
    for j, (a, n) in enumerate(zip(analytical, numerical, strict=True)):
        dtype = numpy.result_type(a, n)
        if not numpy.allclose(a.astype(dtype), n.astype(dtype), rtol, atol):
            msg = (
                f"Jacobian {mode}mismatch for output {output:d} with respect to input {j:d},\n"
                f"numerical:{Tensor(n)}\nanalytical:{Tensor(a)}\n"
            )
            raise GradcheckError(msg)


def _check_inputs(inputs: tuple) -> None:
    """PyTorch's: warn for inputs that are not float64, refuse stride-0 ones, and need one."""
    found = False
    for index, value in enumerate(inputs):
        if not wants_grad(value):
            continue
        if value.dtype != numpy.float64:
            warnings.warn(
                f"Input #{index} requires gradient and is not a double precision floating "
                "point or complex. This check will likely fail if all the inputs are not of "
                "double precision floating point or complex. ",
                UserWarning,
                stacklevel=4,
            )
        strides = getattr(value.array, "strides", ())
        if any(step == 0 and size > 1 for step, size in zip(strides, value.shape, strict=True)):
            msg = (
                f"The {index}th input has a dimension with stride 0. gradcheck only supports "
                "inputs that are non-overlapping to be able to compute the numerical gradients "
                "correctly. You should call .contiguous on the input before passing it to "
                "gradcheck."
            )
            raise RuntimeError(msg)
        found = True
    if not found:
        msg = (
            "gradcheck expects at least one input tensor to require gradient, but none of "
            "them have requires_grad=True."
        )
        raise ValueError(msg)


def _numerical_jacobians(func, inputs: tuple, func_out: tuple, eps: float) -> list[list]:
    """For each input that requires grad, one ``(input numel, output numel)`` host array per
    output of ``func``, by central differences in the input's dtype."""
    jacobians = []
    for index, value in enumerate(inputs):
        if not wants_grad(value):
            continue
        backend = backend_of(value.array)
        host = numpy.array(backend.to_host(value.array))  # a contiguous copy to perturb
        flat = host.reshape(-1)

        def run(index=index, backend=backend, host=host, value=value) -> list:
            moved = Tensor(backend.asarray(host.copy()), requires_grad=value.requires_grad)
            args = inputs[:index] + (moved,) + inputs[index + 1 :]
            return [numpy.asarray(host_array(o)) for o in as_tuple(func(*args))]

        columns = []
        for position in range(flat.size):
            original = flat[position]
            flat[position] = original - eps
            before = run()
            flat[position] = original + eps
            after = run()
            flat[position] = original
            columns.append(
                [((b - a) / (2 * eps)).reshape(-1) for a, b in zip(before, after, strict=True)]
            )
        empty = [numpy.zeros((0, o.array.size), o.dtype) for o in func_out]  # a 0-element input
        # numpy.stack: (input numel, output numel) per output
        jacobians.append([numpy.stack(c) for c in zip(*columns, strict=True)] if columns else empty)
    return jacobians


def _analytical_jacobians(inputs: tuple, output, nondet_tol, check_grad_dtypes) -> list:
    """``output``'s Jacobian with respect to each input that requires grad, a row per output
    element, computed twice to catch a non-reentrant backward."""
    wrt = [x for x in inputs if wants_grad(x)]
    first, sizes_ok, types_ok = _jacobian_rows(output, wrt)
    second, _, _ = _jacobian_rows(output, wrt)
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    for a, b in zip(first, second, strict=True):
        if a.size and numpy.abs(a - b).max() > nondet_tol:
            msg = (
                "Backward is not reentrant, i.e., running backward with same input and "
                "grad_output multiple times gives different values, although analytical "
                f"gradient matches numerical gradient.The tolerance for nondeterminism was "
                f"{nondet_tol}."
            )
            raise GradcheckError(msg)
    return first


def _jacobian_rows(output, wrt: list) -> tuple[list, bool, bool]:
    backend = backend_of(output.array)
    numel = output.array.size
    jacobians = [numpy.zeros((x.array.size, numel), x.dtype) for x in wrt]
    sizes_ok = types_ok = True
    for row in range(numel):
        upstream = numpy.zeros(numel, output.dtype)
        upstream[row] = 1
        upstream = Tensor(backend.asarray(upstream.reshape(output.shape)))
        grads = grad(output, wrt, upstream, retain_graph=True, allow_unused=True)
        for jacobian, x, g in zip(jacobians, wrt, grads, strict=True):
            if g is None:
                continue
            if tuple(g.shape) != tuple(x.shape):
                sizes_ok = False
            elif g.dtype != x.dtype:
                types_ok = False
            jacobian[:, row] = host_array(g).reshape(-1)
    return jacobians, sizes_ok, types_ok


def _check_zero_grad_outputs(outputs: tuple, inputs: tuple) -> None:
    """Zero output gradients must give zero input gradients of the inputs' dtypes and shapes
    (PyTorch's ``_test_backward_mul_by_grad_output``)."""
    wrt = [x for x in inputs if wants_grad(x)]
    zeros = [Tensor(backend_of(o.array).xp.zeros_like(o.array)) for o in outputs]
    for g, x in zip(grad(list(outputs), wrt, zeros, allow_unused=True), wrt, strict=True):
        if g is None:
            continue
        if numpy.any(host_array(g) != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if g.dtype != x.dtype:
            raise GradcheckError("grad is incorrect type")
        if tuple(g.shape) != tuple(x.shape):
            raise GradcheckError("grad is incorrect size")


def _differentiable(values) -> tuple:
    return tuple(o for o in as_tuple(values) if o.requires_grad)
