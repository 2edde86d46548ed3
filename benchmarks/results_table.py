"""Print the README's results table from the latest curated file in ``benchmarks/results/``.

    .venv/bin/python benchmarks/results_table.py            # the latest <date>-<device>.json
    .venv/bin/python benchmarks/results_table.py FILE.json  # another curated file

A curated file is an ``xpnet bench --json`` report (``environment``, ``settings``,
``unavailable``, ``results``) with an optional ``note``. The table has one row per case of the
forward+backward mode: xpnet's median time on each backend, PyTorch's on the same device, and
their ratio, then the geometric mean of the ratios per op. README.md holds this script's output
between ``<!-- results-table -->`` markers; ``tests/test_docs.py`` checks they agree.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CURATED = re.compile(r"^\d{4}-\d{2}-\d{2}-[a-z0-9]+\.json$")
MODE = "forward+backward"


def latest_curated(folder: Path = RESULTS, device: str = "cpu") -> Path:
    """The curated file of ``device`` with the latest date (names sort by date): the README's
    table is the CPU's; GPU files (``<date>-h200.json``) sit beside them."""
    files = sorted(
        path
        for path in folder.iterdir()
        if CURATED.match(path.name) and path.stem.endswith(f"-{device}")
    )
    if not files:
        msg = f"no curated <date>-{device}.json file in {folder}"
        raise FileNotFoundError(msg)
    return files[-1]


def _rows(results: list[dict]) -> list[str]:
    torch_time = {
        (r["op"], tuple(r["shape"]), r["device"]): r["median_s"]
        for r in results
        if r["mode"] == MODE
        and r["contender"].startswith("torch-")
        and "tf32" not in r["contender"]
    }
    lines, ratios = [], {}
    for r in results:
        if r["mode"] != MODE or not r["contender"].startswith("xpnet-"):
            continue
        reference = torch_time.get((r["op"], tuple(r["shape"]), r["device"]))
        ratio = r["median_s"] / reference if reference else None
        if ratio:
            ratios.setdefault((r["op"], r["contender"]), []).append(ratio)
        shape = ",".join(map(str, r["shape"]))
        lines.append(
            f"| {r['op']} | {shape} | {r['contender']} | {r.get('algorithm') or '-'} "
            f"| {r['median_s'] * 1e3:.1f} | {reference * 1e3:.1f} | **{ratio:.2f}** |"
            if ratio
            else f"| {r['op']} | {shape} | {r['contender']} | {r.get('algorithm') or '-'} "
            f"| {r['median_s'] * 1e3:.1f} | - | - |"
        )
    for (op, contender), values in ratios.items():
        if len(values) > 1:
            mean = math.exp(sum(map(math.log, values)) / len(values))
            lines.append(
                f"| {op} | geometric mean of {len(values)} | {contender} | | | | **{mean:.2f}** |"
            )
    return lines


def _blas(env: dict) -> str:
    """`` on <BLAS> (<kernels>)`` and any variable that chose them, as the run recorded."""
    libraries = [name for name in env.get("blas", []) if not name.startswith("openmp")]
    named = ", ".join([*libraries, *env.get("blas_settings", [])])
    return f" on {named}" if named else ""


def table(path: Path) -> str:
    """The Markdown table (with the sentence that says where it came from) for ``path``."""
    report = json.loads(path.read_text())
    env, settings = report["environment"], report["settings"]
    precision = settings.get("float32_matmul_precision")
    if precision and settings.get("other_precisions"):  # one run at several precisions
        others = ", ".join(f"`{p!r}` in the `-{p}` rows" for p in settings["other_precisions"])
        precision = f"{precision!r}`, {others}"
    elif precision:
        precision = f"{precision!r}`"
    source = (
        f"From `benchmarks/results/{path.name}` ({env['date'][:10]}; {env['cpu_count']}-core "
        f"{env['machine']}, {env['threads']} threads, NumPy {env['numpy']}{_blas(env)}, "
        f"torch {env.get('torch', '-')}, {settings['dtype']}"
        + (f", precision `{precision}" if precision else "")
        + f", median of {settings['repeats']} repeats of {MODE}; "
        f"`{env['command']}`). Ratio = xpnet / PyTorch in the same run; below 1 is faster."
    )
    header = [
        "| op | shape | contender | conv2d formula | xpnet ms | torch ms | xpnet / torch |",
        "|---|---|---|---|---|---|---|",
    ]
    return "\n".join([source, "", *header, *_rows(report["results"])])


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else latest_curated()
    print(table(path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
