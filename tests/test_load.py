"""200 concurrent requests to ``dash-lambda serve`` on 127.0.0.1: no error, every answer right.

The requests are released together from a barrier, one connection each, and
mix what a page load and its callbacks send: the index, the layout, callback
POSTs that must each get their own country's figure back, a binary image,
and echo requests tagged with a unique id that must come back to the thread
that sent it (no crossed responses between concurrent invocations).
"""

from __future__ import annotations

import base64
import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from apps import local_app
from serving import Served, start_serve, stop

APPS = Path(__file__).resolve().parent / "apps"
REQUESTS = 200
#: Upper bound for the whole burst; it takes about a second here.
BURST_SECONDS = 60.0

Check = Callable[[int, dict[str, str], bytes], None]


@pytest.fixture(params=["v1", "v2"])
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    server = start_serve(
        "--app-dir", str(APPS), "local_app:build_app", "--payload", request.param, "--stage", "Prod",
        "--port", "0", "--no-reload",
    )  # fmt: skip
    yield server
    stop(server)


def _plan(index: int) -> tuple[str, str, bytes | None, Check]:
    """Request number ``index``: (method, path, body, check of the response)."""
    kind = index % 5
    if kind == 0:

        def page(status: int, headers: dict[str, str], body: bytes) -> None:
            assert status == 200 and f"<title>{local_app.TITLE}</title>".encode() in body

        return "GET", "/Prod/", None, page
    if kind == 1:

        def layout(status: int, headers: dict[str, str], body: bytes) -> None:
            assert status == 200 and b"local-country" in body

        return "GET", "/Prod/_dash-layout", None, layout
    if kind == 2:
        country = "Chile" if index % 2 else "Canada"
        payload = {
            "output": "local-graph.figure",
            "outputs": {"id": "local-graph", "property": "figure"},
            "inputs": [{"id": "local-country", "property": "value", "value": country}],
            "changedPropIds": ["local-country.value"],
        }

        def callback(status: int, headers: dict[str, str], body: bytes) -> None:
            assert status == 200, body[:200]
            figure = json.loads(body)["response"]["local-graph"]["figure"]
            assert figure["data"][0]["name"] == country
            assert figure["data"][0]["y"] == local_app.COUNTRIES[country]

        return "POST", "/Prod/_dash-update-component", json.dumps(payload).encode(), callback
    if kind == 3:

        def image(status: int, headers: dict[str, str], body: bytes) -> None:
            assert status == 200 and headers["content-type"] == "image/png" and body == local_app.PNG

        return "GET", "/Prod/logo.png", None, image
    tag = f"request-{index}"
    sent = tag.encode() * 10

    def echo(status: int, headers: dict[str, str], body: bytes) -> None:
        assert status == 200
        data = json.loads(body)
        assert data["query"] == [["tag", tag]]
        assert base64.b64decode(data["body_b64"]) == sent

    return "POST", f"/Prod/echo?tag={tag}", sent, echo


def test_200_concurrent_requests_all_answered_right(served: Served) -> None:
    host, port = served.url.split("//")[1].split("/")[0].split(":")
    barrier = threading.Barrier(REQUESTS, timeout=30)

    def one(index: int) -> float:
        method, path, body, check = _plan(index)
        headers = {"Content-Type": "application/json" if "update" in path else "application/octet-stream"}
        barrier.wait()
        started = time.perf_counter()
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            check(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        finally:
            connection.close()
        return time.perf_counter() - started

    burst = time.perf_counter()
    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        latencies = list(pool.map(one, range(REQUESTS), timeout=BURST_SECONDS))
    wall = time.perf_counter() - burst
    assert len(latencies) == REQUESTS
    assert wall < BURST_SECONDS
    latencies.sort()
    print(
        f"\n{REQUESTS} concurrent requests: wall {wall:.2f} s, "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(REQUESTS * 0.95) - 1] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )
    # The server is still healthy afterwards.
    status, _, body = served.get("/Prod/health")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
