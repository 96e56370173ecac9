"""Finding the external URL prefix from what an event says about its path.

Every front door reports two paths: the one the browser asked for (with the
stage or base path in it) and the part that belongs to the app.  The prefix
is what the first has in front of the second; Dash must emit it in every URL
(``requests_pathname_prefix``) while routing on the second, and the WSGI
environ carries it as ``SCRIPT_NAME`` so Flask's own URLs include it too.

The prefix is cut from the path *as the front door delivered it*, before any
percent-decoding: decoding first would let ``/dash/a%2541`` (app path
``/a%41``) look like a request for ``/dash/aA`` under no prefix at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, ParamSpec
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper

ROOT = "/"


class Split(NamedTuple):
    """An external path taken apart: where the app is mounted and what it is asked for."""

    #: The external prefix, normalized for Dash: ``/Prod/``, ``/dash/`` or ``/``.
    prefix: str
    #: The path the app routes on, percent-encoded (apig-wsgi decodes it once).
    app_path: str
    #: The browser asked for the prefix without its trailing slash (``/Prod``).
    bare: bool


Fields = ParamSpec("Fields")


def cached_on_fields(split: Callable[Fields, Split]) -> _lru_cache_wrapper[Split]:
    """``split`` of an event's raw fields, cached on them (an app has few distinct paths).

    Callers call the cache itself, with no wrapper's frame on every request.
    A crafted event can put an unhashable value where a string belongs: the
    cache raises ``TypeError``, and the caller computes that one with
    ``__wrapped__``, uncached.
    """
    return lru_cache(maxsize=1024)(split)


def normalize_prefix(prefix: str) -> str:
    """Return ``prefix`` in the form Dash wants: a leading and trailing slash.

    >>> normalize_prefix("Prod"), normalize_prefix("/dash"), normalize_prefix("")
    ('/Prod/', '/dash/', '/')
    """
    stripped = prefix.strip("/")
    return f"/{stripped}/" if stripped else ROOT


def split_external_path(external_path: str, app_path: str, *, decoded: bool = False) -> str | None:
    """Return what ``external_path`` has in front of ``app_path``, as it stands there.

    ``app_path`` comes from a path parameter, which API Gateway decodes once;
    ``external_path`` is the path the front door reported: percent-encoded
    (REST APIs), or already decoded (``decoded=True``: HTTP APIs).  The
    result is a piece of ``external_path`` itself, never a decoding of it,
    without its trailing slash (``""`` for the root).  ``None`` means
    ``external_path`` does not end with ``app_path``, so the caller must
    fall back to another clue.

    >>> split_external_path("/Prod/page", "/page")
    '/Prod'
    >>> split_external_path("/dash", "/"), split_external_path("/dash/a%2541", "/a%41")
    ('/dash', '/dash')
    >>> split_external_path("/other", "/page") is None
    True
    """
    if app_path == ROOT:
        # "/Prod/" is the root under /Prod; "/Prod" is the same page asked for without its slash.
        return external_path[:-1] if external_path.endswith("/") else external_path
    if decoded or "%" not in external_path:
        if external_path.endswith(app_path):
            return external_path[: len(external_path) - len(app_path)]
        return None
    # An escape never spans a "/", so the segments decode one by one, from the
    # right, each compared once with the end of the app path still unmatched.
    segments = external_path.split("/")
    end = len(app_path)
    for count in range(len(segments) - 1, 0, -1):
        piece = "/" + unquote(segments[count])
        if not app_path.endswith(piece, 0, end):
            return None
        end -= len(piece)
        if end == 0:
            return "/".join(segments[:count])
    return None


def split_by_stage(path: str, stage: str | None) -> tuple[str, str]:
    """Split ``/{stage}/rest`` into (``/{stage}``, ``/rest``) when it starts with the stage.

    Used where no route template says which part is the app's: HTTP API named
    stages put the stage in ``rawPath``; REST stage URLs in
    ``requestContext.path``.  The second part is ``""`` for ``/{stage}``.
    """
    if stage and stage != "$default":
        head = f"/{stage}"
        if path == head or path.startswith(head + "/"):
            return head, path[len(head) :]
    return "", path


def app_path_from_proxy(proxy: object, route_template: object) -> str | None:
    """The app's path from a ``{proxy+}`` route, or ``None`` if the route says nothing.

    ``sam local generate-event`` writes ``proxy`` with a leading slash, AWS
    without one; both mean the same path.
    """
    if not isinstance(route_template, str):
        return None
    if isinstance(proxy, str) and route_template.rstrip().endswith("{proxy+}"):
        return ROOT + proxy.lstrip("/")
    if route_template in (ROOT, "ANY /", "GET /", "HEAD /", "POST /"):
        return ROOT
    return None


#: What never stands literally in a percent-encoded path: controls, space,
#: non-ASCII, ``?``, ``#``, and a ``%`` that starts no escape.
_NOT_ENCODED = re.compile(r"[^\x21-\x7e]|[?#]|%(?![0-9A-Fa-f]{2})")
#: Characters a path keeps literally when it is encoded (RFC 3986 ``pchar`` and ``/``).
_PATH_SAFE = "/!$&'()*+,;=:@~"


def _escape(match: re.Match[str]) -> str:
    # A lone surrogate (only a crafted event has one) is encoded as the bytes
    # a browser would send for it, which the app then decodes as invalid UTF-8.
    return quote(match.group(), safe="", errors="surrogatepass")


def wsgi_safe(path: str) -> str:
    """Percent-encode what cannot be part of an encoded path, leaving escapes alone.

    For paths that arrive percent-encoded (REST APIs, Function URLs, ALBs):
    apig-wsgi decodes the path once to build ``PATH_INFO``, so whatever a
    crafted or hand-written event left bare (a space, non-ASCII, a lone
    ``%``) is encoded first.

    >>> wsgi_safe("/caf%C3%A9"), wsgi_safe("/café"), wsgi_safe("/100% sure?")
    ('/caf%C3%A9', '/caf%C3%A9', '/100%25%20sure%3F')
    """
    if _NOT_ENCODED.search(path) is None:
        return path
    return _NOT_ENCODED.sub(_escape, path)


def encode_path(path: str, *, decoded: bool) -> str:
    """The percent-encoded form of a path, whichever form it arrived in.

    HTTP APIs hand over their path decoded (``decoded=True``): every ``%``
    in it is a literal percent sign and is encoded like the rest
    (``/a%41`` is the app's ``/a%41``, not ``/aA``).

    >>> encode_path("/a%41 b", decoded=True), encode_path("/a%41 b", decoded=False)
    ('/a%2541%20b', '/a%41%20b')
    """
    if not decoded:
        return wsgi_safe(path)
    return quote(path, safe=_PATH_SAFE, errors="surrogatepass")


#: What a query string cannot hold literally in a header: controls, space, non-ASCII, ``#``.
_NOT_IN_QUERY = re.compile(r"[^\x21-\x7e]|#")


def query_suffix(query: str) -> str:
    """``?query`` (or ``""``) for a URL the adapter writes, with nothing a header cannot carry.

    >>> query_suffix("a=1&b=x y"), query_suffix("")
    ('?a=1&b=x%20y', '')
    """
    return f"?{_NOT_IN_QUERY.sub(_escape, query)}" if query else ""


@lru_cache(maxsize=64)
def script_name(prefix: str) -> str:
    """``SCRIPT_NAME`` for an external prefix: without its trailing slash, decoded as WSGI wants.

    >>> script_name("/Prod/"), script_name("/")
    ('/Prod', '')
    """
    return unquote(prefix.rstrip("/"), encoding="iso-8859-1")
