"""``torch.func`` for xpnet: function transforms on top of xpnet's autograd.

:func:`grad`, :func:`grad_and_value`, :func:`vjp`, :func:`jvp`, :func:`linearize`,
:func:`jacrev`, :func:`jacfwd`, :func:`hessian`, :func:`vmap`, :func:`functional_call` and
:func:`stack_module_state` have PyTorch's names, signatures, results and error messages, and
compose: ``vmap(grad(loss), in_dims=(None, 0, 0))`` (per-sample gradients),
``grad(grad(f))``, ``jacrev(jacrev(f))``, :func:`functional_call` inside :func:`grad` (MAML).
They are built on :func:`xpnet.autograd.grad` (never writing ``.grad``), not on PyTorch's
batching and forward-mode levels, which makes three differences:

- :func:`vmap` is a loop: ``func`` runs once per index and the results are stacked, so it
  is correct but no faster than the loop written out.
- :func:`jvp`, :func:`jacfwd` and :func:`hessian` work in reverse mode (the double-vjp trick,
  one reverse pass per output element), so their functions need ops with a differentiable
  backward (``NotImplementedError`` names one without).
- A result keeps a graph (``create_graph=True``) exactly when grad mode is on and the
  function's output depends on a Tensor that requires grad besides the transform's own
  inputs: an argument that requires grad, an outer transform's input, a parameter reached
  through the closure. Then every op needs a differentiable backward; to take a plain first
  derivative through other ops, pass detached parameters (as PyTorch recommends for speed)
  or call the transform under :func:`xpnet.no_grad`.

Modules: :mod:`._transforms` (``grad``, ``vjp``, ``jvp``), :mod:`._jacobians`, :mod:`._vmap`,
:mod:`._functional_call`, :mod:`._pytree` (the trees of arguments and outputs).

Example:
    >>> import xpnet
    >>> from xpnet.func import grad, vmap
    >>> x = xpnet.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> vmap(grad(lambda row: (row**2).sum()))(x).tolist()
    [[2.0, 4.0], [6.0, 8.0]]
"""

from __future__ import annotations

from ._functional_call import functional_call, stack_module_state
from ._jacobians import hessian, jacfwd, jacrev
from ._transforms import grad, grad_and_value, jvp, linearize, vjp
from ._vmap import vmap

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "linearize",
    "stack_module_state",
    "vjp",
    "vmap",
]
