"""The interface every event source implements, and the request it produces.

A source recognises its events, checks the fields apig-wsgi will read (so a
malformed event becomes a 400, not a KeyError deep inside), finds the
external prefix and rewrites the path the app routes on, has apig-wsgi build
the WSGI environ, and shapes responses (the app's and the adapter's own) the
way its front door wants them, within the size its front door accepts.
"""

from __future__ import annotations

import binascii
import json
import reprlib
from abc import ABC, abstractmethod
from base64 import b64decode
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..errors import MalformedEventError

if TYPE_CHECKING:
    from ..lambda_context import LambdaContext
    from .emulation import FrontDoor, LocalRequest, LocalResponse

Event = dict[str, Any]
Response = dict[str, Any]

#: Lambda's synchronous invocation limit, as its error message states it.
LAMBDA_RESPONSE_LIMIT = 6_291_556


class HttpRequest:
    """What the adapter needs to know about one HTTP event; an event source's ``parse`` makes it.

    Authorizers see it as a :class:`~dash_lambda.Request`: method, path,
    prefix, query, headers, client address and the event.  The built-in
    sources pass the arguments by position: with nine of them, a call by
    keyword costs about a microsecond more, on every request.
    """

    __slots__ = (
        "_lowered",
        "app_path",
        "event",
        "headers",
        "method",
        "prefix",
        "query",
        "slash_redirect",
        "source",
        "wsgi_event",
    )

    def __init__(
        self,
        source: EventSource,
        prefix: str,
        app_path: str,
        method: str,
        query: str,
        wsgi_event: Event,
        headers: Mapping[str, str],
        slash_redirect: str | None = None,
        event: Event | None = None,
    ) -> None:
        self.source = source
        #: The event as it arrived (``wsgi_event`` when not given).
        self.event = wsgi_event if event is None else event
        #: External prefix the browser sees, e.g. ``/Prod/`` or ``/``.
        self.prefix = prefix
        #: Path the Dash app routes on, without the prefix.
        self.app_path = app_path
        self.method = method
        self.query = query
        #: The event handed to apig-wsgi: the event, or a shallow copy with fields fixed.
        self.wsgi_event = wsgi_event
        #: The request's single-value headers, as the event spelled them.
        self.headers = headers
        #: When the browser asked for the prefix without its slash (``/Prod``):
        #: the query string (``""`` or ``"?a=1"``) its redirect to ``/Prod/`` keeps.
        self.slash_redirect = slash_redirect
        self._lowered: dict[str, str] | None = None

    def header(self, name: str) -> str | None:
        """Return a request header by its lower-case ``name``, whatever case it arrived in.

        Payload 2.0 names are lower-case when AWS sends them, but not in
        every event (``sam local start-api`` keeps the client's case), so a
        miss folds the names once per request; hits cost one dict look-up.
        """
        value = self.headers.get(name)
        if value is not None:
            return value
        return self.lower_case_headers().get(name)

    @property
    def path(self) -> str:
        """The path the app routes on (``/_dash-layout``), without the prefix."""
        return self.app_path

    @property
    def client_address(self) -> str:
        """The address that connected to the front door, as the front door saw it."""
        return self.source.client_address(self)

    def lower_case_headers(self) -> Mapping[str, str]:
        """Every header by its lower-case name, folded once per request."""
        lowered = self._lowered
        if lowered is None:
            lowered = self._lowered = {key.lower(): item for key, item in self.headers.items()}
        return lowered


Headers = Iterable[tuple[str, str]]


