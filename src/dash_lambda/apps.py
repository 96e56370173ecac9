"""The Dash apps a handler serves: one existing app for every prefix, or one built per prefix.

*App mode* (:class:`SharedApp`) takes a ``dash.Dash`` app the user's module
already constructed, with its routes at ``/``, and sets its
``requests_pathname_prefix`` (and what Dash derived from it) to the prefix
of each request.  Nothing is built, and the user's code does not change.

*Builder mode* (:class:`AppCache`) calls ``build_app(dash_kwargs)`` once
per external prefix, so that whatever the app computes at construction
(a layout with links made by ``dash.get_relative_path``) carries the right
prefix.  A stage URL (``/Prod/``) and a custom domain (``/``) get two apps.
The apps kept are bounded (``max_apps``, least recently used evicted), and
so are the apps built over the sandbox's life (:data:`BUILDS_PER_APP_SLOT`
times ``max_apps``): past that bound, a prefix without an app of its own is
served by the most recently used app with the prefix applied per request,
as in app mode, so a client that invents prefixes cannot make the sandbox
build forever.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

import dash

from .app_input import classify
from .dash_state import DASH_GLOBALS, Registry, ServedApp
from .errors import BuilderError
from .page_meta import keep_page_image_urls

logger = logging.getLogger("dash_lambda")

AppBuilder = Callable[[dict[str, Any]], dash.Dash]

#: A sandbox builds at most this many apps per ``max_apps`` slot over its life.
BUILDS_PER_APP_SLOT = 4


class Apps(Protocol):
    """What the handler needs from its apps, in either mode."""

    def get(self, prefix: str) -> ServedApp:
        """The app serving ``prefix``, made current for this request."""

    def __contains__(self, prefix: str) -> bool: ...

    @property
    def prefixes(self) -> list[str]:
        """Prefixes served (and primed) so far, least recently used first."""


def open_apps(target: dash.Dash | AppBuilder, *, max_apps: int) -> Apps:
    """The apps for ``target``, checked now: an existing app, or a builder (see :func:`classify`)."""
    if max_apps < 1:
        raise ValueError("max_apps must be at least 1")
    if classify(target) == "app":
        assert isinstance(target, dash.Dash)
        return SharedApp(target, max_apps=max_apps)
    return AppCache(target, max_apps=max_apps)


class SharedApp:
    """One existing Dash app serving every external prefix (app mode)."""

    def __init__(self, app: dash.Dash, *, max_apps: int) -> None:
        self._served = DASH_GLOBALS.adopt(app)
        keep_page_image_urls(app)
        self._globals = DASH_GLOBALS
        self._max_seen = max_apps
        self._seen: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, prefix: str) -> bool:
        return prefix in self._seen

    @property
    def prefixes(self) -> list[str]:
        """Prefixes served recently (at most ``max_apps``), least recently used first."""
        return list(self._seen)

    def get(self, prefix: str) -> ServedApp:
        """The app, with its URLs switched to ``prefix`` if the last request had another."""
        self._globals.activate(self._served, prefix)
        if prefix not in self._seen:
            self._seen[prefix] = None
            if len(self._seen) > self._max_seen:
                self._seen.popitem(last=False)
        return self._served


class AppCache:
    """Builds and keeps at most ``max_apps`` apps, least recently used evicted (builder mode)."""

    def __init__(
        self,
        builder: AppBuilder,
        *,
        max_apps: int,
    ) -> None:
        if max_apps < 1:
            raise ValueError("max_apps must be at least 1")
        self._builder = builder
        self._max_apps = max_apps
        self._apps: OrderedDict[str, ServedApp] = OrderedDict()
        self._globals = DASH_GLOBALS
        self._lock = threading.RLock()
        #: Apps built over this cache's life, and the most it may build.
        self.builds = 0
        self.max_builds = BUILDS_PER_APP_SLOT * max_apps
        self._warned = False
        #: The page registry of the last app built: the next build starts from it.
        self._pages: Registry | None = None

    def __contains__(self, prefix: str) -> bool:
        return prefix in self._apps

    @property
    def prefixes(self) -> list[str]:
        """Prefixes with a built app, least recently used first."""
        return list(self._apps)

    def get(self, prefix: str) -> ServedApp:
        """Return the app for ``prefix``, building it if needed, and make it current."""
        built = self._apps.get(prefix)
        if built is None:
            with self._lock:
                built = self._apps.get(prefix) or self._build_or_share(prefix)
        elif self._max_apps > 1:
            self._apps.move_to_end(prefix)
        self._globals.activate(built, prefix)
        return built

    def _build_or_share(self, prefix: str) -> ServedApp:
        if self.builds < self.max_builds or not self._apps:
            return self._build(prefix)
        owner, shared = next(reversed(self._apps.items()))
        if not self._warned:
            self._warned = True
            logger.warning(
                "dash_lambda: %d apps built in this sandbox, the most it builds (%d x max_apps); "
                "from now on a prefix without an app (here %s) is served by the most recently "
                "used one (built for %s)",
                self.builds,
                BUILDS_PER_APP_SLOT,
                prefix,
                owner,
            )
        return shared

    def _build(self, prefix: str) -> ServedApp:
        dash_kwargs = {"routes_pathname_prefix": "/", "requests_pathname_prefix": prefix}
        self._globals.prepare_build(self._pages)
        app = self._builder(dict(dash_kwargs))
        _check_app(app, prefix)
        built = self._globals.finish_build(app)
        keep_page_image_urls(app)
        self.builds += 1
        self._pages = built.pages
        self._apps[prefix] = built
        while len(self._apps) > self._max_apps:
            evicted, _ = self._apps.popitem(last=False)
            logger.info("dash_lambda: evicted the app for prefix %s (max_apps=%d)", evicted, self._max_apps)
        logger.info("dash_lambda: built the app for prefix %s", prefix)
        return built


def _check_app(app: object, prefix: str) -> None:
    """Fail early, with the fix in the message, on the builder mistakes we can see."""
    if not isinstance(app, dash.Dash):
        raise BuilderError(
            f"the app builder returned {type(app).__name__}, not a dash.Dash app; "
            "it must end with `return app`"
        )
    got = app.config.requests_pathname_prefix
    if got != prefix:
        raise BuilderError(
            f"the app builder ignored its dash_kwargs: the app's requests_pathname_prefix is "
            f"{got!r}, expected {prefix!r}; pass them on with Dash(__name__, **dash_kwargs)"
        )
    if not callable(getattr(app.server, "wsgi_app", None)):
        raise BuilderError(
            "the app's server is not a Flask (WSGI) app; dash_lambda serves Dash's default Flask backend"
        )
