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

Each front door's own rules live in its source module
(:mod:`dash_lambda.sources`: ``local_event`` and ``local_response``); this
module picks the door, checks the prefix and the request limit, and is what
the server, ``invoke`` and the tests import.  It has no dependency on the
handler; the server and CLI layer on it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from ..errors import DashLambdaError
from ..lambda_context import LocalContext
from ..sources import BY_NAME, EventSource, find_source
from ..sources.emulation import HOP_BY_HOP, LocalRequest, LocalResponse, MalformedResponseError

#: Every front door :func:`build_event` can play, in the order the CLI lists them.
PAYLOADS: tuple[str, ...] = tuple(BY_NAME)
#: Lambda's limit on a synchronous invocation's *request* (the event), 6 MiB.
LAMBDA_REQUEST_LIMIT = 6_291_456

_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_BASE_PATH = re.compile(r"^[A-Za-z0-9._~$!'()*+,;=:@%-]+(/[A-Za-z0-9._~$!'()*+,;=:@%-]+)*$")


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

    payload: str = "v1"
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
    return front_door.source.local_event(request, front_door, route, stamp, request_id)


def decode_response(response: object, front_door: FrontDoor) -> LocalResponse:
    """Turn a handler's return value into the HTTP response the front door would send.

    Raises :class:`MalformedResponseError` where AWS would answer 502
    instead: keys the front door does not know (REST APIs reject ``cookies``),
    a missing or non-integer ``statusCode``, a non-string body, bad base64,
    headers in the form the door ignores.  Payload 2.0 infers a ``200`` JSON
    response from a return value without ``statusCode``, as HTTP APIs and
    Function URLs do.
    """
    return front_door.source.local_response(response, front_door)


def door_for_event(event: Mapping[str, Any]) -> FrontDoor | None:
    """The front door that sends events like ``event``, for reading its response; None if not HTTP."""
    source = find_source(event)
    if source is None or source.name not in BY_NAME:
        return None
    return FrontDoor(source.name, **source.local_settings(event))


def describe_event(event: dict[str, Any]) -> str:
    """``GET /Prod/page?a=1``: the request line of an event, as the browser sent it."""
    source = find_source(event)
    try:
        request = source.parse(event) if source is not None else None
    except Exception:  # a malformed event: the handler's answer says why
        request = None
    if request is None:
        return "? ?"
    query = request.query
    return f"{request.method} {request.prefix.rstrip('/')}{request.app_path}{'?' + query if query else ''}"


def _json_response(status: int, payload: Mapping[str, str]) -> LocalResponse:
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return LocalResponse(status, (("Content-Type", "application/json"),), body)


__all__ = [
    "HOP_BY_HOP",
    "LAMBDA_REQUEST_LIMIT",
    "PAYLOADS",
    "FrontDoor",
    "LocalContext",
    "LocalRequest",
    "LocalResponse",
    "MalformedResponseError",
    "OutsidePrefixError",
    "build_event",
    "decode_response",
    "describe_event",
    "door_for_event",
]
