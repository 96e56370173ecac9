"""Keeping several Dash apps correct in one process.

Dash keeps state at module level that assumes one app per process:

* ``dash.callback`` registrations wait in global lists until the *first* app
  to set up its server takes them, so a second app built later has none;
* ``dash.get_relative_path`` / ``dash.get_asset_url`` read a config that
  points at the *last* app constructed;
* Dash Pages stores each page's ``relative_path`` once, for the prefix of
  the app that was current when the page registered.

:class:`DashGlobals` saves the global registrations so every app we build
gets them, and switches the module-level pointers to the app serving the
current request.  A Lambda sandbox serves one request at a time, so
switching is safe there; the local server is threaded but serves one prefix.
"""

from __future__ import annotations

import copy
from typing import Any

import dash
from dash import _callback, _get_app, _get_paths, _pages

from .errors import BuilderError


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
        self._active: Any = None

    def prepare_build(self) -> None:
        """Put the saved global registrations back before an app is built."""
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
            _callback.GLOBAL_API_PATHS.setdefault(key, value)
        self._active = None  # Dash.__init__ repoints the globals at the new app

    def finish_build(self, app: dash.Dash) -> None:
        """Save what is registered now, then let ``app`` take it.

        The builder and the Pages modules it imports may have registered more
        callbacks; saving after the build keeps those for the next app too.
        Setting the server up here, not on the first request, also moves that
        work out of the first user's request.
        """
        self._callback_map = {k: copy.copy(v) for k, v in _callback.GLOBAL_CALLBACK_MAP.items()}
        registered = _dedupe(_callback.GLOBAL_CALLBACK_LIST)
        _callback.GLOBAL_CALLBACK_LIST[:] = registered
        self._callback_list = [copy.copy(item) for item in registered]
        self._inline_scripts = list(_callback.GLOBAL_INLINE_SCRIPTS)
        self._api_paths = dict(_callback.GLOBAL_API_PATHS)
        setup = getattr(app, "_setup_server", None)
        if setup is None:
            raise BuilderError("this Dash version has no _setup_server; dash_lambda needs Dash >= 2.16")
        with app.server.test_request_context("/"):
            setup()
        self.activate(app)

    def activate(self, app: dash.Dash) -> None:
        """Point Dash's module-level config at ``app`` if it is not already."""
        if app is self._active:
            return
        _get_paths.CONFIG = app.config
        _pages.CONFIG = app.config
        _get_app.APP = app
        for page in _pages.PAGE_REGISTRY.values():
            if "path" in page:
                page["relative_path"] = app.get_relative_path(page["path"])  # type: ignore[no-untyped-call]
        self._active = app


def _output_key(item: Any) -> Any:
    return item.get("output") if isinstance(item, dict) else id(item)


def _dedupe(items: list[Any]) -> list[Any]:
    """Drop repeated registrations of the same outputs, keeping the latest."""
    latest = {_output_key(item): item for item in items}
    return list(latest.values())


#: The process's one guard of Dash's module-level state, shared by all handlers.
DASH_GLOBALS = DashGlobals()
