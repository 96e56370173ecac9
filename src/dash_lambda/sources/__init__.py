"""Event sources: one module per front door behind :class:`EventSource`.

Each module owns everything about its door: recognising and validating its
events, the prefix, the environ, the response shape and size limit, its
names, and (for the local loop) its events built from plain HTTP requests
and its responses read back.  Adding a front door is one module and one line
in ``SOURCES``.  Their ``matches`` exclude each other, so order is only the
order the CLI lists them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .alb import AlbSource
from .base import LAMBDA_RESPONSE_LIMIT, Event, EventSource, HttpRequest, Response
from .function_url import FunctionUrlSource
from .http_api import PayloadV2Source
from .rest import RestApiSource

SOURCES: tuple[EventSource, ...] = (RestApiSource(), PayloadV2Source(), AlbSource(), FunctionUrlSource())
#: Every source by name (the local server's ``--payload``).
BY_NAME: dict[str, EventSource] = {source.name: source for source in SOURCES}


def find_source(event: Mapping[str, Any], sources: Iterable[EventSource] = SOURCES) -> EventSource | None:
    """Return the first of ``sources`` whose events look like ``event``, or ``None``."""
    for source in sources:
        if source.matches(event):
            return source
    return None


__all__ = [
    "BY_NAME",
    "LAMBDA_RESPONSE_LIMIT",
    "SOURCES",
    "Event",
    "EventSource",
    "HttpRequest",
    "Response",
    "find_source",
]
