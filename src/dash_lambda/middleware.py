"""WSGI middleware between apig-wsgi and the Flask app.

apig-wsgi turns events into WSGI calls well, but on the way back it keeps one
value per header for payload 2.0 and single-value ALB responses, and it never
compresses.  Both are fixed here, inside the WSGI call, so apig-wsgi still
does the encoding: a body with ``Content-Encoding`` is base64-encoded by it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .encoding import compress, is_text, negotiate

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], Any]]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]
Headers = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class CompressionPolicy:
    """When the adapter compresses a response body."""

    enabled: bool = True
    #: Bodies smaller than this are sent as they are: compressing them saves
    #: less than the base64 encoding a compressed body needs adds.
    min_size: int = 1024
    allow_brotli: bool = True

    def coding_for(self, method: str | None, accept_encoding: str | None) -> str | None:
        """The coding to use for a request, or ``None``."""
        if not self.enabled or method == "HEAD":
            return None
        return negotiate(accept_encoding, self.allow_brotli)


def wrap_app(app: WsgiApp, policy: CompressionPolicy | None = None) -> WsgiApp:
    """Return ``app`` wrapped to join repeated headers and compress bodies."""
    policy = policy or CompressionPolicy()

    def middleware(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        coding = policy.coding_for(environ.get("REQUEST_METHOD"), environ.get("HTTP_ACCEPT_ENCODING"))
        single_value = not environ.get("apig_wsgi.multi_value_headers", True)
        if coding is None and not single_value:
            return app(environ, start_response)

        captured: list[Any] = []
        written: list[bytes] = []

        def capture(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], Any]:
            if exc_info is not None and exc_info[1] is not None:
                raise exc_info[1].with_traceback(exc_info[2])
            captured[:] = [status, list(headers)]
            return written.append

        result = app(environ, capture)
        if not captured:  # a lazy app starts its response on the first chunk
            result = _buffer(result)
        status, headers = captured
        if coding is not None and _compressible(headers):
            body = _buffer(result, written)[0]
            if len(body) >= policy.min_size:
                body = compress(body, coding)
                headers = _mark_encoded(headers, coding, len(body))
            result, written = [body], []
        if single_value:
            headers = _join_repeated(headers)
        write = start_response(status, headers)
        for chunk in written:
            write(chunk)
        return result

    return middleware


def _buffer(result: Iterable[bytes], before: list[bytes] | None = None) -> list[bytes]:
    try:
        return [b"".join([*(before or ()), *result])]
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def _header(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _compressible(headers: Headers) -> bool:
    if _header(headers, "content-encoding"):
        return False  # never twice (e.g. the app uses Dash(compress=True))
    if "no-transform" in (_header(headers, "cache-control") or ""):
        return False
    return is_text(_header(headers, "content-type") or "")


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
            value = f"W/{value}"  # the encoded bytes are not the same representation
        marked.append((key, value))
    if not any("accept-encoding" in v.lower() for v in vary):
        vary.append("Accept-Encoding")
    marked += [
        ("Content-Encoding", coding),
        ("Content-Length", str(length)),
        ("Vary", ", ".join(vary)),
    ]
    return marked


def _join_repeated(headers: Headers) -> Headers:
    """Join repeated headers with commas (RFC 9110), keeping each Set-Cookie apart."""
    seen: dict[str, int] = {}
    joined: Headers = []
    for key, value in headers:
        lower = key.lower()
        if lower == "set-cookie":
            joined.append((key, value))
        elif lower in seen:
            index = seen[lower]
            joined[index] = (joined[index][0], f"{joined[index][1]}, {value}")
        else:
            seen[lower] = len(joined)
            joined.append((key, value))
    return joined
