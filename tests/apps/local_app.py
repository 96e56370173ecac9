"""A small Dash app for the local server's tests (``dash-lambda serve``).

It has a dashboard's moving parts (title, Dropdown → Graph callback, a binary
image) and routes that pin what the server must carry both ways: an echo of
everything the app received, two cookies, a redirect, a large body, a crash.
Callbacks are registered on the app, not with ``dash.callback``, so that this
module can share a process with the other test apps without their global
callback lists meeting.

Builders for the error cases live here too, so the tests can name them as
``local_app:...`` on the command line.
"""

from __future__ import annotations

import base64
import os
import time
from typing import Any

import dash
import flask
import werkzeug
from dash import Input, Output, dcc, html

from dash_lambda import current_event, make_lambda_handler

TITLE = "Local Server Test"
COUNTRIES = {"Canada": [30.7, 34.0, 38.0], "Chile": [15.3, 17.1, 19.3]}
YEARS = [2000, 2010, 2020]
#: A 1x1 PNG; its bytes must survive base64 and the server unchanged.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def build_app(dash_kwargs: dict[str, Any] | None = None) -> dash.Dash:
    """The app, with the prefix options dash_lambda passes."""
    app = dash.Dash(__name__, title=TITLE, assets_folder="no-assets", **(dash_kwargs or {}))
    app.layout = html.Div(
        [
            html.H1(TITLE),
            html.Img(id="local-img", src=app.get_relative_path("/logo.png")),
            dcc.Dropdown(id="local-country", options=list(COUNTRIES), value="Canada"),
            dcc.Graph(id="local-graph"),
        ]
    )

    @app.callback(Output("local-graph", "figure"), Input("local-country", "value"))
    def draw(country: str) -> dict[str, Any]:
        return {"data": [{"x": YEARS, "y": COUNTRIES[country], "name": country}]}

    server: flask.Flask = app.server

    @server.route("/logo.png")
    def logo() -> flask.Response:
        return flask.Response(PNG, mimetype="image/png")

    @server.route("/echo", methods=["GET", "POST", "PUT", "DELETE"])
    def echo() -> dict[str, Any]:
        request = flask.request
        event = current_event()
        return {
            "method": request.method,
            "path": request.path,
            "query": [list(pair) for pair in request.args.items(multi=True)],
            "body_b64": base64.b64encode(request.get_data()).decode(),
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "cookies": dict(request.cookies),
            "url_root": request.url_root,
            "event_keys": sorted(event),
        }

    @server.route("/cookies")
    def cookies() -> flask.Response:
        response = flask.make_response("two cookies")
        response.set_cookie("first", "1")
        response.set_cookie("second", "2")
        return response

    @server.route("/go")
    def go() -> werkzeug.Response:
        return flask.redirect(app.get_relative_path("/echo"))

    @server.route("/big")
    def big() -> flask.Response:
        """``size`` bytes of incompressible data, to cross the response limits."""
        size = int(flask.request.args.get("size", "1000"))
        return flask.Response(os.urandom(size), mimetype="application/octet-stream")

    @server.route("/boom")
    def boom() -> str:
        raise RuntimeError("the route failed on purpose")

    return app


#: The same app behind a ready-made handler, as ``frontend/app.py`` has it.
lambda_handler = make_lambda_handler(build_app)


def raising_build_app(dash_kwargs: dict[str, Any] | None = None) -> dash.Dash:
    """A builder that fails the way a missing data file does."""
    raise FileNotFoundError("population.csv is missing")


#: A handler whose builder raises: only the first request finds out.
raising_handler = make_lambda_handler(raising_build_app)


def plain_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A hand-written Lambda handler (the SAM seed's style), served as is."""
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain"},
        "body": f"plain handler saw {event.get('path') or event.get('rawPath')}",
        "isBase64Encoded": False,
    }


def failing_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A hand-written handler that raises: Lambda fails the invocation."""
    raise RuntimeError("the hand-written handler failed")


def slow_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answers after half a second, past a short gateway timeout, once its self-check is done."""
    if event.get("requestContext", {}).get("identity", {}).get("userAgent") != "dash-lambda":
        time.sleep(0.5)
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain"},
        "body": "slow",
        "isBase64Encoded": False,
    }


def value_handler(event: dict[str, Any], context: Any) -> str:
    """Returns a plain value, which payload 2.0 delivers as a 200 JSON body."""
    return "just a string"


NOT_A_BUILDER = 42
