"""The strict backend's ``xp`` namespace, its ufuncs, ``ufunc.at`` and its random generator.

:class:`Namespace` is a module-like view of NumPy offering only the names CuPy 14 has,
:class:`Ufunc` a ufunc with only the keywords and methods CuPy's have, :func:`scatter` the
unbuffered ``ufunc.at`` limited to the dtypes CuPy's atomics take, :class:`Generator` NumPy's
generator cut to ``cupy.random.Generator``'s methods. The tables are in :mod:`._cupy_tables`;
arrays and the function wrapper in :mod:`._array`; the package's ``__init__`` builds ``xp``.
Each ufunc call, ``ufunc.at`` and random draw is one launch for :func:`xpnet.profile`
(:mod:`._counting`).
"""

from __future__ import annotations

import functools

import numpy

from ._array import check_keywords, operand, strict_function, unwrap, wrap
from ._counting import count_launch
from ._cupy_tables import (
    GENERATOR_METHODS,
    NOT_EMULATED,
    SCATTER_DTYPES,
    UFUNC_KEYWORDS,
    UFUNC_METHODS,
)

__all__ = ["Generator", "Namespace", "Ufunc", "scatter"]


class Ufunc:
    """A NumPy ufunc with ``cupy.ufunc``'s keywords; its methods refuse ``initial``/``where``."""

    def __init__(self, path, ufunc):
        self._path, self._ufunc, self.__name__ = path, ufunc, ufunc.__name__

    def __call__(self, *args, **kwargs):
        where = f"xp.{self._path}()"
        check_keywords(where, kwargs, set(kwargs) - UFUNC_KEYWORDS)
        args = [operand(arg, where) for arg in args]
        kwargs = {key: unwrap(value, where) for key, value in kwargs.items()}
        result = self._ufunc(*args, **kwargs)
        count_launch()  # one kernel, also with out= and for several outputs (divmod)
        return wrap(result)

    def __getattr__(self, attr):
        if attr in ("nin", "nout", "nargs", "types"):
            return getattr(self._ufunc, attr)
        if attr not in UFUNC_METHODS:
            msg = f"strict: cupy.ufunc has no attribute {attr!r}"
            raise AttributeError(msg)
        supported = UFUNC_METHODS[attr]
        if supported is not None and self.__name__ not in supported:
            return functools.partial(_not_implemented, f"xp.{self.__name__}.{attr}", supported)
        if attr == "at":
            return functools.partial(scatter, self.__name__)
        refused = frozenset(["initial", "where"])  # cupy.ufunc.reduce & co. lack them
        return strict_function(f"{self._path}.{attr}", getattr(self._ufunc, attr), refused)

    def __repr__(self):
        return f"<strict ufunc {self.__name__!r}>"


def _not_implemented(where, supported, *args, **kwargs):
    msg = f"strict: CuPy 14 implements {where} only for {', '.join(supported)}"
    raise NotImplementedError(msg)  # as CuPy does


def scatter(ufunc, target, indices, values=None):
    """``xp.<ufunc>.at`` with CuPy's dtype limits (``numpy.<ufunc>.at`` is unbuffered too)."""
    allowed = SCATTER_DTYPES.get(ufunc, (target.dtype.name,))
    if target.dtype.name not in allowed:
        allowed = ", ".join(allowed)
        msg = f"strict: {ufunc}.at on CuPy supports only {allowed} (atomics), got {target.dtype}"
        raise TypeError(msg)
    where = f"xp.{ufunc}.at()"
    getattr(numpy, ufunc).at(unwrap(target, where), unwrap(indices, where), unwrap(values, where))
    count_launch()


class Namespace:
    """A module-like view of NumPy that offers only ``names`` (those CuPy 14 has)."""

    def __init__(self, path, module, names, **overrides):
        self._path, self._module, self._names = path, module, names
        self.__name__ = "xpnet.strict" + (f".{path}" if path else "")
        self.__dict__.update(overrides)

    def __getattr__(self, attr):
        path = f"{self._path}.{attr}" if self._path else attr
        if attr.startswith("__") or attr not in self._names:
            reason = NOT_EMULATED.get(path, "CuPy 14 has no such name")
            msg = f"strict: xp.{path} is refused: {reason}"
            raise AttributeError(msg)
        value = getattr(self._module, attr)
        if isinstance(value, numpy.ufunc):
            value = Ufunc(path, value)
        elif callable(value) and not isinstance(value, type):
            value = strict_function(path, value)
        setattr(self, attr, value)  # cache: later lookups skip __getattr__
        return value

    def __dir__(self):
        return sorted(self._names | {key for key in self.__dict__ if not key.startswith("_")})

    def __repr__(self):
        return f"<strict namespace {self.__name__}>"


class Generator:
    """``numpy.random.Generator`` limited to ``cupy.random.Generator``'s methods."""

    def __init__(self, seed):
        self._rng = numpy.random.default_rng(seed)

    def __getattr__(self, attr):
        if attr not in GENERATOR_METHODS:
            msg = (
                f"strict: cupy.random.Generator has no {attr!r}; e.g. permutation(n) is "
                "xp.argsort(rng.random(n)) and normal(m, s, size) is m + s * standard_normal(size)"
            )
            raise AttributeError(msg)
        method = getattr(self._rng, attr)

        def call(*args, dtype=None, **kwargs):
            # CuPy's uniform takes dtype=, NumPy's does not: cast afterwards
            if dtype is not None and attr != "uniform":
                kwargs["dtype"] = dtype
            result = method(*args, **kwargs)
            if dtype is not None and attr == "uniform":
                result = result.astype(dtype)
            count_launch()  # one draw, in the dtype asked for
            return wrap(result)

        return call
