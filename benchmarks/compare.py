"""Section 5: this checkout against another one (``--base``), in one process, same rounds.

The base checkout's ``src/dash_lambda`` is loaded under another module name
(``dash_lambda_base``), so both handlers serve the same events in the same
rounds, in a fresh random order each round, and machine noise hits both
alike.  Every request is warm: the interesting figures are what a static
file costs once the sandbox has seen it, and whether the dynamic routes pay
anything for it.

Requests come as a browser sends them (``Accept-Encoding: gzip, deflate,
br``); *cookie* adds ``Cookie: theme=dark`` (any cookie makes a request
credentialed for the cache), *revalidate* an ``If-None-Match`` with the
ETag the browser got, as a reload sends it.  Flask marks ``assets/`` files
``no-cache``, so a shared cache asks the app for each; the *assets max-age*
column is the new handler on an app that sets Flask's
``SEND_FILE_MAX_AGE_DEFAULT`` (the README's advice).
"""

from __future__ import annotations

import gc
import importlib.util
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import PLOTLY_PATH, median, ratio, table, us

DOOR = "rest-stage-url"
BASE_MODULE = "dash_lambda_base"


@dataclass
class Row:
    name: str
    events: dict[str, Any]
    heavy: bool = False
    dynamic: bool = False
    asset: bool = False
    samples: dict[str, list[int]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)


@dataclass
class CompareResult:
    base: str
    rows: list[Row]
    rounds: tuple[int, int]
    seconds: float
    plotly_conditional_ns: float
    plotly_direct_ns: float

    def med(self, row: Row, key: str) -> float:
        return median(row.samples[key])

    def ratio(self, row: Row) -> float:
        return self.med(row, "new") / self.med(row, "base")


