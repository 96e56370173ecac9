"""dash-lambda benchmarks: one interleaved run, one Markdown report.

    .venv/bin/python benchmarks/run.py            # full run (a few minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # smoke run (under 30 s)

The report is printed and written to benchmarks/results.md (results-quick.md
for --quick; --out to choose).  See benchmarks/README.md for what each
figure means.  This is a measurement, not a test: targets are reported as
met or missed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import adapter
import cold_start
import compare
import imports
import sizes
from common import (
    BENCHMARKS,
    PLOTLY_PATH,
    REPO,
    clear_adapter_env,
    median,
    ratio,
    table,
    use_test_helpers,
    verdict,
)

SECTIONS = ("adapter", "imports", "cold", "sizes", "compare")


def _git() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (src/ has uncommitted changes)" if dirty else "")


def _versions() -> str:
    names = ["dash", "flask", "werkzeug", "apig-wsgi", "brotli", "plotly"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (absent)")
    return ", ".join(found)


def _summary(
    adapter_result: adapter.AdapterResult | None,
    import_result: imports.ImportResult | None,
    cold_result: cold_start.ColdResult | None,
    size_result: sizes.SizeResult | None,
) -> str:
    rows: list[list[str]] = []
    present = {c.key for c in adapter_result.contenders} if adapter_result is not None else set()
    if adapter_result is not None:
        for key, name in [
            ("a", "(a) compress off, cache off"),
            ("b", "(b) defaults, no Accept-Encoding"),
            ("c", "(c) defaults, gzip"),
        ]:
            for door in adapter.DOORS:
                if key not in present:
                    continue
                geo, worst, route = adapter_result.summary(door, key)
                rows.append(
                    [
                        f"adapter {name}, {door}",
                        f"geomean {ratio(geo)}, max {ratio(worst)} ({route})",
                        "geomean ≤ 1.03×, max ≤ 1.10×",
                        verdict(
                            geo <= adapter.ADAPTER_TARGET_GEOMEAN and worst <= adapter.ADAPTER_TARGET_MAX
                        ),
                    ]
                )
        for door in adapter.DOORS:
            geo, worst, route = adapter_result.summary(door, "seed")
            rows.append(
                [
                    f"(reference) seed pattern, {door}",
                    f"geomean {ratio(geo)}, max {ratio(worst)} ({route})",
                    "",
                    "",
                ]
            )
    if import_result is not None:
        rows.append(
            [
                "`import dash_lambda` on top of `import dash`",
                f"{import_result.delta:.2f} ms",
                f"≤ {imports.IMPORT_TARGET_MS:.0f} ms",
                verdict(import_result.delta <= imports.IMPORT_TARGET_MS),
            ]
        )
    if cold_result is not None:
        value = median(cold_result.ratios("prefixes", "index"))
        rows.append(
            [
                'first request after init ÷ warm (index, `prefixes=["/Prod/"]`)',
                ratio(value),
                f"≤ {cold_start.COLD_TARGET}×",
                verdict(value <= cold_start.COLD_TARGET),
            ]
        )
    if size_result is not None:
        gz = size_result.get("http-api-default", "plotly.min.js", "gzip")
        rows.append(
            [
                "plotly.min.js on the wire with gzip",
                f"{gz.wire:,} B",
                f"≤ {sizes.PLOTLY_GZIP_TARGET:,} B",
                verdict(gz.status == 200 and gz.wire <= sizes.PLOTLY_GZIP_TARGET),
            ]
        )
    values = _plotly_warm(adapter_result) if adapter_result is not None else {}
    if values:  # not with --routes dynamic
        rows.append(
            [
                "warm gzip plotly.min.js ÷ uncompressed direct call",
                ", ".join(f"{ratio(v)}" for v in values.values()),
                "≤ 1.10×",
                verdict(all(v <= 1.10 for v in values.values())),
            ]
        )
    return table(["what", "measured", "target", "status"], rows, "llll")


def _plotly_warm(result: adapter.AdapterResult) -> dict[str, float]:
    return {case.door: result.ratio(case, "c") for case in result.cases if case.route.path == PLOTLY_PATH}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="few repetitions: a smoke run, not numbers to quote"
    )
    parser.add_argument("--out", type=Path, help="where to write the report (default benchmarks/results.md)")
    parser.add_argument(
        "--only", choices=SECTIONS, action="append", help="run only this section (repeatable)"
    )
    parser.add_argument(
        "--routes",
        choices=("all", "dynamic"),
        default="all",
        help="adapter section: every route, or only the ones Dash computes (index, layout, "
        "dependencies, callback), a few minutes with --base",
    )
    parser.add_argument(
        "--base",
        type=Path,
        help="the src/ folder of another checkout to compare with (section 5, e.g. a worktree of main)",
    )
    args = parser.parse_args(argv)
    sections = set(args.only or SECTIONS)
    if args.base is None:
        sections.discard("compare")
    out = args.out or BENCHMARKS / ("results-quick.md" if args.quick else "results.md")

    clear_adapter_env()
    use_test_helpers()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    parts: list[str] = []
    adapter_result = import_result = cold_result = size_result = None
    timings = []
    if "adapter" in sections:
        adapter_result = adapter.run(
            quick=args.quick,
            dynamic_only=args.routes == "dynamic",
            base=compare.load_base(args.base) if args.base else None,
        )
        parts.append(adapter.report(adapter_result))
        timings.append(f"adapter {adapter_result.seconds:.0f} s")
    if "imports" in sections:
        import_result = imports.run(quick=args.quick)
        parts.append(imports.report(import_result))
        timings.append(f"imports {import_result.seconds:.0f} s")
    if "cold" in sections:
        cold_result = cold_start.run(quick=args.quick)
        parts.append(cold_start.report(cold_result))
        timings.append(f"cold start {cold_result.seconds:.0f} s")
    if "sizes" in sections:
        size_result = sizes.run(quick=args.quick)
        parts.append(sizes.report(size_result, _plotly_warm(adapter_result) if adapter_result else None))
        timings.append(f"sizes {size_result.seconds:.0f} s")
    if "compare" in sections:
        compare_result = compare.run(quick=args.quick, base_src=args.base)
        parts.append(compare.report(compare_result))
        timings.append(f"compare {compare_result.seconds:.0f} s")
    elapsed = time.perf_counter() - started

    header = [
        "# dash-lambda benchmark results",
        "",
        f"- mode: {'**quick** (smoke run: too few repetitions to quote)' if args.quick else 'full'}; "
        f"sections run: {', '.join(s for s in SECTIONS if s in sections)}",
        f"- date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}; commit {_git()}",
        f"- Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; {_versions()}",
        f"- total {elapsed:.0f} s ({'; '.join(timings)}); 1-minute load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after (the run itself keeps one core busy; more means other work shared "
        "the machine)",
        "- command: `.venv/bin/python benchmarks/run.py"
        + (" --quick" if args.quick else "")
        + "".join(f" --only {s}" for s in SECTIONS if args.only and s in sections)
        + (" --routes dynamic" if args.routes == "dynamic" else "")
        + (f" --base {args.base}" if args.base else "")
        + "`",
        "",
        "## Targets",
        "",
        _summary(adapter_result, import_result, cold_result, size_result),
        "",
    ]
    text = "\n".join(header + parts).rstrip() + "\n"
    print(text)
    out.write_text(text)
    print(f"(written to {out.relative_to(REPO) if out.is_relative_to(REPO) else out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
