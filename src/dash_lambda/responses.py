"""Running the WSGI app and encoding its response for the front door.

apig-wsgi builds the environ; the response side is ours.  apig-wsgi's keeps
one value per header for payload 2.0, cannot compress, and buffers the body
twice; here the body is collected once, compressed when the client accepts
it, and base64-encoded only when it must be (binary, or compressed).
"""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import Callable, Iterable
from typing import Any, Protocol

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


class Encoded:
    """A body as the front door takes it: text, or base64 of (compressed or binary) bytes.

    ``length`` is the byte length the client receives (its Content-Length),
    ``coding`` the content coding applied (``None``: the app's bytes).
    """

    __slots__ = ("_json_size", "body", "coding", "is_base64", "length")

    def __init__(self, body: str, is_base64: bool, length: int, coding: str | None) -> None:
        self.body = body
        self.is_base64 = is_base64
        self.length = length
        self.coding = coding
        self._json_size = len(body) + 2 if is_base64 else -1

    def json_size(self) -> int:
        """The body's length in the response as the runtime serializes it, measured once."""
        if self._json_size < 0:
            self._json_size = len(json.dumps(self.body))
        return self._json_size


class BodyMemo(Protocol):
    """Where :func:`encode_body` finds and leaves encoded bodies (see :mod:`static_cache`)."""

    def get(self, coding: str | None) -> Encoded | None: ...

    def put(self, encoded: Encoded) -> None: ...


class BodyForm:
    """What the adapter reads in a response's headers, in one pass: how the body travels
    (text or not, compressed by the adapter or not), and what it says about caching."""

    __slots__ = ("compressible", "text", "validated", "varies")

    def __init__(self, headers: Headers, policy: CompressionPolicy) -> None:
        content_type = content_encoding = cache_control = ""
        #: Whether the response has an ``ETag`` or ``Last-Modified`` a client can send back.
        self.validated = False
        #: Whether it says already that it varies on ``Accept-Encoding`` (or on everything).
        self.varies = False
        for key, value in headers:
            lower = key.lower()
            if lower == "content-type":
                content_type = value
            elif lower == "content-encoding":
                content_encoding = value
            elif lower == "cache-control":
                cache_control = value
            elif lower == "etag" or lower == "last-modified":
                self.validated = True
            elif lower == "vary":
                self.varies = self.varies or "accept-encoding" in value.lower() or value.strip() == "*"
        self.text = is_text(content_type)
        #: Whether the adapter compresses this kind of response for a client that accepts it.
        self.compressible = (
            policy.enabled
            and self.text
            and not content_encoding  # never twice (e.g. the app uses Dash(compress=True))
            and "no-transform" not in cache_control
        )

    def coding(self, accepted: str | None, size: int, policy: CompressionPolicy) -> str | None:
        """The content coding to apply to a body of ``size`` bytes, ``None`` to send it as is."""
        return accepted if self.compressible and size >= policy.min_size else None


def encode_body(
    response: WsgiResponse,
    coding: str | None,
    policy: CompressionPolicy,
    memo: BodyMemo | None = None,
) -> tuple[Headers, Encoded, BodyForm]:
    """Return (headers, encoded body, what the headers say) for the proxy response.

    Text stays text; a compressed or binary body is base64-encoded, as
    API Gateway, Function URLs and ALBs require.  A body that claims to be
    text but is not UTF-8 is sent as base64 too rather than lost.  With a
    ``memo`` (a body that is kept and reused), the encoded body is looked up
    there first and compressed harder when it is not, since that happens
    once.
    """
    form = BodyForm(response.headers, policy)
    use = form.coding(coding, len(response.body), policy)
    encoded = memo.get(use) if memo is not None else None
    if encoded is None:
        encoded = encode(response.body, use, form.text, once=memo is not None)
        if memo is not None:
            memo.put(encoded)
    return mark_headers(response.headers, form, encoded), encoded, form


def encode(body: bytes, coding: str | None, text: bool, *, once: bool = False) -> Encoded:
    """Compress ``body`` with ``coding`` (``None``: as is) and make it a string for the front door."""
    if coding is not None:
        body = compress(body, coding, once=once)
    elif text:
        try:
            return Encoded(body.decode("utf-8"), False, len(body), None)
        except UnicodeDecodeError:
            pass
    return Encoded(b64encode(body).decode("ascii"), True, len(body), coding)


def mark_headers(headers: Headers, form: BodyForm, encoded: Encoded) -> Headers:
    """The app's headers for the body as sent: its coding, length and ``Vary: Accept-Encoding``.

    Every response the adapter would compress for some client says it
    varies on ``Accept-Encoding``, compressed or not (too small, not
    accepted), so a cache in front never hands one client's variant to
    another.  With compression off the adapter's responses do not vary, and
    carry no ``Vary`` of its making.
    """
    if encoded.coding is not None:
        return _mark_encoded(headers, encoded.coding, encoded.length)
    if form.compressible and not form.varies:
        return [*headers, ("Vary", "Accept-Encoding")]
    return headers


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