def load_base(src: Path) -> Any:
    """Import ``src/dash_lambda`` of another checkout as ``dash_lambda_base`` (once per process)."""
    if BASE_MODULE in sys.modules:
        return sys.modules[BASE_MODULE]
    package = src / "dash_lambda"
    spec = importlib.util.spec_from_file_location(
        BASE_MODULE, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    if spec is None or spec.loader is None:
        raise RuntimeError(f"no dash_lambda package under {src}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[BASE_MODULE] = module
    spec.loader.exec_module(module)
    return module


def _rows(index_html: str, etag: str) -> list[Row]:
    from lambda_events import callback_body, event_for

    found = re.search(r'src="/Prod(/_dash-component-suites/dash/dash-renderer/[^"?]+)', index_html)
    assert found, "the index page names the renderer bundle"
    renderer = found.group(1)
    cookie = {"Cookie": "theme=dark"}

    def events(path: str, **headers: str) -> dict[str, Any]:
        return {"event": event_for(DOOR, path, headers=headers or None)}

    post = event_for(
        DOOR,
        "/_dash-update-component",
        method="POST",
        body=callback_body("population.figure", [{"id": "country", "property": "value", "value": "Chile"}]),
        headers={"Content-Type": "application/json"},
    )
    return [
        Row("plotly.min.js", events(PLOTLY_PATH), heavy=True),
        Row("plotly.min.js, cookie", events(PLOTLY_PATH, **cookie), heavy=True),
        Row("plotly.min.js, revalidate", events(PLOTLY_PATH, **{"If-None-Match": f"W/{etag}"}), heavy=True),
        Row(
            "plotly.min.js, cookie + revalidate",
            events(PLOTLY_PATH, **cookie, **{"If-None-Match": f"W/{etag}"}),
            heavy=True,
        ),
        Row("dash_renderer bundle", events(renderer)),
        Row("dash_renderer bundle, cookie", events(renderer, **cookie)),
        Row("`assets/logo.png`", events("/assets/logo.png"), asset=True),
        Row("`assets/logo.png`, cookie", events("/assets/logo.png", **cookie), asset=True),
        Row("`assets/app.js`", events("/assets/app.js"), asset=True),
        Row("index `/`", events("/"), dynamic=True),
        Row("`_dash-layout`", events("/_dash-layout"), dynamic=True),
        Row("`_dash-dependencies`", events("/_dash-dependencies"), dynamic=True),
        Row("`_dash-update-component` POST", {"event": post}, dynamic=True),
    ]


def _plotly_conditional(app: Any, etag: str, rounds: int) -> tuple[float, float]:
    """Dash's own cost for plotly.min.js: (304 to a matching If-None-Match, full 200), median ns."""
    from lambda_events import drop_header, event_for

    from adapter import _environ, consume

    plain = event_for(DOOR, PLOTLY_PATH)
    drop_header(plain, "Accept-Encoding")
    environ = _environ(plain)
    conditional = {**environ, "HTTP_IF_NONE_MATCH": etag}
    assert consume(app.server.wsgi_app, dict(conditional))[0].startswith("304")
    times: dict[str, list[int]] = {"304": [], "200": []}
    for _ in range(rounds):
        for key, env in (("304", conditional), ("200", environ)):
            t0 = time.perf_counter_ns()
            consume(app.server.wsgi_app, dict(env))
            times[key].append(time.perf_counter_ns() - t0)
    return median(times["304"]), median(times["200"])


def run(*, quick: bool, base_src: Path) -> CompareResult:
    from apps.sample_app import build_app
    from dash_lambda import make_lambda_handler
    from lambda_events import FakeContext, decode, drop_header, event_for

    started = time.perf_counter()
    base_module = load_base(base_src)
    context = FakeContext()
    apps: list[Any] = []

    def recording(dash_kwargs: dict[str, Any]) -> Any:
        app = build_app(dash_kwargs)
        apps.append(app)
        return app

    new = make_lambda_handler(recording)

    def assets_max_age(dash_kwargs: dict[str, Any]) -> Any:
        app = build_app(dash_kwargs)
        app.server.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
        return app

    index_html = decode(new(event_for(DOOR, "/"), context)).text
    # Let the base's first app see the module-level callbacks the new one's build took.
    from dash_lambda.dash_state import DASH_GLOBALS

    DASH_GLOBALS.prepare_build()
    base = base_module.make_lambda_handler(build_app)
    DASH_GLOBALS.prepare_build()
    max_age = make_lambda_handler(assets_max_age)
    handlers: dict[str, Callable[..., Any]] = {"base": base, "new": new, "max-age": max_age}
    identity = event_for(DOOR, PLOTLY_PATH)
    drop_header(identity, "Accept-Encoding")
    etag = decode(new(identity, context)).header("etag")
    assert etag, "Dash sends plotly.min.js with an ETag"

    rows = _rows(index_html, etag)
    light, heavy = (30, 5) if quick else (1000, 100)
    for row in rows:  # warm them up; every static file is in every cache after this
        for key, handler in _contenders(handlers, row).items():
            for _ in range(3):
                response = handler(row.events["event"], context)
            row.statuses[key] = response["statusCode"]
    rng = random.Random(20261201)
    for row in rows:
        samples: dict[str, list[int]] = {key: [] for key in _contenders(handlers, row)}
        order = list(_contenders(handlers, row).items())
        gc.collect()
        for _ in range(heavy if row.heavy else light):
            rng.shuffle(order)
            for key, handler in order:
                event = row.events["event"]
                t0 = time.perf_counter_ns()
                out = handler(event, context)
                t1 = time.perf_counter_ns()
                del out
                samples[key].append(t1 - t0)
        row.samples = samples
    conditional, direct = _plotly_conditional(apps[0], etag, 5 if quick else 40)
    return CompareResult(
        str(base_src), rows, (light, heavy), time.perf_counter() - started, conditional, direct
    )


def _contenders(handlers: dict[str, Callable[..., Any]], row: Row) -> dict[str, Callable[..., Any]]:
    return handlers if row.asset else {k: v for k, v in handlers.items() if k != "max-age"}


def report(result: CompareResult) -> str:
    rows = []
    for row in result.rows:
        status = (
            str(row.statuses["new"])
            if row.statuses["new"] == row.statuses["base"]
            else f"{row.statuses['base']} → {row.statuses['new']}"
        )
        rows.append(
            [
                row.name,
                status,
                us(result.med(row, "base")),
                us(result.med(row, "new")),
                ratio(result.ratio(row)),
                _max_age_cell(result, row),
            ]
        )
    dynamic = [result.ratio(row) for row in result.rows if row.dynamic]
    return "\n".join(
        [
            "## 5. Before and after (`--base`)",
            "",
            f"Base: `{result.base}`, loaded as `{BASE_MODULE}` in the same process; this checkout is "
            f"*new*. Warm requests through the REST API stage URL with a browser's `Accept-Encoding`; "
            f"median of {result.rounds[0]} rounds ({result.rounds[1]} for plotly.min.js), both "
            "handlers once per round in a fresh random order. *status* shows a change of answer.",
            "",
            table(
                ["request", "status", "base", "new", "new ÷ base", "new, assets max-age (÷ base)"],
                rows,
                "llrrrr",
            ),
            "",
            "Dynamic routes, new ÷ base: "
            + ", ".join(ratio(value) for value in dynamic)
            + f" (geometric mean {ratio(_geomean(dynamic))}).",
            "",
            "Dash's own conditional path for plotly.min.js (the app call behind every *cookie* row): "
            f"{us(result.plotly_conditional_ns)} for its 304 to a matching `If-None-Match`, "
            f"{us(result.plotly_direct_ns)} for the full 200 (direct WSGI calls: Dash reads the 4.8 MB "
            "file and hashes it either way).",
            "",
        ]
    )


def _max_age_cell(result: CompareResult, row: Row) -> str:
    if not row.asset:
        return ""
    value = result.med(row, "max-age")
    return f"{us(value)} ({ratio(value / result.med(row, 'base'))})"


def _geomean(values: list[float]) -> float:
    from common import geomean

    return geomean(values)
