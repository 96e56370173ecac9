"""The sample app behind the gates people put in front of a Dash app.

dash-auth's ``BasicAuth`` and a session-cookie ``before_request`` check both
protect *every* route, static files included; ``public_bundles`` marks Dash's
component bundles ``public, max-age=31536000`` the way Dash's FastAPI and
Quart backends do, which lets a plain RFC 9111 shared cache hand them to
anyone.  flask-cors with two allowed origins answers each with its own
``Access-Control-Allow-Origin``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import dash
import dash_auth
import flask
import werkzeug
from flask_cors import CORS

from . import sample_app

Builder = Callable[[dict[str, Any]], dash.Dash]

USER, PASSWORD = "ada", "lovelace"
AUTHORIZATION = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
ORIGINS = ("https://a.example", "https://b.example")


def _mark_bundles_public(app: dash.Dash) -> None:
    server: flask.Flask = app.server

    @server.after_request
    def public_bundles(response: flask.Response) -> flask.Response:
        if flask.request.path.startswith("/_dash-component-suites/"):
            response.headers["Cache-Control"] = "public, max-age=31536000"
        return response


def basic_auth(*, public_bundles: bool = False) -> Builder:
    """The sample app behind dash-auth's BasicAuth."""

    def build(dash_kwargs: dict[str, Any]) -> dash.Dash:
        app = sample_app.build_app(dash_kwargs)
        dash_auth.BasicAuth(app, {USER: PASSWORD})
        if public_bundles:
            _mark_bundles_public(app)
        return app

    return build


def session_gate(*, public_bundles: bool = False) -> Builder:
    """The sample app behind a login that sets a session cookie, checked before every request."""

    def build(dash_kwargs: dict[str, Any]) -> dash.Dash:
        app = sample_app.build_app(dash_kwargs)
        server: flask.Flask = app.server
        server.secret_key = "tests-only-not-a-secret"

        @server.route("/sign-in")
        def sign_in() -> str:
            flask.session["user"] = USER
            return "logged in"

        @server.before_request
        def gate() -> werkzeug.Response | None:
            if flask.request.path != "/sign-in" and "user" not in flask.session:
                return flask.redirect(flask.url_for("sign_in"))
            return None

        if public_bundles:
            _mark_bundles_public(app)
        return app

    return build


def cors(*, vary_header: bool = True) -> Builder:
    """The sample app with flask-cors allowing two origins (``vary_header=False``: no ``Vary: Origin``)."""

    def build(dash_kwargs: dict[str, Any]) -> dash.Dash:
        app = sample_app.build_app(dash_kwargs)
        CORS(app.server, origins=list(ORIGINS), vary_header=vary_header)
        return app

    return build


def marked(name: str, value: str) -> Builder:
    """The sample app adding one response header to every static file it serves."""

    def build(dash_kwargs: dict[str, Any]) -> dash.Dash:
        app = sample_app.build_app(dash_kwargs)
        server: flask.Flask = app.server

        @server.after_request
        def mark(response: flask.Response) -> flask.Response:
            if flask.request.path.startswith(("/_dash-component-suites/", "/assets/")):
                if name.lower() == "set-cookie":
                    key, _, cookie = value.partition("=")
                    response.set_cookie(key, cookie)
                else:
                    response.headers[name] = value
            return response

        return app

    return build


def query_echo(dash_kwargs: dict[str, Any]) -> dash.Dash:
    """The sample app with a cacheable file under ``assets/`` whose body is the query string it got,
    and a route with an ETag that it does not compare itself."""
    app = sample_app.build_app(dash_kwargs)
    server: flask.Flask = app.server

    @server.route("/tagged")
    def tagged() -> flask.Response:
        response = flask.Response("tagged " * 1000, mimetype="text/plain")
        response.set_etag("v1")
        return response

    @server.route("/assets/echo.txt")
    def query_echo_file() -> flask.Response:
        response = flask.Response(flask.request.query_string, mimetype="text/plain")
        response.headers["Cache-Control"] = "max-age=600"
        return response

    return app


def session_refresh() -> Builder:
    """The sample app keeping a signed-in session alive on every request, its assets open to all.

    Touching the session makes Flask answer ``Vary: Cookie`` and a fresh
    ``Set-Cookie``, 304s included.
    """

    def build(dash_kwargs: dict[str, Any]) -> dash.Dash:
        app = sample_app.build_app(dash_kwargs)
        server: flask.Flask = app.server
        server.secret_key = "tests-only-not-a-secret"

        @server.before_request
        def refresh() -> None:
            if "session" in flask.request.cookies:
                flask.session.permanent = True
                flask.session["seen"] = flask.session.get("seen", 0) + 1

        return app

    return build


def session_cookie(app: dash.Dash, data: dict[str, Any]) -> str:
    """A ``Cookie`` header with ``app``'s signed session holding ``data``."""
    server: flask.Flask = app.server
    serializer = server.session_interface.get_signing_serializer(server)  # type: ignore[attr-defined]
    assert serializer is not None
    return f"session={serializer.dumps(data)}"
