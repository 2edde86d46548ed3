"""The strong-Wolfe line search of :class:`~xpnet.optim.lbfgs.LBFGS`, after PyTorch's
``_strong_wolfe`` and ``_cubic_interpolate`` (``torch/optim/lbfgs.py``, ported from minFunc's
``lswolfe.lua`` and ``polyinterp.lua``).

The search branches on losses and directional derivatives, so it reads them on the host, as
PyTorch's does; the gradients stay on their backend.
"""

from __future__ import annotations

from ..backends import backend_of

__all__ = ["cubic_interpolate", "strong_wolfe"]


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through ``(x1, f1)``, ``(x2, f2)`` with slopes ``g1``,
    ``g2``, clamped to ``bounds`` (default: between ``x1`` and ``x2``); their midpoint when
    the cubic has no minimum. PyTorch's ``_cubic_interpolate`` (minFunc's ``polyinterp``)."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    backend = backend_of(*(v for v in (g1, g2) if hasattr(v, "dtype")))
    # an overflow to inf or a NaN carries on as in PyTorch, without NumPy's warnings
    with backend.ignore_float_errors():
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        d2_square = d1**2 - g1 * g2
        if d2_square >= 0:
            d2 = backend.xp.sqrt(d2_square)
            if x1 <= x2:
                min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            else:
                min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
            return min(max(min_pos, xmin_bound), xmax_bound)
        return (xmin_bound + xmax_bound) / 2.0


def strong_wolfe(
    obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25
) -> tuple:
    """A line search for a step ``t`` along ``d`` meeting the strong Wolfe conditions
    (sufficient decrease ``c1``, curvature ``c2``), in at most ``max_ls`` evaluations of
    ``obj_func(x, t, d) -> (loss, flat_grad)``; PyTorch's ``_strong_wolfe`` (minFunc's
    ``lswolfe.lua``): bracket a good step, then zoom into the bracket by cubic interpolation.

    Returns:
        ``(loss, flat_grad, t, evaluations)`` at the step chosen.

    Raises:
        ValueError: ``max_ls`` negative (PyTorch fails there with an unbound name).
    """
    if max_ls < 0:
        msg = f"LBFGS: the line search needs max_eval to leave it evaluations, got max_ls={max_ls}"
        raise ValueError(msg)
    search = _LineSearch(obj_func, x, d, f, gtd, c1, c2, max_ls)
    done = search.bracket_phase(t, g)
    search.zoom(done, tolerance_change)
    low = search.low_pos
    return search.bracket_f[low], search.bracket_g[low], search.bracket[low], search.evals