class EventSource(ABC):
    r"""One kind of HTTP event: one front door (REST API, HTTP API, Function URL, ALB, or yours).

    The handler asks each source in turn whether an event :meth:`matches`,
    then :meth:`parse`\ s it into an :class:`HttpRequest`, builds the WSGI
    environ with :meth:`make_environ` and shapes every answer with
    :meth:`make_response`.  Those four are all a custom source must write
    (see "Custom event sources" in the README); the rest have defaults.

    The ``local_*`` methods let ``dash-lambda serve``, ``invoke`` and the
    tests play the front door: build its event from a plain HTTP request and
    read its response back.  A source without them works on Lambda only.
    """

    #: Short name used in logs, cache keys and the local server's ``--payload``.
    name: str
    #: The front door's name for people, e.g. ``REST API (payload 1.0)``.
    title: str = "a custom event source"
    #: Largest serialized response the front door accepts, in bytes.
    response_limit: int = LAMBDA_RESPONSE_LIMIT
    #: Who refuses a response over the limit: ``"Lambda"`` or ``"an ALB"``.
    limit_owner: str = "Lambda"
    #: What answers in the function's place, in the local loop's messages.
    gateway: str = "AWS"
    #: Whether URLs can carry a stage or a base-path mapping (API Gateway).
    has_prefix: bool = False
    #: Whether API Gateway's 29-second integration timeout applies.
    gateway_timeout: bool = False
    #: The header API Gateway adds with ``requestContext.requestId``, if any.
    request_id_header: str | None = None
    #: What the front door labels a response without ``Content-Type`` as.
    default_content_type: str | None = None

    @abstractmethod
    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` is shaped like this source's events."""

    @abstractmethod
    def parse(self, event: Event) -> HttpRequest:
        """Validate ``event`` and describe it; raise MalformedEventError if broken."""

    @abstractmethod
    def make_environ(self, request: HttpRequest, context: LambdaContext) -> dict[str, Any]:
        """The WSGI environ for a parsed request (built by apig-wsgi).

        The handler chooses the response's compression from its
        ``HTTP_ACCEPT_ENCODING``: the header as the app receives it.  It reads
        nothing but the event, so what it raises is the event's fault: a 400,
        worded by a :class:`~dash_lambda.MalformedEventError` (e.g. a lone
        surrogate in the query), else naming only the request id.
        """

    @abstractmethod
    def make_response(
        self,
        event: Mapping[str, Any],
        status: int,
        headers: Headers,
        body: str,
        is_base64: bool = False,
    ) -> Response:
        """Shape a response the way this front door expects it.

        ``headers`` may repeat a name (``Set-Cookie`` above all); each source
        keeps the repeats in the form its front door understands.
        """

    def client_address(self, request: HttpRequest) -> str:
        """The address that connected to the front door (``REMOTE_ADDR``)."""
        del request
        return "127.0.0.1"

    # ---------------------------------------------------------------- local loop

    def local_event(
        self, request: LocalRequest, door: FrontDoor, route: str, now: float, request_id: str | None
    ) -> Event:
        """The event this front door sends for ``request`` (``route``: its path behind the prefix)."""
        raise NotImplementedError(f"the {self.name} source cannot build events from HTTP requests")

    def local_response(self, response: object, door: FrontDoor) -> LocalResponse:
        """What this front door sends the browser for the handler's ``response``.

        Raises :class:`~dash_lambda.sources.emulation.MalformedResponseError`
        where the front door would answer 502.
        """
        raise NotImplementedError(f"the {self.name} source cannot read responses back into HTTP")

    def local_domain(self, door: FrontDoor) -> str:
        """The host name this front door has on AWS (reported in ``requestContext``)."""
        return f"{door.api_id}.execute-api.{door.region}.amazonaws.com"

    def local_stage(self, door: FrontDoor) -> str:
        """What ``requestContext.stage`` says."""
        return door.stage or "$default"

    def local_outside_status(self, door: FrontDoor) -> int:
        """AWS's status for a path outside the stage or base path (no invocation)."""
        del door
        return 403

    def local_settings(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The :class:`~dash_lambda.local.events.FrontDoor` settings an event of this door reveals."""
        del event
        return {}

    def text_response(
        self, event: Mapping[str, Any], status: int, headers: Mapping[str, str], body: str
    ) -> Response:
        """Shape a small text response the adapter writes itself."""
        return self.make_response(event, status, headers.items(), body)

    def redirect_to_prefix(self, event: Mapping[str, Any], request: HttpRequest) -> Response:
        """``308`` from the bare prefix (``/Prod``) to the prefix (``/Prod/``), query kept.

        A web server mounted at ``/Prod/`` answers so, and must: a page served
        at ``/Prod`` resolves its relative URLs (``assets/x.png``) outside
        the stage, where API Gateway answers 403.
        """
        location = request.prefix + (request.slash_redirect or "")
        return self.text_response(
            event,
            308,
            {"Location": location, "Content-Type": "text/plain; charset=utf-8"},
            f"Redirecting to {location}",
        )

    def json_response(self, event: Mapping[str, Any], status: int, payload: Mapping[str, Any]) -> Response:
        """Shape a JSON response; used for health checks and adapter errors."""
        return self.text_response(
            event,
            status,
            {"Content-Type": "application/json"},
            json.dumps(payload, separators=(",", ":")),
        )


def join_repeated(headers: Headers, *, lower: bool = False) -> tuple[dict[str, str], list[str]]:
    """Single-value headers (repeats comma-joined, RFC 9110) and the Set-Cookie values apart.

    ``lower``: the names lower-cased (payload 2.0).
    """
    if lower and type(headers) is list:  # the adapter's own lists: distinct names, no cookie
        joined = {key.lower(): value for key, value in headers}
        if len(joined) == len(headers) and "set-cookie" not in joined:
            return joined, []
    joined = {}
    cookies: list[str] = []
    names: dict[str, str] = {}
    for key, value in headers:
        lower_key = key.lower()
        if lower:
            key = lower_key
        if lower_key == "set-cookie":
            cookies.append(value)
        elif lower_key in names:
            name = names[lower_key]
            joined[name] = f"{joined[name]}, {value}"
        else:
            names[lower_key] = key
            joined[key] = value
    return joined, cookies


def cookie_header_names(count: int) -> tuple[str, ...]:
    """``count`` distinct spellings of ``Set-Cookie`` (at most 512), the usual one first.

    A response with single-value headers (an ALB without multi-value
    headers) holds one value per key, but ``Set-Cookie`` and ``set-cookie``
    are two keys: the ALB sends each as its own header line, and the browser,
    for which header names are case-insensitive (RFC 9110, section 5.1),
    gets every cookie.
    """
    return _set_cookie_spellings()[:count]


@lru_cache(maxsize=1)
def _set_cookie_spellings() -> tuple[str, ...]:
    name = "Set-Cookie"
    letters = [i for i, char in enumerate(name) if char.isalpha()]
    spellings = []
    for bits in range(2 ** len(letters)):
        chars = list(name)
        for n, i in enumerate(letters):
            if bits >> n & 1:
                chars[i] = chars[i].swapcase()
        spellings.append("".join(chars))
    return tuple(spellings)


def group_repeated(headers: Headers) -> dict[str, list[str]]:
    """Multi-value headers: every value of a name, in order."""
    if type(headers) is list:  # the adapter's own lists: mostly distinct names
        grouped = {key: [value] for key, value in headers}
        if len(grouped) == len(headers):
            return grouped
    grouped = {}
    for key, value in headers:
        if key in grouped:
            grouped[key].append(value)
        else:
            grouped[key] = [value]
    return grouped


def require(event: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Return ``event[key]`` if it has the given type, else raise MalformedEventError."""
    value = event.get(key)
    if not isinstance(value, kind):
        raise MalformedEventError(f"{where}.{key} must be {_type_name(kind)}, got {_describe(value)}")
    return value


def optional(event: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Like :func:`require`, but a missing key or ``null`` is allowed."""
    value = event.get(key)
    if value is not None and not isinstance(value, kind):
        raise MalformedEventError(f"{where}.{key} must be {_type_name(kind)} or null, got {_describe(value)}")
    return value


def check_str_map(value: Any, where: str) -> dict[str, str]:
    """Check a ``{name: value}`` map of strings (single-value headers, query)."""
    if value is None:
        return {}
    if type(value) is not dict:
        raise MalformedEventError(f"{where} must map strings to strings")
    for key, item in value.items():
        if type(key) is not str or type(item) is not str:
            raise MalformedEventError(f"{where} must map strings to strings")
    return value


def check_multi_map(value: Any, where: str) -> dict[str, list[str]]:
    """Check a ``{name: [values]}`` map (multi-value headers, query)."""
    if value is None:
        return {}
    if type(value) is not dict:
        raise MalformedEventError(f"{where} must map strings to lists of strings")
    for key, items in value.items():
        if type(key) is not str or type(items) is not list:
            raise MalformedEventError(f"{where} must map strings to lists of strings")
        for item in items:
            if type(item) is not str:
                raise MalformedEventError(f"{where} must map strings to lists of strings")
    return value


def headers_agree(single: Any, multi: Any) -> bool:
    """Whether both header maps are valid and say the same, checked in one pass.

    API Gateway's REST events always have both, with the same names, each
    single value the only one of its list unless the header was repeated;
    where this says no, the caller checks each map on its own, which finds
    (and words) what is wrong, if anything.
    """
    if type(single) is not dict or type(multi) is not dict or len(single) != len(multi):
        return False
    value_of = single.get
    for key, items in multi.items():
        value = value_of(key)
        # ``items != [value]`` for a repeated header too: the maps are then checked one by one.
        if type(key) is not str or type(value) is not str or items != [value]:
            return False
    # Every name of ``multi`` is in ``single``, which has as many: they have the same names.
    return True


def without_null_multi_maps(event: Event) -> Event:
    """``event``, or a copy without ``null`` multi-value maps that hide single-value ones.

    apig-wsgi reads ``multiValueHeaders`` (and ``multiValueQueryStringParameters``)
    whenever the key exists, so ``"multiValueHeaders": null`` next to a
    filled ``headers`` (API Gateway's console test, hand-written events)
    would give the app no headers at all.
    """
    drop = [
        multi
        for multi, single in _MULTI_MAPS
        if multi in event and event[multi] is None and event.get(single)
    ]
    if not drop:
        return event
    return {key: value for key, value in event.items() if key not in drop}


_MULTI_MAPS = (
    ("multiValueHeaders", "headers"),
    ("multiValueQueryStringParameters", "queryStringParameters"),
)


def check_body(event: Mapping[str, Any]) -> None:
    """Check ``body`` / ``isBase64Encoded``.

    apig-wsgi decodes the body again later; decoding strictly here (about a
    microsecond per kB) is what turns garbled base64 into a 400, where
    apig-wsgi's lenient decoder would silently drop the bad characters.
    """
    body = event.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedEventError(f"body must be a string or null, got {_describe(body)}")
    encoded = event.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise MalformedEventError("isBase64Encoded must be true or false")
    if encoded and body:
        try:
            b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedEventError("body is marked isBase64Encoded but is not base64") from None


def lone_surrogate(where: str) -> MalformedEventError:
    """The error for a lone surrogate in ``where``, found when it is encoded: no client's bytes make one."""
    return MalformedEventError(f"{where} has a lone surrogate, which is not text a client can send")


def text_or_none(value: object) -> str | None:
    """``value`` if it is a string: the optional string fields of an event, made hashable."""
    return value if type(value) is str else None


def check_path(path: Any, where: str) -> str:
    """A request path must be a string starting with ``/``."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise MalformedEventError(f"{where} must be a string starting with '/', got {_describe(path)}")
    return path


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", dict: "an object", list: "a list", bool: "a boolean"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _describe(value: object) -> str:
    """A short description of a bad value, whatever its size or depth."""
    if value is None:
        return "nothing"
    try:
        text = _SHORT_REPR.repr(value)
    except Exception:  # a crafted object's own __repr__ failing
        text = "…"
    return f"{type(value).__name__} {text[:40]}{'…' if len(text) > 40 else ''}"


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel = 2
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 40
