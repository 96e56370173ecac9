"""Application Load Balancer target-group events.

An ALB forwards the browser's path unchanged, so there is never a prefix.
Multi-value headers are a target-group setting: when the event uses them the
response must too, and without them a response can carry each header name
once (each ``Set-Cookie`` then goes under its own spelling of the name).
ALB also accepts much smaller responses than API Gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from apig_wsgi import get_environ_v1

from ..prefix import ROOT, wsgi_safe
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
    cookie_header_names,
    group_repeated,
    join_repeated,
    require,
    without_null_multi_maps,
)

logger = logging.getLogger("dash_lambda")

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
        # A null multi-value map (a hand-written or console event) means the single-value one.
        if event.get("multiValueHeaders") is not None:
            multi = check_multi_map(event["multiValueHeaders"], "event.multiValueHeaders")
            headers = {k: v[-1] for k, v in multi.items() if v}
        else:
            headers = check_str_map(event.get("headers"), "event.headers")
        if event.get("multiValueQueryStringParameters") is not None:
            query_map = check_multi_map(
                event["multiValueQueryStringParameters"], "event.multiValueQueryStringParameters"
            )
            query = "&".join(f"{k}={v}" for k, vs in sorted(query_map.items()) for v in vs)
        else:
            single = check_str_map(event.get("queryStringParameters"), "event.queryStringParameters")
            query = "&".join(f"{k}={v}" for k, v in sorted(single.items()))
        check_body(event)
        wsgi_event = without_null_multi_maps(event)
        safe_path = wsgi_safe(path)
        return HttpRequest(
            source=self,
            prefix=ROOT,
            app_path=safe_path,
            method=method,
            query=query,
            wsgi_event=wsgi_event if safe_path is path else {**wsgi_event, "path": safe_path},
            headers=headers,
        )

    def make_environ(self, request: HttpRequest, context: Any) -> dict[str, Any]:
        environ: dict[str, Any] = get_environ_v1(request.wsgi_event, context, encode_query_params=False)
        environ["REMOTE_ADDR"] = _client_address(request.header("x-forwarded-for"))
        return environ

    def make_response(
        self,
        event: Mapping[str, Any],
        status: int,
        headers: Headers,
        body: str,
        is_base64: bool = False,
    ) -> Response:
        response: Response = {
            "statusCode": status,
            "statusDescription": _status_line(status),
            "body": body,
            "isBase64Encoded": is_base64,
        }
        if "multiValueHeaders" in event:
            response["multiValueHeaders"] = group_repeated(headers)
        else:
            joined, cookies = join_repeated(headers)
            if cookies:
                names = cookie_header_names(len(cookies))
                if len(names) < len(cookies):
                    logger.warning(
                        "dash_lambda: an ALB without multi-value headers can carry %d Set-Cookie "
                        "headers; %d dropped",
                        len(names),
                        len(cookies) - len(names),
                    )
                joined.update(zip(names, cookies, strict=False))
            response["headers"] = joined
        return response


def _client_address(forwarded: str | None) -> str:
    """The address the ALB saw, which it appends to ``X-Forwarded-For``.

    The entries before it (apig-wsgi takes the first) are whatever the client wrote.
    """
    address = forwarded.rpartition(",")[2].strip() if forwarded else ""
    return address or "127.0.0.1"


@lru_cache(maxsize=64)
def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)
