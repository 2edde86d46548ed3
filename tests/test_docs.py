"""The README and the documentation say what is true: every ``python`` block runs as pasted,
commands call the virtual environment's programs by path, relative links resolve, and the
results tables are the output of ``benchmarks/results_table.py``.

A block that must not run (GPU-only, an excerpt of a file) is preceded, on the line before its
opening fence, by ``<!-- no-run: <reason> -->``; the reason is required.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        ROOT / "benchmarks" / "README.md",
        *(ROOT / "docs").glob("**/*.md"),
    ],
    key=lambda path: str(path),
)
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
NO_RUN = re.compile(r"<!--\s*no-run:(.*?)-->\s*$")
TABLE = re.compile(r"<!-- results-table -->\n(.*?)\n<!-- /results-table -->", re.S)
BLOCK_TIMEOUT_S = 120


def _blocks(path: Path, language: str):
    """``(line, code, no_run_reason)`` for every fenced block of ``language`` in ``path``."""
    text = path.read_text()
    for match in FENCE.finditer(text):
        if match.group(1) != language:
            continue
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = NO_RUN.search(before)
        line = text.count("\n", 0, match.start()) + 1
        yield line, match.group(2), skip.group(1).strip() if skip else None


PYTHON_BLOCKS = [
    pytest.param(code, reason, id=f"{path.relative_to(ROOT)}:{line}")
    for path in PAGES
    for line, code, reason in _blocks(path, "python")
]


@pytest.mark.parametrize("code, no_run_reason", PYTHON_BLOCKS)
def test_python_block_runs_as_pasted(code, no_run_reason, tmp_path):
    if no_run_reason is not None:
        assert no_run_reason, "a <!-- no-run: --> comment must say why the block cannot run"
        pytest.skip(f"no-run: {no_run_reason}")
    # a fresh interpreter in an empty folder, as a reader pasting the block would have;
    # XPNET_BACKEND passes through, so the strict CI run checks the examples on strict too
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "error"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT_S,
    )
    assert result.returncode == 0, f"the block failed:\n{code}\n--- stderr ---\n{result.stderr}"


def test_block_finder_sees_no_run_comments(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n```python\nprint(1)\n```\n\n<!-- no-run: needs a GPU -->\n```python\n"
        "import cupy\n```\n\n```sh\nls\n```\n"
    )
    found = [(code, reason) for _, code, reason in _blocks(page, "python")]
    assert found == [("print(1)\n", None), ("import cupy\n", "needs a GPU")]


def test_no_run_is_used_sparingly():
    skipped = [param for param in PYTHON_BLOCKS if param.values[1] is not None]
    assert len(skipped) <= max(3, len(PYTHON_BLOCKS) // 5), [p.id for p in skipped]


# --- commands -----------------------------------------------------------------------------

BARE_TOOLS = {"xpnet", "python", "python3", "pip", "pip3", "pytest", "mkdocs", "ruff"}


def _programs(command: str):
    """The program each part of a shell command line runs (after any ``NAME=value``)."""
    for part in re.split(r"&&|\|\||;|\|", command):
        words = [word for word in part.split() if not re.fullmatch(r"\w+=\S*", word)]
        if words and words[:3] != ["python3", "-m", "venv"]:  # creating the venv itself
            yield words[0]


def _command_lines(path: Path):
    """Each logical line of the ``sh``/``bash`` blocks of ``path`` (continuations joined)."""
    for language in ("sh", "bash"):
        for _, code, _ in _blocks(path, language):
            for line in code.replace("\\\n", " ").splitlines():
                command = line.split(" #", 1)[0].strip()
                if command and not command.startswith("#"):
                    yield command


def test_commands_use_the_venv_by_path():
    # `python3 -m venv .venv` creates the environment; everything else calls .venv/bin/...
    bare = [
        f"{path.relative_to(ROOT)}: {command}"
        for path in PAGES
        for command in _command_lines(path)
        if BARE_TOOLS.intersection(_programs(command))
    ]
    assert not bare, "call .venv/bin/<tool>, not a bare tool, in:\n" + "\n".join(bare)


def test_venv_check_can_fail(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```sh\nxpnet train\n.venv/bin/xpnet bench\npython -m pytest\n```\n")
    bare = [c for c in _command_lines(page) if BARE_TOOLS.intersection(_programs(c))]
    assert bare == ["xpnet train", "python -m pytest"]


# --- links and generated tables --------------------------------------------------------------

LINK = re.compile(r"\[[^\]]*\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_readme_and_contributing_links_resolve():
    broken = [
        f"{path.name}: {target}"
        for path in (ROOT / "README.md", ROOT / "CONTRIBUTING.md")
        for target in LINK.findall(path.read_text())
        if "://" not in target and not (path.parent / target).exists()
    ]
    assert not broken, broken


@pytest.mark.parametrize("page", ["README.md", "docs/performance.md"])
def test_results_table_is_generated_from_the_latest_curated_file(page):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import results_table
    finally:
        sys.path.pop(0)
    match = TABLE.search((ROOT / page).read_text())
    assert match, f"{page} has no <!-- results-table --> block"
    expected = results_table.table(results_table.latest_curated())
    assert match.group(1).strip() == expected.strip(), (
        f"{page}'s results table is stale: paste the output of benchmarks/results_table.py"
    )


def test_results_folder_holds_one_curated_pair_per_date_and_device():
    folder = ROOT / "benchmarks" / "results"
    names = sorted(path.name for path in folder.iterdir())
    stems = {name.rsplit(".", 1)[0] for name in names}
    assert names == sorted(f"{stem}.{ext}" for stem in stems for ext in ("json", "png")), names
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}-[a-z0-9]+", stem) for stem in stems), stems


def test_bench_charts_are_titled_with_labelled_axes_and_units(tmp_path, monkeypatch):
    # the curated PNGs are `xpnet bench --plot` charts of the curated JSON files
    import json

    import matplotlib.figure

    from xpnet.bench.report import plot

    seen = []
    save = matplotlib.figure.Figure.savefig

    def record(figure, *args, **kwargs):
        seen.append(figure.get_suptitle())
        seen.extend(f"{a.get_title()}|{a.get_xlabel()}|{a.get_ylabel()}" for a in figure.axes)
        return save(figure, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", record)
    curated = sorted((ROOT / "benchmarks" / "results").glob("*.json"))[-1]
    rows = json.loads(curated.read_text())["results"]
    plot(rows, str(tmp_path / "default.png"))
    plot(rows, str(tmp_path / "titled.png"), title="conv2d on the CPU")
    axis = "median time per call (ms, log scale)"
    panels = [f"{mode}|{axis}|" for mode in ("forward", "backward", "forward+backward")]
    panels[0] += "case (op and shape)"
    assert seen[0] == "xpnet bench: median time per call by case and contender (shorter is faster)"
    assert seen[1:4] == panels
    assert seen[4] == "conv2d on the CPU"
    assert (tmp_path / "titled.png").read_bytes()[:4] == b"\x89PNG"
