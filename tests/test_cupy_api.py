"""Every ``xp.<name>`` the kernels use exists in CuPy 14 and takes the keywords they pass.

This runs against the real ``cupy-cuda13x`` wheel, which imports without a GPU (only device
calls fail), so CPU-only CI catches a kernel that would die on its first GPU run. It walks the
source with :mod:`ast`, so it checks whatever kernels exist. It also checks the strict
backend's tables (``xpnet/backends/strict/_cupy_tables.py``: names, refused keywords),
which were generated from this CuPy.
"""

from __future__ import annotations

import ast
import inspect
import re
import types
from pathlib import Path

import numpy as np
import pytest

cupy = pytest.importorskip("cupy")

from xpnet.backends.strict import _cupy_tables as tables  # noqa: E402

PACKAGE = Path(__file__).resolve().parents[1] / "xpnet"
# cupy.ufunc.__call__(*args, **kwargs) documents these keywords only
UFUNC_KEYWORDS = {"out", "dtype", "casting"}
# numpy.einsum(subscripts, *operands, out=None, dtype=None, order='K', casting='safe',
#              optimize=False)
NUMPY_EINSUM_KEYWORDS = {"out", "dtype", "order", "casting", "optimize"}
# Array methods whose NumPy version takes keywords that CuPy's lacks (checked below)
NUMPY_ONLY_METHOD_KEYWORDS = {
    **dict.fromkeys(["max", "min", "sum", "prod"], {"initial", "where"}),
    **dict.fromkeys(["all", "any", "mean"], {"where"}),
    **dict.fromkeys(["std", "var"], {"where", "mean", "correction"}),
    **dict.fromkeys(["sort", "argsort"], {"order", "stable"}),
    **dict.fromkeys(["partition", "argpartition"], {"kind", "order"}),
    "take": {"mode"},
    "astype": {"device"},
}


def _xp_path(node: ast.AST) -> str | None:
    """``"lib.stride_tricks.as_strided"`` for ``xp.lib.stride_tricks.as_strided`` (also
    ``backend.xp.…`` and ``backend_of(x).xp.…``); ``None`` for chains not through ``xp``."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    parts.reverse()
    if isinstance(node, ast.Name):
        parts.insert(0, node.id)
    if "xp" not in parts[:-1]:
        return None
    return ".".join(parts[parts.index("xp") + 1 :])


def _kernel_trees() -> list[tuple[str, ast.Module]]:
    """Every module of the package but the backends (which are backend-specific by design)."""
    files = sorted(path for path in PACKAGE.rglob("*.py") if "backends" not in path.parts)
    return [
        (str(file.relative_to(PACKAGE.parent)), ast.parse(file.read_text(), filename=str(file)))
        for file in files
    ]


def _xp_uses() -> dict[str, tuple[set[str], str]]:
    """``{path: (keywords passed in calls, first place used)}`` over the package."""
    uses: dict[str, tuple[set[str], str]] = {}
    for where, tree in _kernel_trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and (path := _xp_path(node)):
                uses.setdefault(path, (set(), f"{where}:{node.lineno}"))
        for node in ast.walk(tree):  # a second pass: every chain now has its entry
            if isinstance(node, ast.Call) and (path := _xp_path(node.func)):
                uses[path][0].update(keyword.arg for keyword in node.keywords if keyword.arg)
    return uses


def _method_calls() -> list[tuple[str, set[str], str]]:
    """``(method, keywords, place)`` for each call ``<not xp>.<method>(...)`` in the kernels."""
    calls = []
    for where, tree in _kernel_trees():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and _xp_path(node.func) is None
            ):
                keywords = {keyword.arg for keyword in node.keywords if keyword.arg}
                calls.append((node.func.attr, keywords, f"{where}:{node.lineno}"))
    return calls


def _resolve(module, path: str):
    value = module
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _doc_parameters(function) -> set[str] | None:
    """Parameter names from a Cython docstring's first line, ``f(self, a, axis=None)``."""
    match = re.match(r"[\w.]+\((.*?)\)", (function.__doc__ or "").lstrip())
    if match is None:
        return None
    names = [item.split("=")[0].split()[-1] for item in match.group(1).split(",") if item.strip()]
    if any(name.startswith("**") for name in names):
        return None
    return {name.lstrip("*") for name in names} - {"self", ""}


