"""Section 2: what ``import dash_lambda`` costs on top of ``import dash``, in fresh processes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from common import REPO, child_env, median, table, verdict

IMPORT_TARGET_MS = 5.0

_CHILD = """
import time
t0 = time.perf_counter()
import dash
t1 = time.perf_counter()
{second}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""
_IMPORTTIME_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


@dataclass
class ImportResult:
    runs: int
    delta_ms: list[float]
    delta_no_pyc_ms: list[float]
    wall_dash_ms: list[float]
    wall_both_ms: list[float]
    dash_ms: list[float]
    #: module -> (median self µs, median cumulative µs, depth below dash_lambda)
    modules: dict[str, tuple[float, float, int]]
    seconds: float

    @property
    def delta(self) -> float:
        return median(self.delta_ms)


def _child(second: str, *, bytecode: bool = True, pycache: Path | None = None) -> tuple[float, float, float]:
    """(wall ms, import dash ms, second statement ms) of one fresh interpreter."""
    env = child_env(bytecode=bytecode) if pycache is None else child_env(bytecode=bytecode, pycache=pycache)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.format(second=second)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = (time.perf_counter() - started) * 1e3
    dash_s, second_s = (float(x) for x in done.stdout.split())
    return wall, dash_s * 1e3, second_s * 1e3


def _importtime() -> list[tuple[str, int, int, int]]:
    """(module, self µs, cumulative µs, depth) of what ``import dash_lambda`` imports after dash."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import dash; import dash_lambda"],
        env=child_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    rows: list[tuple[str, int, int, int]] = []
    after_dash = False
    for line in done.stderr.splitlines():
        match = _IMPORTTIME_LINE.match(line)
        if not match:
            continue
        self_us, cumulative, indent, name = match.groups()
        if not after_dash:
            after_dash = name == "dash" and not indent
            continue
        rows.append((name, int(self_us), int(cumulative), len(indent) // 2))
    return rows


def run(*, quick: bool) -> ImportResult:
    started = time.perf_counter()
    pairs, traced, no_pyc = (4, 2, 2) if quick else (40, 8, 6)
    _child("import dash_lambda")  # fills the bytecode cache on a first run
    wall_dash: list[float] = []
    wall_both: list[float] = []
    dash_ms: list[float] = []
    delta: list[float] = []
    for _ in range(pairs):  # alternate, so drift hits both variants
        wall, dash_alone, _unused = _child("pass")
        wall_dash.append(wall)
        dash_ms.append(dash_alone)
        wall, _unused, second = _child("import dash_lambda")
        wall_both.append(wall)
        delta.append(second)
    delta_no_pyc = []
    with tempfile.TemporaryDirectory() as empty:  # no .pyc to read: every module compiles
        for _ in range(no_pyc):
            delta_no_pyc.append(_child("import dash_lambda", bytecode=False, pycache=Path(empty))[2])
    per_module: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for _ in range(traced):
        for name, self_us, cumulative, depth in _importtime():
            per_module[name].append((self_us, cumulative, depth))
    modules = {
        name: (median(v[0] for v in values), median(v[1] for v in values), values[0][2])
        for name, values in per_module.items()
    }
    return ImportResult(
        pairs, delta, delta_no_pyc, wall_dash, wall_both, dash_ms, modules, time.perf_counter() - started
    )


def report(result: ImportResult) -> str:
    top = sorted(result.modules.items(), key=lambda item: item[1][0], reverse=True)[:12]
    total = result.modules.get("dash_lambda", (0.0, 0.0, 0))[1]
    own = sum(v[0] for name, v in result.modules.items() if name.startswith("dash_lambda"))
    rows = [
        [
            "`import dash_lambda` after `import dash`, in-process (bytecode cached, as deployed)",
            f"{result.delta:.2f} ms",
            f"≤ {IMPORT_TARGET_MS:.0f} ms: {verdict(result.delta <= IMPORT_TARGET_MS)}",
        ],
        [
            "same, without any .pyc (every module compiled from source)",
            f"{median(result.delta_no_pyc_ms):.2f} ms",
            "what a package shipped without bytecode pays per cold start",
        ],
        ["`import dash` alone, in-process", f"{median(result.dash_ms):.0f} ms", ""],
        [
            "whole process: `python -c 'import dash'` vs `… ; import dash_lambda`",
            f"{median(result.wall_dash_ms):.0f} ms vs {median(result.wall_both_ms):.0f} ms",
            f"difference of medians {median(result.wall_both_ms) - median(result.wall_dash_ms):+.1f} ms "
            "(noisier than the in-process figure)",
        ],
    ]
    module_rows = [
        [
            f"`{name}`",
            f"{self_us / 1e3:.2f} ms",
            f"{cumulative / 1e3:.2f} ms",
            "dash_lambda" if name.startswith("dash_lambda") else "dependency",
        ]
        for name, (self_us, cumulative, _depth) in top
    ]
    return "\n".join(
        [
            "## 2. Import time",
            "",
            f"Medians of {result.runs} fresh interpreters per variant, run alternately; the bytecode of "
            "every module is cached (`PYTHONPYCACHEPREFIX`), as in a deployment package that pip compiled.",
            "",
            table(["measure", "median", "note"], rows, "lrl"),
            "",
            f"Modules `import dash_lambda` loads that `import dash` had not (`-X importtime`, medians; "
            f"importtime's own overhead inflates these): {total / 1e3:.1f} ms in all, "
            f"{own / 1e3:.1f} ms of it in dash_lambda's own module bodies.",
            "",
            table(["module", "self", "cumulative", "whose"], module_rows, "lrrl"),
            "",
        ]
    )


if __name__ == "__main__":  # pragma: no cover - handy for a quick look
    print(json.dumps(run(quick=True).__dict__, indent=1, default=str))
