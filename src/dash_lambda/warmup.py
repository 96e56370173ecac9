"""Recognising keep-warm pings, which need an answer but no Dash call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: ``source`` values of scheduled pings: EventBridge rules and the
#: serverless-plugin-warmup convention.
WARMUP_SOURCES = frozenset({"aws.events", "aws.scheduler", "serverless-plugin-warmup"})


def is_warmup(event: Mapping[str, Any]) -> bool:
    """Whether ``event`` is a warm-up ping rather than an HTTP request.

    Accepted: an EventBridge scheduled event (``"source": "aws.events"``),
    ``{"source": "serverless-plugin-warmup"}`` and ``{"warmup": true}``.
    """
    source = event.get("source")
    return (isinstance(source, str) and source in WARMUP_SOURCES) or event.get("warmup") is True
