"""Response size limits of the front doors.

Lambda refuses a synchronous response over 6,291,556 bytes *as serialized*:
the JSON envelope, escaping and base64 count.  API Gateway then shows an
opaque 502, so the adapter measures first and answers with an error that
says what to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

#: Escaping can grow text at most six-fold (``\\u0001`` for one character).
_WORST_ESCAPE = 6
#: More than the status, headers and cookies of any response API Gateway passes.
_ENVELOPE_ALLOWANCE = 128 * 1024


def oversize(
    response: dict[str, Any],
    limit: int,
    raw: bytes | None = None,
    body_json_size: Callable[[], int] | None = None,
) -> int | None:
    """Return the response's serialized size if it exceeds ``limit``, else ``None``.

    Cheap where it can be: a base64 body is ASCII with nothing to escape, and
    a text body whose six-fold worst case fits is not scanned at all.  For
    text between ``limit / 6`` and ``limit``, ``raw`` (the body's UTF-8
    bytes) gives a tighter bound at C speed (about 0.7 ms per MB); only when
    that bound is over the limit is the body serialized to count it exactly,
    or ``body_json_size`` asked for that count (a cached body keeps it).
    """
    body: str = response.get("body") or ""
    if len(body) * _WORST_ESCAPE + _ENVELOPE_ALLOWANCE <= limit:
        return None  # the common case, decided without looking at the headers
    if body_json_size is not None and body_json_size() + _ENVELOPE_ALLOWANCE <= limit:
        return None
    envelope = len(json.dumps({k: v for k, v in response.items() if k != "body"})) + 12
    if response.get("isBase64Encoded"):
        size = envelope + len(body)
    elif envelope + len(body) * _WORST_ESCAPE <= limit:
        return None
    elif envelope + len(body) > limit:
        size = envelope + len(body)  # already over before escaping is counted
    elif raw is not None and envelope + _escaped_bound(body, raw) <= limit:
        return None
    else:
        size = envelope + (len(json.dumps(body)) if body_json_size is None else body_json_size())
    return size if size > limit else None


#: Bytes JSON escapes: the control characters, DEL, the quote and the backslash.
_ESCAPED = bytes([*range(0x20), 0x7F]) + b'"\\'


def _escaped_bound(text: str, raw: bytes) -> int:
    """An upper bound of ``len(json.dumps(text))`` from its UTF-8 bytes ``raw``.

    Each escaped ASCII byte grows to at most six characters (+5); each
    non-ASCII character to at most twelve (a surrogate pair), which five per
    extra UTF-8 byte always covers (+5 for 2 bytes, +10 for 3, +15 for 4).
    """
    escaped = len(raw) - len(raw.translate(None, _ESCAPED))
    return 2 + len(text) + 5 * escaped + 5 * (len(raw) - len(text))


def too_large_message(size: int, limit: int, door: str, path: str) -> str:
    """The log line and response text for an oversized response."""
    return (
        f"The response to {path} is at least {size:,} bytes as Lambda serializes it; {door} "
        f"accepts at most {limit:,}. Fixes: let dash_lambda compress it (clients that send "
        "Accept-Encoding: gzip get about a third of the size; check compression is not turned "
        "off), load Dash's bundles from a CDN with Dash(serve_locally=False), or serve large "
        "files from S3."
    )
