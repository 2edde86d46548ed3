"""Project hygiene: the README's commands are the ones CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
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
