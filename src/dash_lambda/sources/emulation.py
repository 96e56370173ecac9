"""What every AWS front door does to a plain HTTP request and to the proxy response.

Each source module builds its own events from a :class:`LocalRequest` and
reads its own responses back into a :class:`LocalResponse` (for the local
server, ``invoke`` and the tests); the rules they share live here.  Nothing
here runs on Lambda: the handler never imports the heavier parts
(``secrets``, ``uuid``), which load on first use.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ..encoding import is_text
from ..errors import DashLambdaError

#: Headers a proxy consumes rather than forwards; API Gateway and ALB do the same.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class MalformedResponseError(DashLambdaError, ValueError):
    """The handler returned something the front door would refuse.

    API Gateway and ALB answer such a response with ``502`` and log
    "Malformed Lambda proxy response"; the local server does the same and
    prints this exception's message, which says what was wrong.
    """


@dataclass(frozen=True, slots=True)
class LocalRequest:
    """An HTTP request as the local server received it.

    ``path`` is the raw, still percent-encoded path and ``query_string`` the
    raw query without ``?``: each front door decodes a different part, so the
    undecoded form must survive until the event is built.
    """

    method: str
    path: str
    query_string: str = ""
    #: In arrival order, repeats kept, names spelled as the client sent them.
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    client_addr: str = "127.0.0.1"
    #: Scheme and port of the local server, reported in ``X-Forwarded-*``.
    scheme: str = "http"
    server_port: int = 80

    def header(self, name: str) -> str | None:
        """Return the last value of header ``name`` (any case), or ``None``."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found


@dataclass(frozen=True, slots=True)
class LocalResponse:
    """An HTTP response ready for the browser: decoded body, repeated headers kept."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """Return the last value of header ``name`` (any case), or ``None``."""
        values = self.header_values(name)
        return values[-1] if values else None

    def header_values(self, name: str) -> list[str]:
        """Every value of header ``name`` (any case), in order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


# --------------------------------------------------------------------------- events


def forwarded_headers(request: LocalRequest, *, lower: bool) -> list[tuple[str, str]]:
    """The request's headers as the front door forwards them, plus the ones it adds."""
    import secrets

    added = {"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id"}
    forwarded_for = request.header("x-forwarded-for")
    result: list[tuple[str, str]] = []
    for name, value in request.headers:
        key = name.lower()
        if key in HOP_BY_HOP or key in added:
            continue
        result.append((key if lower else name, value))
    client = request.client_addr
    extra = [
        ("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"),
        ("X-Forwarded-For", f"{forwarded_for}, {client}" if forwarded_for else client),
        ("X-Forwarded-Port", str(request.server_port)),
        ("X-Forwarded-Proto", request.scheme),
    ]
    result.extend((name.lower() if lower else name, value) for name, value in extra)
    return result


def single_and_multi(
    pairs: Iterable[tuple[str, str]], *, fold_case: bool = False
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Split pairs into AWS's two views: last value per name, and every value per name.

    With ``fold_case`` (header names) names that differ only in case are one
    name, spelled as it first came.
    """
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in pairs:
        if fold_case:
            name = spelling.setdefault(name.lower(), name)
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def parse_query(query_string: str, *, decode: bool) -> list[tuple[str, str]]:
    """Split a raw query string into (name, value) pairs, blank values kept.

    API Gateway percent-decodes but leaves ``+`` alone; ALB decodes nothing.
    """
    pairs: list[tuple[str, str]] = []
    for part in query_string.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if decode:
            name, value = unquote(name), unquote(value)
        pairs.append((name, value))
    return pairs


def body_field(request: LocalRequest, *, base64_always: bool) -> tuple[str | None, bool]:
    """Return (``body``, ``isBase64Encoded``) the way AWS would fill them.

    Payload 2.0 and ALB pass text content types as text; everything else
    (and a body without a content type) arrives base64-encoded.
    """
    if not request.body:
        return None, False
    content_type = request.header("content-type") or ""
    if not base64_always and content_type and is_text(content_type):
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(request.body).decode("ascii"), True


def clf_time(epoch: float) -> str:
    """``09/Apr/2015:12:34:56 +0000``, independent of the process's locale."""
    t = time.gmtime(epoch)
    day = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}"
    return f"{day}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def short_id() -> str:
    """An id in the style of API Gateway's ``extendedRequestId`` / HTTP API ``requestId``."""
    import secrets

    return base64.b64encode(secrets.token_bytes(10)).decode("ascii")


def request_id(given: str | None) -> str:
    """``given``, or a fresh UUID like API Gateway's ``requestId``."""
    import uuid

    return given or str(uuid.uuid4())


# ------------------------------------------------------------------------ responses


def check_keys(response: Mapping[str, Any], allowed: frozenset[str], door: str) -> None:
    """A door that rejects unknown keys answers 502 for them."""
    unknown = sorted(set(response) - allowed)
    if unknown:
        raise MalformedResponseError(f"{door} responses may not contain {', '.join(map(repr, unknown))}")


def check_status(response: Mapping[str, Any]) -> int:
    """``statusCode``, which must be an integer HTTP status."""
    status = response.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResponseError(f"statusCode must be an integer HTTP status, got {status!r}")
    return status


def proxy_object(response: object) -> dict[str, Any]:
    """The response as a dict, or the 502 a non-object return value gets."""
    if not isinstance(response, dict):
        raise MalformedResponseError(
            f"the handler returned {type(response).__name__}, not a proxy response object"
        )
    return response


def header_map(value: object, where: str) -> dict[str, str]:
    """A single-value header map, values stringified as API Gateway does."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedResponseError(f"{where} must be an object, got {type(value).__name__}")
    result: dict[str, str] = {}
    for name, item in value.items():
        result[str(name)] = _header_value(item, f"{where}[{name!r}]")
    return result


def multi_header_map(value: object, where: str) -> dict[str, list[str]]:
    """A multi-value header map."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedResponseError(f"{where} must be an object, got {type(value).__name__}")
    result: dict[str, list[str]] = {}
    for name, items in value.items():
        if not isinstance(items, list):
            raise MalformedResponseError(f"{where}[{name!r}] must be a list of strings")
        result[str(name)] = [_header_value(item, f"{where}[{name!r}]") for item in items]
    return result


def _header_value(value: object, where: str) -> str:
    # API Gateway stringifies numbers and booleans in header values; anything
    # else (objects, lists, null) makes the response malformed.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedResponseError(f"{where} must be a string, got {type(value).__name__}")


def http_response(response: Mapping[str, Any], status: int, headers: list[tuple[str, str]]) -> LocalResponse:
    """Decode the body and drop framing headers: what the door sends the browser."""
    body_value = response.get("body")
    encoded = response.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise MalformedResponseError(f"isBase64Encoded must be true or false, got {encoded!r}")
    if body_value is None:
        body = b""
    elif not isinstance(body_value, str):
        raise MalformedResponseError(
            f"body must be a string, got {type(body_value).__name__} (serialize it first)"
        )
    elif encoded:
        try:
            body = base64.b64decode(body_value, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponseError("isBase64Encoded is true but body is not base64") from None
    else:
        body = body_value.encode("utf-8")
    # The front door recomputes framing headers for the body it actually sends.
    kept = tuple(
        (name, value)
        for name, value in headers
        if name.lower() not in HOP_BY_HOP and name.lower() != "content-length"
    )
    return LocalResponse(status, kept, body)
