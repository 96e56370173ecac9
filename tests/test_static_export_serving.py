"""The handler sends the export's precompressed bytes, only where the app would send its own.

The sample app is exported in process with fast compression levels (the
variants then differ from what the handler would compress at run time, so a
test can tell which bytes were sent) and served through the real handler.
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from apps import gated_apps, sample_app
from lambda_events import FakeContext, decode, event_for
from test_static_cache import PLOTLY_JS, assert_refused, get, page_files, protected, session_cookie

from dash_lambda import export as export_module
from dash_lambda import make_lambda_handler
from dash_lambda.export import export_static
from dash_lambda.static_files import StaticFiles, StaticFilesError, is_fingerprinted

DOOR = "rest-stage-url"
LOGO = "/assets/logo.png"


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sample-precompressed") / "static-files"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(export_module, "BROTLI_QUALITY", 1)
        patch.setattr(export_module, "GZIP_LEVEL", 1)
        export_static(sample_app.build_app, directory)
    return directory


def exported(directory: Path, app_path: str, coding: str | None) -> bytes:
    files = StaticFiles.load(directory)
    found = files.find(app_path)
    assert found is not None, app_path
    return files.read(found[0], coding)


def sent_bytes(response: dict[str, Any]) -> bytes:
    """The body as it travels (still compressed)."""
    body = response.get("body") or ""
    return base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()


def page_paths(handler: Any) -> list[str]:
    index = get(handler, DOOR, "/")
    return [PLOTLY_JS, LOGO, *(path for path, _ in page_files(index.text, DOOR))]


def test_bundles_and_assets_are_the_exports_bytes_in_every_coding_with_no_compression(
    export_dir: Path,
) -> None:
    handler = make_lambda_handler(sample_app.build_app, static_dir=export_dir)
    paths = page_paths(handler)
    assert any(is_fingerprinted(path) for path in paths)
    for path in paths:
        identity = exported(export_dir, path, None)
        for coding, accept in (("br", "br"), ("gzip", "gzip"), (None, "identity")):
            event = event_for(DOOR, path, headers={"Accept-Encoding": accept})
            response = handler(event, FakeContext())
            got = decode(response)
            assert got.status == 200, path
            assert got.body == identity, path
            if got.header("content-encoding") is not None:
                assert got.header("content-encoding") == coding
                assert sent_bytes(response) == exported(export_dir, path, coding), (path, coding)
    assert handler.static_cache_stats["compressed"] == 0
    assert handler.static_cache_stats["exported"] >= 2
    # plotly.min.js went out as the export's brotli bytes, not recompressed
    br = handler(event_for(DOOR, PLOTLY_JS, headers={"Accept-Encoding": "br"}), FakeContext())
    assert sent_bytes(br) == exported(export_dir, PLOTLY_JS, "br")


def test_one_strong_etag_for_every_coding_and_304_on_if_none_match(export_dir: Path) -> None:
    handler = make_lambda_handler(sample_app.build_app, static_dir=export_dir)
    manifest = json.loads((export_dir / "manifest.json").read_text())["files"]
    for path in (PLOTLY_JS, LOGO, *page_paths(handler)[2:]):
        tags = {get(handler, DOOR, path, accept=accept).header("etag") for accept in ("br", "gzip", None)}
        found = StaticFiles.load(export_dir).find(path)
        assert found is not None
        assert tags == {manifest[found[0].path]["etag"]}, path
        (etag,) = tags
        assert etag is not None and etag.startswith('"')
        for fresh in (make_lambda_handler(sample_app.build_app, static_dir=export_dir), handler):
            for accept in ("br", None):
                again = get(fresh, DOOR, path, accept=accept, headers={"If-None-Match": etag})
                assert (again.status, again.body) == (304, b""), path
                assert again.header("etag") == etag


def test_fingerprinted_urls_are_immutable_and_plain_ones_are_not(export_dir: Path) -> None:
    handler = make_lambda_handler(sample_app.build_app, static_dir=export_dir)
    paths = page_paths(handler)
    for path in paths:
        cache_control = get(handler, DOOR, path, accept="br").header("cache-control") or ""
        assert ("immutable" in cache_control) == is_fingerprinted(path), (path, cache_control)


def test_without_an_export_the_handler_compresses_as_before(export_dir: Path) -> None:
    handler = make_lambda_handler(sample_app.build_app)
    got = handler(event_for(DOOR, PLOTLY_JS, headers={"Accept-Encoding": "br"}), FakeContext())
    assert sent_bytes(got) != exported(export_dir, PLOTLY_JS, "br")
    assert handler.static_cache_stats["compressed"] == 1
    assert handler.static_cache_stats["exported"] == 0


def test_the_environment_variable_points_the_handler_at_an_export(
    export_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASH_LAMBDA_STATIC_DIR", str(export_dir))
    handler = make_lambda_handler(sample_app.build_app)
    get(handler, DOOR, PLOTLY_JS, accept="gzip")
    assert handler.static_cache_stats["exported"] == 1
    monkeypatch.setenv("DASH_LAMBDA_STATIC_DIR", "off")
    handler = make_lambda_handler(sample_app.build_app)
    get(handler, DOOR, PLOTLY_JS, accept="gzip")
    assert handler.static_cache_stats["exported"] == 0
    # An argument passed wins over the variable.
    handler = make_lambda_handler(sample_app.build_app, static_dir=export_dir)
    get(handler, DOOR, PLOTLY_JS, accept="gzip")
    assert handler.static_cache_stats["exported"] == 1


def test_a_directory_without_an_export_is_refused_when_the_handler_is_made(tmp_path: Path) -> None:
    with pytest.raises(StaticFilesError, match="export-static"):
        make_lambda_handler(sample_app.build_app, static_dir=tmp_path)


def test_a_stale_export_yields_the_apps_bytes_and_one_warning(
    export_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stale = tmp_path / "static-files"
    shutil.copytree(export_dir, stale)
    path = PLOTLY_JS
    found = StaticFiles.load(stale).find(path)
    assert found is not None
    original = exported(export_dir, path, None)
    changed = original.replace(b"plotly", b"PLOTLY", 1)
    assert changed != original and len(changed) == len(original)
    target = stale / found[0].path.lstrip("/")
    target.write_bytes(changed)
    for suffix, coding in ((".br", "br"), (".gz", "gzip")):
        Path(str(target) + suffix).write_bytes(export_module._compress(changed, coding))
    handler = make_lambda_handler(sample_app.build_app, static_dir=stale)
    with caplog.at_level(logging.WARNING, logger="dash_lambda"):
        for accept in ("br", "gzip", "br"):
            got = get(handler, DOOR, path, accept=accept, headers={"Cookie": "a=b"})
            assert got.status == 200 and got.body == original
    assert sum("differs from the export" in r.getMessage() for r in caplog.records) == 1
    assert handler.static_cache_stats["compressed"] == 2
    assert handler.static_cache_stats["exported"] == 0


@pytest.mark.parametrize("door", ["rest-stage-url", "function-url", "alb-multi-value"])
def test_anonymous_clients_never_get_an_exported_file_basic_auth_protects(
    door: str, export_dir: Path
) -> None:
    builder = gated_apps.basic_auth(public_bundles=True)
    authorized = {"headers": {"Authorization": gated_apps.AUTHORIZATION}}
    files = protected(make_lambda_handler(builder, static_dir=export_dir), door, authorized)
    handler = make_lambda_handler(builder, static_dir=export_dir)
    assert_refused(handler, door, files)
    assert protected(handler, door, authorized) == files
    assert_refused(handler, door, files)  # after the export's bytes went to an authorized client
    assert handler.static_cache_stats["exported"] >= 1
    assert handler.static_cache_stats["compressed"] == 0


def test_anonymous_clients_never_get_an_exported_file_a_session_login_protects(export_dir: Path) -> None:
    builder = gated_apps.session_gate(public_bundles=True)
    handler = make_lambda_handler(builder, static_dir=export_dir)
    files = protected(handler, DOOR, {"cookie": session_cookie(handler, DOOR)})
    assert handler.static_cache_stats["exported"] >= 1
    assert_refused(handler, DOOR, files)
    for path in (PLOTLY_JS, LOGO):
        found = StaticFiles.load(export_dir).find(path)
        assert found is not None
        got = get(handler, DOOR, path, accept="br", headers={"If-None-Match": found[0].etag})
        assert got.status in (302, 401), path  # a validator is no key


# --- priming at init ---------------------------------------------------------------------------


def first_page_load(handler: Any) -> list[tuple[str, dict[str, str]]]:
    """What a browser's first page load asks for: the index's files, the favicon, the graph's chunks."""
    index = get(handler, DOOR, "/", accept="gzip, deflate, br")
    chunks = ["/_dash-component-suites/dash/dcc/async-graph.js", PLOTLY_JS, "/_favicon.ico"]
    return [*page_files(index.text, DOOR), *((path, {}) for path in chunks)]


