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
from ..prefix import (
    ROOT,
    Split,
    app_path_from_proxy,
    encode_path,
    normalize_prefix,
    query_suffix,
    script_name,
    split_by_stage,
    split_external_path,
)
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
from .non_http import is_proxy_lookalike

_HTTP_DEFAULTS = {"protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"}


class PayloadV2Source(EventSource):
    """HTTP API and Function URL events (payload 2.0)."""

    name = "v2"

    def matches(self, event: Mapping[str, Any]) -> bool:
        return event.get("version") == "2.0" and not is_proxy_lookalike(event)

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

        split = _prefix_and_route(
            raw_path,
            text_or_none(context.get("stage")),
            app_path_from_proxy(path_parameters.get("proxy"), event.get("routeKey")),
            # HTTP APIs decode the path; Function URLs (no routes, no stages) keep it encoded.
            not _is_function_url(context),
        )
        # apig-wsgi reads these keys unconditionally; console and hand-written
        # test events often leave them out.  Copy the event only to fill them.
        fixes: dict[str, Any] = {}
        if split.app_path != raw_path:
            fixes["rawPath"] = split.app_path
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
            prefix=split.prefix,
            app_path=split.app_path,
            method=method,
            query=raw_query,
            wsgi_event={**event, **fixes} if fixes else event,
            headers=headers,
            slash_redirect=query_suffix(raw_query) if split.bare else None,
        )

    def make_environ(self, request: HttpRequest, context: Any) -> dict[str, Any]:
        environ: dict[str, Any] = get_environ_v2(request.wsgi_event, context)
        environ["SCRIPT_NAME"] = script_name(request.prefix)
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
def _prefix_and_route(raw_path: str, stage: str | None, app_path: str | None, decoded: bool) -> Split:
    """The external prefix and the path the app routes on (percent-encoded) of a payload 2.0 event.

    Cached: an app has few distinct paths, and every request needs this.
    """
    head, routed, bare = _split(raw_path, stage, app_path, decoded)
    return Split(
        normalize_prefix(encode_path(head, decoded=decoded)), encode_path(routed, decoded=decoded), bare
    )


def _split(raw_path: str, stage: str | None, app_path: str | None, decoded: bool) -> tuple[str, str, bool]:
    """(external prefix as it stands in ``rawPath``, app's path, whether ``rawPath`` ends at the prefix)."""
    if app_path is not None:
        head = split_external_path(raw_path, app_path, decoded=decoded)
        if head is not None:
            return head, raw_path[len(head) :] or ROOT, bool(head) and head == raw_path
    head, rest = split_by_stage(raw_path, stage)
    return head, rest or ROOT, bool(head) and not rest


def _is_function_url(context: Mapping[str, Any]) -> bool:
    domain = context.get("domainName")
    return isinstance(domain, str) and ".lambda-url." in domain
