"""``dash-lambda export-static``: every file the app serves to anyone, byte for byte, precompressed.

The sample app is exported in process (without variants, which cost ~20 s
of brotli on plotly.min.js) and checked against the session's real handler;
the example dashboard (with variants) and an app of third-party component
libraries are exported and checked in child processes (see
``_static_export.py``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import brotli
import dash
import flask
import pytest
from _static_export import APPS, FRONTEND, export, handler_answers
from apps import sample_app
from lambda_events import FakeContext, decode, event_for

from dash_lambda import LambdaHandler, make_lambda_handler
from dash_lambda.apps import AppCache
from dash_lambda.export import ExportError, export_static, file_for, load_manifest
from dash_lambda.export import _write_variants as write_variants
from dash_lambda.local.cli import main
from dash_lambda.static_files import is_fingerprinted

DOORS = ("rest-stage-url", "http-api-default", "function-url")
LAMBDA_RESPONSE_LIMIT = 6_291_556
FINGERPRINT = re.compile(r"\.v[\w-]+m(\d+)\.")


@pytest.fixture(scope="module")
def sample_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sample") / "static-files"
    export_static(sample_app.build_app, directory, compress=False)
    return directory


def manifest_of(directory: Path) -> dict[str, Any]:
    manifest = load_manifest(directory)
    assert manifest is not None
    return manifest


def files_of(directory: Path) -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = manifest_of(directory)["files"]
    return files


def index_suite_urls(handler: LambdaHandler) -> list[str]:
    html = decode(handler(event_for("rest-custom-domain", "/"), FakeContext())).text
    return [url.split("?")[0] for url in re.findall(r'(?:src|href)="(/_dash-component-suites/[^"]+)"', html)]


# ------------------------------------------------------------------ the sample app, in process


@pytest.mark.parametrize("door", DOORS)
def test_every_exported_file_is_what_the_handler_serves(
    sample_export: Path, handler: LambdaHandler, door: str
) -> None:
    files = files_of(sample_export)
    assert len(files) > 20
    for path, entry in files.items():
        served = decode(handler(event_for(door, path), FakeContext()))
        assert served.status == 200, path
        assert served.body == file_for(sample_export, path).read_bytes(), path
        assert served.header("content-type") == entry["content_type"], path


def test_export_holds_every_bundle_the_page_loads_and_every_file_dash_registered(
    sample_export: Path, handler: LambdaHandler
) -> None:
    files = files_of(sample_export)
    referenced = index_suite_urls(handler)
    assert referenced and all(is_fingerprinted(url) for url in referenced)
    assert set(referenced) <= set(files)
    app = AppCache(sample_app.build_app, max_apps=1).get("/").dash_app
    app.server.test_client().get("/")  # the index registers every resource of every library
    registered = {
        f"/_dash-component-suites/{ns}/{rel}" for ns, rels in app.registered_paths.items() for rel in rels
    }
    assert len(registered) > 30
    on_disk = {p for p in registered if _package_file(p).exists()}
    assert on_disk <= set(files), sorted(on_disk - set(files))
    for path in (
        "/_dash-component-suites/dash/dcc/async-graph.js",
        "/_dash-component-suites/dash/dcc/async-dropdown.js",
        "/_dash-component-suites/plotly/package_data/plotly.min.js",
    ):
        assert path in files


def _package_file(app_path: str) -> Path:
    namespace, _, relative = app_path.removeprefix("/_dash-component-suites/").partition("/")
    return Path(sys.modules[namespace].__file__ or "").parent / relative


def test_assets_and_favicon_are_exported(sample_export: Path) -> None:
    files = files_of(sample_export)
    for name in ("logo.png", "app.js"):
        assert (sample_export / "assets" / name).read_bytes() == (sample_app.ASSETS / name).read_bytes()
    assert files["/assets/logo.png"]["content_type"] == "image/png"
    assert files["/_favicon.ico"]["content_type"] == "image/x-icon"


def test_manifest_describes_each_file(sample_export: Path) -> None:
    manifest = manifest_of(sample_export)
    assert manifest["format"] == 1
    assert manifest["dash"] == dash.__version__
    on_disk = {
        "/" + path.relative_to(sample_export).as_posix()
        for path in sample_export.rglob("*")
        if path.is_file() and path.name != "manifest.json"
    }
    assert on_disk == set(manifest["files"]), "the tree holds exactly the files the manifest names"
    for path, entry in manifest["files"].items():
        body = file_for(sample_export, path).read_bytes()
        assert entry["size"] == len(body)
        assert entry["sha256"] == hashlib.sha256(body).hexdigest()
        assert entry["etag"] == f'"{entry["sha256"][:32]}"'
        assert entry["encodings"] == {}  # compress=False


def test_fingerprinted_paths_are_immutable_and_name_the_file_dash_dates(sample_export: Path) -> None:
    files = files_of(sample_export)
    fingerprinted = {path: entry for path, entry in files.items() if FINGERPRINT.search(path)}
    assert fingerprinted
    assert all(not entry["immutable"] for path, entry in files.items() if path not in fingerprinted)
    for path, entry in fingerprinted.items():
        assert entry["immutable"] is True
        source = entry["fingerprint"]["source"]
        root = next(Path(p) for p in sys.path if p and (Path(p) / source).is_file())
        assert int(os.stat(root / source).st_mtime) == entry["fingerprint"]["mtime"]
        match = FINGERPRINT.search(path)
        assert match and int(match[1]) == entry["fingerprint"]["mtime"]
        assert files[path]["sha256"] == files[FINGERPRINT.sub(".", path)]["sha256"], (
            "same bytes as the plain name"
        )


def test_a_dash_app_instance_is_exported_as_it_serves(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    (assets / "css").mkdir(parents=True)
    (assets / "css" / "site.css").write_text("body { margin: 0 }\n" * 200)
    app = dash.Dash(__name__, assets_folder=str(assets), routes_pathname_prefix="/app/")
    app.layout = dash.html.Div("instance")
    result = export_static(app, tmp_path / "out", compress=False)
    client = app.server.test_client()
    assert "/assets/css/site.css" in result.files
    for path in result.files:
        served = client.get("/app" + path)
        assert served.data == file_for(result.directory, path).read_bytes(), path


# ------------------------------------------------------------------ what stays behind the app


def test_files_the_app_refuses_or_keeps_private_stay_behind_the_app(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    for name in ("public.txt", "secret.txt", "private.txt", "cookie.txt", "vary.txt"):
        (assets / name).write_text(name)
    app = dash.Dash(__name__, assets_folder=str(assets))
    app.layout = dash.html.Div()
    server: flask.Flask = app.server

    @server.before_request
    def gate() -> flask.Response | None:
        if flask.request.path.endswith("secret.txt") and "session" not in flask.request.cookies:
            return flask.Response("log in first", status=403)
        return None

    @server.after_request
    def headers(response: flask.Response) -> flask.Response:
        path = flask.request.path
        if path.endswith("private.txt"):
            response.headers["Cache-Control"] = "private, max-age=60"
        elif path.endswith("cookie.txt"):
            response.set_cookie("seen", "1")
        elif path.endswith("vary.txt"):
            response.headers["Vary"] = "Cookie"
        return response

    result = export_static(app, tmp_path / "out", compress=False)
    assert "/assets/public.txt" in result.files
    skipped = {s.path: s.reason for s in result.skipped}
    assert skipped["/assets/secret.txt"] == "answered 403"
    assert skipped["/assets/private.txt"].startswith("Cache-Control: private")
    assert skipped["/assets/cookie.txt"] == "sets a cookie"
    assert skipped["/assets/vary.txt"] == "Vary: Cookie"
    assert not (tmp_path / "out" / "assets" / "secret.txt").exists()


# ------------------------------------------------------------------ the directory


def test_refuses_a_directory_that_holds_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty"):
        export_static(sample_app.build_app, tmp_path, compress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_an_earlier_export_is_replaced_whole(tmp_path: Path, sample_export: Path) -> None:
    target = tmp_path / "static"
    export_static(sample_app.build_app, target, compress=False)
    (target / "assets" / "stale.js").write_text("old")
    export_static(sample_app.build_app, target, compress=False)
    assert not (target / "assets" / "stale.js").exists()
    assert files_of(target).keys() == files_of(sample_export).keys()
    assert [p.name for p in tmp_path.iterdir()] == ["static"], "no staging directory left behind"


def test_a_lambda_handler_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="name the app builder"):
        export_static(make_lambda_handler(sample_app.build_app), tmp_path / "out")  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["/assets/../secret", "/assets/./x", "/", "/a\\b"])
def test_paths_that_would_leave_the_export_are_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(ExportError, match="refusing"):
        file_for(tmp_path, path)


def test_variants_are_written_next_to_text_files_only_and_never_over_a_real_file(tmp_path: Path) -> None:
    text = b"function hello() { return 'hello'; }\n" * 100
    bodies = {
        "/assets/app.js": text,
        "/assets/app.js.gz": b"a real asset",
        "/assets/pic.png": os.urandom(500),
    }
    files: dict[str, dict[str, Any]] = {
        "/assets/app.js": {"content_type": "text/javascript; charset=utf-8", "encodings": {}},
        "/assets/app.js.gz": {"content_type": "application/gzip", "encodings": {}},
        "/assets/pic.png": {"content_type": "image/png", "encodings": {}},
    }
    for path, body in bodies.items():
        file_for(tmp_path, path).parent.mkdir(parents=True, exist_ok=True)
        file_for(tmp_path, path).write_bytes(body)
    write_variants(tmp_path, files, bodies, jobs=2)
    assert set(files["/assets/app.js"]["encodings"]) == {"br"}, "the real app.js.gz is not a variant"
    assert (tmp_path / "assets" / "app.js.gz").read_bytes() == b"a real asset"
    assert brotli.decompress((tmp_path / "assets" / "app.js.br").read_bytes()) == text
    assert files["/assets/pic.png"]["encodings"] == {}
    assert not (tmp_path / "assets" / "pic.png.br").exists()


# ------------------------------------------------------------------ the command


def test_command_prints_what_it_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "export-static",
            "--app-dir",
            str(APPS),
            "sample_app:build_app",
            str(tmp_path / "o"),
            "--no-compress",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert re.search(r"exported \d+ files \([\d.]+ MB\) to .*o$", out, re.M), out


def test_command_exports_a_dash_app_instance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "instance_app.py").write_text(
        "import dash\napp = dash.Dash(__name__)\napp.layout = dash.html.Div('instance')\n"
    )
    status = main(
        [
            "export-static",
            "--app-dir",
            str(tmp_path),
            "instance_app:app",
            str(tmp_path / "o"),
            "--no-compress",
        ]
    )
    assert status == 0, capsys.readouterr().err
    assert "/_dash-component-suites/dash/dcc/async-graph.js" in files_of(tmp_path / "o")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sample_app:missing"], "has no attribute 'missing'"),
        (["sample_app:POPULATION"], "expected a dash.Dash app or an app builder"),
    ],
)
def test_command_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status = main(["export-static", "--app-dir", str(APPS), *args, str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == 1
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


# ------------------------------------------------------------------ the example dashboard and third-party components


def test_example_export_is_byte_identical_to_the_handler_through_every_coding(example_export: Path) -> None:
    files = files_of(example_export)
    answers = handler_answers(FRONTEND, "dash_app:build_app", example_export)
    assert answers.keys() == files.keys()
    for path, entry in files.items():
        for answer in answers[path]:
            assert answer["status"] == 200, (path, answer)
            assert answer["sha256"] == entry["sha256"], (path, answer)
            assert answer["content_type"] == entry["content_type"], (path, answer)


def test_example_variants_decompress_to_the_identity_bytes(example_export: Path) -> None:
    files = files_of(example_export)
    compressed = 0
    for path, entry in files.items():
        identity = file_for(example_export, path).read_bytes()
        if entry["content_type"].startswith(("text/", "application/json")) and entry["size"] > 1000:
            assert set(entry["encodings"]) == {"br", "gzip"}, path
        for coding, size in entry["encodings"].items():
            variant = file_for(example_export, path + {"br": ".br", "gzip": ".gz"}[coding]).read_bytes()
            assert len(variant) == size < len(identity)
            assert (brotli.decompress if coding == "br" else gzip.decompress)(variant) == identity, path
            compressed += 1
    assert compressed > 20
    plotly = files["/_dash-component-suites/plotly/package_data/plotly.min.js"]
    assert plotly["encodings"]["br"] < 1_200_000, "brotli at its best quality"
    assert files["/assets/architecture.png"]["encodings"] == {}


def test_example_export_holds_what_the_page_loads(example_export: Path) -> None:
    files = files_of(example_export)
    names = {path.removeprefix("/_dash-component-suites/") for path in files}
    for expected in (
        "dash/dcc/async-graph.js",
        "dash/dcc/async-datepicker.js",
        "dash/dash-renderer/build/dash_renderer.min.js",
        "plotly/package_data/plotly.min.js",
    ):
        assert expected in names
    assert any(FINGERPRINT.search(name) and "dash_renderer" in name for name in names)
    assert {"/assets/architecture.png", "/_favicon.ico"} <= set(files)
    manifest = json.loads((example_export / "manifest.json").read_text())
    assert manifest["generator"] == "dash-lambda export-static"


def test_third_party_component_libraries_are_exported_byte_for_byte(tmp_path: Path) -> None:
    directory = tmp_path / "static-files"
    printed = export(APPS, "thirdparty_app:build_app", directory, "--no-compress").stdout
    assert "exported" in printed
    files = files_of(directory)
    suites = [p.removeprefix("/_dash-component-suites/") for p in files]
    for expected in (
        "dash_ag_grid/dash_ag_grid.min.js",
        "dash_ag_grid/async-community.js",
        "dash_ag_grid/async-enterprise.js",
        "dash_bootstrap_components/_components/dash_bootstrap_components.min.js",
    ):
        assert expected in suites, expected
    for library in ("dash_ag_grid/dash_ag_grid", "dash_bootstrap_components/_components/"):
        assert any(p.startswith(library) and FINGERPRINT.search(p) for p in suites), library
    answers = handler_answers(APPS, "thirdparty_app:build_app", directory)
    too_large = 0
    for path, entry in files.items():
        for answer in answers[path]:
            if answer["coding"] == "identity" and entry["size"] > LAMBDA_RESPONSE_LIMIT:
                # AG Grid's 11 MB source map: only the CDN can send it uncompressed.
                assert answer["status"] == 500
                too_large += 1
                continue
            assert (answer["status"], answer["sha256"]) == (200, entry["sha256"]), (path, answer)
    assert too_large == 2, "one file, two front doors"
