"""A new sandbox's first page load vs a warm one, with and without the precompressed export.

Usage: ``.venv/bin/python benchmarks/page_load.py [--export DIR] [--rounds N] [--sandboxes N]``

Each scenario runs ``--sandboxes`` times, each in a fresh interpreter (a new
sandbox): the example dashboard (``frontend/dash_app.py``) behind
``make_lambda_handler`` with ``prefixes=["/Prod/"]`` (built at init, as the
template does; primed too, except in the scenario that shows what priming
is for), then the requests of a page load through the REST stage URL with a
browser's ``Accept-Encoding``: the index, every file it references, the
favicon, ``_dash-layout``, ``_dash-dependencies`` and the async chunks the
graph loads (``async-graph.js``, ``plotly.min.js``).  The callback is left
out: it costs the same with and without the export.

Reported per scenario (medians over the sandboxes): the init time (building
and priming), the first page load's handler time (the events are built
before the clock starts), the median of ``--rounds`` warm page loads, their
ratio taken per sandbox (target ≤ 1.5× with the export),
run-time compressions, and a repeat page load that sends back each file's
``ETag`` / ``Last-Modified`` as a browser does: bytes through the handler
and how many 304s (target < 50 KB).  Without ``--export`` the export is made
first with ``dash-lambda export-static`` (brotli quality 11: a minute or so).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import REPO, child_env

FRONTEND = REPO / "frontend"
KEYS = ("init_ms", "first_ms", "warm_ms")

_CHILD = r"""
import base64, json, re, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from lambda_events import FakeContext, decode, event_for
from dash_app import build_app
from dash_lambda import make_lambda_handler
from dash_lambda.static_files import is_cdn_path

static_dir, rounds, prime = (sys.argv[2] or None), int(sys.argv[3]), sys.argv[4] == "prime"
DOOR, PREFIX = "rest-stage-url", "/Prod/"
ACCEPT = {"Accept-Encoding": "gzip, deflate, br", "Accept": "*/*"}
ASYNC = ["/_dash-component-suites/dash/dcc/async-graph.js",
         "/_dash-component-suites/plotly/package_data/plotly.min.js"]
init_started = time.perf_counter()
handler = make_lambda_handler(build_app, prefixes=[PREFIX], static_dir=static_dir, prime=prime)
init_ms = (time.perf_counter() - init_started) * 1000
ctx = FakeContext()

def event(path, query=None, headers=None):
    return event_for(DOOR, path, query=query, headers={**ACCEPT, **(headers or {})})

def request(path, query=None, headers=None):
    return handler(event(path, query, headers), ctx)

def page_requests():
    index = request("/")
    wanted = []
    for url in re.findall(r'(?:src|href)="([^"]+)"', decode(index).text):
        path, _, query = url.partition("?")
        if path.startswith(PREFIX):
            wanted.append(("/" + path[len(PREFIX):], dict(p.split("=", 1) for p in query.split("&") if p)))
    wanted += [("/_favicon.ico", {}), ("/_dash-layout", {}), ("/_dash-dependencies", {})]
    wanted += [(p, {}) for p in ASYNC]
    return [("/", {})] + list(dict((p + repr(sorted(q.items())), (p, q)) for p, q in wanted).values())

def load(requests, validators=None):
    events = [event(p, q, (validators or {}).get(p)) for p, q in requests]  # built before the clock starts
    answers, spent = [], 0.0
    for e in events:
        started = time.perf_counter()
        answers.append(handler(e, ctx))
        spent += time.perf_counter() - started
    return spent, answers

def header(response, name):
    for key, value in (response.get("headers") or {}).items():
        if key.lower() == name:
            return value
    for key, values in (response.get("multiValueHeaders") or {}).items():
        if key.lower() == name:
            return values[-1]
    return None

requests = page_requests()
first, answers = load(requests)
compressed_first = handler.static_cache_stats["compressed"]
warm = statistics.median(load(requests)[0] for _ in range(rounds))
validators = {}
for (path, _), response in zip(requests, answers):
    sent = {}
    if header(response, "etag"):
        sent["If-None-Match"] = header(response, "etag")
    if header(response, "last-modified"):
        sent["If-Modified-Since"] = header(response, "last-modified")
    validators[path] = sent
_, repeat = load(requests, validators)
def wire(response):
    body = response.get("body") or ""
    return len(base64.b64decode(body)) if response.get("isBase64Encoded") else len(body.encode())
json.dump({
    "requests": len(requests),
    "through_handler_with_cdn": sum(not is_cdn_path(p) for p, _ in requests) + 1,
    "init_ms": init_ms,
    "first_ms": first * 1000,
    "warm_ms": warm * 1000,
    "first_bytes": sum(wire(r) for r in answers),
    "compressed_first": compressed_first,
    "stats": handler.static_cache_stats,
    "repeat_bytes": sum(wire(r) for r in repeat),
    "repeat_304": sum(r["statusCode"] == 304 for r in repeat),
    "repeat_200": [p for (p, _), r in zip(requests, repeat) if r["statusCode"] != 304],
}, sys.stdout)
"""


def scenario(static_dir: Path | None, rounds: int, prime: bool) -> dict[str, object]:
    env = child_env()
    env["PYTHONPATH"] = f"{FRONTEND}:{env['PYTHONPATH']}"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            str(REPO / "tests"),
            str(static_dir or ""),
            str(rounds),
            "prime" if prime else "no-prime",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=FRONTEND,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    data: dict[str, object] = json.loads(result.stdout)
    return data


def _number(data: dict[str, object], key: str) -> float:
    value = data[key]
    assert isinstance(value, (int, float))
    return float(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", type=Path, help="an existing export of frontend/dash_app:build_app")
    parser.add_argument("--rounds", type=int, default=5, help="warm page loads per sandbox")
    parser.add_argument("--sandboxes", type=int, default=5, help="new interpreters per scenario")
    args = parser.parse_args()
    export = args.export
    if export is None:
        export = Path(tempfile.mkdtemp(prefix="dash-lambda-bench-")) / "static-files"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dash_lambda",
                "export-static",
                "--app-dir",
                str(FRONTEND),
                "dash_app:build_app",
                str(export),
            ],
            check=True,
            env=child_env(),
        )
    scenarios = (
        ("without the export", None, True),
        ("with the export, not primed", export, False),
        ("with the export (default: primed at init)", export, True),
    )
    rows = []
    for label, directory, prime in scenarios:
        runs = [scenario(directory, args.rounds, prime) for _ in range(args.sandboxes)]
        ratio = statistics.median(_number(r, "first_ms") / _number(r, "warm_ms") for r in runs)
        init, first, warm = (statistics.median(_number(r, key) for r in runs) for key in KEYS)
        data = runs[-1]
        rows.append(
            f"| {label} | {data['requests']} | {init:.0f} ms | {first:.1f} ms | {warm:.1f} ms | "
            f"**{ratio:.2f}×** | {data['compressed_first']} | {data['repeat_bytes']:,} B | "
            f"{data['repeat_304']} |"
        )
        print(label, json.dumps(runs), file=sys.stderr)
    print(
        f"{args.sandboxes} new sandboxes per scenario, medians; first ÷ warm is taken per sandbox.\n\n"
        "| scenario | requests | init | first page load | warm page load | "
        "first ÷ warm | run-time compressions | repeat load bytes | 304s |"
    )
    print("|:---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print(
        f"\nWith the CDN split, requests reaching the handler per page load: "
        f"{data['through_handler_with_cdn']} (the non-CDN paths above plus the first callback)."
    )


if __name__ == "__main__":
    main()
