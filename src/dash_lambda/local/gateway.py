"""The local front door: AWS's side of an invocation, played in front of the real handler.

A request becomes the event the chosen front door would send
(:mod:`dash_lambda.local.events`), goes through the very handler Lambda will
run, and the proxy response comes back the way the front door would deliver
it.  Everything AWS answers without the function (paths outside the stage,
oversized requests) or instead of the function's answer (malformed or
oversized responses, a handler that raised, API Gateway's timeout) is
answered the same way here, with a log line saying what AWS would have done
and why.  The HTTP side lives in :mod:`.wsgi`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from .aws import aws_error, door_short, human_size, outside_page
from .events import (
    LAMBDA_REQUEST_LIMIT,
    FrontDoor,
    LocalContext,
    LocalRequest,
    LocalResponse,
    MalformedResponseError,
    OutsidePrefixError,
    build_event,
    decode_response,
)
from .targets import Handler
from .wsgi import NOTE_KEY, StartResponse, WSGIEnviron, request_from_environ, send

logger = logging.getLogger("dash_lambda.server")

#: API Gateway gives up on an integration after 29 s (REST default, HTTP API maximum).
API_GATEWAY_TIMEOUT_S = 29.0

#: A response and the note the request log shows with it.
Answer = tuple[LocalResponse, str]


class LocalGateway:
    """A WSGI app playing the AWS front door: HTTP → event → handler → HTTP.

    Handler calls are serialized: a Lambda sandbox never runs two
    invocations at once, so code that is correct on Lambda must not fail
    here because two browser requests overlapped.
    """

    def __init__(
        self,
        handler: Handler,
        front_door: FrontDoor,
        *,
        function_timeout_s: float = 30.0,
        gateway_timeout_s: float | None = None,
    ) -> None:
        self.handler = handler
        self.front_door = front_door
        self.function_timeout_s = function_timeout_s
        #: When set, API Gateway's 504 for a handler slower than this (AWS: 29 s REST, 30 s HTTP API).
        self.gateway_timeout_s = gateway_timeout_s
        self._lock = threading.Lock()
        self._explained_outside = False

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        response, environ[NOTE_KEY] = self.invoke(request_from_environ(environ))
        default_type = self.front_door.source.default_content_type
        if default_type is not None and response.header("content-type") is None:
            # A REST API labels a response without Content-Type as JSON.
            response = LocalResponse(
                response.status, (*response.headers, ("Content-Type", default_type)), response.body
            )
        return send(response, environ, start_response)

    def invoke(self, request: LocalRequest) -> Answer:
        """Run ``request`` through the front door and the handler: (response, log note)."""
        try:
            event = build_event(request, self.front_door)
        except OutsidePrefixError as outside:
            return self._outside(request, outside.response)
        event_bytes = len(json.dumps(event))
        if event_bytes > LAMBDA_REQUEST_LIMIT:
            logger.error(
                "dash-lambda: the event for %s %s is %d bytes; Lambda accepts at most %d",
                request.method, request.path, event_bytes, LAMBDA_REQUEST_LIMIT,
            )  # fmt: skip
            return aws_error(413, "Request Too Long"), "request too large"
        try:
            raw, elapsed = self._call(event)
        except Exception:
            logger.exception(
                "dash-lambda: the handler raised for %s %s; Lambda reports the invocation as failed "
                "and %s answers 502",
                request.method, request.path, door_short(self.front_door),
            )  # fmt: skip
            return aws_error(502, "Internal server error"), "handler raised"
        timed_out = self._timed_out(request, elapsed)
        if timed_out is not None:
            return timed_out
        return self._deliver(request, event, raw, elapsed)

    def _call(self, event: dict[str, Any]) -> tuple[Any, float]:
        """One invocation at a time, timed inside the lock: its own duration, as Lambda bills it."""
        context = LocalContext(timeout_seconds=self.function_timeout_s)
        with self._lock:
            started = time.perf_counter()
            raw = self.handler(event, context)
            return raw, time.perf_counter() - started

    def _timed_out(self, request: LocalRequest, elapsed: float) -> Answer | None:
        """API Gateway's 504 when a gateway timeout is set and passed; a warning past AWS's own."""
        if not self.front_door.source.gateway_timeout:
            return None
        timeout = self.gateway_timeout_s
        if timeout is not None and elapsed > timeout:
            logger.warning(
                "dash-lambda: %s %s took %.1f s; API Gateway gave up after %.0f s and answered 504",
                request.method, request.path, elapsed, timeout,
            )  # fmt: skip
            return aws_error(504, "Endpoint request timed out"), "gateway timeout"
        if elapsed > API_GATEWAY_TIMEOUT_S:
            logger.warning(
                "dash-lambda: %s %s took %.1f s; API Gateway gives up after %.0f s and answers 504",
                request.method, request.path, elapsed, API_GATEWAY_TIMEOUT_S,
            )  # fmt: skip
        return None

    def _deliver(self, request: LocalRequest, event: dict[str, Any], raw: Any, elapsed: float) -> Answer:
        """The handler's answer as the front door delivers it, or AWS's 502 when it would not."""
        door = self.front_door
        try:
            size = len(json.dumps(raw).encode("utf-8"))
        except (TypeError, ValueError) as error:
            logger.error(
                "dash-lambda: the response to %s %s is not JSON-serializable (%s); Lambda fails "
                "the invocation and %s answers 502",
                request.method, request.path, error, door_short(door),
            )  # fmt: skip
            return aws_error(502, "Internal server error"), "response not JSON"
        if size > door.response_limit:
            logger.error(
                "dash-lambda: the response to %s %s is %d bytes serialized; %s accepts %d, so "
                "AWS answers 502. Enable compression or serve large files from a CDN.",
                request.method, request.path, size, door_short(door), door.response_limit,
            )  # fmt: skip
            return aws_error(502, "Internal server error"), "response too large"
        try:
            response = decode_response(raw, door)
        except MalformedResponseError as error:
            logger.error(
                "dash-lambda: malformed Lambda proxy response to %s %s: %s; %s answers 502",
                request.method, request.path, error, door_short(door),
            )  # fmt: skip
            return aws_error(502, "Internal server error"), "malformed response"
        request_id = event.get("requestContext", {}).get("requestId")
        header = door.source.request_id_header
        if request_id and header is not None:
            headers = (*response.headers, (header, request_id))
            response = LocalResponse(response.status, headers, response.body)
        return response, f"{elapsed * 1000:.0f} ms, {human_size(size)} serialized"

    def _outside(self, request: LocalRequest, answer: LocalResponse) -> Answer:
        """AWS's answer for a path outside the prefix, explained once in the log."""
        door = self.front_door
        if not self._explained_outside:
            # Explained once; after that the request log line says it.
            self._explained_outside = True
            host = request.header("host")
            where = f"{request.scheme}://{host}{door.url_prefix}" if host else door.url_prefix
            logger.warning(
                "dash-lambda: %s %s is outside %s, so %s answers %d without invoking the function; open %s",
                request.method, request.path, door.url_prefix,
                door.source.gateway, answer.status, where,
            )  # fmt: skip
        page = outside_page(request, answer, door, lambda probe: self.invoke(probe)[0].status < 400)
        if page is not None:
            return page, f"outside {door.url_prefix}, answered by the front door (a page for the browser)"
        return answer, f"outside {door.url_prefix}, answered by the front door"
