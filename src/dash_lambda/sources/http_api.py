"""Payload format 2.0: HTTP APIs and Lambda Function URLs.

``rawPath`` is the path the browser asked for.  On the ``$default`` stage and
on Function URLs it has no prefix; on a named stage it starts with
``/{stage}/``; through a custom domain with an API mapping it carries the
mapping key, which only a ``{proxy+}`` route can reveal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import MalformedEventError
from ..prefix import ROOT, app_path_from_proxy, split_external_path, strip_stage, wsgi_safe
from .base import (
    Event,
    EventSource,
    HttpRequest,
    Response,
    check_body,
    check_path,
    check_str_map,
    optional,
    require,
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
        for key in _HTTP_DEFAULTS:
            optional(http, key, str, "event.requestContext.http")
        raw_path = check_path(event.get("rawPath"), "event.rawPath")
        raw_query = optional(event, "rawQueryString", str, "event") or ""
        headers = check_str_map(event.get("headers"), "event.headers")
        cookies = optional(event, "cookies", list, "event") or []
        if not all(isinstance(cookie, str) for cookie in cookies):
            raise MalformedEventError("event.cookies must be a list of strings")
        path_parameters = optional(event, "pathParameters", dict, "event") or {}
        check_body(event)

        prefix, routed = _prefix_and_route(
            raw_path,
            context.get("stage"),
            app_path_from_proxy(path_parameters.get("proxy"), event.get("routeKey")),
        )
        routed = wsgi_safe(routed)
        wsgi_event = {
            **event,
            "rawPath": routed,
            "rawQueryString": raw_query,
            "headers": headers,
            "cookies": cookies,
        }
        if any(http.get(key) is None for key in _HTTP_DEFAULTS):
            # Hand-written and console test events often leave these out;
            # apig-wsgi needs them, and they change nothing about routing.
            wsgi_event["requestContext"] = {
                **context,
                "http": {**_HTTP_DEFAULTS, **{k: v for k, v in http.items() if v is not None}},
            }
        return HttpRequest(
            source=self,
            prefix=prefix,
            app_path=routed,
            method=method,
            query=raw_query,
            wsgi_event=wsgi_event,
            headers=headers,
            headers_lowercase=True,
        )

    def make_response(
        self,
        event: Mapping[str, Any],
        status: int,
        headers: Mapping[str, str],
        body: str,
    ) -> Response:
        return {
            "statusCode": status,
            "headers": {k.lower(): v for k, v in headers.items()},
            "cookies": [],
            "body": body,
            "isBase64Encoded": False,
        }


def _prefix_and_route(raw_path: str, stage: object, app_path: str | None) -> tuple[str, str]:
    """Return (external prefix, path the app routes on) for a payload 2.0 event."""
    if app_path is not None:
        prefix = split_external_path(raw_path, app_path)
        if prefix is not None:
            head = prefix.rstrip("/")
            return prefix, (raw_path[len(head) :] or ROOT) if raw_path.startswith(head) else app_path
    return strip_stage(raw_path, stage if isinstance(stage, str) else None)
