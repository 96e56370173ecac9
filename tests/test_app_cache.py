"""One app per prefix, and Dash's process-global state kept right across them."""

from __future__ import annotations

import re
import sys
from typing import Any

import dash
import pytest
from apps import sample_app
from lambda_events import Decoded, FakeContext, callback_event, dash_config, decode, event_for, find_component

from dash_lambda import BuilderError, LambdaHandler, make_lambda_handler
from dash_lambda.apps import BUILDS_PER_APP_SLOT


def update(
    handler: LambdaHandler, door: str, output: str, component: str, prop: str, value: object
) -> Decoded:
    inputs = [{"id": component, "property": prop, "value": value}]
    return decode(handler(callback_event(door, output, inputs), FakeContext()))


def test_alternating_prefixes_keep_callbacks_and_paths_in_both_apps() -> None:
    handler = make_lambda_handler(sample_app.build_app)
    doors = {"rest-stage-url": "/Prod/", "rest-custom-domain": "/", "rest-base-path": "/dash/"}
    for _ in range(3):
        for door, prefix in doors.items():
            graph = update(handler, door, "population.figure", "country", "value", "Chile")
            assert graph.status == 200, graph.text
            assert graph.json()["response"]["population"]["figure"]["data"][0]["name"] == "Chile"
            where = update(handler, door, "where.children", "country", "value", "Chile")
            assert where.json()["response"]["where"]["children"] == f"{prefix}page"
            layout = decode(handler(event_for(door, "/_dash-layout"), FakeContext())).json()
            assert find_component(layout, "logo")["src"] == f"{prefix}assets/logo.png"  # type: ignore[index]
            assert dash.get_relative_path("/x") == f"{prefix}x"  # type: ignore[no-untyped-call]
            assert dash.get_asset_url("a.png") == f"{prefix}assets/a.png"  # type: ignore[no-untyped-call]
    assert sorted(handler.built_prefixes) == sorted(doors.values())


def test_each_prefix_is_built_once() -> None:
    before = len(sample_app.BUILDS)
    handler = make_lambda_handler(sample_app.build_app)
    for _ in range(4):
        handler(event_for("rest-stage-url", "/"), FakeContext())
        handler(event_for("http-api-default", "/"), FakeContext())
    built = sample_app.BUILDS[before:]
    assert built == [
        {"routes_pathname_prefix": "/", "requests_pathname_prefix": "/Prod/"},
        {"routes_pathname_prefix": "/", "requests_pathname_prefix": "/"},
    ]


def test_least_recently_used_app_is_evicted_and_rebuilt_correctly() -> None:
    handler = make_lambda_handler(sample_app.build_app, max_apps=1)
    for door, prefix in (
        ("rest-stage-url", "/Prod/"),
        ("rest-custom-domain", "/"),
        ("rest-stage-url", "/Prod/"),
    ):
        page = decode(handler(event_for(door, "/"), FakeContext()))
        assert dash_config(page.text)["requests_pathname_prefix"] == prefix
        assert handler.built_prefixes == [prefix]
        graph = update(handler, door, "population.figure", "country", "value", "Canada")
        assert graph.json()["response"]["population"]["figure"]["data"][0]["name"] == "Canada"


def test_max_apps_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASH_LAMBDA_MAX_APPS", "2")
    handler = make_lambda_handler(sample_app.build_app)
    for door in ("rest-stage-url", "rest-custom-domain", "rest-base-path"):
        handler(event_for(door, "/"), FakeContext())
    assert handler.built_prefixes == ["/", "/dash/"]


def test_builder_that_ignores_dash_kwargs_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    handler = make_lambda_handler(lambda _kwargs: dash.Dash(__name__))
    response = decode(handler(event_for("rest-stage-url", "/"), FakeContext("req-42")))
    assert response.status == 500
    assert "req-42" in response.text
    assert "Dash(__name__, **dash_kwargs)" in caplog.text
    assert "BuilderError" in caplog.text


