"""Section 3: cold starts in fresh processes, and the first requests after them.

Each run is a new interpreter (``cold_child.py``): import, build the handler
(the Lambda init phase), then one browser page load through the REST API stage
URL with a browser's headers (the first requests a sandbox serves), then warm
page loads.  Scenarios alternate from run to run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from common import BENCHMARKS, PLOTLY_PATH, REPO, child_env, median, ratio, table, verdict

COLD_TARGET = 1.5
DOOR = "rest-stage-url"
SCENARIOS = {
    "prefixes": '`prefixes=["/Prod/"]`: app built and primed in init',
    "lazy": "no prefixes: app built in the first request",
    "seed": "seed article pattern (built in the first request)",
}


@dataclass
class ColdResult:
    runs: dict[str, list[dict[str, Any]]]
    page: list[str]
    seconds: float

    def ratios(self, scenario: str, route: str) -> list[float]:
        return [run["first"][route] / median(run["warm"][route]) for run in self.runs[scenario]]

    def first(self, scenario: str, route: str) -> float:
        return median(run["first"][route] for run in self.runs[scenario])

    def warm(self, scenario: str, route: str) -> float:
        return median(median(run["warm"][route]) for run in self.runs[scenario])

    def page_ratio(self, scenario: str) -> tuple[float, float, float]:
        firsts = [sum(run["first"].values()) for run in self.runs[scenario]]
        warms = [sum(median(v) for v in run["warm"].values()) for run in self.runs[scenario]]
        return median(firsts), median(warms), median(f / w for f, w in zip(firsts, warms, strict=True))


def page_events() -> list[tuple[str, dict[str, Any]]]:
    """A browser's first page load through the stage URL: index, its scripts, the Dash API, assets."""
    from apps.sample_app import build_app
    from dash_lambda import make_lambda_handler
    from lambda_events import FakeContext, callback_body, decode, event_for

    handler = make_lambda_handler(build_app, compress=False, static_cache_mb=0)
    index = decode(handler(event_for(DOOR, "/"), FakeContext())).text
    scripts = re.findall(r'<script src="/Prod(/[^"?]+)', index)
    json_headers = {"Content-Type": "application/json"}
    page = [("index", event_for(DOOR, "/"))]
    page += [(path.rsplit("/", 1)[-1], event_for(DOOR, path)) for path in scripts]
    page += [
        ("_dash-layout", event_for(DOOR, "/_dash-layout")),
        ("_dash-dependencies", event_for(DOOR, "/_dash-dependencies")),
        (
            "callback population.figure",
            event_for(
                DOOR,
                "/_dash-update-component",
                method="POST",
                body=callback_body(
                    "population.figure", [{"id": "country", "property": "value", "value": "Canada"}]
                ),
                headers=json_headers,
            ),
        ),
        (
            "callback where.children",
            event_for(
                DOOR,
                "/_dash-update-component",
                method="POST",
                body=callback_body(
                    "where.children", [{"id": "country", "property": "value", "value": "Canada"}]
                ),
                headers=json_headers,
            ),
        ),
        ("logo.png", event_for(DOOR, "/assets/logo.png")),
        ("plotly.min.js", event_for(DOOR, PLOTLY_PATH)),
    ]
    return page


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "cold_child.py")],
        input=json.dumps(spec),
        env=child_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold start child failed ({spec['scenario']}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(*, quick: bool) -> ColdResult:
    started = time.perf_counter()
    page = page_events()
    reps, warm = (1, 3) if quick else (10, 10)
    spec: dict[str, Any] = {"page": page, "warm": warm}
    _child({**spec, "scenario": "prefixes", "warm": 1})  # fills the bytecode cache on a first run
    names = list(SCENARIOS)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for rep in range(reps):
        shift = rep % len(names)
        for scenario in names[shift:] + names[:shift]:
            runs[scenario].append(_child({**spec, "scenario": scenario}))
    return ColdResult(runs, [name for name, _ in page], time.perf_counter() - started)


def report(result: ColdResult) -> str:
    rows = []
    for scenario, label in SCENARIOS.items():
        runs = result.runs[scenario]
        index_ratio = median(result.ratios(scenario, "index"))
        first_page, warm_page, page_ratio = result.page_ratio(scenario)
        rows.append(
            [
                label,
                f"{median(r['import'] for r in runs) * 1e3:.0f} ms",
                f"{median(r['init'] for r in runs) * 1e3:.0f} ms",
                f"{result.first(scenario, 'index') * 1e3:.2f} ms",
                f"{result.warm(scenario, 'index') * 1e3:.2f} ms",
                ratio(index_ratio, bold_over=COLD_TARGET),
                f"{first_page * 1e3:.0f} ms / {warm_page * 1e3:.1f} ms",
                ratio(page_ratio),
            ]
        )
    failures = [
        f"{scenario}: {route} answered {code}"
        for scenario, runs in result.runs.items()
        for run in runs
        for route, code in run["status"].items()
        if code != 200
    ]
    detail = []
    for route in result.page:
        detail.append(
            [route]
            + [
                f"{result.first(s, route) * 1e3:.2f} / {result.warm(s, route) * 1e3:.3f} ms "
                f"({ratio(median(result.ratios(s, route)))})"
                for s in ("prefixes", "lazy")
            ]
        )
    prefixes_ratio = median(result.ratios("prefixes", "index"))
    count = len(result.runs["prefixes"])
    lines = [
        "## 3. Cold start",
        "",
        f"{count} fresh processes per scenario, alternating; medians. Each process: import the app module "
        "(dash, flask, dash_lambda), create the handler (Lambda init), then a browser's page load through "
        "the REST API stage URL (`Accept-Encoding: gzip, deflate, br`), then warm page loads. "
        "The ratio is taken per process (first ÷ that process's warm median), then the median across "
        "processes.",
        "",
        table(
            [
                "scenario",
                "import",
                "init",
                "first index",
                "warm index",
                "first ÷ warm",
                "page load first / warm",
                "page first ÷ warm",
            ],
            rows,
            "lrrrrrrr",
        ),
        "",
        "*import* is the app module's (the sample app imports dash_lambda for `current_event`, so the "
        "seed's figure includes it too). *page load* is the sum over the page's requests "
        f"({len(result.page)}: index, its scripts, layout, dependencies, two callbacks, the logo, "
        "plotly.min.js); the first one compresses every bundle once.",
        "",
        f"Target: first request after init ≤ {COLD_TARGET}× a warm one, with the app built in init "
        f"(first row): {ratio(prefixes_ratio)}, {verdict(prefixes_ratio <= COLD_TARGET)}.",
        "",
        "<details><summary>every request of the first page load: first / warm (first ÷ warm)</summary>",
        "",
        table(["request", SCENARIOS["prefixes"], SCENARIOS["lazy"]], detail, "lrr"),
        "",
        "</details>",
        "",
    ]
    if failures:
        lines += ["Non-200 answers:", "", *[f"- {f}" for f in sorted(set(failures))], ""]
    return "\n".join(lines)
