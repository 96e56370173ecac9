"""REST API events (payload format 1.0), including ``sam local start-api``.

The same event shape arrives through three doors that need three prefixes:

* the stage URL: ``path`` lacks the stage, ``requestContext.path`` has it;
* a custom domain with a base-path mapping: both paths carry the base path,
  and only ``resource`` with ``pathParameters.proxy`` tell which part is the
  app's;
* ``sam local start-api``: ``requestContext.path`` is the route *template*
  (``/{proxy+}``) and the URL has no prefix at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from apig_wsgi import get_environ_v1

from ..prefix import ROOT, app_path_from_proxy, split_external_path, strip_stage, wsgi_safe
from .base import (
    Event,
    EventSource,
    Headers,
    HttpRequest,
    Response,
    check_body,
    check_multi_map,
    check_path,
    check_str_map,
    group_repeated,
    optional,
    require,
    text_or_none,
)


class RestApiSource(EventSource):
    """API Gateway REST API proxy integration (payload 1.0)."""

    name = "v1"

    def matches(self, event: Mapping[str, Any]) -> bool:
        context = event.get("requestContext")
        if isinstance(context, dict) and "elb" in context:
            return False
        return "httpMethod" in event and event.get("version", "1.0") == "1.0"

    def parse(self, event: Event) -> HttpRequest:
        method = require(event, "httpMethod", str, "event")
        path = check_path(event.get("path"), "event.path")
        context = optional(event, "requestContext", dict, "event") or {}
        # Check what apig-wsgi will read: the multi-value maps when present.
        headers = check_str_map(event.get("headers"), "event.headers")
        if event.get("multiValueHeaders") is not None:
            check_multi_map(event["multiValueHeaders"], "event.multiValueHeaders")
        if event.get("multiValueQueryStringParameters") is not None:
            check_multi_map(event["multiValueQueryStringParameters"], "event.multiValueQueryStringParameters")
            query: dict[str, str] = {}
        else:
            query = check_str_map(event.get("queryStringParameters"), "event.queryStringParameters")
        path_parameters = optional(event, "pathParameters", dict, "event") or {}
        check_body(event)

        prefix, routed = _prefix_and_route(
            path,
            text_or_none(context.get("path")),
            text_or_none(context.get("stage")),
            app_path_from_proxy(path_parameters.get("proxy"), event.get("resource")),
        )
        wsgi_event = event if routed == path else {**event, "path": routed}
        return HttpRequest(
            source=self,
            prefix=prefix,
            app_path=routed,
            method=method,
            query=_query_key(event, query),
            wsgi_event=wsgi_event,
            headers=headers,
        )

    def make_environ(self, request: HttpRequest, context: Any) -> dict[str, Any]:
        environ: dict[str, Any] = get_environ_v1(request.wsgi_event, context, encode_query_params=True)
        return environ

    def make_response(
        self,
        event: Mapping[str, Any],
        status: int,
        headers: Headers,
        body: str,
        is_base64: bool = False,
    ) -> Response:
        # REST APIs accept multiValueHeaders in every response, which keeps
        # each Set-Cookie whatever the event looked like.
        return {
            "statusCode": status,
            "multiValueHeaders": group_repeated(headers),
            "body": body,
            "isBase64Encoded": is_base64,
        }


@lru_cache(maxsize=1024)
def _prefix_and_route(
    path: str, context_path: str | None, stage: str | None, app_path: str | None
) -> tuple[str, str]:
    """Return (external prefix, path the app routes on, made WSGI-safe) for a REST event.

    Cached: an app has few distinct paths, and every request needs this.
    """
    prefix, routed = _split(path, context_path, stage, app_path)
    return prefix, wsgi_safe(routed)


def _split(path: str, context_path: str | None, stage: str | None, app_path: str | None) -> tuple[str, str]:
    external = (
        context_path
        if context_path is not None and context_path.startswith("/") and "{" not in context_path
        else path  # sam local puts the route template here, not the URL
    )
    if app_path is not None:
        prefix = split_external_path(external, app_path)
        if prefix is not None:
            base = split_external_path(path, app_path)
            if base is None or base == ROOT:
                return prefix, path
            head = base.rstrip("/")
            return prefix, (path[len(head) :] or ROOT) if path.startswith(head) else app_path
    prefix, _ = strip_stage(external, stage)
    return prefix, path


def _query_key(event: Mapping[str, Any], query: Mapping[str, str]) -> str:
    multi = event.get("multiValueQueryStringParameters")
    source = multi if multi else query
    return "&".join(f"{k}={v}" for k, v in sorted(source.items())) if source else ""
