"""``dash-lambda serve --static DIR``: static files from an export as the CDN serves them, the rest through the handler.

In process, :class:`LocalCdn` wraps the real gateway and handler (Werkzeug's
test client); the command itself runs as a subprocess on the example
dashboard's export, as a developer starts it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
from _static_export import FRONTEND, write_export
from apps import sample_app
from serving import PAGE_LOAD, Followed, serve_static
from werkzeug.test import Client

from dash_lambda import LambdaHandler
from dash_lambda.export import export_static
from dash_lambda.local.cdn import LocalCdn, PageLoads
from dash_lambda.local.events import FrontDoor
from dash_lambda.local.gateway import LocalGateway
from dash_lambda.static_files import IMMUTABLE, REVALIDATE, StaticFiles

STAGE = FrontDoor("v1", stage="Prod")


class CountingOrigin:
    """The gateway, counting the requests that reach it (the handler's invocations)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.paths: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.paths.append(environ["PATH_INFO"])
        result: Iterable[bytes] = self.app(environ, start_response)
        return result


@pytest.fixture(scope="module")
def sample_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sample") / "static-files"
    export_static(sample_app.build_app, directory, compress=False)
    return directory


@pytest.fixture
def origin(handler: LambdaHandler) -> CountingOrigin:
    return CountingOrigin(LocalGateway(handler, STAGE))


@pytest.fixture
def cdn(origin: CountingOrigin, sample_export: Path) -> LocalCdn:
    return LocalCdn(origin, StaticFiles.load(sample_export), STAGE.url_prefix, quiet_seconds=60)


def manifest(directory: Path) -> dict[str, Any]:
    files: dict[str, Any] = json.loads((directory / "manifest.json").read_text())["files"]
    return files


# ------------------------------------------------------------------ in process


def test_static_files_come_from_the_export_without_the_handler(
    cdn: LocalCdn, origin: CountingOrigin, sample_export: Path
) -> None:
    client = Client(cdn)
    for path, entry in manifest(sample_export).items():
        response = client.get("/Prod" + path)
        assert response.status_code == 200, path
        assert hashlib.sha256(response.get_data()).hexdigest() == entry["sha256"]
        assert response.headers["Content-Type"] == entry["content_type"]
        assert response.headers["ETag"] == entry["etag"]
        assert response.headers["Cache-Control"] == (IMMUTABLE if entry["immutable"] else REVALIDATE)
    assert origin.paths == []


def test_revalidation_answers_304_and_head_has_no_body(cdn: LocalCdn, sample_export: Path) -> None:
    client = Client(cdn)
    etag = manifest(sample_export)["/assets/logo.png"]["etag"]
    response = client.get("/Prod/assets/logo.png", headers={"If-None-Match": etag})
    assert (response.status_code, response.get_data()) == (304, b"")
    assert response.headers["ETag"] == etag
    head = client.head("/Prod/assets/logo.png")
    assert (head.status_code, head.get_data()) == (200, b"")
    assert head.headers["Content-Length"] == str(len((sample_app.ASSETS / "logo.png").read_bytes()))


def test_the_rest_and_what_the_export_lacks_go_through_the_handler(
    cdn: LocalCdn, origin: CountingOrigin
) -> None:
    client = Client(cdn)
    assert client.get("/Prod/").status_code == 200
    assert client.get("/Prod/_dash-layout").status_code == 200
    assert client.post("/Prod/assets/logo.png").status_code in (200, 405)  # not a GET: the origin decides
    assert (
        client.get("/Prod/assets/not-exported.png").status_code == 404
    )  # the CDN's failover to the function
    assert client.get("/assets/logo.png").status_code == 403  # outside the stage: API Gateway answers
    assert origin.paths == [
        "/Prod/",
        "/Prod/_dash-layout",
        "/Prod/assets/logo.png",
        "/Prod/assets/not-exported.png",
        "/assets/logo.png",
    ]


@pytest.mark.parametrize(
    ("accept", "coding", "decompress"),
    [
        ("gzip, deflate, br", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
        ("identity", None, lambda body: body),
        (None, None, lambda body: body),
    ],
)
def test_the_variant_the_browser_accepts(
    tmp_path: Path, accept: str | None, coding: str | None, decompress: Any
) -> None:
    body = b"console.log('hello');\n" * 500
    write_export(tmp_path, {"/assets/app.js": (body, "text/javascript; charset=utf-8")})
    client = Client(LocalCdn(CountingOrigin(None), StaticFiles.load(tmp_path), "/", quiet_seconds=60))
    response = client.get("/assets/app.js", headers={"Accept-Encoding": accept} if accept else {})
    assert response.headers.get("Content-Encoding") == coding
    assert response.headers["Vary"] == "Accept-Encoding"
    assert decompress(response.get_data()) == body


def test_a_page_load_is_counted_until_it_is_quiet() -> None:
    reports: list[str] = []
    loads = PageLoads(reports.append, quiet_seconds=0.05)
    loads.started("/Prod/", navigation=True)
    loads.finished(through_handler=True)
    for through_handler in (False, False, True, True, True):
        loads.started("/Prod/x", navigation=False)
        loads.finished(through_handler=through_handler, static_bytes=0 if through_handler else 2048)
    loads.started("/Prod/", navigation=True)  # a reload before the first went quiet ends it
    loads.finished(through_handler=True)
    deadline = time.monotonic() + 10
    while len(reports) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert reports == [
        "dash-lambda: page load of /Prod/: 6 requests, 4 through the handler, 2 from the static export (4.0 KiB)",
        "dash-lambda: page load of /Prod/: 1 requests, 1 through the handler, 0 from the static export (0.0 KiB)",
    ]


def test_requests_outside_a_page_load_are_not_reported() -> None:
    reports: list[str] = []
    loads = PageLoads(reports.append, quiet_seconds=0.01)
    loads.started("/Prod/_dash-update-component", navigation=False)
    loads.finished(through_handler=True)
    time.sleep(0.1)
    assert reports == []


# ------------------------------------------------------------------ the command


@pytest.fixture
def followed(example_export: Path) -> Iterator[Followed]:
    if not (FRONTEND / "dash_app.py").exists():
        pytest.skip("frontend/dash_app.py is not there yet")
    followed = serve_static(example_export)
    yield followed
    log = followed.stop()
    assert "Traceback" not in log, log


def test_serve_static_serves_the_export_as_the_cdn_would(followed: Followed, example_export: Path) -> None:
    served = followed.served
    assert any("static files from" in line for line in followed.lines)
    files = manifest(example_export)
    status, _, page = served.get("/Prod/", {"Sec-Fetch-Mode": "navigate", "Accept": "text/html"})
    assert status == 200
    bundle = next(src for src in re.findall(r'src="(/Prod/_dash-component-suites/[^"]+)"', page.decode()))
    entry = files[bundle.removeprefix("/Prod")]
    status, headers, body = served.get(bundle, {"Accept-Encoding": "gzip, deflate, br"})
    assert (status, headers["content-encoding"], headers["cache-control"]) == (200, "br", IMMUTABLE)
    assert hashlib.sha256(brotli.decompress(body)).hexdigest() == entry["sha256"]
    status, headers, body = served.get(bundle, {"If-None-Match": headers["etag"]})
    assert (status, body) == (304, b"")
    status, _, _ = served.get("/Prod/_dash-layout")
    assert status == 200
    [load] = followed.wait_for(PAGE_LOAD)
    assert load.groups() == ("/Prod/", "4", "2", "2")


def test_serve_static_refuses_a_directory_that_is_not_an_export(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "dash_lambda", "serve", "--app-dir", str(FRONTEND), "dash_app:build_app"]
    result = subprocess.run(
        [*command, "--static", str(tmp_path), "--port", "0", "--no-reload"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "has no manifest.json; create it with `dash-lambda export-static" in result.stderr
    assert "Traceback" not in result.stderr
