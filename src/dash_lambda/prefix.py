"""Finding the external URL prefix from what an event says about its path.

Every front door reports two paths: the one the browser asked for (with the
stage or base path in it) and the part that belongs to the app.  The prefix
is what the first has in front of the second; Dash must emit it in every URL
(``requests_pathname_prefix``) while routing on the second.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

ROOT = "/"


def normalize_prefix(prefix: str) -> str:
    """Return ``prefix`` in the form Dash wants: a leading and trailing slash.

    >>> normalize_prefix("Prod"), normalize_prefix("/dash"), normalize_prefix("")
    ('/Prod/', '/dash/', '/')
    """
    stripped = prefix.strip("/")
    return f"/{stripped}/" if stripped else ROOT


def split_external_path(external_path: str, app_path: str) -> str | None:
    """Return the prefix ``external_path`` has in front of ``app_path``.

    Both are compared percent-decoded, since front doors disagree on which of
    their paths they decode.  ``None`` means ``external_path`` does not end
    with ``app_path``, so the caller must fall back to another clue.

    >>> split_external_path("/Prod/page", "/page")
    '/Prod/'
    >>> split_external_path("/dash", "/")
    '/dash/'
    >>> split_external_path("/other", "/page") is None
    True
    """
    external = unquote(external_path)
    app = unquote(app_path)
    if app == ROOT:
        return normalize_prefix(external)
    if not external.endswith(app):
        return None
    return normalize_prefix(external[: len(external) - len(app)])


def strip_stage(path: str, stage: str | None) -> tuple[str, str]:
    """Split ``/{stage}/rest`` into (``/{stage}/``, ``/rest``) when it has the stage.

    Used where no route template says which part is the app's: HTTP API named
    stages put the stage in ``rawPath``; REST stage URLs in
    ``requestContext.path``.
    """
    if stage and stage != "$default":
        head = f"/{stage}"
        if path == head or path.startswith(head + "/"):
            return f"{head}/", path[len(head) :] or ROOT
    return ROOT, path


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


def wsgi_safe(path: str) -> str:
    """Percent-encode what cannot be part of an encoded path, leaving escapes alone.

    REST APIs, Function URLs and ALBs hand over the path percent-encoded;
    HTTP APIs hand it over decoded (``/a b``, ``/café``, ``/100%``).  apig-wsgi
    decodes it once more to build ``PATH_INFO``, so a decoded path is made an
    encoded one first, without needing to know which service sent it.

    >>> wsgi_safe("/caf%C3%A9"), wsgi_safe("/café"), wsgi_safe("/100% sure?")
    ('/caf%C3%A9', '/caf%C3%A9', '/100%25%20sure%3F')
    """
    if _NOT_ENCODED.search(path) is None:
        return path
    return _NOT_ENCODED.sub(lambda match: quote(match.group(), safe=""), path)
