"""Instructions per warm request on the dynamic routes, counted by valgrind: a cross-check of section 1.

    .venv/bin/python benchmarks/instructions.py                      # direct, seed, (b): ~15 min
    .venv/bin/python benchmarks/instructions.py --base /tmp/base/src # + the base checkout's (b): ~20 min

Timings on a shared two-core machine move by several µs from run to run,
and with the order of the contenders (see ``DYNAMIC_CONTENDERS`` in
``adapter.py``); the number of instructions a request executes does not.
Each count runs a child (``instructions_child.py``) under ``valgrind
--tool=cachegrind`` twice, with and without the requests, and divides the
difference by their number.  Counts leave out what instructions do not
show (cache misses, branch prediction), so they complement the timings
rather than replace them.  Needs ``valgrind`` on the PATH.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import BENCHMARKS, REPO, table

DOORS = {"rest-stage-url": "payload 1.0", "http-api-default": "payload 2.0"}
ROUTES = {0: "index `/`", 1: "`_dash-layout`", 2: "`_dash-dependencies`", 3: "`_dash-update-component` POST"}


def count(key: str, door: str, route: int, requests: int, base: Path | None, workdir: Path) -> float:
    """Instructions per request of contender ``key`` on one route."""
    totals = []
    for calls in (0, requests):
        out = workdir / f"{key}-{door}-{route}-{calls}.cg"
        command = [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            f"--cachegrind-out-file={out}",
            sys.executable,
            str(BENCHMARKS / "instructions_child.py"),
            key,
            door,
            str(route),
            str(calls),
            str(requests),
            *([str(base)] if base else []),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=REPO)
        totals.append(_instructions(out))
    return (totals[1] - totals[0]) / requests


def _instructions(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise RuntimeError(f"no summary in {path}")


def _cell(value: float, direct: float) -> str:
    return f"{value / direct:.3f}× (+{(value - direct) / 1e3:.0f}k)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--base", type=Path, help="the src/ folder of another checkout: its (b) is counted too"
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per count (default 200)")
    parser.add_argument("--jobs", type=int, default=2, help="valgrind runs at a time (default 2)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 1
    keys = ["direct", "seed", "b", *(["base-b"] if args.base else [])]
    jobs = [(key, door, route) for door in DOORS for route in ROUTES for key in keys]
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        base = args.base.resolve() if args.base else None
        results = dict(
            zip(
                jobs,
                pool.map(lambda job: count(job[0], job[1], job[2], args.requests, base, Path(tmp)), jobs),
                strict=True,
            )
        )
    rows = []
    for door, door_name in DOORS.items():
        for route, route_name in ROUTES.items():
            direct = results["direct", door, route]
            cells = [_cell(results[key, door, route], direct) for key in keys[1:]]
            rows.append([door_name, route_name, f"{direct / 1e3:,.0f}k", *cells])
    names = {"seed": "seed article", "b": "(b) defaults", "base-b": "before (`--base`): (b)"}
    print(
        "\n".join(
            [
                f"Instructions per warm request (valgrind, {args.requests} requests per count, garbage "
                f"collector off), {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M UTC}; each cell: "
                "÷ the direct call's count, and the excess over it.",
                "",
                table(
                    ["door", "route", "direct", *[names[k] for k in keys[1:]]], rows, "ll" + "r" * len(keys)
                ),
            ]
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
