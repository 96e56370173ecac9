"""The requests a new sandbox sends itself at init, so its first user's are warm ones.

Building an app is not all a cold start costs.  The first request of every
kind also loads code paths (event parsing, apig-wsgi, Flask's routing,
compression) and, for a static file, makes the app answer it once before
the per-sandbox cache may reuse the answer.  Priming pays both in the init
phase: the handler sends itself a page load's requests, built by the front
doors' own builders, through the same code a user's request takes.

Priming requests are anonymous (no cookie, no ``Authorization``, no
``Origin``), so they can only put into the static cache what the app would
give anyone: an app that protects its files answers them with its refusal,
which is not stored, and its users' requests go to the app as before.
"""

from __future__ import annotations

import html.parser
from collections.abc import Iterable
from typing import Any

import dash

from .sources.emulation import FrontDoor, LocalRequest
from .static_cache import is_static_path
from .static_files import plain_path

#: ``requestContext.requestId`` (and ``User-Agent``) of the requests the handler sends itself.
PRIME_REQUEST_ID = "dash-lambda-prime"
#: How often the dynamic requests are sent: the first of each kind loads
#: code, the next ones settle what a warm sandbox has (caches, branches).
ROUNDS = 3
#: A browser's headers for a page's subresources; no credentials.
_BROWSER = (("Accept", "*/*"), ("Accept-Encoding", "gzip, deflate, br"), ("User-Agent", PRIME_REQUEST_ID))
_DYNAMIC_PATHS = ("/", "/_dash-layout", "/_dash-dependencies")
_SUITES = "/_dash-component-suites/"
_FAVICON = ("/_favicon.ico", "")


def dynamic_events() -> list[dict[str, Any]]:
    """GETs of the index, the layout and the dependencies, in both payload formats.

    Every door's event is at its root: the handler serves it under the
    prefix being primed, which it sets on the parsed request.
    """
    return _events([(path, "") for path in _DYNAMIC_PATHS])


def index_event() -> dict[str, Any]:
    """A GET of the index without ``Accept-Encoding``, whose HTML :func:`static_events` reads."""
    request = LocalRequest("GET", "/", headers=(("Accept", "text/html"), ("User-Agent", PRIME_REQUEST_ID)))
    return _event(request, FrontDoor("v2"))


def static_events(index_html: str, prefix: str, app: dash.Dash) -> list[dict[str, Any]]:
    """GETs of the static files a first page load asks for, in both payload formats.

    The files the index references (scripts, stylesheets, the favicon),
    with their query strings; the favicon at its plain URL, which
    browsers also ask for; and the chunks Dash's components load on
    demand (``async-graph.js``, ``plotly.min.js``, …: every script Dash
    registered for the index that the index does not reference, source
    maps left out).  The chunks come first, so that a static cache too
    small for all of them keeps the files every page load needs.
    """
    referenced = referenced_files(index_html, prefix)
    plain_names = {_plain(path) for path, _ in referenced}
    chunks = [(path, "") for path in on_demand_scripts(app) if _plain(path) not in plain_names]
    return _events([*chunks, *referenced, _FAVICON])


def referenced_files(index_html: str, prefix: str) -> list[tuple[str, str]]:
    """``(app path, query string)`` of the static files ``index_html`` loads from below ``prefix``."""
    finder = _ReferenceFinder()
    finder.feed(index_html)
    finder.close()
    found: dict[tuple[str, str], None] = {}
    for url in finder.urls:
        path, _, query = url.partition("#")[0].partition("?")
        if not path.startswith(prefix):
            continue  # another site's (external_scripts), or not under this prefix at all
        app_path = "/" + path[len(prefix) :]
        if is_static_path(app_path):
            found[(app_path, query)] = None
    return list(found)


def on_demand_scripts(app: dash.Dash) -> list[str]:
    """App paths of the scripts Dash registered for the page but loads only when a component asks.

    Read from ``Dash.registered_paths``, which Dash fills while it renders
    the index: call this after the index was served.
    """
    registered = getattr(app, "registered_paths", None)
    if not isinstance(registered, dict):
        return []
    return [
        f"{_SUITES}{namespace}/{path}"
        for namespace, paths in sorted(registered.items())
        for path in sorted(paths)
        if isinstance(path, str) and path.endswith(".js")
    ]


def _events(requests: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    doors = (FrontDoor("v1"), FrontDoor("v2"))
    return [
        _event(LocalRequest("GET", path, query_string=query, headers=_BROWSER), door)
        for path, query in requests
        for door in doors
    ]


def _event(request: LocalRequest, door: FrontDoor) -> dict[str, Any]:
    """The event ``door`` sends for ``request``: its root is the app's root, so the path is the route."""
    return door.source.local_event(request, door, request.path, 0, PRIME_REQUEST_ID)


def _plain(app_path: str) -> str:
    return plain_path(app_path) if app_path.startswith(_SUITES) else app_path


class _ReferenceFinder(html.parser.HTMLParser):
    """Collects ``<script src>`` and ``<link href>`` (stylesheets, icons) of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)
