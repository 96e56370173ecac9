"""Keeping several Dash apps, and several prefixes, correct in one process.

Dash keeps state at module level that assumes one app, at one prefix, per
process:

* ``dash.callback`` registrations wait in global lists until the *first* app
  to set up its server takes them, so a second app built later has none;
* ``dash.get_relative_path`` / ``dash.get_asset_url`` read a config that
  points at the *last* app constructed, and ``dash.get_app()`` returns the
  app whose layout was served last, even while another one is being built;
* Dash Pages keeps one ``page_registry`` for the process: each build
  re-imports ``pages/`` and replaces the layouts of the apps built before,
  and each page's ``relative_path`` is computed once, for one prefix;
* every ``Dash()`` appends Plotly's bundle to ``dcc._js_dist`` again, so a
  process that rebuilds apps renders ever longer index pages.

:class:`DashGlobals` saves the global registrations so every app we build
gets them, gives each app its own copy of the page registry, and before each
request points the module-level state at the app serving it and at the
request's prefix.  A Lambda sandbox serves one request at a time, so
switching is safe there; the local server is threaded but serves one prefix.
"""

from __future__ import annotations

import contextvars
import copy
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import dash
from dash import _callback, _get_app, _get_paths, _pages

from .dash_links import BakedLinks, relative_path
from .dash_routes import live_page_redirects

Registry = Mapping[str, dict[str, Any]]


class ServedApp:
    """A Dash app as the adapter serves it, with its own share of Dash's global state."""

    __slots__ = ("__weakref__", "dash_app", "links", "pages", "prefix", "wsgi_app")

    def __init__(self, dash_app: dash.Dash, pages: Registry | None) -> None:
        self.dash_app = dash_app
        self.wsgi_app = _isolated(dash_app.server.wsgi_app)
        #: This app's Dash Pages registry (None when it does not use Pages).
        self.pages = pages
        #: The external prefix the app's URLs carry now (``requests_pathname_prefix``).
        self.prefix: str = dash_app.config.requests_pathname_prefix
        #: Links its layouts computed at import; found when the prefix first changes.
        self.links: BakedLinks | None = None


class DashGlobals:
    """Saved ``dash.callback`` registrations and the app the globals point at.

    There is one per process (:data:`DASH_GLOBALS`), like the Dash state it
    guards: every handler in the process must see the same registrations.
    """

    def __init__(self) -> None:
        self._callback_map: dict[str, Any] = {}
        self._callback_list: list[Any] = []
        self._inline_scripts: list[Any] = []
        self._api_paths: dict[str, Any] = {}
        self._active: ServedApp | None = None
        self._registry_owner: ServedApp | None = None
        self._served: weakref.WeakSet[ServedApp] = weakref.WeakSet()

    def prepare_build(self, pages: Registry | None = None) -> None:
        """Put the saved global registrations back before an app is built.

        ``pages`` is the page registry the build starts from: the previous
        build's (its Pages modules may not all be imported again), or else
        the registry without the pages of the other apps being served.
        """
        for key, value in self._callback_map.items():
            _callback.GLOBAL_CALLBACK_MAP.setdefault(key, copy.copy(value))
        pending = {_output_key(item) for item in _callback.GLOBAL_CALLBACK_LIST}
        _callback.GLOBAL_CALLBACK_LIST.extend(
            copy.copy(item) for item in self._callback_list if _output_key(item) not in pending
        )
        _callback.GLOBAL_INLINE_SCRIPTS.extend(
            script for script in self._inline_scripts if script not in _callback.GLOBAL_INLINE_SCRIPTS
        )
        for key, value in self._api_paths.items():
            _api_paths().setdefault(key, value)
        _set_registry(self._unowned_pages() if pages is None else pages)
        self._registry_owner = None
        # The app being built must be the one dash.get_app() returns (Pages'
        # redirect_from adds its routes to that app), not the last one served.
        _forget_context_app()
        _dedupe_resources()  # a build that failed half-way may have appended
        self._active = None  # Dash.__init__ repoints the globals at the new app

    def finish_build(self, app: dash.Dash) -> ServedApp:
        """Save what is registered now, then let ``app`` take it.

        The builder and the Pages modules it imports may have registered more
        callbacks; saving after the build keeps those for the next app too.
        Setting the server up here, not on the first request, also moves that
        work out of the first user's request.
        """
        self._save_registrations(merge=False)
        # prepare_build left only this app's pages in the registry.
        return self._serve(app, _pages.PAGE_REGISTRY)

    def adopt(self, app: dash.Dash) -> ServedApp:
        """Take an app constructed elsewhere (by the user's module) and set it up now.

        It gets the ``dash.callback`` registrations waiting now, as it would
        on its first request under any server; they are also saved for apps
        built later in this process, like :meth:`finish_build` does.  An
        app adopted twice (two handlers) is one served app.
        """
        for served in self._served:
            if served.dash_app is app:
                return served
        self._save_registrations(merge=True)
        return self._serve(app, self._unowned_pages())

    def _serve(self, app: dash.Dash, registry: Registry) -> ServedApp:
        _dedupe_resources()
        pages = OrderedDict(registry) if getattr(app, "use_pages", False) else None
        live_page_redirects(app, pages or {})
        with app.server.test_request_context("/"):
            app._setup_server()  # type: ignore[no-untyped-call]
        served = ServedApp(app, pages)
        self._served.add(served)
        self.activate(served, served.prefix)
        return served

    def activate(self, served: ServedApp, prefix: str) -> None:
        """Point Dash's module-level state at ``served``, its URLs at ``prefix``.

        Free when nothing changed since the last request; otherwise a few
        dictionary writes per Pages page.
        """
        stale = False
        app = served.dash_app
        # Any Dash() constructed since (by user code, too) repoints the config.
        if served is not self._active or _get_paths.CONFIG is not app.config:
            _get_paths.CONFIG = app.config
            _pages.CONFIG = app.config
            _get_app.APP = app
            _forget_context_app()  # dash.get_app() falls back to APP
            self._active = served
            if served.pages is not None and self._registry_owner is not served:
                _set_registry(served.pages)
                self._registry_owner = served
                stale = True
        if served.prefix != prefix:
            if served.links is None:
                served.links = BakedLinks(app, served.pages or {})
            _set_prefix(app, prefix)
            served.links.apply(prefix)
            served.prefix = prefix
            stale = True
        if stale and served.pages is not None:
            for page in _pages.PAGE_REGISTRY.values():
                if "path" in page:
                    page["relative_path"] = relative_path(prefix, page["path"])

    def _save_registrations(self, *, merge: bool) -> None:
        registered = _dedupe(_callback.GLOBAL_CALLBACK_LIST)
        _callback.GLOBAL_CALLBACK_LIST[:] = registered
        saved = [copy.copy(item) for item in registered]
        if merge:
            self._callback_map.update((k, copy.copy(v)) for k, v in _callback.GLOBAL_CALLBACK_MAP.items())
            self._callback_list = _dedupe([*self._callback_list, *saved])
            self._inline_scripts += [
                s for s in _callback.GLOBAL_INLINE_SCRIPTS if s not in self._inline_scripts
            ]
            self._api_paths.update(_api_paths())
        else:
            self._callback_map = {k: copy.copy(v) for k, v in _callback.GLOBAL_CALLBACK_MAP.items()}
            self._callback_list = saved
            self._inline_scripts = list(_callback.GLOBAL_INLINE_SCRIPTS)
            self._api_paths = dict(_api_paths())

    def _unowned_pages(self) -> Registry:
        """The page registry without the pages that belong to apps being served."""
        owned = {id(page) for served in self._served if served.pages for page in served.pages.values()}
        return {module: page for module, page in _pages.PAGE_REGISTRY.items() if id(page) not in owned}