def _popped_keywords(function) -> set[str]:
    """Keywords a ``**kwargs`` function pops (it raises on the rest, as cupy.einsum does)."""
    code = "\n".join(line.split("#")[0] for line in inspect.getsource(function).splitlines())
    return set(re.findall(r"kwargs\.pop\(['\"](\w+)['\"]", code))


def accepted_keywords(function) -> set[str] | None:
    """The keywords ``function`` accepts; ``None`` when any goes (``**kwargs``) or unknown."""
    if isinstance(function, cupy.ufunc):
        return UFUNC_KEYWORDS
    if function is cupy.einsum:
        return _popped_keywords(function)
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return _doc_parameters(function)
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind not in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL)}


def test_kernels_use_only_names_cupy_has():
    uses = _xp_uses()
    missing = []
    for path, (_keywords, where) in sorted(uses.items()):
        try:
            _resolve(cupy, path)
        except AttributeError:
            missing.append(f"xp.{path} ({where})")
    assert not missing, f"CuPy 14 lacks: {', '.join(missing)}"


def test_kernels_pass_only_keywords_cupy_accepts():
    refused = []
    for path, (keywords, where) in sorted(_xp_uses().items()):
        try:
            function = _resolve(cupy, path)
        except AttributeError:
            continue  # reported by test_kernels_use_only_names_cupy_has
        accepted = accepted_keywords(function) if keywords else None
        if accepted is not None and not keywords <= accepted:
            refused.append(f"xp.{path}({', '.join(sorted(keywords - accepted))}=) ({where})")
    assert not refused, f"CuPy 14 does not accept: {'; '.join(refused)}"


def test_kernels_call_only_array_methods_cupy_has():
    """Receivers are untyped, so this looks for method names that NumPy arrays have and CuPy's
    lack, and for the keywords that NumPy's array methods take and CuPy's do not."""
    numpy_only = _public(np.ndarray) - _public(cupy.ndarray)
    ours = {
        node.name
        for _, tree in _kernel_trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
    }
    problems = []
    for method, keywords, where in _method_calls():
        bad = keywords & NUMPY_ONLY_METHOD_KEYWORDS.get(method, set())
        if method in numpy_only - ours:
            problems.append(f"x.{method}() ({where}): cupy.ndarray has no {method}")
        elif bad and method not in ours:
            problems.append(f"x.{method}({', '.join(sorted(bad))}=) ({where}): not on CuPy")
    assert not problems, "; ".join(problems)


def test_numpy_only_method_keywords_are_missing_in_cupy():
    for method, keywords in NUMPY_ONLY_METHOD_KEYWORDS.items():
        assert not keywords & _doc_parameters(getattr(cupy.ndarray, method)), method
        assert keywords <= tables.REFUSED[method], method


