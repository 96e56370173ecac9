"""Dash Pages' absolute image URL, right with the prefix in ``SCRIPT_NAME``.

The adapter puts the external prefix (``/Prod``) in ``SCRIPT_NAME`` so that
Flask's URLs carry it.  Dash Pages builds the ``og:image`` and
``twitter:image`` meta tags as ``request.url_root`` followed by
``app.get_asset_url(image)``, and the asset URL already starts with the
prefix: with the prefix in ``url_root`` too it would appear twice
(``https://host/Prod/Prod/assets/logo.png``).  While Dash renders its index
page, ``url_root`` is therefore the host's URL, which is what Dash's own
server gives it; everywhere else it keeps the prefix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import dash
import flask

#: Flask endpoints of Dash's index page: the routes prefix (``/``) and its catch-all.
_INDEX_ENDPOINTS = ("/", "/<path:path>")
_MISSING = object()


def keep_page_image_urls(app: dash.Dash) -> None:
    """Wrap the index views of a Dash Pages app (other apps have no such meta tags)."""
    if not getattr(app, "use_pages", False):
        return
    views = app.server.view_functions
    for endpoint in _INDEX_ENDPOINTS:
        view = views.get(endpoint)
        if view is not None:
            views[endpoint] = _with_host_url_root(view)


def _with_host_url_root(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def index(*args: Any, **kwargs: Any) -> Any:
        request = flask.request._get_current_object()  # type: ignore[attr-defined]
        cached = request.__dict__  # where Werkzeug keeps its cached properties
        saved = cached.get("url_root", _MISSING)
        cached["url_root"] = request.host_url
        try:
            return view(*args, **kwargs)
        finally:
            if saved is _MISSING:
                cached.pop("url_root", None)
            else:
                cached["url_root"] = saved

    return index
