"""Helpers shared by the benchmark sections: paths, statistics, Markdown, child processes."""

from __future__ import annotations

import math
import os
import re
import statistics
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
TESTS = REPO / "tests"

#: Where child processes keep their bytecode.  This machine sets
#: PYTHONDONTWRITEBYTECODE=1, so without a cache every child would compile
#: dash_lambda from source, which a deployed function (pip compiles .pyc at
#: install time) never does.
PYCACHE = Path(tempfile.gettempdir()) / "dash-lambda-bench-pycache"

PLOTLY_PATH = "/_dash-component-suites/plotly/package_data/plotly.min.js"
#: Lambda's synchronous response limit, as its error message states it.
LAMBDA_LIMIT = 6_291_556


def use_test_helpers() -> None:
    """Make ``tests/`` importable (``lambda_events``, ``apps.sample_app``)."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))


def clear_adapter_env() -> None:
    """Options are passed explicitly; a developer's DASH_LAMBDA_* must not override them."""
    for name in list(os.environ):
        if name.startswith("DASH_LAMBDA_"):
            del os.environ[name]


def child_env(*, bytecode: bool = True, pycache: Path = PYCACHE) -> dict[str, str]:
    """The environment of a measured child process.

    ``bytecode=True``: compiled modules are read from (and written to) ``pycache``,
    as from the ``__pycache__`` folders of a deployment package.
    ``bytecode=False``: nothing is read or written, so every module compiles.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASH_LAMBDA_")}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(TESTS), str(BENCHMARKS), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return env


_END_ID = re.compile(rb'"end_id":"[^"]*"')


def comparable(body: bytes) -> bytes:
    """A response body with Dash's per-request random ``end_id`` (in the index page) blanked."""
    return _END_ID.sub(b'"end_id":""', body)


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def geomean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def ratio(value: float, *, bold_over: float | None = None) -> str:
    text = f"{value:.2f}×" if value >= 0.095 else f"{value:.3f}×"
    return f"**{text}**" if bold_over is not None and value > bold_over else text


def us(ns: float) -> str:
    """A duration in nanoseconds, shown in µs or ms."""
    if ns >= 10_000_000:
        return f"{ns / 1e6:.1f} ms"
    if ns >= 1_000_000:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 100_000:
        return f"{ns / 1e3:.0f} µs"
    return f"{ns / 1e3:.1f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def nbytes(count: int) -> str:
    if count >= 1_000_000:
        return f"{count:,} B ({count / 1e6:.2f} MB)"
    return f"{count:,} B"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str = "") -> str:
    """A Markdown table; ``align`` has one ``l``/``r`` per column (default: first left, rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
