"""Event sources: one module per front door behind :class:`EventSource`.

Adding a source means writing one module and listing it in ``SOURCES``;
order matters only in that more specific shapes come first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .alb import AlbSource
from .base import LAMBDA_RESPONSE_LIMIT, Event, EventSource, HttpRequest, Response
from .http_api import PayloadV2Source
from .rest import RestApiSource

SOURCES: tuple[EventSource, ...] = (AlbSource(), PayloadV2Source(), RestApiSource())


def find_source(event: Mapping[str, Any]) -> EventSource | None:
    """Return the source whose events look like ``event``, or ``None``."""
    for source in SOURCES:
        if source.matches(event):
            return source
    return None


__all__ = [
    "LAMBDA_RESPONSE_LIMIT",
    "SOURCES",
    "Event",
    "EventSource",
    "HttpRequest",
    "Response",
    "find_source",
]
