"""Payload format 2.0: HTTP APIs and Lambda Function URLs.

``rawPath`` is the path the browser asked for.  On the ``$default`` stage and
on Function URLs it has no prefix; on a named stage it starts with
``/{stage}/``; through a custom domain with an API mapping it carries the
mapping key, which only a ``{proxy+}`` route can reveal.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from apig_wsgi import get_environ_v2

from ..errors import MalformedEventError
from ..prefix import ROOT, app_path_from_proxy, split_external_path, strip_stage, wsgi_safe
from .base import (
    Event,
    EventSource,
    Headers,
    HttpRequest,
    Response,
    check_body,
    check_path,
    check_str_map,
    join_repeated,
    optional,
    require,
    text_or_none,
)

_HTTP_DEFAULTS = {"protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"}


class PayloadV2Source(EventSource):
    """HTTP API and Function URL events (payload 2.0)."""

    name = "v2"

    def matches(self, event: Mapping[str, Any]) -> bool:
        return event.get("version") == "2.0"

    def parse(self, event: Event) -> HttpRequest:
        context = require(event, "requestContext", dict, "event")
        http = require(context, "http", dict, "event.requestContext")
        method = require(http, "method", str, "event.requestContext.http")
        raw_path = check_path(event.get("rawPath"), "event.rawPath")
        raw_query = optional(event, "rawQueryString", str, "event")
        headers = check_str_map(event.get("headers"), "event.headers")
        cookies = optional(event, "cookies", list, "event")
        if cookies:
            for cookie in cookies:
                if type(cookie) is not str:
                    raise MalformedEventError("event.cookies must be a list of strings")
        path_parameters = optional(event, "pathParameters", dict, "event") or {}
        check_body(event)

        prefix, routed = _prefix_and_route(
            raw_path,
            text_or_none(context.get("stage")),
            app_path_from_proxy(path_parameters.get("proxy"), event.get("routeKey")),
        )
        # apig-wsgi reads these keys unconditionally; console and hand-written
        # test events often leave them out.  Copy the event only to fill them.
        fixes: dict[str, Any] = {}
        if routed != raw_path:
            fixes["rawPath"] = routed
        if raw_query is None:
            fixes["rawQueryString"] = raw_query = ""
        if event.get("headers") is None:
            fixes["headers"] = headers
        if cookies is None and "cookies" in event:
            fixes["cookies"] = []
        if type(http.get("protocol")) is not str or type(http.get("sourceIp")) is not str:
            for key in _HTTP_DEFAULTS:
                optional(http, key, str, "event.requestContext.http")
            fixes["requestContext"] = {
                **context,
                "http": {**_HTTP_DEFAULTS, **{k: v for k, v in http.items() if v is not None}},
            }
        return HttpRequest(
            source=self,
            prefix=prefix,
            app_path=routed,
            method=method,
            query=raw_query,
            wsgi_event={**event, **fixes} if fixes else event,
            headers=headers,
            headers_lowercase=True,
        )

    def make_environ(self, request: HttpRequest, context: Any) -> dict[str, Any]:
        environ: dict[str, Any] = get_environ_v2(request.wsgi_event, context)
        return environ

    def make_response(
        self,
        event: Mapping[str, Any],
        status: int,
        headers: Headers,
        body: str,
        is_base64: bool = False,
    ) -> Response:
        joined, cookies = join_repeated((key.lower(), value) for key, value in headers)
        return {
            "statusCode": status,
            "headers": joined,
            "cookies": cookies,
            "body": body,
            "isBase64Encoded": is_base64,
        }


@lru_cache(maxsize=1024)
def _prefix_and_route(raw_path: str, stage: str | None, app_path: str | None) -> tuple[str, str]:
    """Return (external prefix, path the app routes on, made WSGI-safe) for a payload 2.0 event.

    Cached: an app has few distinct paths, and every request needs this.
    """
    prefix, routed = _split(raw_path, stage, app_path)
    return prefix, wsgi_safe(routed)


def _split(raw_path: str, stage: str | None, app_path: str | None) -> tuple[str, str]:
    if app_path is not None:
        prefix = split_external_path(raw_path, app_path)
        if prefix is not None:
            head = prefix.rstrip("/")
            return prefix, (raw_path[len(head) :] or ROOT) if raw_path.startswith(head) else app_path
    return strip_stage(raw_path, stage)
