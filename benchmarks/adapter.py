"""Section 1: per-request time of the handler against calling the Flask app directly.

Every contender serves the same route in the same round, in a random order
that changes every round, so machine noise (other processes on two cores)
hits them all alike; the report gives medians and ratios to the direct call.
"""

from __future__ import annotations

import gc
import io
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common import PLOTLY_PATH, comparable, geomean, median, ratio, table, us

Thunk = Callable[[], object]

DOORS = {"rest-stage-url": "payload 1.0 (REST API stage URL)", "http-api-default": "payload 2.0 (HTTP API)"}
#: The contenders of ``--routes dynamic`` (issue 10: the adapter against the seed pattern), in
#: pairs that share their code and their app: a handler whose code and app run in more of the
#: contenders finds them warmer in the CPU caches and looks faster.  With all contenders, an A/A
#: run (``--base`` a copy of this checkout) measured the base handler, whose code only its two
#: contenders run, 25-70 µs slower per request than the same code run by six; in pairs, within 10 µs.
DYNAMIC_CONTENDERS = ("direct", "apig", "seed", "seed-c", "b", "c", "base-b", "base-c")
#: The external prefix each door's fixture carries.
DOOR_PREFIX = {"rest-stage-url": "/Prod/", "http-api-default": "/"}
ADAPTER_TARGET_GEOMEAN = 1.03
ADAPTER_TARGET_MAX = 1.10


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    method: str = "GET"
    body: str | None = None
    heavy: bool = False


