"""L-BFGS, after :class:`torch.optim.LBFGS`: a closure-driven quasi-Newton optimizer.

Unlike the other optimizers (:mod:`xpnet.optim.sgd`, :mod:`~xpnet.optim.adam`, ...) on the base
class of :mod:`xpnet.optim.optimizer`, :meth:`LBFGS.step` calls its closure several times per
step and branches on the values it returns (losses, gradient norms, curvatures): it reads
those values on the host, as PyTorch's does. Its vector work stays on the parameters' backend.
Its line search is in :mod:`xpnet.optim._line_search`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._grad_mode import enable_grad, no_grad
from ..backends import backend_of, to_backend
from ._flat import grad_array
from ._line_search import strong_wolfe
from .optimizer import Optimizer

__all__ = ["LBFGS"]

INF = float("inf")
#: the per-step memory PyTorch keeps in the state of the first parameter, in its order
_MEMORY = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")


class LBFGS(Optimizer):
    """L-BFGS, iterate for iterate the same as :class:`torch.optim.LBFGS`.

    Each :meth:`step` runs up to ``max_iter`` iterations: a direction from the last
    ``history_size`` curvature pairs (the two-loop recursion), then a fixed step of ``lr``
    (the first of a run scaled by ``min(1, 1 / |g|_1)``) or a strong-Wolfe line search. It
    stops early when the gradient's largest entry is at most ``tolerance_grad``, or the step,
    the loss change or the directional derivative is below ``tolerance_change``.

    It branches on values: every closure's loss and each test above is read on the host (a
    device sync per read on a GPU), as PyTorch's ``LBFGS`` reads them. The vectors (gradient,
    direction, history) stay on the parameters' backend, and the scalars that feed only
    arithmetic (curvatures, step weights) stay 0-d device arrays of the parameters' dtype.

    Args:
        params: the parameters (one group only; a parameter without ``.grad`` counts as a
            zero gradient).
        lr: learning rate (the step length, or the line search's first trial). Default: ``1``.
        max_iter: iterations per :meth:`step`. Default: ``20``.
        max_eval: closure evaluations per :meth:`step`. Default: ``max_iter * 5 // 4``.
        tolerance_grad: stop when ``max |g| <= tolerance_grad``. Default: ``1e-7``.
        tolerance_change: stop when the step, the loss change or the directional derivative is
            below it. Default: ``1e-9``.
        history_size: curvature pairs kept. Default: ``100``.
        line_search_fn: ``None`` or ``"strong_wolfe"`` (checked when first used, as in
            PyTorch). Default: ``None``.

    State (of the first parameter, as PyTorch's): ``func_evals``, ``n_iter``, ``d``, ``t``,
    ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``al``.

    Raises:
        ValueError: a negative ``lr``; more than one parameter group.
        TypeError: ``lr`` not a real number.

    Differences from PyTorch: no complex or sparse parameters; the parameters are updated in
    place (``param.array``), and must share one backend and dtype.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([3.0, -2.0]))
        >>> opt = LBFGS([w], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     w.grad = 2 * (w.array - 1.0)  # the gradient of sum((w - 1) ** 2)
        ...     return float(((w.array - 1.0) ** 2).sum())
        >>> opt.step(closure)
        13.0
        >>> w.array
        array([1., 1.])
    """

    _bounds = {"lr": (0.0, INF)}

    def __init__(
        self,
        params,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            msg = (
                "LBFGS: doesn't support per-parameter options (parameter groups), "
                f"got {len(self.param_groups)} groups"
            )
            raise ValueError(msg)
        self._params = self.param_groups[0]["params"]

    # -- the flat views PyTorch works on --------------------------------------------------------
    def _gather_flat_grad(self):
        data = [param.array for param in self._params]
        xp = backend_of(*data, where="LBFGS.step").xp
        return xp.concatenate(
            [
                xp.zeros(param.array.size, dtype=param.array.dtype)
                if param.grad is None
                else xp.reshape(grad_array(param), (-1,))
                for param in self._params
            ]
        )

    def _add_grad(self, step_size, update) -> None:
        """``param += step_size * update[its slice]``, in place (PyTorch's ``add_``)."""
        offset = 0
        for param in self._params:
            size = param.array.size
            param.array += step_size * update[offset : offset + size].reshape(param.array.shape)
            offset += size

    def _clone_param(self) -> list:
        return [param.array.copy() for param in self._params]

    def _set_param(self, params_data: list) -> None:
        for param, data in zip(self._params, params_data, strict=True):
            param.array[...] = data

    def _directional_evaluate(self, closure, x: list, t, d) -> tuple:
        """The loss (read on the host) and flat gradient at ``x + t d``; restores ``x``."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # -- the step ------------------------------------------------------------------------------
    @no_grad()
    def step(self, closure: Callable[[], Any]):  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; return the closure's first loss.

        Args:
            closure: recomputes the loss, sets every ``param.grad`` and returns the loss
                (a number, a 0-d array or a Tensor). It runs with gradients enabled.

        Raises:
            ValueError: more than one parameter group; a line search left no evaluation.
            RuntimeError: a ``line_search_fn`` other than ``"strong_wolfe"``.
        """
        self._opt_called = True  # see Optimizer.step
        if len(self.param_groups) != 1:
            msg = f"LBFGS.step: expected exactly one param_group, got {len(self.param_groups)}"
            raise ValueError(msg)
        closure = enable_grad(closure)
        group = self.param_groups[0]
        state = self.state.setdefault(id(self._params[0]), {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = float(orig_loss)
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        xp = backend_of(flat_grad).xp
        if xp.max(xp.abs(flat_grad)) <= group["tolerance_grad"]:
            return orig_loss
        memory = {key: state.get(key) for key in _MEMORY}
        self._iterate(closure, group, state, memory, loss, flat_grad)
        state.update(memory)
        return orig_loss

    def _iterate(self, closure, group, state, memory: dict, loss: float, flat_grad) -> None:
        """PyTorch's ``while n_iter < max_iter`` loop; ``memory`` is updated in place."""
        xp = backend_of(flat_grad).xp
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_change = group["tolerance_change"]
        current_evals, n_iter = 1, 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            self._direction(xp, state, memory, flat_grad, group["history_size"])
            memory["prev_flat_grad"] = flat_grad.copy()
            memory["prev_loss"] = loss
            # the first step of a run is scaled down to a unit-ish length
            if state["n_iter"] == 1:
                memory["t"] = min(1.0, 1.0 / xp.sum(xp.abs(flat_grad))) * group["lr"]
            else:
                memory["t"] = group["lr"]
            d = memory["d"]
            gtd = xp.dot(flat_grad, d)  # directional derivative
            if gtd > -tolerance_change:
                break
            moved = self._move(
                closure, group, memory, loss, flat_grad, gtd, current_evals, n_iter == max_iter
            )
            loss, flat_grad, evals, optimal = moved
            current_evals += evals
            state["func_evals"] += evals
            if n_iter == max_iter or current_evals >= max_eval or optimal():
                break
            if xp.max(xp.abs(d * memory["t"])) <= tolerance_change:
                break
            if abs(loss - memory["prev_loss"]) < tolerance_change:
                break

    def _move(self, closure, group, memory: dict, loss, flat_grad, gtd, evals_so_far, last):
        """Take the step along ``memory["d"]``, its length searched with ``line_search_fn``;
        return ``(loss, flat_grad, evaluations, optimal)``. Without a line search the last
        iteration (``last``) does not evaluate the closure, as in PyTorch; ``optimal()``
        reads the gradient test on the host."""
        xp = backend_of(flat_grad).xp
        d, line_search_fn = memory["d"], group["line_search_fn"]

        def optimal_at(grad):
            return lambda: bool(xp.max(xp.abs(grad)) <= group["tolerance_grad"])

        if line_search_fn is not None:
            if line_search_fn != "strong_wolfe":
                msg = f"LBFGS: only 'strong_wolfe' is supported, got {line_search_fn!r}"
                raise RuntimeError(msg)
            x_init = self._clone_param()

            def obj_func(x, t, d):
                return self._directional_evaluate(closure, x, t, d)

            max_ls = group["max_eval"] - evals_so_far
            found = strong_wolfe(
                obj_func, x_init, memory["t"], d, loss, flat_grad, gtd, max_ls=max_ls
            )
            loss, flat_grad, memory["t"], evals = found
            self._add_grad(memory["t"], d)
            return loss, flat_grad, evals, optimal_at(flat_grad)
        self._add_grad(memory["t"], d)
        if last:  # no use evaluating the closure: the step ends here
            return loss, flat_grad, 0, lambda: False
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        return loss, flat_grad, 1, optimal_at(flat_grad)

    def _direction(self, xp, state, memory: dict, flat_grad, history_size: int) -> None:
        """Set ``memory["d"]``: ``-g`` at the first iteration, else the two-loop recursion
        over the curvature pairs, updated first with the last step's pair when ``y.s`` is
        positive enough."""
        if state["n_iter"] == 1:
            memory.update(d=-flat_grad, old_dirs=[], old_stps=[], ro=[], H_diag=1)
            return
        old_dirs, old_stps, ro = memory["old_dirs"], memory["old_stps"], memory["ro"]
        y = flat_grad - memory["prev_flat_grad"]
        s = memory["d"] * memory["t"]
        ys = xp.dot(y, s)
        if ys > 1e-10:
            if len(old_dirs) == history_size:  # drop the oldest pair
                for history in (old_dirs, old_stps, ro):
                    history.pop(0)
            old_dirs.append(y)
            old_stps.append(s)
            ro.append(1.0 / ys)
            memory["H_diag"] = ys / xp.dot(y, y)  # the initial inverse Hessian's scale
        if "al" not in state:
            state["al"] = [None] * history_size
        al = state["al"]
        q = -flat_grad
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = xp.dot(old_stps[i], q) * ro[i]
            q = q + (-al[i]) * old_dirs[i]
        r = q * memory["H_diag"]
        for i in range(len(old_dirs)):
            be_i = xp.dot(old_dirs[i], r) * ro[i]
            r = r + (al[i] - be_i) * old_stps[i]
        memory["d"] = r

    def _load_state(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved, the arrays of the history lists (``old_dirs``,
        ``old_stps``, ``ro``, ``al``) too onto the parameters' backend and dtype (before the
        load-state-dict post-hooks run)."""
        super()._load_state(state_dict)
        like = self._params[0].array
        name = backend_of(like).name
        for state in self.state.values():
            for key, value in state.items():
                if isinstance(value, list):
                    state[key] = [
                        to_backend(entry, name).astype(like.dtype, copy=True)
                        if hasattr(entry, "shape")
                        else entry
                        for entry in value
                    ]
