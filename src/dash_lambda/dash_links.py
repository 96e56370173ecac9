"""Links that a layout computed once, moved to the prefix of the request.

A layout assigned as a value (``app.layout = html.Div(...)``, or a page's
module-level ``layout``) is computed when the module is imported, with the
prefix the app had then: ``dash.get_relative_path("/analytics")``,
``page["relative_path"]`` and ``app.get_asset_url("logo.png")`` are plain
strings from that moment on.  An app serving another prefix must move them.

:class:`BakedLinks` finds them once: every ``href``, ``src`` or ``action``
of a component in those layouts that is an address *of this app* under its
construction prefix (a page, a path-template page, an asset, a Flask route
of its own, the home page).  Other absolute links (``/docs`` of a sibling
service behind the same domain) are left alone.  Applying a prefix then
rewrites those few properties in place, which costs microseconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import dash
from dash.development.base_component import Component
from werkzeug.exceptions import HTTPException

#: Component properties that hold an address the browser follows.
LINK_PROPS = ("href", "src", "action")


class BakedLinks:
    """The app's own addresses in its value layouts, and where each one points inside the app."""

    __slots__ = ("_links",)

    def __init__(self, app: dash.Dash, pages: Mapping[str, Mapping[str, Any]]) -> None:
        prefix: str = app.config.requests_pathname_prefix
        is_own = _OwnPaths(app, pages)
        layouts = [app.layout] if not callable(app.layout) else []
        layouts += [page.get("layout") for page in pages.values() if not callable(page.get("layout"))]
        self._links: list[tuple[Component, str, str]] = []
        seen: set[int] = set()
        for component in _components(layouts):
            if id(component) in seen:
                continue
            seen.add(id(component))
            for prop in LINK_PROPS:
                value = getattr(component, prop, None)
                if isinstance(value, str):
                    path = _inside(value, prefix)
                    if path is not None and is_own(path):
                        self._links.append((component, prop, path))

    def __len__(self) -> int:
        return len(self._links)

    def apply(self, prefix: str) -> None:
        """Point every link found at ``prefix``."""
        for component, prop, path in self._links:
            setattr(component, prop, relative_path(prefix, path))


def _inside(url: str, prefix: str) -> str | None:
    """``url``'s path inside the app (``/about?x=1``) if it starts with ``prefix``, else None."""
    if url.startswith("//"):
        return None  # another host
    if url == prefix.rstrip("/"):
        return "/"
    if url.startswith(prefix):
        return "/" + url[len(prefix) :]
    return None


class _OwnPaths:
    """Whether a path inside the app is one the app serves: a page, an asset, one of its routes."""

    def __init__(self, app: dash.Dash, pages: Mapping[str, Mapping[str, Any]]) -> None:
        self._assets = "/" + str(app.config.assets_url_path).strip("/") + "/"
        self._pages = {str(page["path"]).rstrip("/") or "/" for page in pages.values() if "path" in page}
        self._templates = [
            str(page["path_template"]).strip("/").split("/")
            for page in pages.values()
            if page.get("path_template")
        ]
        self._routes = app.server.url_map.bind("localhost")
        rules = app.server.url_map.iter_rules()
        self._catch_all = {rule.endpoint for rule in rules if "<path:path>" in rule.rule}

    def __call__(self, path: str) -> bool:
        bare = path.split("#", 1)[0].split("?", 1)[0]
        if bare.startswith(self._assets) or (bare.rstrip("/") or "/") in self._pages:
            return True
        segments = bare.strip("/").split("/")
        for template in self._templates:
            if _fits(template, segments):
                return True
        try:
            endpoint, _ = self._routes.match(bare, method="GET")
        except HTTPException:  # 404, 405, or a redirect to the slashed URL
            return False
        return endpoint not in self._catch_all


def _fits(template: list[str], segments: list[str]) -> bool:
    """Whether path ``segments`` fill a ``path_template``'s (``report/<report_id>``)."""
    if len(template) != len(segments):
        return False
    return all(
        t == s or (t.startswith("<") and t.endswith(">") and bool(s))
        for t, s in zip(template, segments, strict=True)
    )


def relative_path(prefix: str, path: str) -> str:
    """``path`` (from ``/``) under ``prefix``: Dash's ``get_relative_path``, without its checks."""
    return prefix.rstrip("/") + "/" + path.lstrip("/")


def _components(values: list[Any]) -> Iterator[Component]:
    """Every component in ``values``, in any property (not only ``children``)."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, Component):
            yield value
            stack.extend(getattr(value, name, None) for name in value._prop_names)
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
