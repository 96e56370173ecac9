"""One app per prefix, and Dash's process-global state kept right across them."""

from __future__ import annotations

import dash
import pytest
from apps import sample_app
from lambda_events import FakeContext, callback_event, dash_config, decode, event_for, find_component

from dash_lambda import BuilderError, make_lambda_handler


def update(handler, door: str, output: str, component: str, prop: str, value: object):  # type: ignore[no-untyped-def]
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
            assert dash.get_relative_path("/x") == f"{prefix}x"
            assert dash.get_asset_url("a.png") == f"{prefix}assets/a.png"
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