def test_with_an_export_init_primes_every_file_the_first_page_load_asks_for(export_dir: Path) -> None:
    handler = make_lambda_handler(sample_app.build_app, prefixes=["/Prod/"], static_dir=export_dir)
    files = first_page_load(handler)
    assert any(is_fingerprinted(path) for path, _ in files) and any(query for _, query in files)
    before, stats = len(sample_app.REQUESTS), dict(handler.static_cache_stats)
    must_revalidate = []
    for path, query in files:
        got = get(handler, DOOR, path, query=query, accept="gzip, deflate, br")
        assert got.status == 200 and got.header("content-encoding") in ("br", None), path
        if "no-cache" in (got.header("cache-control") or ""):
            must_revalidate.append(path)
    assert must_revalidate == ["/assets/app.js"]  # Flask's answer for assets: revalidate on every use
    # No file of the page made the app answer in full: each was stored at init, and the one
    # marked no-cache was released by the app's 304, as on every later page load.
    assert sample_app.REQUESTS[before:] == must_revalidate
    delta = {key: handler.static_cache_stats[key] - stats[key] for key in ("hits", "revalidated", "passed")}
    assert delta == {"hits": len(files) - 1, "revalidated": 1, "passed": 0}
    assert handler.static_cache_stats["compressed"] == 0


