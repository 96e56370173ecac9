"""App mode: an existing Dash project, unchanged, served under every prefix by one app.

``tests/apps/existing_project`` is shaped like a typical project: a
module-level ``Dash(__name__, use_pages=True, external_stylesheets=[...])``,
``@app.callback``, ``server = app.server``, ``assets/``, and ``pages/`` with
a module-level layout, layout functions and a path template.  It is
imported and handed to ``make_lambda_handler`` as it is.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from collections.abc import Callable
from typing import Any

import dash
import flask
import pytest
from dash import html
from lambda_events import (
    HTTP_FIXTURES,
    FakeContext,
    callback_body,
    dash_config,
    decode,
    event_for,
    find_component,
)

from dash_lambda import BuilderError, LambdaHandler, UnsupportedAppError, make_lambda_handler

#: One door per prefix, alternated in one process.
PREFIX_DOORS = {"rest-stage-url": "/Prod/", "rest-custom-domain": "/", "rest-base-path": "/dash/"}
#: Then every front door, payload 2.0 and ALB too, each switching the prefix from the last.
ALTERNATING = [*PREFIX_DOORS, "http-api-stage", "alb", "rest-base-path", "function-url", "http-api-default"]


@pytest.fixture(scope="module")
def project() -> types.ModuleType:
    """The project's ``app`` module, imported once, as Lambda's init would."""
    return importlib.import_module("apps.existing_project.app")


@pytest.fixture(scope="module")
def handler(project: types.ModuleType) -> LambdaHandler:
    return make_lambda_handler(project.app)


def get(handler: LambdaHandler, door: str, path: str, **kwargs: Any) -> Any:
    return decode(handler(event_for(door, path, **kwargs), FakeContext()))


def post_callback(handler: LambdaHandler, door: str, output: str, inputs: list[dict[str, Any]]) -> Any:
    return get(
        handler,
        door,
        "/_dash-update-component",
        method="POST",
        body=callback_body(output, inputs),
        headers={"Content-Type": "application/json"},
    )


def route_page(handler: LambdaHandler, door: str, prefix: str, path: str) -> dict[str, Any]:
    """The page content Dash Pages' router answers for ``path`` under ``prefix``."""
    routed = post_callback(
        handler,
        door,
        ".._pages_content.children..._pages_store.data..",
        [
            {"id": "_pages_location", "property": "pathname", "value": prefix + path.lstrip("/")},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
    )
    assert routed.status == 200, routed.text
    content: dict[str, Any] = routed.json()["response"]["_pages_content"]["children"]
    return content


def text_of(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return " ".join(text_of(item) for item in node)
    if isinstance(node, dict):
        return text_of(node.get("props", {}).get("children", ""))
    return ""


@pytest.mark.parametrize("door", sorted(HTTP_FIXTURES))
def test_index_scripts_and_assets_carry_the_request_prefix_on_every_front_door(
    handler: LambdaHandler, door: str
) -> None:
    prefix = HTTP_FIXTURES[door]
    page = get(handler, door, "/")
    assert page.status == 200, page.text
    assert dash_config(page.text)["requests_pathname_prefix"] == prefix
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    local = [url for url in urls if not url.startswith("data:")]
    assert local and all(url.startswith(prefix) for url in local), local
    assert f"{prefix}assets/style.css?m=" in page.text
    assert any(url.startswith(f"{prefix}_dash-component-suites/dash/dcc/") for url in local)
    assert "data:text/css," in page.text  # the external stylesheet, untouched
    css = get(handler, door, "/assets/style.css")
    assert css.status == 200 and "#greeting" in css.text


def test_prefixes_alternate_in_one_process_with_every_link_right(handler: LambdaHandler) -> None:
    for _ in range(2):
        for door in ALTERNATING:
            prefix = HTTP_FIXTURES[door]
            layout = get(handler, door, "/_dash-layout").json()
            # Computed once at import, moved to the request's prefix:
            assert find_component(layout, "logo")["src"] == f"{prefix}assets/logo.png"  # type: ignore[index]
            assert find_component(layout, "nav-analytics")["href"] == f"{prefix}analytics"  # type: ignore[index]
            assert find_component(layout, "nav-home")["href"] == prefix  # type: ignore[index]
            assert dash.page_registry["pages.report"]["relative_path"] == f"{prefix}report/none"

            greeting = post_callback(
                handler, door, "greeting.children", [{"id": "name", "property": "value", "value": "Ada"}]
            )
            assert greeting.json()["response"]["greeting"]["children"] == "Hello, Ada!"

            home = route_page(handler, door, prefix, "/")
            assert "Home page" in text_of(home)
            assert find_component(home, "home-report-link")["href"] == f"{prefix}report/7"  # type: ignore[index]

            analytics = route_page(handler, door, prefix, "/analytics")
            assert "Analytics page" in text_of(analytics)
            assert find_component(analytics, "analytics-report-link")["href"] == f"{prefix}report/42"  # type: ignore[index]
            assert find_component(analytics, "analytics-logo")["src"] == f"{prefix}assets/logo.png"  # type: ignore[index]

            report = route_page(handler, door, prefix, "/report/9")
            assert "Report 9" in text_of(report)
            assert find_component(report, "report-back")["href"] == f"{prefix}analytics"  # type: ignore[index]

            metric = post_callback(
                handler,
                door,
                "metric-link.children",
                [{"id": "metric", "property": "value", "value": "sales"}],
            )
            assert metric.json()["response"]["metric-link"]["children"] == f"{prefix}analytics?metric=sales"

            moved = get(handler, door, "/stats")  # redirect_from=["/stats"]
            assert (moved.status, moved.header("location")) == (301, f"{prefix}analytics")

            assert get(handler, door, "/account").text == "account page"  # a Flask route on app.server
    assert sorted(handler.built_prefixes) == sorted(PREFIX_DOORS.values())


def test_flask_redirect_with_url_for_keeps_the_prefix(handler: LambdaHandler) -> None:
    for door, prefix in PREFIX_DOORS.items():
        login = get(handler, door, "/login")
        assert (login.status, login.header("location")) == (302, f"{prefix}account")


def test_priming_serves_each_configured_prefix_at_creation(
    project: types.ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    primed = make_lambda_handler(project.app, prefixes=["/Prod/", "/"])
    assert primed.built_prefixes == ["/Prod/", "/"]
    assert "priming" not in caplog.text  # every priming request answered 200
    page = get(primed, "rest-stage-url", "/")
    assert dash_config(page.text)["requests_pathname_prefix"] == "/Prod/"


def test_two_handlers_on_one_app_share_it(project: types.ModuleType, handler: LambdaHandler) -> None:
    other = make_lambda_handler(project.app)
    for door, prefix in [*PREFIX_DOORS.items(), *PREFIX_DOORS.items()]:
        for serving in (handler, other):
            layout = get(serving, door, "/_dash-layout").json()
            assert find_component(layout, "nav-analytics")["href"] == f"{prefix}analytics"  # type: ignore[index]


# ------------------------------------------------------------------ refusals


def made(**kwargs: Any) -> dash.Dash:
    app = dash.Dash(__name__, assets_folder="no-assets", **kwargs)
    if kwargs.get("server", True) is not False:
        app.layout = html.Div("x")
    return app


def without_layout() -> dash.Dash:
    return dash.Dash(__name__, assets_folder="no-assets")


def plain_flask() -> flask.Flask:
    return flask.Flask("plain")


def lambda_style(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {}


def no_arguments() -> dash.Dash:
    return made()


def two_arguments(dash_kwargs: dict[str, Any], theme: str) -> dash.Dash:
    return made()


REFUSED: dict[str, tuple[Callable[[], object], str]] = {
    "app.server": (
        lambda: made().server,
        "got the Flask server of a Dash app (app.server); pass the Dash app itself",
    ),
    "Dash(server=flask_app).server": (
        lambda: made(server=flask.Flask("shared")).server,
        "pass the Dash app itself: make_lambda_handler(app)",
    ),
    "a plain Flask app": (
        plain_flask,
        "a Flask app with no Dash app on it ('plain'); dash_lambda serves Dash apps",
    ),
    "the Dash class": (
        lambda: dash.Dash,
        "got the class Dash, not an app; pass the app: app = Dash(__name__)",
    ),
    "the Flask class": (
        lambda: flask.Flask,
        "got the class Flask; pass the dash.Dash app whose server it is",
    ),
    "a Lambda handler": (lambda: lambda_style, "it looks like a Lambda handler (event, context)"),
    "a builder without arguments": (lambda: no_arguments, "give it a dash_kwargs parameter and pass it on"),
    "a builder with two arguments": (lambda: two_arguments, "it must take exactly one argument, dash_kwargs"),
    "a number": (lambda: 42, "got a int, which is neither a dash.Dash app nor an app builder"),
    "a module": (
        lambda: sys.modules["apps.existing_project.app"],
        "pass the app it holds: apps.existing_project.app.app",
    ),
    "an app under /app/": (
        lambda: made(url_base_pathname="/app/"),
        "the Dash app routes under '/app/' (url_base_pathname or routes_pathname_prefix)",
    ),
    "an app without routes": (
        lambda: made(server=False),
        "call app.init_app(server) before creating the handler",
    ),
    "an app without layout": (
        without_layout,
        "the Dash app has no layout yet; create the handler after `app.layout = ...`",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_cannot_be_served_is_refused_at_creation_naming_the_fix(
    case: str, project: types.ModuleType
) -> None:
    make, message = REFUSED[case]
    with pytest.raises(UnsupportedAppError) as caught:
        make_lambda_handler(make())  # type: ignore[arg-type]
    assert message in str(caught.value)
    assert isinstance(caught.value, BuilderError)  # one except clause catches both


def test_an_app_with_a_requests_prefix_of_its_own_is_served_under_each_prefix() -> None:
    app = made(requests_pathname_prefix="/Prod/")  # the usual workaround for a stage URL
    served = make_lambda_handler(app)
    for door, prefix in PREFIX_DOORS.items():
        page = get(served, door, "/")
        assert dash_config(page.text)["requests_pathname_prefix"] == prefix


def test_a_dash_app_on_a_flask_server_of_its_own_is_served_with_the_servers_routes() -> None:
    server = flask.Flask("company_portal")

    @server.route("/ping")
    def ping() -> str:
        return "pong"

    # Dash's annotation of `server` leaves out the Flask instance its docs pass.
    app = dash.Dash(__name__, server=server, assets_folder="no-assets")  # type: ignore[arg-type]
    ping_link = app.get_relative_path("/ping")  # type: ignore[no-untyped-call]
    app.layout = html.Div([html.A("ping", href=ping_link, id="ping-link")])
    served = make_lambda_handler(app)
    for door, prefix in PREFIX_DOORS.items():
        assert get(served, door, "/ping").text == "pong"
        layout = get(served, door, "/_dash-layout").json()
        assert find_component(layout, "ping-link")["href"] == f"{prefix}ping"  # type: ignore[index]


def test_the_local_server_names_app_get_asset_url_for_a_hard_coded_asset_path(handler: LambdaHandler) -> None:
    from werkzeug.test import Client

    from dash_lambda.local.events import FrontDoor
    from dash_lambda.local.gateway import LocalGateway

    client = Client(LocalGateway(handler, FrontDoor("v2", stage="Prod")))
    page = client.get("/assets/logo.png", headers={"Host": "localhost:8050", "Accept": "text/html"})
    assert page.status_code == 404  # what an HTTP API answers outside its stage
    assert 'app.get_asset_url("logo.png")' in page.text
    assert '<a href="http://localhost:8050/Prod/assets/logo.png">' in page.text


def test_a_pages_app_constructed_after_another_app_served_a_layout_keeps_its_own_routes() -> None:
    from apps import pages_app

    other = make_lambda_handler(pages_app.build_app)
    assert get(other, "rest-stage-url", "/_dash-layout").status == 200  # Dash now remembers that app
    late = dash.Dash("late_app", use_pages=True, pages_folder="", assets_folder="no-assets")
    dash.register_page("late_target", path="/target", layout=html.Div("target"))  # type: ignore[no-untyped-call]
    # redirect_from adds a route to dash.get_app(): it must be this app, not the one served last.
    dash.register_page("late_old", path="/moved", redirect_from=["/old"], layout=html.Div("moved"))  # type: ignore[no-untyped-call]
    late.layout = html.Div([dash.page_container])
    served = make_lambda_handler(late)
    moved = get(served, "rest-stage-url", "/old")
    assert (moved.status, moved.header("location")) == (301, "/Prod/moved")
    assert get(other, "rest-stage-url", "/old-about").header("location") == "/Prod/about"