WsgiCall = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _isolated(wsgi_app: WsgiCall) -> WsgiCall:
    """``wsgi_app`` run in a copy of the context, so what a request sets there ends with it.

    Dash sets ``dash.get_app()``'s context variable while it serves a layout
    and never resets it; left in the handler's context, a Pages app
    constructed later (another handler, a rebuild) would add its
    ``redirect_from`` routes to the app served last, which Flask refuses.
    """

    def run(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return contextvars.copy_context().run(wsgi_app, environ, start_response)

    return run


def _api_paths() -> dict[str, Any]:
    """Dash's pending ``api_endpoint`` callbacks (Dash >= 3.3; older ones have none to keep)."""
    paths: dict[str, Any] = getattr(_callback, "GLOBAL_API_PATHS", {})
    return paths


def _forget_context_app() -> None:
    """Clear the app ``dash.get_app()`` prefers to ``_get_app.APP`` (a context variable, Dash >= 3.3)."""
    app_context = getattr(_get_app, "app_context", None)
    if app_context is not None:
        app_context.set(None)


def _set_registry(pages: Registry) -> None:
    # In place: Dash and user code hold the dict itself (dash.page_registry).
    if pages is _pages.PAGE_REGISTRY:
        return
    _pages.PAGE_REGISTRY.clear()
    _pages.PAGE_REGISTRY.update(pages)


def _set_prefix(app: dash.Dash, prefix: str) -> None:
    """Make ``app`` emit ``prefix`` in its URLs from now on.

    Dash reads ``requests_pathname_prefix`` from the config whenever it
    renders the index page, an asset URL or a relative path; the key is
    read-only to users (``init_app`` unlocks it), so it is written directly.
    """
    config = app.config
    dict.__setitem__(config, "requests_pathname_prefix", prefix)
    if config.get("url_base_pathname") is not None:
        dict.__setitem__(config, "url_base_pathname", prefix)


def _dedupe_resources() -> None:
    """Drop the copies of script and stylesheet entries that each ``Dash()`` appends.

    Dash 2.x-4.x append Plotly's bundle to ``dcc._js_dist`` in every
    ``Dash()``; without this, each rebuilt app makes every index page render
    longer and slower.  The lists are shared with the component classes, so
    they are edited in place.
    """
    for module in (dash.dcc, dash.html, dash.dash_table, dash._dash_renderer):
        for name in ("_js_dist", "_css_dist", "_js_dist_dependencies"):
            items = getattr(module, name, None)
            if isinstance(items, list) and len(items) > 1:
                unique: list[Any] = []
                for item in items:
                    if item not in unique:
                        unique.append(item)
                if len(unique) != len(items):
                    items[:] = unique


def _output_key(item: Any) -> Any:
    return item.get("output") if isinstance(item, dict) else id(item)


def _dedupe(items: list[Any]) -> list[Any]:
    """Drop repeated registrations of the same outputs, keeping the latest."""
    latest = {_output_key(item): item for item in items}
    return list(latest.values())


#: The process's one guard of Dash's module-level state, shared by all handlers.
DASH_GLOBALS = DashGlobals()
