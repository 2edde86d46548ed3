"""Project hygiene: the README's commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_command(label: str) -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {label} -->\s*```(?:sh|bash)\n(.+?)\n```", readme, re.S)
    assert match, f"README.md has no command marked <!-- {label} -->"
    return match.group(1).strip()


def test_ci_runs_exactly_the_readme_test_command():
    ci_lines = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci_lines == [_readme_command("test-command")]


def test_readme_main_command_installs_and_trains():
    command = _readme_command("main-command")
    assert "pip install" in command and "xpnet train" in command and "xpnet bench" in command
