"""Synthesize AWS-shaped Lambda events from plain HTTP requests, and back.

``dash-lambda serve`` and the tests use this module to put a browser request
through the *real* handler the way AWS would: the same event keys, the same
path and prefix rules, the same body encoding, and on the way back the same
reading of the proxy response (which keys the front door honours, which it
rejects as malformed, base64 decoding, ``Set-Cookie`` from ``cookies``).

The point is fidelity, so every rule below is what AWS does, not what would
be convenient:

* REST API (``v1``): ``path`` and ``requestContext.path`` keep the browser's
  percent-encoding; query parameters are decoded; headers keep the client's
  spelling, once in ``headers`` (last value) and once in ``multiValueHeaders``.
  On a stage URL only ``requestContext.path`` carries ``/{stage}``; through a
  base-path mapping both paths carry it and ``pathParameters.proxy`` says
  which part is the app's.  With ``BinaryMediaTypes: "*/*"`` (our SAM
  template's setting) every request body arrives base64-encoded.
* HTTP API (``v2``): ``rawPath`` arrives *decoded* and keeps a named stage;
  header names are lower-case, repeats comma-joined; cookies move from the
  ``Cookie`` header to ``cookies``; keys with nothing to say are omitted.
* Function URL (``url``): payload 2.0 without stage or route parameters, a
  ``*.lambda-url.{region}.on.aws`` domain, and the path still encoded.
* ALB (``alb``): lower-case headers and *undecoded* query parameters, either
  single-value (last one wins) or multi-value, as the target group is set.

Two deliberate departures keep the local loop usable: the ``Host`` header and
``X-Forwarded-Proto``/``X-Forwarded-Port`` describe the local server (so
redirects and absolute URLs lead back to it), while ``requestContext`` keeps
an AWS-style ``domainName`` (some code tells Function URLs apart by it).

This module has no dependency on the handler; the server and CLI layer on it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from urllib.parse import unquote

from .errors import DashLambdaError

Payload = Literal["v1", "v2", "alb", "url"]
#: Every shape :func:`build_event` can produce, in the order the CLI lists them.
PAYLOADS: tuple[Payload, ...] = get_args(Payload)

#: Lambda's limit on a synchronous invocation's serialized *response*, as its error states it.
LAMBDA_RESPONSE_LIMIT = 6_291_556
#: Lambda's limit on a synchronous invocation's *request* (the event), 6 MiB.
LAMBDA_REQUEST_LIMIT = 6_291_456
#: ALB drops Lambda responses over 1 MB; counted in decimal to stay on the safe side.
ALB_RESPONSE_LIMIT = 1_000_000

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

# Content types AWS passes as text in payload 2.0 and ALB events; everything
# else (and a body without a content type) arrives base64-encoded.
_TEXT_TYPE = re.compile(
    r"^\s*(text/|application/(json|javascript|xml|yaml|x-yaml)\b|application/[^;]*\+(json|xml)\b)",
    re.IGNORECASE,
)
_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_BASE_PATH = re.compile(r"^[A-Za-z0-9._~$!'()*+,;=:@%-]+(/[A-Za-z0-9._~$!'()*+,;=:@%-]+)*$")
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


class OutsidePrefixError(DashLambdaError, LookupError):
    """The request's path lies outside the front door's stage or base path.

    AWS never invokes the function for such a request; ``response`` is what
    it answers instead (REST APIs and custom domains ``403 Forbidden``, HTTP
    APIs ``404 Not Found``).
    """

    def __init__(self, path: str, front_door: FrontDoor, response: LocalResponse) -> None:
        super().__init__(
            f"{path} is outside {front_door.url_prefix}: AWS answers {response.status} "
            "without invoking the function"
        )
        self.response = response


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

    payload: Payload = "v1"
    stage: str | None = None
    base_path: str | None = None
    multi_value_headers: bool = False
    binary_media_types: bool = True
    region: str = "us-east-1"
    api_id: str = "local0000"
    account_id: str = "123456789012"

    def __post_init__(self) -> None:
        if self.payload not in PAYLOADS:
            raise ValueError(f"payload must be one of {', '.join(PAYLOADS)}, not {self.payload!r}")
        if self.stage is not None:
            if self.payload in ("url", "alb"):
                raise ValueError(f"{_NO_PREFIX[self.payload]} has no stage; drop --stage")
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
            if self.payload in ("url", "alb"):
                raise ValueError(f"{_NO_PREFIX[self.payload]} has no base-path mapping; drop --base-path")
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
    def stage_name(self) -> str:
        """What ``requestContext.stage`` says (the stage serving a custom domain, too)."""
        if self.stage:
            return self.stage
        return "Prod" if self.payload == "v1" else "$default"

    @property
    def domain_name(self) -> str:
        """The AWS host name this front door would have (reported in ``requestContext``)."""
        if self.payload == "url":
            return f"{self.api_id}.lambda-url.{self.region}.on.aws"
        if self.payload == "alb":
            return f"{self.api_id}.{self.region}.elb.amazonaws.com"
        if self.base_path is not None:
            return "dash.example.com"
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    @property
    def response_limit(self) -> int:
        """Largest serialized response this front door passes on."""
        return ALB_RESPONSE_LIMIT if self.payload == "alb" else LAMBDA_RESPONSE_LIMIT

    @property
    def description(self) -> str:
        """A short human description, for progress lines and errors."""
        door = _DOOR_NAMES[self.payload]
        if self.stage:
            return f"{door}, stage {self.stage}"
        if self.base_path:
            return f"{door} via a custom domain, base path /{self.base_path}"
        if self.payload == "alb" and self.multi_value_headers:
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
        if self.payload == "v2" and self.base_path is None:
            return _json_response(404, {"message": "Not Found"})
        return _json_response(403, {"message": "Forbidden"})


_NO_PREFIX = {"url": "a Function URL", "alb": "an ALB target group"}
_DOOR_NAMES: dict[Payload, str] = {
    "v1": "REST API (payload 1.0)",
    "v2": "HTTP API (payload 2.0)",
    "url": "Function URL (payload 2.0)",
    "alb": "ALB target group",
}


@dataclass
class LocalContext:
    """A stand-in for the Lambda context object, with the attributes handlers read.

    The deadline counts down from construction, so
    :meth:`get_remaining_time_in_millis` behaves as on Lambda.
    """

    function_name: str = "dash-lambda-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    timeout_seconds: float = 30.0
    region: str = "us-east-1"
    account_id: str = "123456789012"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: None = None
    client_context: None = None
    _deadline: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        """The ARN Lambda would report for this function."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        """The CloudWatch log group Lambda would write to."""
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        """A log stream name in Lambda's format."""
        day = time.strftime("%Y/%m/%d", time.gmtime())
        return f"{day}/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function would time out."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# --------------------------------------------------------------------------- events


