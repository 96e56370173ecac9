"""One cold start, in a fresh interpreter: import, init, the first page load, then warm ones.

Run by ``cold_start.py`` with a JSON spec on stdin; prints one JSON line.
Only the standard library is imported before the clock starts.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from typing import Any


class _Context:
    function_name = "dash-lambda-bench"
    memory_limit_in_mb = 1024
    aws_request_id = "bench-0001"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def main() -> None:
    spec = json.load(sys.stdin)
    scenario: str = spec["scenario"]
    page: list[tuple[str, dict[str, Any]]] = [(name, event) for name, event in spec["page"]]
    context = _Context()

    t0 = time.perf_counter()
    from apps.sample_app import build_app  # imports dash, flask and dash_lambda

    if scenario == "seed":
        from seed_pattern import make_seed_handler
    else:
        from dash_lambda import make_lambda_handler
    t1 = time.perf_counter()

    handler: Any
    if scenario == "seed":
        handler = make_seed_handler(build_app)
    elif scenario == "lazy":
        handler = make_lambda_handler(build_app)
    else:
        handler = make_lambda_handler(build_app, prefixes=["/Prod/"])
    t2 = time.perf_counter()

    first: dict[str, float] = {}
    status: dict[str, int] = {}
    for name, event in page:
        fresh = copy.deepcopy(event)  # the seed pattern rewrites event["path"]
        started = time.perf_counter()
        response = handler(fresh, context)
        first[name] = time.perf_counter() - started
        status[name] = response["statusCode"]
        del response
    warm: dict[str, list[float]] = {name: [] for name, _ in page}
    for _ in range(spec["warm"]):
        for name, event in page:
            fresh = copy.deepcopy(event)
            started = time.perf_counter()
            response = handler(fresh, context)
            warm[name].append(time.perf_counter() - started)
            del response
    print(json.dumps({"import": t1 - t0, "init": t2 - t1, "first": first, "warm": warm, "status": status}))


if __name__ == "__main__":
    main()
