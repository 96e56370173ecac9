"""The container path: gunicorn serves frontend/wsgi.py on localhost.

Started the way the README tells users to (``gunicorn --chdir frontend
wsgi:application``), on a port the OS picks, read back from gunicorn's log.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from _sam import FRONTEND

STARTUP_SECONDS = 60


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASH_LAMBDA_", "DATA_"))}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--chdir",
            str(FRONTEND),
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "2",
            "wsgi:application",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    url, log = None, []
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            log.append(line)
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        assert url, "gunicorn did not start:\n" + "".join(log)
        # keep reading its log so a full pipe never blocks the server
        threading.Thread(target=log.extend, args=(proc.stderr,), daemon=True).start()
        _wait_until_serving(url)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_serving(url: str) -> None:
    """Workers import Dash after the master logs its address."""
    for _ in range(STARTUP_SECONDS * 10):
        try:
            get(url + "/health")
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn workers never answered")


def get(url: str, data: bytes | None = None) -> tuple[int, str, bytes]:
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers["Content-Type"], response.read()


def test_index_page(base_url: str) -> None:
    status, content_type, body = get(base_url + "/")
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    html = body.decode()
    assert "<title>Dash on Lambda</title>" in html
    assert 'src="/_dash-component-suites/' in html, "no prefix on a container"


def test_layout(base_url: str) -> None:
    status, content_type, body = get(base_url + "/_dash-layout")
    assert (status, content_type) == (200, "application/json")
    layout = json.dumps(json.loads(body))
    for component_id in ("architecture-img", "country-dropdown", "population-graph", "birthdate-picker"):
        assert f'"id": "{component_id}"' in layout
    assert '"src": "/assets/architecture.png"' in layout


def test_health_check_for_the_load_balancer(base_url: str) -> None:
    assert get(base_url + "/health") == (200, "application/json", b'{"status":"ok"}\n')


def test_asset(base_url: str) -> None:
    status, content_type, body = get(base_url + "/assets/architecture.png")
    assert (status, content_type) == (200, "image/png")
    assert body == (FRONTEND / "assets" / "architecture.png").read_bytes()


def test_callback(base_url: str) -> None:
    request: dict[str, Any] = {
        "output": "population-graph.figure",
        "outputs": {"id": "population-graph", "property": "figure"},
        "inputs": [{"id": "country-dropdown", "property": "value", "value": "Canada"}],
        "changedPropIds": ["country-dropdown.value"],
    }
    status, _, body = get(base_url + "/_dash-update-component", json.dumps(request).encode())
    assert status == 200
    trace = json.loads(body)["response"]["population-graph"]["figure"]["data"][0]
    assert trace["x"][0] == 1952
    assert trace["x"][-1] == 2007
