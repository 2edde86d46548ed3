"""Project hygiene: the README's commands are the ones CI runs."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_command(label: str, page: str = "README.md") -> str:
    text = (ROOT / page).read_text()
    match = re.search(rf"<!-- {label} -->\s*```(?:sh|bash)\n(.+?)\n```", text, re.S)
    assert match, f"{page} has no command marked <!-- {label} -->"
    return match.group(1).strip()


def test_ci_runs_exactly_the_readme_test_command_then_the_docs_build():
    ci_lines = [
        line.removesuffix(" || exit 1")  # set -e does not stop inside an && list: CI exits
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci_lines == [
        _readme_command("test-command"),
        _readme_command("docs-command", "CONTRIBUTING.md"),
    ]


def test_readme_main_command_installs_and_trains():
    command = _readme_command("main-command")
    assert "pip install" in command and "xpnet train" in command and "xpnet bench" in command


def test_functional_is_a_deprecated_alias_of_kernels():
    # in a fresh interpreter: the warning fires on the first import only
    code = (
        "import warnings, xpnet, xpnet.kernels.conv\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    import xpnet.functional as F\n"
        "    import xpnet.functional.conv as conv\n"
        "    assert xpnet.functional is F\n"
        "assert F is xpnet.kernels and conv is xpnet.kernels.conv, (F, conv)\n"
        "assert [w.category for w in caught] == [DeprecationWarning], caught\n"
        "assert 'xpnet.kernels' in str(caught[0].message)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- code layout: one home per idea, files a newcomer can read -------------------------------

PACKAGE = ROOT / "xpnet"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def _private_names_imported(path):
    """Underscore names that ``path`` imports from another xpnet module (not whole private
    modules, which are fine: ``from . import _windows`` or ``from ._windows import x``)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = path.parent
            for _ in range(node.level - 1):
                base = base.parent
        elif node.module and node.module.split(".")[0] == "xpnet":
            base = ROOT
        else:
            continue  # another library
        base = base.joinpath(*node.module.split(".")) if node.module else base
        for alias in node.names:
            name = alias.name
            if name.startswith("_") and not name.startswith("__"):
                if not ((base / f"{name}.py").exists() or (base / name).is_dir()):
                    yield name


def test_no_module_imports_another_modules_private_name():
    crossings = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _modules()
        for name in _private_names_imported(path)
    ]
    assert not crossings, "give shared helpers public names in a private module:\n" + "\n".join(
        crossings
    )


def test_private_import_check_can_fail(tmp_path):
    module = tmp_path / "user.py"
    module.write_text(
        "from xpnet.kernels.conv import _hidden\nfrom xpnet.kernels import _windows\n"
    )
    assert list(_private_names_imported(module)) == ["_hidden"]


def test_every_module_starts_with_a_docstring():
    missing = [
        str(path.relative_to(ROOT))
        for path in _modules()
        if not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert not missing, f"modules without a docstring saying what they hold: {missing}"


def _function_code_lines(function):
    """Lines of a function's body after its docstring."""
    body = function.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(body) > 1:
        first = body[1]
    return function.end_lineno - first.lineno + 1


def test_modules_and_functions_fit_on_a_screen():
    too_long = []
    for path in _modules():
        text = path.read_text()
        name = path.relative_to(ROOT)
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = _function_code_lines(node)
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}: {node.name}() has {lines} lines of code")
    assert not too_long, "split these or say why at the module's top:\n" + "\n".join(too_long)


LAYOUT_FILE = ROOT / "CONTRIBUTING.md"


def _layout_rows():
    """``(directory, [module paths])`` per row of CONTRIBUTING.md's "Code layout" table: the
    row's first cell names its directories or files, the second lists modules relative to them."""
    text = LAYOUT_FILE.read_text()
    assert "## Code layout" in text, f"{LAYOUT_FILE.name} has no '## Code layout' section"
    section = text.split("## Code layout", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        heads = re.findall(r"`([^`]+)`", cells[0])
        named = re.findall(r"`([\w/]+\.py)`", cells[1])
        directories = [head for head in heads if head.endswith("/")]
        base = directories[0] if len(directories) == 1 else ""
        files = [head for head in heads if head.endswith(".py")]
        yield heads, files + [base + name for name in named]


def test_code_layout_table_matches_the_tree():
    listed = {path for _, paths in _layout_rows() for path in paths}
    missing = sorted(path for path in listed if not (ROOT / path).exists())
    assert not missing, f"CONTRIBUTING.md's code layout names files that do not exist: {missing}"
    unlisted = sorted(
        str(path.relative_to(ROOT))
        for path in _modules()
        if str(path.relative_to(ROOT)) not in listed
    )
    assert not unlisted, f"CONTRIBUTING.md's code layout leaves out: {unlisted}"
