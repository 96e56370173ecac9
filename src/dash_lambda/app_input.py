"""What :func:`~dash_lambda.make_lambda_handler` accepts, and the fix for what it does not.

Two things can be served: an existing ``dash.Dash`` app (app mode: one app,
every prefix applied per request) or a builder ``build_app(dash_kwargs)``
(builder mode: one app per prefix).  Everything else is refused here, when
the handler is created, with a message that names the fix, rather than on
the first request with a ``TypeError`` from deep inside Flask.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Literal

import dash
import flask

from .errors import UnsupportedAppError

Kind = Literal["app", "builder"]

_USAGE = "make_lambda_handler takes a dash.Dash app, or a function build_app(dash_kwargs) that returns one"


def classify(target: object) -> Kind:
    """``"app"`` for a ready ``dash.Dash`` app, ``"builder"`` for a builder; raise otherwise."""
    if isinstance(target, dash.Dash):
        check_app(target)
        return "app"
    if isinstance(target, type):
        raise UnsupportedAppError(_class_message(target))
    if isinstance(target, flask.Flask):
        raise UnsupportedAppError(_flask_message(target))
    if isinstance(target, ModuleType):
        names = [name for name, value in vars(target).items() if isinstance(value, dash.Dash)]
        hint = f"; pass the app it holds: {target.__name__}.{names[0]}" if names else ""
        raise UnsupportedAppError(f"{_USAGE}; got the module {target.__name__}{hint}")
    if not callable(target):
        raise UnsupportedAppError(
            f"got a {type(target).__name__}, which is neither a dash.Dash app nor an app builder; {_USAGE}"
        )
    _check_builder_signature(target)
    return "builder"


def check_app(app: dash.Dash) -> None:
    """Refuse a Dash app that cannot serve several prefixes, with the reason and the fix."""
    server = getattr(app, "server", None)
    if server is None:  # Dash() with server=False: Dash < 4.4 makes no Flask app until init_app
        raise UnsupportedAppError(
            "the Dash app has no server yet (it was made with server=False); call "
            "app.init_app(server) before creating the handler"
        )
    if not isinstance(server, flask.Flask):
        raise UnsupportedAppError(
            f"the Dash app runs on {type(server).__name__}, not Flask; dash_lambda serves Dash's "
            "default Flask (WSGI) backend"
        )
    routes = app.config.routes_pathname_prefix
    if routes != "/":
        raise UnsupportedAppError(
            f"the Dash app routes under {routes!r} (url_base_pathname or routes_pathname_prefix); "
            "dash_lambda serves it at the root of each URL prefix (the stage, the base path), and sets "
            "requests_pathname_prefix per request. Construct it without those options, and map a "
            f"base path {routes.rstrip('/')!r} on your custom domain if the URL needs it"
        )
    layout_route = routes + "_dash-layout"
    if not any(rule.rule == layout_route for rule in server.url_map.iter_rules()):
        raise UnsupportedAppError(
            "the Dash app has no routes yet (it was made with server=False); call "
            "app.init_app(server) before creating the handler"
        )
    if app.layout is None and not getattr(app, "use_pages", False):
        raise UnsupportedAppError(
            "the Dash app has no layout yet; create the handler after `app.layout = ...` and the "
            "callbacks (at the end of the module, or in a module that imports the app)"
        )


def dash_apps_on(server: flask.Flask) -> list[dash.Dash]:
    """The Dash apps that registered their routes on ``server``.

    Dash leaves no attribute on its Flask app, but its views and its
    ``before_request`` hook are methods bound to the Dash app.
    """
    found: dict[int, dash.Dash] = {}
    hooks = [f for funcs in server.before_request_funcs.values() for f in funcs]
    for function in [*server.view_functions.values(), *hooks]:
        owner = getattr(function, "__self__", None)
        if isinstance(owner, dash.Dash):
            found.setdefault(id(owner), owner)
    return list(found.values())


def _flask_message(server: flask.Flask) -> str:
    if dash_apps_on(server):
        return (
            "got the Flask server of a Dash app (app.server); pass the Dash app itself: "
            "make_lambda_handler(app). The adapter needs the app to set its URL prefix"
        )
    return (
        f"got a Flask app with no Dash app on it ({server.name!r}); dash_lambda serves Dash apps. "
        "Pass the dash.Dash app, e.g. Dash(__name__, server=flask_app), and its Flask routes are "
        "served too"
    )


def _class_message(cls: type) -> str:
    if issubclass(cls, dash.Dash):
        return f"got the class {cls.__name__}, not an app; pass the app: app = {cls.__name__}(__name__)"
    if issubclass(cls, flask.Flask):
        return f"got the class {cls.__name__}; pass the dash.Dash app whose server it is"
    return f"{_USAGE}; got the class {cls.__name__}"


def _check_builder_signature(builder: object) -> None:
    """The builder is called as ``builder(dash_kwargs)``: refuse one that cannot be."""
    try:
        signature = inspect.signature(builder)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # some built-ins and C callables: cannot tell
        return
    try:
        signature.bind({})
    except TypeError:
        pass
    else:
        return
    name = getattr(builder, "__qualname__", None) or type(builder).__name__
    required = [
        p
        for p in signature.parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if len(required) == 2 and required[1].name in ("context", "ctx", "_context"):
        fix = (
            "it looks like a Lambda handler (event, context): use it as the function's handler as it is, "
            "or pass the Dash app"
        )
    elif not required:
        fix = (
            "give it a dash_kwargs parameter and pass it on: Dash(__name__, **dash_kwargs); or build the "
            "app at module level and pass the app"
        )
    else:
        fix = "it must take exactly one argument, dash_kwargs, and pass it on: Dash(__name__, **dash_kwargs)"
    raise UnsupportedAppError(
        f"{_USAGE}; {name}{signature} cannot be called as build_app(dash_kwargs): {fix}"
    )