class _LineSearch:
    """The state of one :func:`strong_wolfe` search: the bracket ``[t_lo, t_hi]`` with its
    losses, gradients and directional derivatives, and the evaluation counts."""

    def __init__(self, obj_func, x, d, f, gtd, c1, c2, max_ls):
        self.obj_func, self.x, self.d, self.f, self.gtd = obj_func, x, d, f, gtd
        self.c1, self.c2, self.max_ls = c1, c2, max_ls
        self.evals = self.ls_iter = 0
        self.xp = backend_of(d).xp
        self.d_norm = self.xp.max(self.xp.abs(d))

    def evaluate(self, t) -> tuple:
        f_new, g_new = self.obj_func(self.x, t, self.d)
        self.evals += 1
        return f_new, g_new, self.xp.dot(g_new, self.d)

    def armijo_fails(self, t, f_new) -> bool:
        return bool(f_new > (self.f + self.c1 * t * self.gtd))

    def bracket_phase(self, t, g) -> bool:
        """Grow the step until a bracket holds a good one; True if ``t`` already is one."""
        f_new, g_new, gtd_new = self.evaluate(t)
        t_prev, f_prev, g_prev, self.gtd_prev = 0, self.f, g, self.gtd
        while self.ls_iter < self.max_ls:
            if self.armijo_fails(t, f_new) or (self.ls_iter > 1 and f_new >= f_prev):
                return self.set_bracket([t_prev, t], [f_prev, f_new], [g_prev, g_new], gtd_new)
            if abs(gtd_new) <= -self.c2 * self.gtd:
                self.set_bracket([t], [f_new], [g_new])
                return True
            if gtd_new >= 0:
                return self.set_bracket([t_prev, t], [f_prev, f_new], [g_prev, g_new], gtd_new)
            # interpolate beyond t, between 1.01 t and 10 t
            min_step, max_step = t + 0.01 * (t - t_prev), t * 10
            bounds = (min_step, max_step)
            t_prev, t = (
                t,
                cubic_interpolate(t_prev, f_prev, self.gtd_prev, t, f_new, gtd_new, bounds),
            )
            f_prev, g_prev, self.gtd_prev = f_new, g_new, gtd_new
            f_new, g_new, gtd_new = self.evaluate(t)
            self.ls_iter += 1
        return self.set_bracket([0, t], [self.f, f_new], [g, g_new])  # out of evaluations

    def set_bracket(self, bracket: list, bracket_f: list, bracket_g: list, gtd_new=None) -> bool:
        """Record the bracket (with the directional derivatives at its two ends, the first
        one's kept by :meth:`bracket_phase`); False: no Wolfe point found yet."""
        self.bracket, self.bracket_f, self.bracket_g = bracket, bracket_f, bracket_g
        self.bracket_gtd = [self.gtd_prev, gtd_new]
        self.low_pos, self.high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
        return False

    def zoom(self, done: bool, tolerance_change: float) -> None:
        """Shrink the bracket around a step meeting the strong Wolfe conditions."""
        insuf_progress = False
        bracket, bracket_f = self.bracket, self.bracket_f
        while not done and self.ls_iter < self.max_ls:
            if abs(bracket[1] - bracket[0]) * self.d_norm < tolerance_change:
                break  # the bracket is too small
            t = cubic_interpolate(
                bracket[0], bracket_f[0], self.bracket_gtd[0],
                bracket[1], bracket_f[1], self.bracket_gtd[1],
            )  # fmt: skip
            t, insuf_progress = away_from_bounds(t, bracket, insuf_progress)
            f_new, g_new, gtd_new = self.evaluate(t)
            self.ls_iter += 1
            if self.armijo_fails(t, f_new) or f_new >= bracket_f[self.low_pos]:
                self.replace(self.high_pos, t, f_new, g_new, gtd_new)  # a new high point
                self.low_pos, self.high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
                continue
            if abs(gtd_new) <= -self.c2 * self.gtd:
                done = True  # the Wolfe conditions hold
            elif gtd_new * (bracket[self.high_pos] - bracket[self.low_pos]) >= 0:
                low = self.low_pos  # the old high becomes the new low
                self.replace(
                    self.high_pos, bracket[low], bracket_f[low], self.bracket_g[low],
                    self.bracket_gtd[low],
                )  # fmt: skip
            self.replace(self.low_pos, t, f_new, g_new, gtd_new)  # a new low point

    def replace(self, pos: int, t, f_new, g_new, gtd_new) -> None:
        self.bracket[pos], self.bracket_f[pos] = t, f_new
        self.bracket_g[pos], self.bracket_gtd[pos] = g_new, gtd_new


def away_from_bounds(t, bracket: list, insuf_progress: bool) -> tuple:
    """PyTorch's progress test: a trial within a tenth of the bracket of one end, a second
    time or outside it, moves to a tenth of the bracket from the nearer end."""
    eps = 0.1 * (max(bracket) - min(bracket))
    if not min(max(bracket) - t, t - min(bracket)) < eps:
        return t, False
    if insuf_progress or t >= max(bracket) or t <= min(bracket):
        if abs(t - max(bracket)) < abs(t - min(bracket)):
            return max(bracket) - eps, False
        return min(bracket) + eps, False
    return t, True