def build_event(
    request: LocalRequest,
    front_door: FrontDoor,
    *,
    now: float | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Return the Lambda event ``front_door`` would send for ``request``.

    Raises :class:`OutsidePrefixError` when AWS would answer the request
    itself (a path outside the stage or base path).  ``now`` (epoch seconds)
    and ``request_id`` make the event reproducible in tests.
    """
    if not request.path.startswith("/"):
        raise ValueError(f"request path must start with '/', got {request.path!r}")
    route = front_door.app_route(request.path)
    if route is None:
        raise OutsidePrefixError(request.path, front_door, front_door.rejection())
    stamp = time.time() if now is None else now
    builders = {"v1": _rest_event, "v2": _http_api_event, "url": _http_api_event, "alb": _alb_event}
    return builders[front_door.payload](request, front_door, route, stamp, request_id)


def _rest_event(
    request: LocalRequest, door: FrontDoor, route: str, now: float, request_id: str | None
) -> dict[str, Any]:
    headers = _forwarded_headers(request, door, lower=False)
    single, multi = _single_and_multi(headers, fold_case=True)
    query_single, query_multi = _single_and_multi(_parse_query(request.query_string, decode=True))
    is_root = route == "/"
    resource = "/" if is_root else "/{proxy+}"
    # With a stage URL the stage is not in ``path``; with a base-path mapping
    # the base path is in both paths.
    path = route if door.stage else request.path
    body, encoded = _body_field(request, base64_always=door.binary_media_types)
    user_agent = request.header("user-agent")
    return {
        "resource": resource,
        "path": path,
        "httpMethod": request.method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": query_single or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": None if is_root else {"proxy": unquote(route[1:])},
        "stageVariables": None,
        "requestContext": {
            "accountId": door.account_id,
            "apiId": door.api_id,
            "domainName": door.domain_name,
            "domainPrefix": door.domain_name.split(".", 1)[0],
            "extendedRequestId": _short_id(),
            "httpMethod": request.method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "sourceIp": request.client_addr,
                "user": None,
                "userAgent": user_agent,
                "userArn": None,
            },
            "path": request.path,
            "protocol": "HTTP/1.1",
            "requestId": request_id or str(uuid.uuid4()),
            "requestTime": _clf_time(now),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": "local1",
            "resourcePath": resource,
            "stage": door.stage_name,
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def _http_api_event(
    request: LocalRequest, door: FrontDoor, route: str, now: float, request_id: str | None
) -> dict[str, Any]:
    function_url = door.payload == "url"
    cookies: list[str] = []
    headers: dict[str, str] = {}
    for name, value in _forwarded_headers(request, door, lower=True):
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        elif name in headers:
            headers[name] = f"{headers[name]},{value}"
        else:
            headers[name] = value
    # HTTP APIs hand over the path decoded; Function URLs keep the encoding.
    raw_path = request.path if function_url else unquote(request.path)
    # Our template routes ``/`` and ``/{proxy+}``; a Function URL has no routes.
    route_key = "ANY /" if route == "/" else "ANY /{proxy+}"
    if function_url:
        route_key = "$default"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": request.query_string,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query: dict[str, str] = {}
    for name, value in _parse_query(request.query_string, decode=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    if query:
        event["queryStringParameters"] = query
    domain = door.domain_name
    event["requestContext"] = {
        "accountId": "anonymous" if function_url else door.account_id,
        "apiId": door.api_id,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.client_addr,
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": request_id or _short_id(),
        "routeKey": route_key,
        "stage": door.stage_name,
        "time": _clf_time(now),
        "timeEpoch": int(now * 1000),
    }
    body, encoded = _body_field(request, base64_always=False)
    if body is not None:
        event["body"] = body
    if not function_url and route != "/":
        event["pathParameters"] = {"proxy": unquote(route[1:])}
    event["isBase64Encoded"] = encoded
    return event


def _alb_event(
    request: LocalRequest, door: FrontDoor, route: str, now: float, request_id: str | None
) -> dict[str, Any]:
    del route, now, request_id  # an ALB event names neither
    headers = _forwarded_headers(request, door, lower=True)
    # ALB passes query parameters as received, still percent-encoded.
    query = _parse_query(request.query_string, decode=False)
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {
                "targetGroupArn": (
                    f"arn:aws:elasticloadbalancing:{door.region}:{door.account_id}:"
                    "targetgroup/dash-lambda-local/0123456789abcdef"
                )
            }
        },
        "httpMethod": request.method,
        "path": request.path,
    }
    single_headers, multi_headers = _single_and_multi(headers, fold_case=True)
    single_query, multi_query = _single_and_multi(query)
    if door.multi_value_headers:
        event["multiValueQueryStringParameters"] = multi_query
        event["multiValueHeaders"] = multi_headers
    else:
        event["queryStringParameters"] = single_query
        event["headers"] = single_headers
    body, encoded = _body_field(request, base64_always=False)
    event["body"] = body or ""
    event["isBase64Encoded"] = encoded
    return event


def _forwarded_headers(request: LocalRequest, door: FrontDoor, *, lower: bool) -> list[tuple[str, str]]:
    """The request's headers as the front door forwards them, plus the ones it adds."""
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


def _single_and_multi(
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


def _parse_query(query_string: str, *, decode: bool) -> list[tuple[str, str]]:
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


def _body_field(request: LocalRequest, *, base64_always: bool) -> tuple[str | None, bool]:
    """Return (``body``, ``isBase64Encoded``) the way AWS would fill them."""
    if not request.body:
        return None, False
    content_type = request.header("content-type") or ""
    if not base64_always and _TEXT_TYPE.match(content_type):
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(request.body).decode("ascii"), True


def _clf_time(epoch: float) -> str:
    """``09/Apr/2015:12:34:56 +0000``, independent of the process's locale."""
    t = time.gmtime(epoch)
    day = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}"
    return f"{day}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def _short_id() -> str:
    """An id in the style of API Gateway's ``extendedRequestId`` / HTTP API ``requestId``."""
    return base64.b64encode(secrets.token_bytes(10)).decode("ascii")


# ------------------------------------------------------------------------ responses


_V1_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
_ALB_KEYS = _V1_KEYS | {"statusDescription"}
_V2_KEYS = _V1_KEYS | {"cookies"}


def decode_response(response: object, front_door: FrontDoor) -> LocalResponse:
    """Turn a handler's return value into the HTTP response the front door would send.

    Raises :class:`MalformedResponseError` where AWS would answer 502
    instead: keys the front door does not know (REST APIs reject ``cookies``),
    a missing or non-integer ``statusCode``, a non-string body, bad base64,
    headers in the form the door ignores.  Payload 2.0 infers a ``200`` JSON
    response from a return value without ``statusCode``, as HTTP APIs and
    Function URLs do.
    """
    payload = front_door.payload
    if payload in ("v2", "url") and not (isinstance(response, dict) and "statusCode" in response):
        body = json.dumps(response).encode("utf-8")
        return LocalResponse(200, (("Content-Type", "application/json"),), body)
    if not isinstance(response, dict):
        raise MalformedResponseError(
            f"the handler returned {type(response).__name__}, not a proxy response object"
        )
    allowed = {"v1": _V1_KEYS, "alb": _ALB_KEYS}.get(payload, _V2_KEYS)
    unknown = sorted(set(response) - allowed)
    if unknown and payload in ("v1", "alb"):
        raise MalformedResponseError(
            f"{_DOOR_NAMES[payload]} responses may not contain {', '.join(map(repr, unknown))}"
        )
    status = response.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResponseError(f"statusCode must be an integer HTTP status, got {status!r}")

    headers: list[tuple[str, str]] = []
    single = _header_map(response.get("headers"), "headers")
    multi = _multi_header_map(response.get("multiValueHeaders"), "multiValueHeaders")
    if payload == "alb":
        if front_door.multi_value_headers and single and not multi:
            raise MalformedResponseError(
                "the ALB target group has multi-value headers on, so the response must use "
                "multiValueHeaders; it used headers"
            )
        if not front_door.multi_value_headers and multi and not single:
            raise MalformedResponseError(
                "the ALB target group has multi-value headers off, so the response must use "
                "headers; it used multiValueHeaders"
            )
        if front_door.multi_value_headers:
            headers = [(name, value) for name, values in multi.items() for value in values]
        else:
            headers = list(single.items())
    elif payload == "v1":
        # API Gateway merges both maps; for a name in both, multiValueHeaders wins.
        multi_names = {name.lower() for name in multi}
        headers = [(n, v) for n, v in single.items() if n.lower() not in multi_names]
        headers += [(name, value) for name, values in multi.items() for value in values]
    else:
        headers = list(single.items())
        cookies = response.get("cookies", [])
        if cookies is None:
            cookies = []
        if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
            raise MalformedResponseError("cookies must be a list of strings")
        headers += [("Set-Cookie", cookie) for cookie in cookies]

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


def _header_map(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedResponseError(f"{where} must be an object, got {type(value).__name__}")
    result: dict[str, str] = {}
    for name, item in value.items():
        result[str(name)] = _header_value(item, f"{where}[{name!r}]")
    return result


def _multi_header_map(value: object, where: str) -> dict[str, list[str]]:
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


def _json_response(status: int, payload: Mapping[str, str]) -> LocalResponse:
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return LocalResponse(status, (("Content-Type", "application/json"),), body)


def serialized_size(response: object) -> int:
    """Bytes Lambda counts against its response limit: the JSON the runtime sends.

    Raises ``TypeError``/``ValueError`` for values the runtime could not
    serialize either (Lambda fails such an invocation).
    """
    return len(json.dumps(response).encode("utf-8"))