def test_without_an_export_or_with_priming_off_init_leaves_static_files_alone(export_dir: Path) -> None:
    for static_dir, prime in ((None, True), (export_dir, False)):
        handler = make_lambda_handler(
            sample_app.build_app, prefixes=["/Prod/"], static_dir=static_dir, prime=prime
        )
        assert handler.static_cache_stats["stored"] == 0, (static_dir, prime)
        before = len(sample_app.REQUESTS)
        get(handler, DOOR, PLOTLY_JS, accept="br")
        assert sample_app.REQUESTS[before:] == [PLOTLY_JS], (static_dir, prime)


@pytest.mark.parametrize("gate", ["basic_auth", "session_gate"])
def test_priming_stores_nothing_the_app_protects(gate: str, export_dir: Path) -> None:
    builder = getattr(gated_apps, gate)(public_bundles=True)
    handler = make_lambda_handler(builder, prefixes=["/Prod/"], static_dir=export_dir)
    assert handler.static_cache_stats["stored"] == 0
    if gate == "basic_auth":
        credentials: dict[str, Any] = {"headers": {"Authorization": gated_apps.AUTHORIZATION}}
    else:
        credentials = {"cookie": session_cookie(handler, DOOR)}
    files = protected(make_lambda_handler(builder, static_dir=export_dir), DOOR, credentials)
    assert_refused(handler, DOOR, files)
