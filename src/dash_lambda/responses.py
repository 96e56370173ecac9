"""Running the WSGI app and encoding its response for the front door.

apig-wsgi builds the environ; the response side is ours.  apig-wsgi's keeps
one value per header for payload 2.0, cannot compress, and buffers the body
twice; here the body is collected once, compressed when the client accepts
it, and base64-encoded only when it must be (binary, or compressed).
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Callable, Iterable
from typing import Any

from .encoding import compress, is_text

Headers = list[tuple[str, str]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WsgiResponse:
    """What the WSGI app answered."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Headers, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


def call_wsgi(app: WsgiApp, environ: dict[str, Any]) -> WsgiResponse:
    """Call ``app`` and collect its whole response."""
    started: list[Any] = []
    chunks: list[bytes] = []

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], Any]:
        if exc_info is not None and exc_info[1] is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = (status, headers)
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = started
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return WsgiResponse(int(status[:3]), list(headers), body)


class CompressionPolicy:
    """When the adapter compresses a response body.

    Bodies under ``min_size`` are sent as they are: what compressing them
    saves fits in a packet or two, and base64 takes back a third of it.
    """

    __slots__ = ("enabled", "min_size")

    def __init__(self, enabled: bool = True, min_size: int = 2048) -> None:
        self.enabled = enabled
        self.min_size = min_size


def encode_body(
    response: WsgiResponse, coding: str | None, policy: CompressionPolicy, *, cacheable: bool = False
) -> tuple[Headers, str, bool]:
    """Return (headers, body text, is base64) for the proxy response.

    Text stays text; a compressed or binary body is base64-encoded, as
    API Gateway, Function URLs and ALBs require.  A body that claims to be
    text but is not UTF-8 is sent as base64 too rather than lost.  A
    ``cacheable`` body is compressed once, so harder.
    """
    headers = response.headers
    content_type = content_encoding = cache_control = ""
    for key, value in headers:
        lower = key.lower()
        if lower == "content-type":
            content_type = value
        elif lower == "content-encoding":
            content_encoding = value
        elif lower == "cache-control":
            cache_control = value
    text = is_text(content_type)
    body = response.body
    if (
        coding is not None
        and text
        and not content_encoding  # never twice (e.g. the app uses Dash(compress=True))
        and len(body) >= policy.min_size
        and "no-transform" not in cache_control
    ):
        body = compress(body, coding, once=cacheable)
        headers = _mark_encoded(headers, coding, len(body))
        content_encoding = coding
    if text and not content_encoding:
        try:
            return headers, body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return headers, b64encode(body).decode("ascii"), True


def _mark_encoded(headers: Headers, coding: str, length: int) -> Headers:
    marked: Headers = []
    vary: list[str] = []
    for key, value in headers:
        lower = key.lower()
        if lower == "content-length":
            continue
        if lower == "vary":
            vary.append(value)
            continue
        if lower == "etag" and not value.startswith("W/"):
            value = f"W/{value}"  # the encoded bytes are another representation
        marked.append((key, value))
    if not any("accept-encoding" in v.lower() for v in vary):
        vary.append("Accept-Encoding")
    marked += [
        ("Content-Encoding", coding),
        ("Content-Length", str(length)),
        ("Vary", ", ".join(vary)),
    ]
    return marked
