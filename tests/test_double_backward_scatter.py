"""``xpnet.autograd.grad(..., create_graph=True)`` through ``scatter_reduce``/``index_reduce``
against ``torch.autograd`` in float64 (the formula of :mod:`xpnet._double_backward_scatter`):
first and second derivatives with respect to ``input`` and ``src`` for every reduction, with
and without ``include_self``, ties for ``amax``/``amin`` and zeros for ``prod``."""

from __future__ import annotations

import numpy as np
import pytest
from _second_order import check_second_derivatives, check_third_derivatives
from _second_order import normal as _normal

import xpnet

_INDEX = [[0, 2, 0, 1], [1, 1, 3, 1]]  # dim=1 into (2, 4): several values per target, some none


def _ties(*shape):
    """Small integers as floats: ties between values and with ``input``."""
    return lambda rng: rng.integers(-2, 3, shape).astype(float)


def _with_zeros(*shape, at):
    """Normal values away from 0, exact zeros at ``at``."""

    def make(rng):
        values = rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape)
        for position in at:
            values[position] = 0.0
        return values

    return make


def _reduce(reduce, include_self=True, dim=1, index=_INDEX):
    def f(m, F, c, a, s):
        out = (a * a).scatter_reduce(dim, c(index), s * a.sum(), reduce, include_self=include_self)
        return out * a

    return f


CASES = {}
for _name in ("sum", "mean", "prod", "amax", "amin"):
    for _include in (True, False):
        CASES[f"{_name}_{'self' if _include else 'no_self'}"] = (
            _reduce(_name, _include),
            [_normal(2, 4), _normal(2, 4)],
        )
CASES.update(
    {
        "amax_ties": (_reduce("amax"), [_ties(2, 4), _ties(2, 4)]),
        "amin_ties_no_self": (_reduce("amin", False), [_ties(2, 4), _ties(2, 4)]),
        "prod_single_zero": (
            _reduce("prod"),
            [_normal(2, 4), _with_zeros(2, 4, at=((0, 2), (1, 0)))],
        ),
        "prod_zero_in_input": (
            lambda m, F, c, a, s: a.scatter_reduce(1, c(_INDEX), s * s, "prod") ** 2,
            [_with_zeros(2, 4, at=((0, 0), (1, 1))), _normal(2, 4)],
        ),
        "mean_dim0_no_self": (
            _reduce("mean", False, 0, [[1, 0, 2, 2], [1, 2, 2, 0]]),
            [_normal(3, 4), _normal(2, 4)],
        ),
        "sum_src_larger": (  # src past index's corner gets no gradient (torch refuses it)
            lambda m, F, c, a, s: (
                a.scatter_reduce(
                    1, c([[0, 2], [3, 1]]), s * s if m is xpnet else (s * s)[:, :2], "sum"
                )
                * a
            ),
            [_normal(2, 4), _normal(2, 3)],
        ),
        "index_reduce_prod": (
            lambda m, F, c, a, s: a.index_reduce(0, c([0, 2, 0]), s * a[:3], "prod") * a,
            [_normal(3, 2), _normal(3, 2)],
        ),
    }
)


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")  # torch's warning
@pytest.mark.parametrize("case", sorted(CASES))
def test_scatter_reduce_second_derivatives_match_torch(backend, case):
    check_second_derivatives(backend, *CASES[case])


@pytest.mark.parametrize("case", ["prod_self", "mean_no_self", "amax_ties"])
def test_scatter_reduce_third_derivatives_match_torch(backend, case):
    check_third_derivatives(backend, *CASES[case])


def test_scatter_reduce_prod_two_zeros_refuses_second_derivative(backend):
    """Two zeros of ``src`` into one target: the first derivative exists, the second raises
    PyTorch's error."""
    a = xpnet.Tensor(backend.asarray(np.ones((1, 3))), requires_grad=True)
    src = xpnet.Tensor(backend.asarray(np.array([[0.0, 0.0, 2.0]])), requires_grad=True)
    out = a.scatter_reduce(1, xpnet.tensor([[0, 0, 1]]), src, "prod")
    (grad_src,) = xpnet.autograd.grad(out.sum(), src, create_graph=True)
    assert xpnet.to_numpy(grad_src).tolist() == [[0.0, 0.0, 1.0]]
    with pytest.raises(RuntimeError, match="Double backward is unsupported for src"):
        xpnet.autograd.grad(grad_src.sum(), src)