@dataclass
class Case:
    door: str
    route: Route
    #: The event per Accept-Encoding variant: "none", "gzip", "browser".
    events: dict[str, dict[str, Any]]
    environ: dict[str, Any]
    body: bytes
    samples: dict[str, list[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    #: Untimed: returns the call to time, with fresh inputs bound.
    prepare: Callable[[Case], Thunk]


@dataclass
class AdapterResult:
    contenders: list[Contender]
    cases: list[Case]
    checks: list[str]
    rounds: tuple[int, int]
    seconds: float

    def med(self, case: Case, key: str) -> float:
        return median(case.samples[key])

    def ratio(self, case: Case, key: str) -> float:
        return self.med(case, key) / self.med(case, "direct")

    def summary(self, door: str, key: str) -> tuple[float, float, str]:
        """(geometric mean, max, route of the max) of the ratios to direct."""
        ratios = {c.route.name: self.ratio(c, key) for c in self.cases if c.door == door}
        worst = max(ratios, key=lambda name: ratios[name])
        return geomean(list(ratios.values())), ratios[worst], worst


class _Recorder:
    """An app builder that remembers the apps it built, by requests prefix."""

    def __init__(self, build_app: Callable[[dict[str, Any]], Any]) -> None:
        self._build_app = build_app
        self.apps: dict[str, Any] = {}

    def __call__(self, dash_kwargs: dict[str, Any]) -> Any:
        app = self._build_app(dash_kwargs)
        self.apps[app.config.requests_pathname_prefix] = app
        return app


def _callback_post() -> str:
    from lambda_events import callback_body

    return callback_body("population.figure", [{"id": "country", "property": "value", "value": "Chile"}])


def routes(index_html: str) -> list[Route]:
    """The benchmarked routes; the renderer bundle's fingerprinted URL comes from the index page."""
    found = re.search(r'src="[^"]*?(/_dash-component-suites/dash/dash-renderer/[^"?]+)', index_html)
    renderer = (
        found.group(1) if found else "/_dash-component-suites/dash/dash-renderer/build/dash_renderer.min.js"
    )
    return [
        Route("index `/`", "/"),
        Route("`_dash-layout`", "/_dash-layout"),
        Route("`_dash-dependencies`", "/_dash-dependencies"),
        Route("`_dash-update-component` POST", "/_dash-update-component", "POST", _callback_post()),
        Route("dash_renderer bundle", renderer),
        Route("`assets/logo.png`", "/assets/logo.png"),
        Route("plotly.min.js", PLOTLY_PATH, heavy=True),
    ]


def consume(app: Callable[..., Any], environ: dict[str, Any]) -> tuple[str, bytes]:
    """Call a WSGI app the way a server would: body fully consumed and joined, then closed."""
    started: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append(status)
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return started[0], body


def _make_events(door: str, route: Route) -> dict[str, dict[str, Any]]:
    from lambda_events import drop_header, event_for

    headers = {"Content-Type": "application/json"} if route.body else {}
    browser = event_for(door, route.path, method=route.method, body=route.body, headers=headers)
    plain = event_for(door, route.path, method=route.method, body=route.body, headers=headers)
    drop_header(plain, "Accept-Encoding")
    gzip_only = event_for(
        door, route.path, method=route.method, body=route.body, headers={**headers, "Accept-Encoding": "gzip"}
    )
    return {"none": plain, "gzip": gzip_only, "browser": browser}


def _environ(event: dict[str, Any]) -> dict[str, Any]:
    from apig_wsgi import get_environ_v1, get_environ_v2

    if event.get("version") == "2.0":
        environ: dict[str, Any] = get_environ_v2(event, None)
    else:
        environ = get_environ_v1(event, None, encode_query_params=True)
    return environ


def build_contenders(base: Any = None) -> tuple[list[Contender], Callable[[str], Any]]:
    """The contenders, and a lookup of the direct-call Flask app by door.

    ``base``: another checkout's ``dash_lambda`` (``--base``), whose default
    handler joins as *before* contenders (b) and (c).
    """
    from apig_wsgi import make_lambda_handler as apig_handler
    from apps.sample_app import build_app
    from dash_lambda import make_lambda_handler
    from lambda_events import FakeContext

    from seed_pattern import make_seed_handler

    try:  # harness only: lets the seed's app see the module-level callbacks
        from dash_lambda.dash_state import DASH_GLOBALS

        restore_callbacks: Callable[[], object] = DASH_GLOBALS.prepare_build
    except (ImportError, AttributeError):  # pragma: no cover - internal API moved
        restore_callbacks = lambda: None  # noqa: E731

    context = FakeContext()
    recorder = _Recorder(build_app)
    pure = make_lambda_handler(recorder, compress=False, static_cache_mb=0)
    defaults = make_lambda_handler(build_app)
    # App mode: one app made as a module would make it, every prefix applied per request.
    restore_callbacks()
    shared = make_lambda_handler(build_app({}))
    seed = make_seed_handler(build_app, before_build=restore_callbacks)
    before: Any = None
    if base is not None:

        def build_before(dash_kwargs: dict[str, Any]) -> Any:
            restore_callbacks()  # as for the seed: the module-level callbacks, taken by our builds
            return build_app(dash_kwargs)

        before = base.make_lambda_handler(build_before)
    apig_alone: dict[str, Any] = {}

    def app_for(door: str) -> Any:
        prefix = DOOR_PREFIX[door]
        if prefix not in recorder.apps:
            pure(_make_events(door, Route("index", "/"))["none"], context)
        return recorder.apps[prefix]

    def direct(case: Case) -> Thunk:
        environ = dict(case.environ)
        environ["wsgi.input"] = io.BytesIO(case.body)
        wsgi_app = app_for(case.door).server.wsgi_app
        return lambda: consume(wsgi_app, environ)

    def apig(case: Case) -> Thunk:
        if case.door not in apig_alone:
            apig_alone[case.door] = apig_handler(app_for(case.door).server, binary_support=True)
        handle = apig_alone[case.door]
        event = case.events["none"]
        return lambda: handle(event, context)

    def handler(which: Callable[..., Any], variant: str) -> Callable[[Case], Thunk]:
        def prepare(case: Case) -> Thunk:
            event = case.events[variant]
            return lambda: which(event, context)

        return prepare

    def switched(case: Case) -> Thunk:
        # Untimed: the previous request came through the other door's prefix.
        other = next(door for door in DOOR_PREFIX if door != case.door)
        shared._apps.get(DOOR_PREFIX[other])
        event = case.events["none"]
        return lambda: shared(event, context)

    def seed_prepare(case: Case, variant: str = "none") -> Thunk:
        event = dict(case.events[variant])  # the seed rewrites event["path"]
        return lambda: seed(event, context)

    contenders = [
        Contender("direct", "direct WSGI call", direct),
        Contender("apig", "apig-wsgi alone", apig),
        Contender("a", "(a) compress off, cache off", handler(pure, "none")),
        Contender("b", "(b) defaults, no Accept-Encoding", handler(defaults, "none")),
        Contender("c", "(c) defaults, `Accept-Encoding: gzip`", handler(defaults, "gzip")),
        Contender("br", "(c′) defaults, browser `gzip, deflate, br`", handler(defaults, "browser")),
        Contender("app", "(d) app mode, defaults, no Accept-Encoding", handler(shared, "none")),
        Contender("switch", "(d′) app mode, prefix differs from the last request's", switched),
        Contender("seed", "seed article (apig-wsgi + lru_cache)", seed_prepare),
        Contender(
            "seed-c",
            "seed article, `Accept-Encoding: gzip` (not compressed)",
            lambda c: seed_prepare(c, "gzip"),
        ),
    ]
    if before is not None:
        contenders += [
            Contender("base-b", "before (`--base`): (b)", handler(before, "none")),
            Contender("base-c", "before (`--base`): (c)", handler(before, "gzip")),
        ]
    return contenders, app_for


def _is_static(path: str) -> bool:
    from dash_lambda.static_cache import is_static_path

    return is_static_path(path)


def _decoded(result: object) -> tuple[int, bytes]:
    from lambda_events import decode

    if isinstance(result, tuple):
        status, body = result
        return int(str(status).split()[0]), comparable(body)
    assert isinstance(result, dict)
    decoded = decode(result)
    return decoded.status, comparable(decoded.body)


def _difference(got: bytes, expected: bytes) -> str:
    at = next(
        (i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
        min(len(got), len(expected)),
    )
    return f"`…{got[max(0, at - 40) : at + 30].decode(errors='replace')}…`"


def run(*, quick: bool, dynamic_only: bool = False, base: Any = None) -> AdapterResult:
    """Time every contender on every route (``dynamic_only``: the routes Dash computes)."""
    from apps import sample_app
    from lambda_events import drop_header, event_for

    started = time.perf_counter()
    contenders, app_for = build_contenders(base)
    if dynamic_only:
        contenders = [c for c in contenders if c.key in DYNAMIC_CONTENDERS]
    else:  # the seed's second contender balances the dynamic comparison only
        contenders = [c for c in contenders if c.key != "seed-c"]
    # dash_lambda's apps first (their builds save the module-level callbacks), the seed's last.
    index_event = event_for("rest-stage-url", "/")
    drop_header(index_event, "Accept-Encoding")
    index_html = consume(app_for("rest-stage-url").server.wsgi_app, _environ(index_event))[1].decode()

    light_rounds, heavy_rounds = (40, 6) if quick else (1500, 150)
    rng = random.Random(20261123)
    cases: list[Case] = []
    for door in DOORS:
        for route in routes(index_html):
            if dynamic_only and (route.heavy or _is_static(route.path)):
                continue
            events = _make_events(door, route)
            cases.append(Case(door, route, events, _environ(events["none"]), (route.body or "").encode()))

    checks: list[str] = []
    for case in cases:  # warm every contender up, and check it answers what Flask answers
        expected: tuple[int, bytes] | None = None
        for contender in contenders:
            for _ in range(3 if case.route.heavy else 15):
                result = contender.prepare(case)()
            status, body = _decoded(result)
            if expected is None:
                expected = (status, body)
            elif (status, body) != expected:
                checks.append(
                    f"{contender.label} on {case.door} {case.route.name}: status {status}, "
                    f"{len(body):,} B, direct gave {expected[0]}, {len(expected[1]):,} B; "
                    f"first difference: {_difference(body, expected[1])}"
                )
            del result

    for case in cases:
        rounds = heavy_rounds if case.route.heavy else light_rounds
        samples: dict[str, list[int]] = {c.key: [] for c in contenders}
        sample_app.REQUESTS.clear()  # the sample app logs every request's path
        gc.collect()
        order = list(contenders)
        for _ in range(rounds):
            # A fresh random order each round: no contender always follows the same one (a
            # contender that just moved 10 MB leaves the CPU caches cold for the next).
            rng.shuffle(order)
            for contender in order:
                call = contender.prepare(case)
                t0 = time.perf_counter_ns()
                out = call()
                t1 = time.perf_counter_ns()
                del out  # freeing a large response is not part of serving it
                samples[contender.key].append(t1 - t0)
        case.samples = samples
    return AdapterResult(
        contenders, cases, checks, (light_rounds, heavy_rounds), time.perf_counter() - started
    )


def _against_seed(result: AdapterResult) -> list[str]:
    """The dynamic routes' cost over the direct call, ours beside the seed pattern's (issue 10)."""
    keys = [
        k
        for k in ("seed", "seed-c", "apig", "a", "b", "c", "base-b", "base-c")
        if k in result.cases[0].samples
    ]
    against = {
        "b": ("seed", "(b) - seed"),
        "c": ("seed-c", "(c) - seed"),
        "base-b": ("seed", "before (b) - seed"),
    }
    labels = {c.key: c.label for c in result.contenders}
    rows = []
    for case in result.cases:
        if _is_static(case.route.path) or case.route.heavy:
            continue
        direct = result.med(case, "direct")
        cells = [f"{ratio(result.ratio(case, k))} ({_signed_us(result.med(case, k) - direct)})" for k in keys]
        versus = [
            _signed_us(result.med(case, k) - result.med(case, seed))
            for k, (seed, _) in against.items()
            if k in keys
        ]
        rows.append([DOORS[case.door].split(" (")[0], case.route.name, us(direct), *cells, *versus])
    if not rows:
        return []
    names = [name for k, (_, name) in against.items() if k in keys]
    return [
        "### Dynamic routes against the seed pattern (issue 10)",
        "",
        "Each cell: median ÷ the direct call's median, and the median's excess over it; the last "
        "columns: median minus the seed's for the same request. (b) and the seed get no "
        "`Accept-Encoding`; (c) and the seed's second column `gzip`, which (c) applies where the body "
        "reaches `compress_min_bytes` (the index) and the seed never does.",
        "",
        table(
            ["door", "route", "direct", *[labels[k] for k in keys], *names],
            rows,
            "ll" + "r" * (len(keys) + 1 + len(names)),
        ),
        "",
    ]


def _signed_us(ns: float) -> str:
    return ("-" if ns < 0 else "+") + us(abs(ns))


def report(result: AdapterResult) -> str:
    keys = [c for c in result.contenders if c.key != "direct"]
    out = [
        "## 1. Adapter overhead (warm, per request)",
        "",
        f"Median of {result.rounds[0]} rounds per route ({result.rounds[1]} for plotly.min.js), every "
        "contender once per round in a fresh random order; "
        "each cell is the contender's median ÷ the direct call's median (lower is better; "
        f"bold: over {ADAPTER_TARGET_MAX:.2f}×). The direct call is `app.server.wsgi_app(environ, "
        "start_response)` with a prebuilt environ, no Accept-Encoding, body consumed and joined. "
        "(c) and (c′) are compressed responses compared with that *uncompressed* direct call.",
        "",
    ]
    for door, title in DOORS.items():
        cases = [c for c in result.cases if c.door == door]
        rows: list[list[str]] = []
        for case in cases:
            rows.append(
                [case.route.name, us(result.med(case, "direct"))]
                + [ratio(result.ratio(case, c.key), bold_over=ADAPTER_TARGET_MAX) for c in keys]
            )
        geo = ["**geometric mean**", ""]
        worst = ["**max**", ""]
        for contender in keys:
            g, m, _ = result.summary(door, contender.key)
            geo.append(ratio(g, bold_over=ADAPTER_TARGET_GEOMEAN))
            worst.append(ratio(m, bold_over=ADAPTER_TARGET_MAX))
        rows += [geo, worst]
        out += [f"### {title}", "", table(["route", "direct", *[c.label for c in keys]], rows), ""]
        rows = [
            [case.route.name, *[us(result.med(case, c.key)) for c in result.contenders]] for case in cases
        ]
        out += [
            "<details><summary>absolute medians</summary>",
            "",
            table(["route", *[c.label for c in result.contenders]], rows),
            "",
            "</details>",
            "",
        ]
    out += _against_seed(result)
    present = {c.key for c in result.contenders}
    if {"a", "app", "switch"} <= present:
        out += _fixed_costs(result)
    if result.checks:
        out += ["Responses that differ from the direct call's (status or decoded body):", ""]
        out += [f"- {check}" for check in result.checks] + [""]
    else:
        out += ["Every contender's decoded response (status and body) matched the direct call's.", ""]
    return "\n".join(out)


def _fixed_costs(result: AdapterResult) -> list[str]:
    over = []
    for door in DOORS:
        cases = [c for c in result.cases if c.door == door and not c.route.heavy]
        extra = [result.med(c, "a") - result.med(c, "direct") for c in cases]
        apig = [result.med(c, "apig") - result.med(c, "direct") for c in cases]
        over.append(
            f"{door}: (a) adds {us(median(extra))} per request (median over the routes without plotly), "
            f"of which apig-wsgi alone accounts for {us(median(apig))}"
        )
    app_mode = []
    for door in DOORS:
        cases = [c for c in result.cases if c.door == door]
        gap = {c.route.name: result.med(c, "app") - result.med(c, "b") for c in cases}
        switch = {c.route.name: result.med(c, "switch") - result.med(c, "app") for c in cases}
        largest = max(gap, key=lambda name: abs(gap[name]))
        dynamic = [switch[c.route.name] for c in cases if not _is_static(c.route.path)]
        app_mode.append(
            f"{door}: (d) minus (b) is {us(median(list(gap.values())))} per request "
            f"(median over the routes; largest {us(gap[largest])} on {largest}; target within 2 µs); "
            f"a prefix switch adds {us(median(dynamic))} on the dynamic routes "
            f"(median; max {us(max(dynamic))}; target ≤ 50 µs), and nothing on cached files"
        )
    return [
        "Fixed cost per request: " + "; ".join(over) + ".",
        "",
        "App mode: " + "; ".join(app_mode) + ".",
        "",
        "Cached responses ((b), (c), (c′) on bundles, the PNG and plotly.min.js) take 5-25 µs when the "
        "CPU caches are warm (section 4's *warm* column); here they often run right after a contender "
        "that moved 10-20 MB, which leaves the caches cold and costs them up to ~0.1 ms.",
        "",
    ]
