"""One Dash app per external prefix, built on first sight and kept (LRU).

Dash fixes its URL prefixes when the app is constructed, so a function
reached through its stage URL (``/Prod/``) and a custom domain (``/``) needs
two apps.  Each is built once per sandbox.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import dash

from .dash_state import DASH_GLOBALS
from .errors import BuilderError
from .page_meta import keep_page_image_urls
from .responses import WsgiApp

logger = logging.getLogger("dash_lambda")

AppBuilder = Callable[[dict[str, Any]], dash.Dash]


class BuiltApp:
    """A built Dash app and the WSGI callable that serves it."""

    __slots__ = ("dash_app", "wsgi_app")

    def __init__(self, dash_app: dash.Dash) -> None:
        self.dash_app = dash_app
        self.wsgi_app: WsgiApp = dash_app.server.wsgi_app


class AppCache:
    """Builds and keeps at most ``max_apps`` apps, least recently used evicted."""

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
        self._apps: OrderedDict[str, BuiltApp] = OrderedDict()
        self._globals = DASH_GLOBALS
        self._lock = threading.RLock()

    def __contains__(self, prefix: str) -> bool:
        return prefix in self._apps

    @property
    def prefixes(self) -> list[str]:
        """Prefixes with a built app, least recently used first."""
        return list(self._apps)

    def get(self, prefix: str) -> BuiltApp:
        """Return the app for ``prefix``, building it if needed, and make it current."""
        built = self._apps.get(prefix)
        if built is None:
            with self._lock:
                built = self._apps.get(prefix) or self._build(prefix)
        elif self._max_apps > 1:
            self._apps.move_to_end(prefix)
        self._globals.activate(built.dash_app)
        return built

    def _build(self, prefix: str) -> BuiltApp:
        dash_kwargs = {"routes_pathname_prefix": "/", "requests_pathname_prefix": prefix}
        self._globals.prepare_build()
        app = self._builder(dict(dash_kwargs))
        _check_app(app, prefix)
        self._globals.finish_build(app)
        keep_page_image_urls(app)
        built = BuiltApp(app)
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
