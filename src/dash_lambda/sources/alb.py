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
from typing import TYPE_CHECKING, Any

from apig_wsgi import get_environ_v1

from ..prefix import ROOT, wsgi_safe
from . import emulation as aws
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
    lone_surrogate,
    require,
    without_null_multi_maps,
)

if TYPE_CHECKING:
    from ..lambda_context import LambdaContext
    from .emulation import FrontDoor, LocalRequest, LocalResponse

logger = logging.getLogger("dash_lambda")

#: ALB rejects Lambda responses over 1 MB; counted in decimal to stay on the safe side.
ALB_RESPONSE_LIMIT = 1_000_000


class AlbSource(EventSource):
    """ALB target group events, with or without multi-value headers."""

    name = "alb"
    title = "ALB target group"
    response_limit = ALB_RESPONSE_LIMIT
    limit_owner = "an ALB"
    gateway = "the ALB"

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
        if safe_path is not path:
            wsgi_event = {**wsgi_event, "path": safe_path}
        return HttpRequest(self, ROOT, safe_path, method, query, wsgi_event, headers, None, event)

    def make_environ(self, request: HttpRequest, context: LambdaContext) -> dict[str, Any]:
        try:
            environ: dict[str, Any] = get_environ_v1(request.wsgi_event, context, encode_query_params=False)
        except UnicodeEncodeError:  # apig-wsgi encodes the body and the query as UTF-8
            raise lone_surrogate("the event's query or body") from None
        environ["REMOTE_ADDR"] = _client_address(request.header("x-forwarded-for"))
        return environ

    def client_address(self, request: HttpRequest) -> str:
        return _client_address(request.header("x-forwarded-for"))

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

    def local_domain(self, door: FrontDoor) -> str:
        return f"{door.api_id}.{door.region}.elb.amazonaws.com"

    def local_settings(self, event: Mapping[str, Any]) -> dict[str, Any]:
        return {"multi_value_headers": "multiValueHeaders" in event}

    def local_event(
        self, request: LocalRequest, door: FrontDoor, route: str, now: float, request_id: str | None
    ) -> Event:
        """Lower-case headers, query *undecoded*, single- or multi-value as the target group is set."""
        del route, now, request_id  # an ALB event names neither
        arn = (
            f"arn:aws:elasticloadbalancing:{door.region}:{door.account_id}:"
            "targetgroup/dash-lambda-local/0123456789abcdef"
        )
        event: dict[str, Any] = {
            "requestContext": {"elb": {"targetGroupArn": arn}},
            "httpMethod": request.method,
            "path": request.path,
        }
        headers = aws.forwarded_headers(request, lower=True)
        single_headers, multi_headers = aws.single_and_multi(headers, fold_case=True)
        single_query, multi_query = aws.single_and_multi(aws.parse_query(request.query_string, decode=False))
        if door.multi_value_headers:
            event["multiValueQueryStringParameters"] = multi_query
            event["multiValueHeaders"] = multi_headers
        else:
            event["queryStringParameters"] = single_query
            event["headers"] = single_headers
        body, encoded = aws.body_field(request, base64_always=False)
        event["body"] = body or ""
        event["isBase64Encoded"] = encoded
        return event

    def local_response(self, response: object, door: FrontDoor) -> LocalResponse:
        """The response must use the header form the target group is set to."""
        proxy, status, single, multi = aws.payload_1_proxy(response, _RESPONSE_KEYS, self.title)
        if door.multi_value_headers and single and not multi:
            raise aws.MalformedResponseError(
                "the ALB target group has multi-value headers on, so the response must use "
                "multiValueHeaders; it used headers"
            )
        if not door.multi_value_headers and multi and not single:
            raise aws.MalformedResponseError(
                "the ALB target group has multi-value headers off, so the response must use "
                "headers; it used multiValueHeaders"
            )
        if door.multi_value_headers:
            headers = [(name, value) for name, values in multi.items() for value in values]
        else:
            headers = list(single.items())
        return aws.http_response(proxy, status, headers)


_RESPONSE_KEYS = frozenset(
    {"statusCode", "statusDescription", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
)


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
