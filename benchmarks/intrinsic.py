"""The handler's own cost per request, around an app that does nothing: a cross-check of section 1.

    .venv/bin/python benchmarks/intrinsic.py                       # dash_lambda vs the seed pattern, ~1 min
    .venv/bin/python benchmarks/intrinsic.py --base /tmp/base/src  # + another checkout's handler

Section 1 times the handler around the sample Dash app, whose own work
(0.2-1 ms) varies by more than the adapter costs, and whose caches the
adapter's code competes with.  Here the Dash app's Flask server answers
every request with the same JSON body from a plain WSGI function, so what is
timed is the adapter: the seed pattern's (apig-wsgi + ``lru_cache``) beside
dash_lambda's, in one process, interleaved in a random order each round.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import random
import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import dash
from dash import html

from common import clear_adapter_env, table, use_test_helpers

BODY = b'[{"output":"graph.figure","inputs":[{"id":"country","property":"value"}],"state":[]}]' * 20
DOORS = {"rest-stage-url": "payload 1.0", "http-api-default": "payload 2.0"}
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def fixed_answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))])
    return [BODY]


def build_app(dash_kwargs: dict[str, Any] | None = None) -> dash.Dash:
    """A Dash app whose Flask server answers every request with :data:`BODY`."""
    app = dash.Dash(__name__, **(dash_kwargs or {}))
    app.layout = html.Div("unused")
    app.server.wsgi_app = fixed_answer
    return app


def contenders(base: Any) -> dict[str, Handler]:
    from dash_lambda import make_lambda_handler

    from seed_pattern import make_seed_handler

    handlers: dict[str, Handler] = {
        "seed article": make_seed_handler(build_app),
        "dash_lambda": make_lambda_handler(build_app, prime=False),
    }
    if base is not None:
        handlers["base (`--base`)"] = base.make_lambda_handler(build_app, prime=False)
    return handlers


def measure(handlers: dict[str, Handler], event: dict[str, Any], rounds: int) -> dict[str, float]:
    """Median µs per request; each call gets a shallow copy of the event (the seed rewrites it)."""
    from lambda_events import FakeContext

    context = FakeContext()

    def caller(handler: Handler) -> Callable[[], object]:
        return lambda: handler(copy.copy(event), context)

    calls = {name: caller(handler) for name, handler in handlers.items()}
    for call in calls.values():
        for _ in range(300):
            call()
    samples: dict[str, list[int]] = {name: [] for name in calls}
    order = list(calls)
    shuffle = random.Random(0).shuffle
    for _ in range(rounds):
        shuffle(order)
        for name in order:
            started = time.perf_counter_ns()
            calls[name]()
            samples[name].append(time.perf_counter_ns() - started)
    return {name: statistics.median(values) / 1000 for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, help="another checkout's src/ to measure beside this one")
    parser.add_argument("--rounds", type=int, default=4000)
    args = parser.parse_args()
    clear_adapter_env()
    use_test_helpers()
    from lambda_events import drop_header, event_for

    from compare import load_base

    handlers = contenders(load_base(args.base) if args.base else None)
    names = list(handlers)
    rows = []
    for door, payload in DOORS.items():
        event = event_for(door, "/_dash-dependencies")
        drop_header(event, "Accept-Encoding")
        medians = measure(handlers, event, args.rounds)
        seed = medians["seed article"]
        rows.append(
            [
                payload,
                *(
                    f"{medians[n]:.1f} µs" + ("" if n == names[0] else f" ({medians[n] - seed:+.1f})")
                    for n in names
                ),
            ]
        )
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Per request around an app that answers at once ({args.rounds} interleaved rounds, {now}); in")
    print("brackets, the difference from the seed article's median.\n")
    print(table(["door", *names], rows))


if __name__ == "__main__":
    main()