def test_builder_that_returns_no_app_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    handler = make_lambda_handler(lambda _kwargs: None)  # type: ignore[arg-type,return-value]
    response = decode(handler(event_for("http-api-default", "/"), FakeContext()))
    assert response.status == 500
    assert "returned NoneType, not a dash.Dash app" in caplog.text


def test_builder_error_at_init_is_raised_where_the_handler_is_created() -> None:
    with pytest.raises(BuilderError, match="returned NoneType"):
        make_lambda_handler(lambda _kwargs: None, prefixes=["/Prod/"])  # type: ignore[arg-type,return-value]


def test_max_apps_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        make_lambda_handler(sample_app.build_app, max_apps=0)


def stage_event(stage: str, path: str = "/") -> dict[str, Any]:
    """A stage-URL event for a stage nobody deployed: a client-invented prefix ``/{stage}/``."""
    event = event_for("rest-stage-url", path)
    event["requestContext"]["stage"] = stage
    event["requestContext"]["path"] = f"/{stage}{path}"
    return event


def test_a_sandbox_builds_a_bounded_number_of_apps_then_serves_new_prefixes_with_one_it_has(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = len(sample_app.BUILDS)
    handler = make_lambda_handler(sample_app.build_app, max_apps=2)
    for i in range(3 * BUILDS_PER_APP_SLOT * 2):
        prefix = f"/crafted{i}/"
        page = decode(handler(stage_event(f"crafted{i}"), FakeContext()))
        assert page.status == 200, page.text
        assert dash_config(page.text)["requests_pathname_prefix"] == prefix
        layout = decode(handler(stage_event(f"crafted{i}", "/_dash-layout"), FakeContext())).json()
        assert find_component(layout, "logo")["src"] == f"{prefix}assets/logo.png"  # type: ignore[index]
    assert len(sample_app.BUILDS) - before == BUILDS_PER_APP_SLOT * 2
    assert caplog.text.count("the most it builds") == 1
    # The real prefixes are still served right, by the apps that are left.
    for door, prefix in (
        ("rest-stage-url", "/Prod/"),
        ("rest-custom-domain", "/"),
        ("rest-stage-url", "/Prod/"),
    ):
        page = decode(handler(event_for(door, "/"), FakeContext()))
        assert dash_config(page.text)["requests_pathname_prefix"] == prefix
        graph = update(handler, door, "population.figure", "country", "value", "Chile")
        assert graph.json()["response"]["population"]["figure"]["data"][0]["name"] == "Chile"
    assert len(sample_app.BUILDS) - before == BUILDS_PER_APP_SLOT * 2


def dash_registry_sizes() -> dict[str, int]:
    """The size of every list, dict and set that a ``dash`` module or class keeps."""
    sizes: dict[str, int] = {}
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] != "dash":
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, list | dict | set):
                sizes[f"{name}.{attr}"] = len(value)
            elif isinstance(value, type):
                for class_attr, member in list(vars(value).items()):
                    if isinstance(member, list | dict | set):
                        sizes[f"{name}.{attr}.{class_attr}"] = len(member)
    return sizes


def test_rebuilding_evicted_apps_does_not_grow_dash_global_registries() -> None:
    handler = make_lambda_handler(sample_app.build_app, max_apps=2)
    doors = ["rest-stage-url", "rest-custom-domain", "rest-base-path"]
    first_scripts = None
    for door in doors:  # three prefixes, two slots: from now on every request rebuilds
        page = decode(handler(event_for(door, "/"), FakeContext())).text
        first_scripts = first_scripts or re.findall(r"<script src=", page)
    before = dash_registry_sizes()
    builds = len(sample_app.BUILDS)
    for door in doors + doors[:2]:
        page = decode(handler(event_for(door, "/"), FakeContext())).text
        assert re.findall(r"<script src=", page) == first_scripts
    assert len(sample_app.BUILDS) - builds == 5
    after = dash_registry_sizes()
    grown = {
        key: (before[key], after[key]) for key in before.keys() & after.keys() if after[key] > before[key]
    }
    assert not grown
    assert before["dash.dcc._js_dist"] == after["dash.dcc._js_dist"]
