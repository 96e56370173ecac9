"""Dash Pages' ``redirect_from`` routes, made to work behind a prefix.

Dash adds each ``redirect_from`` path as a Flask rule at
``get_relative_path(path)`` and bakes the target into the view.  Both carry
the *requests* prefix the app had at that moment: behind a stage URL the
rule (``/Prod/old``) never matches the path the app routes on (``/old``),
and the target is prefixed twice (``/Prod/Prod/new``); an app serving
several prefixes would send every one of them to the first.  Here each such
view is replaced by one that computes the target per request, and the rule is
added where the app routes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import dash
import flask

from .dash_links import relative_path

logger = logging.getLogger("dash_lambda")


def live_page_redirects(app: dash.Dash, pages: Mapping[str, Mapping[str, Any]]) -> None:
    """Make the ``redirect_from`` routes of ``app``'s ``pages`` follow the request's prefix."""
    prefix: str = app.config.requests_pathname_prefix
    routes: str = app.config.routes_pathname_prefix
    page_paths: dict[str, str] = {}
    for page in pages.values():
        path = page.get("path")
        if isinstance(path, str) and path.startswith("/"):
            once = relative_path(prefix, path)
            page_paths.setdefault(relative_path(prefix, once), path)
            page_paths.setdefault(once, path)
    if not page_paths:
        return
    server = app.server
    rules = list(server.url_map.iter_rules())
    existing = {rule.rule for rule in rules}
    for rule in rules:
        target = _baked_target(server.view_functions.get(rule.endpoint))
        page_path = page_paths.get(target) if target is not None else None
        if page_path is None:
            continue
        view = _redirect_view(app, page_path)
        server.view_functions[rule.endpoint] = view
        routed = routes + _without_prefix(rule.rule, prefix).lstrip("/")
        if routed in existing:
            continue
        try:
            server.add_url_rule(routed, endpoint=f"dash_lambda_redirect:{routed}", view_func=view)
        except AssertionError:  # the app has served requests already: Flask takes no new routes
            logger.warning("dash_lambda: cannot route the Pages redirect %s behind a prefix", rule.rule)
            continue
        existing.add(routed)


def _baked_target(view: object) -> str | None:
    """The target of a view made by Dash's ``_create_redirect_function``, else None."""
    if "_create_redirect_function" not in getattr(view, "__qualname__", ""):
        return None
    cells = getattr(view, "__closure__", None) or ()
    texts = [cell.cell_contents for cell in cells if isinstance(cell.cell_contents, str)]
    return texts[0] if len(texts) == 1 else None


def _without_prefix(path: str, prefix: str) -> str:
    head = prefix.rstrip("/")
    return path[len(head) :] if head and path.startswith(head + "/") else path


def _redirect_view(app: dash.Dash, page_path: str) -> Callable[[], Any]:
    def redirect_to_page() -> Any:
        # 301 like Dash's own; the target is computed for this request's prefix.
        return flask.redirect(app.get_relative_path(page_path), code=301)  # type: ignore[no-untyped-call]

    return redirect_to_page
