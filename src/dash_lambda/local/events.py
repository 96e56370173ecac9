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

import time
from collections.abc import Mapping
from typing import Any

from ..errors import DashLambdaError
from ..lambda_context import LocalContext
from ..sources import BY_NAME, find_source
from ..sources.emulation import HOP_BY_HOP, FrontDoor, LocalRequest, LocalResponse, MalformedResponseError

#: Every front door :func:`build_event` can play, in the order the CLI lists them.
PAYLOADS: tuple[str, ...] = tuple(BY_NAME)  # also checked by FrontDoor
#: Lambda's limit on a synchronous invocation's *request* (the event), 6 MiB.
LAMBDA_REQUEST_LIMIT = 6_291_456


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
