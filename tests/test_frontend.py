"""The example dashboard in frontend/: its data source and its pages.

The data module is tested in this process: against the bundled CSV, and
against moto's standalone S3 server on 127.0.0.1 (a real HTTP S3 API; boto3
reaches it through ``AWS_ENDPOINT_URL_S3``). The Dash app is driven through
``app.lambda_handler`` in a child process (see ``_sam.DRIVER``), with events
shaped by ``lambda_events``, so its module-level callbacks never mix with the
library tests' apps in this process.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest
from _sam import FRONTEND, local_s3, population_csv, run_handler
from lambda_events import callback_body, dash_config, decode, event_for, find_component


def _frontend_module(name: str) -> ModuleType:
    """Import frontend/<name>.py without putting frontend/ on this process's sys.path."""
    spec = importlib.util.spec_from_file_location(f"frontend_{name}", FRONTEND / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


population = _frontend_module("population")

S3_ROWS = {
    "Testland": [(2000, 1_000), (2005, 1_500), (2010, 2_250)],
    "Examplestan": [(2000, 7), (2010, 9)],
}
S3_KEY = "exports/population.csv"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A local S3 with one population CSV; this process's boto3 pointed at it."""
    with local_s3({S3_KEY: population_csv(S3_ROWS)}) as env:
        for name, value in env.items():
            if name.startswith("AWS_"):
                monkeypatch.setenv(name, value)
        yield env


# ------------------------------------------------------------------ data source


def test_bundled_csv_has_countries_by_year() -> None:
    table = population.load({})
    assert table.source == "bundled CSV"
    assert "Canada" in table.countries
    assert len(table.countries) >= 5
    assert table.countries == sorted(table.countries)
    for country in table.countries:
        years, pops = table.series(country)
        assert years == list(range(1952, 2008, 5)), country
        assert all(p > 100_000 for p in pops), country
    years, pops = table.series("Canada")
    assert pops == sorted(pops)
    assert 10_000_000 < pops[0] < pops[-1] < 50_000_000


def test_unknown_country_has_an_empty_series() -> None:
    assert population.load({}).series("Atlantis") == ([], [])


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"DATA_BUCKET": "", "DATA_KEY": ""}, None),
        ({"DATA_BUCKET": "b", "DATA_KEY": "k.csv"}, ("b", "k.csv")),
    ],
)
def test_s3_is_used_only_when_bucket_and_key_are_set(
    environ: dict[str, str], expected: tuple[str, str] | None
) -> None:
    assert population.s3_location(environ) == expected


@pytest.mark.parametrize(
    "environ", [{"DATA_BUCKET": "b"}, {"DATA_KEY": "k.csv"}, {"DATA_BUCKET": "b", "DATA_KEY": " "}]
)
def test_half_an_s3_location_is_an_error(environ: dict[str, str]) -> None:
    with pytest.raises(population.PopulationDataError, match="DATA_BUCKET and DATA_KEY"):
        population.s3_location(environ)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("country,year\nA,2000\n", "missing column"),
        ("country,year,pop\nA,two thousand,5\n", "line 2"),
        ("country,year,pop\n", "no data rows"),
    ],
)
def test_bad_csv_names_the_source_and_the_problem(text: str, message: str) -> None:
    with pytest.raises(population.PopulationDataError, match=f"s3://b/k: .*{message}"):
        population.parse_csv(text, "s3://b/k")


def test_reads_the_csv_from_s3(s3: dict[str, str]) -> None:
    table = population.load({"DATA_BUCKET": s3["BUCKET"], "DATA_KEY": S3_KEY})
    assert table.source == f"s3://{s3['BUCKET']}/{S3_KEY}"
    assert table.countries == ["Examplestan", "Testland"]
    assert table.series("Testland") == ([2000, 2005, 2010], [1_000, 1_500, 2_250])


def test_missing_s3_object_is_a_clear_error(s3: dict[str, str]) -> None:
    with pytest.raises(population.PopulationDataError, match=r"cannot read s3://dash-data/nope\.csv"):
        population.load({"DATA_BUCKET": s3["BUCKET"], "DATA_KEY": "nope.csv"})


