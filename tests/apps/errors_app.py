"""A small real Dash app that fails in every way an app can, to pin what the handler answers.

Callbacks raise what Python lets them raise (``SystemExit``,
``KeyboardInterrupt``, a ``BaseException`` subclass, an ordinary exception,
Dash's ``PreventUpdate``); a WSGI middleware in front of Flask, installed
the way Flask documents (``app.server.wsgi_app = middleware(...)``), breaks
the WSGI protocol on ``/mangle/<kind>``, and a plain Flask app mounted on
``/inner`` fails too.  The other builders give the same app its own error
pages, Dash's debug mode, or exceptions that propagate out of Flask.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

import dash
import flask
from dash import Input, Output, html
from dash.exceptions import PreventUpdate
from werkzeug.middleware.dispatcher import DispatcherMiddleware

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class CustomStop(BaseException):
    """What a library might raise to unwind: not an ``Exception``, so Flask does not catch it."""


RAISED: dict[str, Callable[[], BaseException]] = {
    "exit": lambda: SystemExit(3),
    "interrupt": lambda: KeyboardInterrupt(),
    "custom": lambda: CustomStop("unwound on purpose"),
    "generator-exit": lambda: GeneratorExit(),
    "runtime": lambda: RuntimeError("the callback failed on purpose"),
    "prevent": lambda: PreventUpdate(),
}

ERROR_PAGE = "<h1>Our own 500 page</h1>"
NOT_FOUND_PAGE = "<h1>Our own 404 page</h1>"


def build_app(dash_kwargs: dict[str, Any] | None = None) -> dash.Dash:
    app = dash.Dash(__name__, title="Errors", **(dash_kwargs or {}))
    app.layout = html.Div([html.Div([html.Button(id=kind), html.Div(id=f"{kind}-out")]) for kind in RAISED])
    for kind, make in RAISED.items():
        _raise_on_click(app, kind, make)
    server: flask.Flask = app.server

    @server.route("/fails")
    def fails() -> str:
        raise ValueError("the route failed on purpose")

    server.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        mangle(server.wsgi_app), {"/inner": _inner_app()}
    )
    return app


def _inner_app() -> flask.Flask:
    """A plain Flask app mounted inside the Dash app's server: one the adapter never saw."""
    inner = flask.Flask("inner")

    @inner.route("/fails")
    def fails() -> str:
        raise LookupError("the inner app failed on purpose")

    return inner


def build_propagating_app(dash_kwargs: dict[str, Any] | None = None) -> dash.Dash:
    """The same app letting exceptions propagate out of Flask, as debug mode or a user's config does."""
    app = build_app(dash_kwargs)
    app.server.config["PROPAGATE_EXCEPTIONS"] = True
    return app


def build_app_with_error_pages(dash_kwargs: dict[str, Any] | None = None) -> dash.Dash:
    """The same app with its own 500 and 404 pages, as ``@server.errorhandler`` gives them."""
    app = build_app(dash_kwargs)
    server: flask.Flask = app.server

    @server.errorhandler(500)
    def server_error(_: Exception) -> tuple[str, int]:
        return ERROR_PAGE, 500

    @server.errorhandler(404)
    def not_found(_: Exception) -> tuple[str, int]:
        return NOT_FOUND_PAGE, 404

    return app


def build_debug_app(dash_kwargs: dict[str, Any] | None = None) -> dash.Dash:
    """The same app in Dash's debug mode, whose own handler shows a callback's traceback."""
    app = build_app(dash_kwargs)
    app.enable_dev_tools(debug=True, dev_tools_hot_reload=False)
    return app


def _raise_on_click(app: dash.Dash, kind: str, make: Callable[[], BaseException]) -> None:
    @app.callback(Output(f"{kind}-out", "children"), Input(kind, "n_clicks"), prevent_initial_call=True)
    def clicked(_: int) -> str:
        raise make()


MANGLED = (
    "str-body",
    "str-chunks",
    "none-header-name",
    "int-header-value",
    "crlf-header-value",
    "crlf-header-name",
    "status-42",
    "status-600",
    "status-unparsable",
    "no-start-response",
    "start-response-twice",
)
#: Legal, not mangled: an error page replacing the response, with ``exc_info`` (PEP 3333).
REPLACED = "replaced-with-exc-info"


def mangle(wsgi_app: WsgiApp) -> WsgiApp:
    """A middleware that breaks the protocol on ``/mangle/<kind>`` and passes everything else on."""

    def middleware(environ: Environ, start_response: StartResponse) -> Iterable[Any]:
        path: str = environ.get("PATH_INFO", "")
        if path.startswith("/mangle/"):
            return _mangled(path.removeprefix("/mangle/"), start_response)
        return wsgi_app(environ, start_response)

    return middleware


def _mangled(kind: str, start: StartResponse) -> Iterable[Any]:
    text = [("Content-Type", "text/plain")]
    match kind:
        case "str-body":
            start("200 OK", text)
            return "a str, not bytes"  # iterates as one-character strs
        case "str-chunks":
            start("200 OK", text)
            return [b"bytes, then ", "a str"]
        case "none-header-name":
            start("200 OK", [*text, (None, "x")])
        case "int-header-value":
            start("200 OK", [*text, ("X-Count", 3)])
        case "crlf-header-value":
            start("200 OK", [*text, ("X-Next", "a\r\nSet-Cookie: stolen=1")])
        case "crlf-header-name":
            start("200 OK", [*text, ("X-A\r\nSet-Cookie", "stolen=1")])
        case "status-42":
            start("42 Odd", text)
        case "status-600":
            start("600 Beyond", text)
        case "status-unparsable":
            start("OK", text)
        case "no-start-response":
            pass
        case "start-response-twice":
            start("200 OK", text)
            start("404 Not Found", text)
        case "replaced-with-exc-info":
            start("200 OK", text)
            try:
                raise OSError("the data store went away")
            except OSError:
                start("503 Service Unavailable", [*text, ("Retry-After", "5")], sys.exc_info())
            return [b"try again soon"]
    return [b"ok"]