def test_xp_uses_finds_chains_and_keywords():
    tree = ast.parse("backend.xp.lib.stride_tricks.as_strided(x)\nxp.float32\nf(x).xp.ones")
    chains = {_xp_path(node) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert {"lib.stride_tricks.as_strided", "lib", "float32", "ones"} <= chains
    assert None in chains  # `backend.xp` itself names no CuPy attribute
    assert accepted_keywords(cupy.sum) == {"a", "axis", "dtype", "out", "keepdims"}
    assert accepted_keywords(cupy.add.reduce) == {"array", "axis", "dtype", "out", "keepdims"}
    assert accepted_keywords(cupy.pad) is None  # **kwargs
    assert _doc_parameters(cupy.ndarray.max) == {"axis", "out", "keepdims"}  # no initial, where


# --- the strict backend's tables agree with this CuPy ----------------------------------------


def _public(module) -> set[str]:
    return {name for name in dir(module) if not name.startswith("_")}


@pytest.mark.parametrize("prefix", ["", "linalg", "fft", "lib.stride_tricks"])
def test_strict_offers_exactly_the_names_cupy_shares_with_numpy(prefix):
    cupy_module = _resolve(cupy, prefix) if prefix else cupy
    numpy_module = _resolve(np, prefix) if prefix else np
    shared = {
        name
        for name in _public(cupy_module) & _public(numpy_module)
        if not isinstance(getattr(cupy_module, name), types.ModuleType)
    }
    offered = tables.CUPY_SUBMODULE_NAMES[prefix] if prefix else tables.CUPY_NAMES
    # strict takes its functions from NumPy: a name this NumPy dropped (row_stack in 2.5) is
    # not offered, whatever the table says
    offered = offered & _public(numpy_module)
    # on a mismatch, regenerate the table from dir(cupy) & dir(numpy) (see the module docstring)
    assert offered - shared == set(), "strict offers names CuPy lacks"
    assert shared - offered == set(), "strict misses names CuPy has"


def _keywords(function) -> set[str] | None:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind is not p.VAR_POSITIONAL}


def test_strict_refuses_every_keyword_cupy_lacks():
    """Where both signatures are inspectable, NumPy's extra keywords are in strict's table."""
    missing = []
    for prefix, names in [
        ("", tables.CUPY_NAMES),
        *tables.CUPY_SUBMODULE_NAMES.items(),
    ]:
        for name in sorted(names):
            path = f"{prefix}.{name}" if prefix else name
            if not hasattr(_resolve(np, prefix) if prefix else np, name):
                continue  # dropped by this NumPy (row_stack in 2.5): strict cannot offer it
            ours, theirs = _resolve(np, path), _resolve(cupy, path)
            if isinstance(ours, (type, np.ufunc)) or not callable(ours):
                continue
            numpy_keywords, cupy_keywords = _keywords(ours), _keywords(theirs)
            if numpy_keywords is None or cupy_keywords is None:
                continue
            extra = numpy_keywords - cupy_keywords - tables.REFUSED.get(path, set())
            if extra:
                missing.append(f"{path}: {sorted(extra)}")
    assert not missing, f"strict accepts keywords CuPy lacks: {missing}"


def test_strict_methods_and_generator_exist_in_cupy():
    assert tables.METHODS <= _public(cupy.ndarray)
    assert tables.GENERATOR_METHODS == {
        name
        for name in _public(cupy.random.Generator)
        if callable(getattr(cupy.random.Generator, name))
    }
    assert set(tables.UFUNC_KEYWORDS) == UFUNC_KEYWORDS
    cupy_einsum = accepted_keywords(cupy.einsum)
    assert "optimize" in cupy_einsum and "out" not in cupy_einsum
    assert tables.REFUSED["einsum"] == NUMPY_EINSUM_KEYWORDS - cupy_einsum


@pytest.mark.parametrize("method", ["reduce", "accumulate", "reduceat", "at"])
def test_strict_ufunc_methods_match_cupy(method):
    """CuPy raises NotImplementedError before touching the device, so this runs without one."""
    implemented = set()
    args = (None, None) if method in ("at", "reduceat") else (None,)
    for ufunc in (getattr(cupy, name) for name in dir(cupy)):
        if isinstance(ufunc, cupy.ufunc):
            try:
                getattr(ufunc, method)(*args)
            except NotImplementedError:
                continue
            except (AttributeError, TypeError, ValueError):  # past the check, choked on None
                implemented.add(ufunc.__name__.removeprefix("cupy_"))
    assert implemented == set(tables.UFUNC_METHODS[method])
