"""Keeping finished responses for files that cannot change in a sandbox.

Dash's component bundles (``plotly.min.js`` among them, 4.8 MB), the assets
folder and the favicon are part of the deployment package, so within one
sandbox the same request always gets the same bytes.  Keeping the final
response (compressed and base64-encoded already) lets a warm request skip
Flask, compression and encoding.  The cache is bounded in bytes, LRU.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

#: Paths (below the routes prefix) whose responses are immutable per sandbox.
STATIC_PATH_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon.ico")


class StaticResponseCache:
    """LRU of immutable GET responses whose bodies take at most ``max_bytes`` of memory."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> dict[str, Any] | None:
        """A copy of the cached response for ``key``, or ``None``."""
        response = self._entries.get(key)
        if response is None:
            return None
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
        return _copy(response)

    def offer(self, key: Hashable, path: str, response: dict[str, Any]) -> None:
        """Keep ``response`` if it is a cacheable answer to a static path."""
        if self._max_bytes <= 0 or not _cacheable(path, response):
            return
        size = _memory(response)
        if size > self._max_bytes:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = _copy(response)
            self._bytes += size
            while self._bytes > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= _memory(evicted)


def is_static_path(path: str) -> bool:
    """Whether ``path`` (below the routes prefix) names a file that cannot change in a sandbox."""
    return path.startswith(STATIC_PATH_PREFIXES)


def _memory(response: dict[str, Any]) -> int:
    """Memory the body takes: a str with one non-ASCII character uses 2-4 bytes per character."""
    return sys.getsizeof(response.get("body") or "")


def _cacheable(path: str, response: dict[str, Any]) -> bool:
    if response.get("statusCode") != 200 or response.get("cookies"):
        return False
    if not is_static_path(path):
        return False
    for name in response.get("multiValueHeaders") or response.get("headers") or {}:
        if name.lower() == "set-cookie":
            return False
    return True


def _copy(response: dict[str, Any]) -> dict[str, Any]:
    """A copy the caller may change without touching the cached entry."""
    copied = dict(response)
    for key in ("headers", "multiValueHeaders"):
        if key in copied and copied[key] is not None:
            copied[key] = {k: list(v) if isinstance(v, list) else v for k, v in copied[key].items()}
    if "cookies" in copied:
        copied["cookies"] = list(copied["cookies"])
    return copied