def test_table_is_read_once_per_process(s3: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_BUCKET", s3["BUCKET"])
    monkeypatch.setenv("DATA_KEY", S3_KEY)
    population.get_table.cache_clear()
    try:
        first = population.get_table()
        boto3.client("s3").delete_object(Bucket=s3["BUCKET"], Key=S3_KEY)
        assert population.get_table() is first  # no second GET: the object is gone
    finally:
        population.get_table.cache_clear()


# ------------------------------------------------------------------ the app, through the handler


def _layout(response: dict[str, Any]) -> Any:
    decoded = decode(response)
    assert decoded.status == 200
    assert decoded.header("content-type") == "application/json"
    return decoded.json()


def _callback(response: dict[str, Any], component: str, prop: str) -> Any:
    decoded = decode(response)
    assert decoded.status == 200, decoded.body[:500]
    return decoded.json()["response"][component][prop]


def _dropdown(door: str, country: str) -> dict[str, Any]:
    body = callback_body(
        "population-graph.figure", [{"id": "country-dropdown", "property": "value", "value": country}]
    )
    return event_for(door, "/_dash-update-component", method="POST", body=body, headers=JSON)


def _birthdate(door: str, day: str) -> dict[str, Any]:
    body = callback_body(
        "birthdate-output.children", [{"id": "birthdate-picker", "property": "date", "value": day}]
    )
    return event_for(door, "/_dash-update-component", method="POST", body=body, headers=JSON)


def _props(tree: Any, component_id: str) -> dict[str, Any]:
    props = find_component(tree, component_id)
    assert props is not None, f"no #{component_id} in the layout"
    return props


def _text(children: Any) -> str:
    if isinstance(children, list):
        return "".join(_text(c) for c in children)
    if isinstance(children, dict):  # a serialized component, or the props find_component gives
        return _text(children.get("props", children).get("children"))
    return "" if children is None else str(children)


def test_dashboard_pages_and_callbacks() -> None:
    door = "rest-stage-url"
    events = [
        event_for(door, "/"),
        event_for(door, "/_dash-layout"),
        _dropdown(door, "Japan"),
        _birthdate(door, "2000-01-01"),
        _birthdate(door, (date.today() + timedelta(days=3)).isoformat()),
        event_for(door, "/assets/architecture.png"),
    ]
    result = run_handler(sys.executable, FRONTEND, events, env={"DASH_LAMBDA_PREFIXES": "/Prod/"})
    index, layout, graph, days, future, image = result["responses"]

    page = decode(index)
    assert page.status == 200
    assert "<title>Dash on Lambda</title>" in page.text

    tree = _layout(layout)
    assert _text(_props(tree, "data-source")) == "Data: bundled CSV"
    assert _props(tree, "architecture-img")["src"] == "/Prod/assets/architecture.png"
    dropdown = _props(tree, "country-dropdown")
    assert dropdown["value"] == "Canada"
    assert {"Canada", "Japan"} <= set(dropdown["options"])
    _props(tree, "population-graph")
    _props(tree, "birthdate-picker")
    _props(tree, "birthdate-output")
    h1 = [n for n in tree["props"]["children"] if n.get("type") == "H1"]
    assert [_text(n) for n in h1] == ["Dash on Lambda"]

    figure = _callback(graph, "population-graph", "figure")
    expected_years, expected_pops = population.load({}).series("Japan")
    assert figure["data"][0]["x"] == expected_years
    assert figure["data"][0]["y"] == expected_pops
    assert figure["layout"]["title"]["text"] == "Population of Japan"

    today = date.today()
    possible = {(d - date(2000, 1, 1)).days for d in (today, today + timedelta(days=1))}
    assert _text(_callback(days, "birthdate-output", "children")) in {
        f"You're {n} days young!" for n in possible
    }
    assert _text(_callback(future, "birthdate-output", "children")) == "That date is in the future."

    png = decode(image)
    assert png.status == 200
    assert png.header("content-type") == "image/png"
    assert png.body == (FRONTEND / "assets" / "architecture.png").read_bytes()


def test_dashboard_reads_its_data_from_s3() -> None:
    door = "http-api-default"
    with local_s3({S3_KEY: population_csv(S3_ROWS)}) as env:
        result = run_handler(
            sys.executable,
            FRONTEND,
            [event_for(door, "/_dash-layout"), _dropdown(door, "Testland")],
            env={**env, "DATA_BUCKET": env["BUCKET"], "DATA_KEY": S3_KEY, "DASH_LAMBDA_PREFIXES": "/"},
        )
    layout, graph = result["responses"]
    tree = _layout(layout)
    assert _text(_props(tree, "data-source")) == f"Data: s3://dash-data/{S3_KEY}"
    dropdown = _props(tree, "country-dropdown")
    assert dropdown["options"] == ["Examplestan", "Testland"]
    assert dropdown["value"] == "Examplestan", "no Canada in this CSV: the first country"
    figure = _callback(graph, "population-graph", "figure")
    assert (figure["data"][0]["x"], figure["data"][0]["y"]) == ([2000, 2005, 2010], [1000, 1500, 2250])


def test_module_level_callbacks_work_on_every_prefix() -> None:
    """One process, requests alternating between three external prefixes."""
    doors = {"rest-stage-url": "/Prod/", "rest-custom-domain": "/", "rest-base-path": "/dash/"}
    events = []
    for _ in range(2):
        for door in doors:
            events += [
                event_for(door, "/_dash-layout"),
                _dropdown(door, "Canada"),
                _birthdate(door, "2020-02-29"),
            ]
    result = run_handler(sys.executable, FRONTEND, events, env={"DASH_LAMBDA_PREFIXES": "/Prod/"})
    responses = iter(result["responses"])
    for _ in range(2):
        for prefix in doors.values():
            tree = _layout(next(responses))
            assert _props(tree, "architecture-img")["src"] == f"{prefix}assets/architecture.png"
            assert _callback(next(responses), "population-graph", "figure")["data"][0]["x"][0] == 1952
            assert "days young!" in _text(_callback(next(responses), "birthdate-output", "children"))


def test_long_callback_demo_through_dash_lambda_serve(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a job store (here a folder), the page gains a background callback that outlives a request."""
    import http.client
    import json
    import time

    from serving import start_serve, stop

    monkeypatch.setenv("DASH_LAMBDA_JOBS_DIR", str(tmp_path))
    monkeypatch.setenv("LONG_JOB_SECONDS", "1")
    served = start_serve(
        "--app-dir", str(FRONTEND), "dash_app:build_app", "--stage", "Prod", "--port", "0", "--no-reload",
    )  # fmt: skip
    host, port = served.url.split("//")[1].split("/")[0].split(":")

    def post(body: str, query: str) -> Any:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            connection.request("POST", f"/Prod/_dash-update-component?{query}", body, JSON)
            response = connection.getresponse()
            assert response.status == 200, response.read()
            return json.loads(response.read())
        finally:
            connection.close()

    try:
        _, _, page = served.get("/Prod/", {"Accept-Encoding": "identity"})
        _, _, layout = served.get("/Prod/_dash-layout", {"Accept-Encoding": "identity"})
        assert find_component(json.loads(layout), "long-job-start") is not None
        end_id = dash_config(page.decode()).get("end_id")  # Dash >= 4.4.1 signs job handles
        signed = [f"endId={end_id}"] if end_id else []
        inputs = [{"id": "long-job-start", "property": "n_clicks", "value": 1}]
        handles = post(callback_body("long-job-result.children", inputs), "&".join(signed))
        query = "&".join([*signed, f"cacheKey={handles['cacheKey']}", f"job={handles['job']}"])
        deadline = time.monotonic() + 60
        answer: dict[str, Any] = {}
        while time.monotonic() < deadline and "response" not in answer:
            time.sleep(0.2)
            answer = post(callback_body("long-job-result.children", inputs), query)
    finally:
        log = stop(served)
    assert answer["response"]["long-job-result"]["children"].endswith("countries looked at).")
    assert "Traceback" not in log


@pytest.mark.parametrize(
    ("variable", "expected"),
    [(None, "static-files"), ("off", None), ("other-export", "other-export")],
)
def test_the_lambda_entry_uses_the_builds_export_unless_the_environment_says_otherwise(
    tmp_path: Any, variable: str | None, expected: str | None
) -> None:
    import json
    import os
    import shutil
    import subprocess

    copy = tmp_path / "frontend"
    shutil.copytree(FRONTEND, copy, ignore=shutil.ignore_patterns("static-files", "__pycache__"))
    for export in ("static-files", "other-export"):
        (copy / export).mkdir()
        (copy / export / "manifest.json").write_text(json.dumps({"format": 1, "files": {}}))
    env = {key: value for key, value in os.environ.items() if not key.startswith("DASH_LAMBDA_")}
    if variable is not None:
        env["DASH_LAMBDA_STATIC_DIR"] = str(copy / variable) if variable != "off" else "off"
    script = "import app; print(app.lambda_handler.settings.static_dir)"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=copy, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == (str(copy / expected) if expected else "None")
