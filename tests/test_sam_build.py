"""A real ``sam build`` of template.yml, and the built function serving events.

The build runs once per module, from a directory outside the repository (the
Makefile must not depend on where ``sam build`` is started) into a temporary
``--build-dir`` (parallel runs do not clash). Packages come from PyPI; no
Docker. The built function is then loaded by the Lambda runtime's Python
(python3.13) in a child process started with ``-I -S``: nothing but the
standard library and the artifact is importable, as in a Lambda sandbox.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from _sam import (
    EVENTS,
    FRONTEND,
    FUNCTION,
    REPO,
    SAM_MISSING,
    TEMPLATE,
    local_s3,
    population_csv,
    run,
    run_handler,
    runtime_python,
    sam_executable,
    venv_site_packages,
)
from lambda_events import HTTP_FIXTURES, callback_body, dash_config, decode, event_for, find_component

pytestmark = pytest.mark.sam

SIZE_BUDGET_MB = 100
#: The time `sam deploy`'s zip gives every file (1980-01-01 UTC), which the Makefile sets too.
PACKAGE_MTIME = 315532800
PREFIXES = "/Prod/"  # what template.yml's defaults set in DASH_LAMBDA_PREFIXES
JSON = {"Content-Type": "application/json"}


@dataclass
class Build:
    artifact: Path
    template: Path
    seconds: float
    output: str
    repo_build_dir_existed: bool


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    if not sam_executable():
        pytest.skip(SAM_MISSING)
    workdir = tmp_path_factory.mktemp("sam-build")
    existed = (REPO / "build").exists()
    python = runtime_python()  # lets the Makefile compile bytecode for the runtime
    started = time.perf_counter()
    result = run(
        ["sam", "build", "--template-file", str(TEMPLATE), "--build-dir", str(workdir / "build")],
        cwd=workdir,
        timeout=900,
        env={"LAMBDA_PYTHON": python} if python else {},
    )
    seconds = time.perf_counter() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return Build(workdir / "build" / FUNCTION, workdir / "build" / "template.yaml", seconds, output, existed)


@pytest.fixture(scope="module")
def python313() -> str:
    python = runtime_python()
    if python is None:
        pytest.fail("no python3.13 (the Lambda runtime's version): install it or set DASH_LAMBDA_TEST_PYTHON")
    return python


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


# ------------------------------------------------------------------ the artifact


def test_build_succeeds_from_another_directory(build: Build) -> None:
    assert "Build Succeeded" in build.output
    print(f"\nsam build: {build.seconds:.1f} s")


def test_artifact_holds_app_library_and_dependencies(build: Build) -> None:
    artifact = build.artifact
    for name in ("app.py", "dash_app.py", "long_job.py", "population.py", "wsgi.py"):
        assert (artifact / name).read_bytes() == (FRONTEND / name).read_bytes()
    for name in ("assets/architecture.png", "data/population.csv"):
        assert (artifact / name).read_bytes() == (FRONTEND / name).read_bytes()
    for package in ("dash", "plotly", "flask", "werkzeug", "apig_wsgi", "brotli"):
        assert (artifact / package).is_dir() or list(artifact.glob(f"{package}*.py")), package
    assert (artifact / "dash_lambda" / "py.typed").exists()


def test_library_is_this_repository_s(build: Build) -> None:
    source = REPO / "src" / "dash_lambda"
    built = build.artifact / "dash_lambda"
    source_files = {p.relative_to(source) for p in source.rglob("*.py")}
    assert {p.relative_to(built) for p in built.rglob("*.py")} == source_files
    for relative in source_files:
        assert (built / relative).read_bytes() == (source / relative).read_bytes(), relative


def test_artifact_leaves_out_what_lambda_provides_or_never_serves(build: Build) -> None:
    artifact = build.artifact
    for absent in ("boto3", "botocore", "s3transfer", "bin", "share", "etc", "plotly/labextension"):
        assert not (artifact / absent).exists(), absent
    assert not list(artifact.rglob("*.map"))
    for absent in ("Makefile", "requirements.txt", "tests", "template.yml"):
        assert not (artifact / absent).exists(), absent
    for never_served in ("dash/dash-renderer/build/dash_renderer.dev.js", "dash/dash_table/commons.js"):
        assert not (artifact / never_served).exists(), never_served


def test_artifact_ships_bytecode_for_the_runtime_only(build: Build, python313: str) -> None:
    """Compiled by python3.13, hash-based and unchecked: valid however the zip stores mtimes."""
    compiled = [p for p in build.artifact.rglob("*.pyc") if p.parent.name == "__pycache__"]
    assert {p.name.split(".")[-2] for p in compiled} == {"cpython-313"}
    names = {p.relative_to(build.artifact).as_posix() for p in compiled}
    for module in ("app", "dash_app", "population"):
        assert f"__pycache__/{module}.cpython-313.pyc" in names
    for package in ("dash", "flask", "dash_lambda", "pydantic"):
        assert f"{package}/__pycache__/__init__.cpython-313.pyc" in names
    for path in compiled[:50]:
        flags = int.from_bytes(path.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{path}: not an unchecked hash-based pyc"


def test_plotly_graph_objs_ships_as_bytecode_in_place_of_its_source(build: Build, python313: str) -> None:
    """Compiled too (plotly/graph_objs/_figure.py alone costs ~20 ms per cold start), without growing the package."""
    graph_objs = build.artifact / "plotly" / "graph_objs"
    assert not list(graph_objs.rglob("*.py"))
    compiled = list(graph_objs.rglob("*.pyc"))
    assert len(compiled) > 1000 and (graph_objs / "_figure.pyc").exists()
    magic = run(
        [python313, "-c", "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"]
    )
    assert {p.read_bytes()[:4].hex() for p in compiled} == {magic.stdout}


def test_artifact_files_carry_the_time_the_deployment_zip_gives_them(build: Build) -> None:
    """Dash fingerprints bundle URLs with their mtime; the export's URLs are then the deployed function's."""
    for relative in ("dash/dcc/dash_core_components.js", "plotly/package_data/plotly.min.js", "app.py"):
        assert int((build.artifact / relative).stat().st_mtime) == PACKAGE_MTIME


def test_artifact_holds_the_static_export(build: Build) -> None:
    manifest = json.loads((build.artifact / "static-files" / "manifest.json").read_text())
    files = manifest["files"]
    assert "/_dash-component-suites/plotly/package_data/plotly.min.js" in files
    assert "/assets/architecture.png" in files and "/_favicon.ico" in files
    fingerprinted = [path for path, entry in files.items() if entry["immutable"]]
    assert fingerprinted and all(f"m{PACKAGE_MTIME}." in path for path in fingerprinted)
    assert not any(path.endswith(".map") for path in files), "source maps are pruned, so not served"
    for path, entry in files.items():
        if entry["content_type"].startswith("text/javascript"):
            assert set(entry["encodings"]) == {"br", "gzip"}, path


def test_uploader_is_built_from_the_library_module(build: Build) -> None:
    built = build.artifact.parent / "StaticFilesUploader"
    assert sorted(p.name for p in built.iterdir()) == ["cdn_upload.py"]
    assert (built / "cdn_upload.py").read_bytes() == (
        REPO / "src" / "dash_lambda" / "cdn_upload.py"
    ).read_bytes()


def test_artifact_size_within_budget(build: Build) -> None:
    size = _size_mb(build.artifact)
    print(f"\nartifact: {size:.1f} MB unzipped")
    assert size <= SIZE_BUDGET_MB


def test_build_leaves_the_repository_clean(build: Build) -> None:
    if not build.repo_build_dir_existed:
        assert not (REPO / "build").exists(), "the library was built inside the source tree"
    assert not (FRONTEND / ".aws-sam").exists()


def test_built_template_points_at_the_artifact(build: Build) -> None:
    text = build.template.read_text()
    assert re.search(rf"^\s+CodeUri: {FUNCTION}$", text, re.M)
    assert "Handler: app.lambda_handler" in text


# ------------------------------------------------------------------ serving events


def _event_files() -> list[Path]:
    return sorted(EVENTS.glob("*.json"))


def _load_event(path: Path) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(path.read_text())
    event.pop("_comment", None)
    return event


def _requests_for(door: str) -> list[dict[str, Any]]:
    dropdown = callback_body(
        "population-graph.figure", [{"id": "country-dropdown", "property": "value", "value": "Canada"}]
    )
    return [
        _load_event(EVENTS / f"{door}.json"),  # the file itself: GET /
        event_for(door, "/_dash-layout"),
        event_for(door, "/assets/architecture.png"),
        event_for(door, "/_dash-update-component", method="POST", body=dropdown, headers=JSON),
    ]


@pytest.fixture(scope="module")
def served(build: Build, python313: str) -> dict[str, Any]:
    """Every file in events/ (and, per HTTP door, three more routes) through the built handler."""
    batches: dict[str, list[dict[str, Any]]] = {}
    for path in _event_files():
        door = path.stem
        if door in HTTP_FIXTURES:
            batches[door] = _requests_for(door)
        else:
            event = _load_event(path)
            assert event.get("source") == "aws.events", f"{path.name}: add its expected answer to this test"
            batches[door] = [event]
    flat = [event for batch in batches.values() for event in batch]
    result = run_handler(
        python313, build.artifact, flat, env={"DASH_LAMBDA_PREFIXES": PREFIXES}, isolated=True
    )
    responses = iter(result["responses"])
    result["by_door"] = {door: [next(responses) for _ in batch] for door, batch in batches.items()}
    return result


def test_handler_runs_on_the_runtime_python_from_the_artifact_only(
    served: dict[str, Any], build: Build
) -> None:
    print(f"\ninit (import app, build the /Prod/ app, prime it): {served['init_seconds']:.2f} s")
    assert served["python"] == [3, 13]
    for module, path in served["modules"].items():
        assert Path(path).is_relative_to(build.artifact), f"{module} imported from {path}"


@pytest.mark.parametrize("door", sorted(HTTP_FIXTURES))
def test_every_http_event_is_served_with_its_prefix(door: str, served: dict[str, Any]) -> None:
    prefix = HTTP_FIXTURES[door]
    index, layout, image, callback = (decode(r) for r in served["by_door"][door])

    assert index.status == 200
    assert index.header("content-type") == "text/html; charset=utf-8"
    assert "<title>Dash on Lambda</title>" in index.text
    assert dash_config(index.text)["requests_pathname_prefix"] == prefix
    urls = re.findall(r'(?:src|href)="(/[^"]*)"', index.text)
    assert urls, "no URLs in the index page"
    assert all(url.startswith(prefix) for url in urls), urls

    assert layout.status == 200
    assert layout.header("content-type") == "application/json"
    image_props = find_component(layout.json(), "architecture-img")
    assert image_props and image_props["src"] == f"{prefix}assets/architecture.png"

    assert image.status == 200
    assert image.header("content-type") == "image/png"
    assert image.raw["isBase64Encoded"] is True
    assert image.body == (FRONTEND / "assets" / "architecture.png").read_bytes()

    assert callback.status == 200
    assert callback.header("content-type") == "application/json"
    trace = callback.json()["response"]["population-graph"]["figure"]["data"][0]
    assert (trace["x"][0], trace["x"][-1]) == (1952, 2007)


def test_exported_files_are_what_the_built_function_serves(build: Build, python313: str) -> None:
    """Through the built handler on python3.13, every file of the export, byte for byte, in every coding."""
    export = build.artifact / "static-files"
    files = json.loads((export / "manifest.json").read_text())["files"]
    events = [
        event_for("rest-stage-url", path, headers={"Accept-Encoding": coding})
        for path in files
        for coding in ("identity", "br")
    ]
    result = run_handler(
        python313, build.artifact, events, env={"DASH_LAMBDA_PREFIXES": PREFIXES}, isolated=True
    )
    answers = iter(decode(r) for r in result["responses"])
    for path, entry in files.items():
        for _coding in ("identity", "br"):
            answer = next(answers)
            assert answer.status == 200, path
            assert answer.header("content-type") == entry["content_type"], path
            assert answer.body == (export / path.lstrip("/")).read_bytes(), path


def test_every_event_file_is_covered() -> None:
    names = {p.stem for p in _event_files()}
    assert set(HTTP_FIXTURES) <= names
    assert names - set(HTTP_FIXTURES), "no warm-up event in events/"


@pytest.mark.parametrize(
    "door", sorted(p.stem for p in _event_files() if p.stem not in HTTP_FIXTURES) or ["(none)"]
)
def test_warm_up_event_is_answered_with_the_app_built(door: str, served: dict[str, Any]) -> None:
    [answer] = served["by_door"][door]
    assert "statusCode" not in answer, "a warm-up is not an HTTP request"
    assert PREFIXES in answer["warmed"]


def test_built_function_reads_s3_with_the_runtime_s_boto3(build: Build, python313: str) -> None:
    """boto3 is not in the package: the Lambda runtime adds it after the package on sys.path.

    The test environment's site-packages stands in for the runtime's boto3.
    """
    key = "population.csv"
    rows = {"Testland": [(2000, 10), (2005, 20)]}
    with local_s3({key: population_csv(rows)}) as env:
        result = run_handler(
            python313,
            build.artifact,
            [event_for("rest-stage-url", "/_dash-layout")],
            env={**env, "DATA_BUCKET": env["BUCKET"], "DATA_KEY": key, "DASH_LAMBDA_PREFIXES": PREFIXES},
            isolated=True,
            extra_paths=[venv_site_packages()],
        )
    layout = decode(result["responses"][0])
    assert layout.status == 200
    source = find_component(layout.json(), "data-source")
    assert source and source["children"] == f"Data: s3://{env['BUCKET']}/{key}"
    dropdown = find_component(layout.json(), "country-dropdown")
    assert dropdown and dropdown["options"] == ["Testland"]


def test_built_template_keeps_the_parameters(build: Build) -> None:
    text = build.template.read_text()
    loaded = yaml.safe_load(re.sub(r"!\w+", "", text))
    assert set(loaded["Parameters"]) >= {"FrontDoor", "StageName", "DomainName", "EnableSnapStart"}
