"""Application Load Balancer target-group events.

An ALB forwards the browser's path unchanged, so there is never a prefix.
Multi-value headers are a target-group setting: when the event uses them the
response must too, and without them a response can carry each header once.
ALB also accepts much smaller responses than API Gateway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..prefix import ROOT, wsgi_safe
from .base import (
    Event,
    EventSource,
    HttpRequest,
    Response,
    check_body,
    check_multi_map,
    check_path,
    check_str_map,
    require,
)

#: ALB rejects Lambda responses over 1 MB; counted in decimal to stay on the safe side.
ALB_RESPONSE_LIMIT = 1_000_000


class AlbSource(EventSource):
    """ALB target group events, with or without multi-value headers."""

    name = "alb"
    response_limit = ALB_RESPONSE_LIMIT

    def matches(self, event: Mapping[str, Any]) -> bool:
        context = event.get("requestContext")
        return isinstance(context, dict) and "elb" in context

    def parse(self, event: Event) -> HttpRequest:
        method = require(event, "httpMethod", str, "event")
        path = check_path(event.get("path"), "event.path")
        if "multiValueHeaders" in event:
            multi = check_multi_map(event["multiValueHeaders"], "event.multiValueHeaders")
            headers = {k: v[-1] for k, v in multi.items() if v}
        else:
            headers = check_str_map(event.get("headers"), "event.headers")
        if "multiValueQueryStringParameters" in event:
            query_map = check_multi_map(
                event["multiValueQueryStringParameters"], "event.multiValueQueryStringParameters"
            )
            query = "&".join(f"{k}={v}" for k, vs in sorted(query_map.items()) for v in vs)
        else:
            single = check_str_map(event.get("queryStringParameters"), "event.queryStringParameters")
            query = "&".join(f"{k}={v}" for k, v in sorted(single.items()))
        check_body(event)
        return HttpRequest(
            source=self,
            prefix=ROOT,
            app_path=path,
            method=method,
            query=query,
            wsgi_event=event if path.isascii() else {**event, "path": wsgi_safe(path)},
            headers=headers,
        )

    def make_response(
        self,
        event: Mapping[str, Any],
        status: int,
        headers: Mapping[str, str],
        body: str,
    ) -> Response:
        response: Response = {"statusCode": status, "body": body, "isBase64Encoded": False}
        if "multiValueHeaders" in event:
            response["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
        else:
            response["headers"] = dict(headers)
        return response
