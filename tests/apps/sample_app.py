"""A small real Dash app the tests drive through the handler.

It has what users' dashboards have: a title, an image asset, a Dropdown →
Graph callback and a DatePicker callback, all registered with the
module-level ``dash.callback`` (the registration style that breaks when a
second app is built), plus a few routes that exist only to pin adapter
behaviour: repeated cookies, a failing callback, the current event, a
redirect built with ``url_for`` and an echo of what Flask thinks the URL,
the client and the headers are.
"""

from __future__ import annotations

import gzip
import io
from datetime import date
from pathlib import Path
from typing import Any

import dash
import flask
import werkzeug
from dash import Input, Output, dcc, html

from dash_lambda import current_event

ASSETS = Path(__file__).with_name("sample_assets")
POPULATION = {
    "Canada": [(2000, 30.7), (2010, 34.0), (2020, 38.0)],
    "Chile": [(2000, 15.3), (2010, 17.1), (2020, 19.3)],
}
BUILDS: list[dict[str, Any]] = []
#: Paths of the requests that reached Flask, to tell which ones the adapter answered itself.
REQUESTS: list[str] = []


def build_app(dash_kwargs: dict[str, Any] | None = None) -> dash.Dash:
    BUILDS.append(dict(dash_kwargs or {}))
    app = dash.Dash(__name__, title="Sample Dashboard", assets_folder=str(ASSETS), **(dash_kwargs or {}))
    app.layout = html.Div(
        [
            html.H1("Sample Dashboard"),
            html.Img(id="logo", src=app.get_asset_url("logo.png")),
            dcc.Dropdown(id="country", options=list(POPULATION), value="Canada"),
            dcc.Graph(id="population"),
            dcc.DatePickerSingle(id="birthdate"),
            html.Div(id="days"),
            html.Div(id="where"),
            html.Button(id="explode"),
            html.Div(id="explosion"),
        ]
    )
    server: flask.Flask = app.server

    @server.before_request
    def count_request() -> None:
        REQUESTS.append(flask.request.path)

    @server.route("/big")
    def big() -> flask.Response:
        """``size`` bytes of text (or of ``kind=binary``), to probe the size limits."""
        size = int(flask.request.args.get("size", "1000"))
        if flask.request.args.get("kind") == "binary":
            return flask.Response(bytes(i % 251 for i in range(size)), mimetype="application/octet-stream")
        line = b'{"x": "abcdefghijklmnopqrstuvwxyz0123456789", "y": 12345}\n'
        return flask.Response((line * (size // len(line) + 1))[:size], mimetype="application/json")

    @server.route("/download.csv")
    def download() -> flask.Response:
        """A text file as ``send_file`` serves one: with an ETag, and ranges when asked."""
        rows = b"".join(b"%d,%d\n" % (i, i * i) for i in range(2000))
        return flask.send_file(io.BytesIO(rows), mimetype="text/csv", download_name="download.csv")

    @server.route("/precompressed")
    def precompressed() -> flask.Response:
        """Text the app compressed itself, as Dash(compress=True) does."""
        response = flask.Response(gzip.compress(b"already small " * 500), mimetype="text/plain")
        response.headers["Content-Encoding"] = "gzip"
        return response

    @server.route("/path/<path:rest>")
    def path_echo(rest: str) -> dict[str, str]:
        return {"rest": rest}

    @server.route("/cookies")
    def cookies() -> flask.Response:
        response = flask.make_response("two cookies")
        response.set_cookie("first", "1")
        response.set_cookie("second", "2")
        response.headers.add("X-Repeated", "a")
        response.headers.add("X-Repeated", "b")
        return response

    @server.route("/echo", methods=["POST"])
    def echo() -> flask.Response:
        return flask.Response(flask.request.get_data(), mimetype="application/octet-stream")

    @server.route("/login")
    def login() -> werkzeug.Response:
        """Redirects as login and OIDC callback routes do: to a URL Flask builds."""
        return flask.redirect(flask.url_for("whoami", next="home"))

    @server.route("/whoami")
    def whoami() -> dict[str, Any]:
        request = flask.request
        return {
            "url": request.url,
            "url_root": request.url_root,
            "host_url": request.host_url,
            "script_root": request.script_root,
            "path": request.path,
            "query": request.query_string.decode(),
            "args": request.args.to_dict(),
            "remote_addr": request.remote_addr,
            "headers": dict(request.headers),
        }

    @server.route("/event")
    def event() -> dict[str, Any]:
        return {"path": current_event().get("path") or current_event().get("rawPath")}

    return app


@dash.callback(Output("population", "figure"), Input("country", "value"))
def draw_population(country: str) -> dict[str, Any]:
    years, people = zip(*POPULATION[country], strict=True)
    return {"data": [{"x": years, "y": people, "name": country}], "layout": {"title": country}}


@dash.callback(Output("days", "children"), Input("birthdate", "date"), prevent_initial_call=True)
def days_since(birthdate: str) -> str:
    return f"You're {(date(2026, 11, 23) - date.fromisoformat(birthdate)).days} days young!"


@dash.callback(Output("where", "children"), Input("country", "value"))
def where(_: str) -> str:
    path: str = dash.get_relative_path("/page")
    return path


@dash.callback(Output("explosion", "children"), Input("explode", "n_clicks"), prevent_initial_call=True)
def explode(_: int) -> str:
    raise RuntimeError("the callback failed on purpose")
