"""What every AWS front door does to a plain HTTP request and to the proxy response.

Each source module builds its own events from a :class:`LocalRequest` and
reads its own responses back into a :class:`LocalResponse` (for the local
server, ``invoke`` and the tests), for the :class:`FrontDoor` being played;
the rules they share live here.  On Lambda only priming uses this module,
at init, to build the requests a new sandbox sends itself; the heavier
parts (``secrets``, ``uuid``) load on first use.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..encoding import is_text
from ..errors import DashLambdaError

if TYPE_CHECKING:
    from .base import EventSource

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


def payload_1_proxy(
    response: object, allowed: frozenset[str], door: str
) -> tuple[dict[str, Any], int, dict[str, str], dict[str, list[str]]]:
    """A payload 1.0 response (REST, ALB) as its door checks it: the object, status and both header maps."""
    proxy = proxy_object(response)
    check_keys(proxy, allowed, door)
    status = check_status(proxy)
    single = header_map(proxy.get("headers"), "headers")
    return proxy, status, single, multi_header_map(proxy.get("multiValueHeaders"), "multiValueHeaders")


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


_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_BASE_PATH = re.compile(r"^[A-Za-z0-9._~$!'()*+,;=:@%-]+(/[A-Za-z0-9._~$!'()*+,;=:@%-]+)*$")


@dataclass(frozen=True, slots=True)
class FrontDoor:
    """Which AWS front door the synthesized events pretend to come through.

    ``stage`` puts ``/{stage}/`` in the URL, as API Gateway's own stage URLs
    do (REST and HTTP APIs only).  ``base_path`` is a custom domain's
    base-path (API mapping) key instead; the two describe different URLs and
    cannot be combined.  ``multi_value_headers`` is the ALB target-group
    setting, ``binary_media_types`` whether a REST API has ``*/*`` binary
    media types (our template does), which makes it base64-encode every
    request body.
    """

    payload: str = "v1"
    stage: str | None = None
    base_path: str | None = None
    multi_value_headers: bool = False
    binary_media_types: bool = True
    region: str = "us-east-1"
    api_id: str = "local0000"
    account_id: str = "123456789012"

    def __post_init__(self) -> None:
        from . import BY_NAME  # the package imports this module first

        if self.payload not in BY_NAME:
            raise ValueError(f"payload must be one of {', '.join(BY_NAME)}, not {self.payload!r}")
        if self.stage is not None:
            if not self.source.has_prefix:
                raise ValueError(f"{_a(self.source.title)} has no stage; drop --stage")
            if self.stage == "$default":
                # The $default stage is served without a prefix: same as no stage.
                object.__setattr__(self, "stage", None)
            elif not _STAGE_NAME.match(self.stage):
                raise ValueError(
                    f"stage {self.stage!r} is not a valid API Gateway stage name "
                    "(letters, digits, '-' and '_')"
                )
        if self.base_path is not None:
            cleaned = self.base_path.strip("/")
            if not self.source.has_prefix:
                raise ValueError(f"{_a(self.source.title)} has no base-path mapping; drop --base-path")
            if self.stage is not None:
                raise ValueError(
                    "a stage URL and a custom domain's base path are different URLs; "
                    "give either a stage or a base path, not both"
                )
            if not cleaned:
                cleaned_or_none: str | None = None
            elif not _BASE_PATH.match(cleaned):
                raise ValueError(f"base path {self.base_path!r} is not a valid URL path")
            else:
                cleaned_or_none = cleaned
            object.__setattr__(self, "base_path", cleaned_or_none)

    @property
    def url_prefix(self) -> str:
        """The prefix every URL has on this front door: ``/Prod/``, ``/dash/`` or ``/``."""
        head = self.stage or self.base_path
        return f"/{head}/" if head else "/"

    @property
    def source(self) -> EventSource:
        """The event source that builds and reads this front door's events."""
        from . import BY_NAME

        return BY_NAME[self.payload]

    @property
    def stage_name(self) -> str:
        """What ``requestContext.stage`` says (the stage serving a custom domain, too)."""
        return self.source.local_stage(self)

    @property
    def domain_name(self) -> str:
        """The AWS host name this front door would have (reported in ``requestContext``)."""
        return self.source.local_domain(self)

    @property
    def response_limit(self) -> int:
        """Largest serialized response this front door passes on."""
        return self.source.response_limit

    @property
    def description(self) -> str:
        """A short human description, for progress lines and errors."""
        door = self.source.title
        if self.stage:
            return f"{door}, stage {self.stage}"
        if self.base_path:
            return f"{door} via a custom domain, base path /{self.base_path}"
        if self.multi_value_headers:
            return f"{door}, multi-value headers"
        return door

    def app_route(self, raw_path: str) -> str | None:
        """The part of ``raw_path`` behind the prefix (``/`` at least), or ``None`` if outside."""
        head = self.url_prefix.rstrip("/")
        if not head:
            return raw_path or "/"
        if raw_path == head:
            return "/"
        if raw_path.startswith(head + "/"):
            return raw_path[len(head) :]
        return None

    def rejection(self) -> LocalResponse:
        """What AWS answers for a path outside the prefix, without invoking the function."""
        status = self.source.local_outside_status(self)
        return _json_response(status, {"message": HTTPStatus(status).phrase})


def _a(title: str) -> str:
    """``an ALB target group``, ``a Function URL``: a door's title as a noun phrase."""
    name = title.partition(" (")[0]
    return f"{'an' if name[:1] in 'AEIOU' else 'a'} {name}"


def _json_response(status: int, payload: Mapping[str, str]) -> LocalResponse:
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return LocalResponse(status, (("Content-Type", "application/json"),), body)
