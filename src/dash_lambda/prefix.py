"""Finding the external URL prefix from what an event says about its path.

Every front door reports two paths: the one the browser asked for (with the
stage or base path in it) and the part that belongs to the app.  The prefix
is what the first has in front of the second; Dash must emit it in every URL
(``requests_pathname_prefix``) while routing on the second.
"""

from __future__ import annotations

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


def wsgi_safe(path: str) -> str:
    """Percent-encode non-ASCII characters so apig-wsgi can build ``PATH_INFO``.

    Front doors may hand over a decoded path (``/café``); WSGI wants the UTF-8
    bytes as Latin-1 characters, which apig-wsgi makes from an encoded path.
    """
    return path if path.isascii() else quote(path, safe="/%!$&'()*+,;=:@~")
