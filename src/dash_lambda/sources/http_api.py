"""Payload format 2.0: HTTP APIs and Lambda Function URLs.

``rawPath`` is the path the browser asked for.  On the ``$default`` stage and
on Function URLs it has no prefix; on a named stage it starts with
``/{stage}/``; through a custom domain with an API mapping it carries the
mapping key, which only a ``{proxy+}`` route can reveal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from apig_wsgi import get_environ_v2

from ..errors import MalformedEventError
from ..prefix import (
    ROOT,
    Split,
    app_path_from_proxy,
    cached_on_fields,
    encode_path,
    normalize_prefix,
    query_suffix,
    script_name,
    split_by_stage,
    split_external_path,
)
from . import emulation as aws
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
    lone_surrogate,
    optional,
    require,
    text_or_none,
)
from .non_http import NOT_PROXY_KEYS

if TYPE_CHECKING:
    from ..lambda_context import LambdaContext
    from .emulation import FrontDoor, LocalRequest, LocalResponse

_HTTP_DEFAULTS = {"protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"}


class PayloadV2Source(EventSource):
    """HTTP API events (payload 2.0); :class:`~.function_url.FunctionUrlSource` extends it."""

    name = "v2"
    title = "HTTP API (payload 2.0)"
    gateway = "API Gateway"
    has_prefix = True
    gateway_timeout = True
    request_id_header: str | None = "apigw-requestid"
    #: Function URLs: no stages, no routes, and ``rawPath`` stays percent-encoded.
    function_url = False

    def matches(self, event: Mapping[str, Any]) -> bool:
        if event.get("version") != "2.0" or not event.keys().isdisjoint(NOT_PROXY_KEYS):
            return False
        context = event.get("requestContext")
        domain = context.get("domainName") if isinstance(context, dict) else None
        return (isinstance(domain, str) and ".lambda-url." in domain) is self.function_url

    def parse(self, event: Event) -> HttpRequest:
        context: Any = event.get("requestContext")
        http: Any = context.get("http") if type(context) is dict else None
        method = http.get("method") if type(http) is dict else None
        raw_path = event.get("rawPath")
        if type(method) is not str or type(raw_path) is not str or raw_path[:1] != "/":
            # What an AWS event never lacks: the helpers word what is wrong.
            context = require(event, "requestContext", dict, "event")
            http = require(context, "http", dict, "event.requestContext")
            method = require(http, "method", str, "event.requestContext.http")
            raw_path = check_path(raw_path, "event.rawPath")
        # optional(), called only when a field is not what AWS sends, to word the error.
        raw_query = event.get("rawQueryString")
        if raw_query is not None and type(raw_query) is not str:
            raw_query = optional(event, "rawQueryString", str, "event")
        headers = check_str_map(event.get("headers"), "event.headers")
        cookies = event.get("cookies")
        if cookies is not None and type(cookies) is not list:
            cookies = optional(event, "cookies", list, "event")
        if cookies:
            for cookie in cookies:
                if type(cookie) is not str:
                    raise MalformedEventError("event.cookies must be a list of strings")
        path_parameters = event.get("pathParameters")
        if path_parameters is not None and type(path_parameters) is not dict:
            path_parameters = optional(event, "pathParameters", dict, "event")
        if event.get("body") is not None or event.get("isBase64Encoded", False) is not False:
            check_body(event)

        # HTTP APIs decode the path; Function URLs (no routes, no stages) keep it encoded.
        fields = (
            raw_path,
            context.get("stage"),
            path_parameters.get("proxy") if path_parameters else None,
            event.get("routeKey"),
            not self.function_url,
        )
        try:
            split = _split_event_path(*fields)
        except TypeError:  # a crafted event's unhashable field: computed, not cached
            split = _split_event_path.__wrapped__(*fields)
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
        wsgi_event = {**event, **fixes} if fixes else event
        slash_redirect = query_suffix(raw_query) if split.bare else None
        return HttpRequest(
            self, split.prefix, split.app_path, method, raw_query, wsgi_event, headers, slash_redirect, event
        )

    def make_environ(self, request: HttpRequest, context: LambdaContext) -> dict[str, Any]:
        try:
            environ: dict[str, Any] = get_environ_v2(request.wsgi_event, context)
        except UnicodeEncodeError:  # apig-wsgi encodes the body as UTF-8
            raise lone_surrogate("event.body") from None
        environ["SCRIPT_NAME"] = script_name(request.prefix)
        cookie: str = environ["HTTP_COOKIE"]
        if cookie:
            environ["HTTP_COOKIE"] = _cookie_header(request.wsgi_event.get("cookies"), cookie)
        else:  # no cookie sent: no Cookie header, as behind a web server
            del environ["HTTP_COOKIE"]
        content_type = environ.get("HTTP_CONTENT_TYPE")
        if content_type is not None and "," in content_type:
            # apig-wsgi keeps what follows the last comma, taking it for a repeated
            # header; a comma belongs to a quoted parameter (a multipart boundary).
            environ["CONTENT_TYPE"] = content_type
        query: str = environ["QUERY_STRING"]
        if query and not query.isascii():
            # A client that did not percent-encode its query: WSGI strings carry
            # bytes as Latin-1, as a web server passes them on (PEP 3333).
            environ["QUERY_STRING"] = _latin_1(query, "event.rawQueryString")
        return environ

    def make_response(
        self,
        event: Mapping[str, Any],
        status: int,
        headers: Headers,
        body: str,
        is_base64: bool = False,
    ) -> Response:
        joined, cookies = join_repeated(headers, lower=True)
        return {
            "statusCode": status,
            "headers": joined,
            "cookies": cookies,
            "body": body,
            "isBase64Encoded": is_base64,
        }

    def client_address(self, request: HttpRequest) -> str:
        http = request.wsgi_event["requestContext"]["http"]
        address = http.get("sourceIp")
        return address if isinstance(address, str) and address else "127.0.0.1"

    def local_outside_status(self, door: FrontDoor) -> int:
        return 403 if door.base_path is not None else 404

    def local_event(
        self, request: LocalRequest, door: FrontDoor, route: str, now: float, request_id: str | None
    ) -> Event:
        """Lower-case headers, repeats comma-joined; cookies apart; keys with nothing to say omitted."""
        cookies: list[str] = []
        headers: dict[str, str] = {}
        for name, value in aws.forwarded_headers(request, lower=True):
            if name == "cookie":
                cookies.extend(part.strip() for part in value.split(";") if part.strip())
            elif name in headers:
                headers[name] = f"{headers[name]},{value}"
            else:
                headers[name] = value
        # HTTP APIs hand over the path decoded; Function URLs keep the encoding.
        raw_path = request.path if self.function_url else unquote(request.path)
        # Our template routes ``/`` and ``/{proxy+}``; a Function URL has no routes.
        route_key = "$default" if self.function_url else ("ANY /" if route == "/" else "ANY /{proxy+}")
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": raw_path,
            "rawQueryString": request.query_string,
        }
        if cookies:
            event["cookies"] = cookies
        event["headers"] = headers
        query: dict[str, str] = {}
        for name, value in aws.parse_query(request.query_string, decode=True):
            query[name] = f"{query[name]},{value}" if name in query else value
        if query:
            event["queryStringParameters"] = query
        domain = self.local_domain(door)
        event["requestContext"] = {
            "accountId": "anonymous" if self.function_url else door.account_id,
            "apiId": door.api_id,
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.client_addr,
                "userAgent": request.header("user-agent") or "",
            },
            "requestId": request_id or aws.short_id(),
            "routeKey": route_key,
            "stage": self.local_stage(door),
            "time": aws.clf_time(now),
            "timeEpoch": int(now * 1000),
        }
        body, encoded = aws.body_field(request, base64_always=False)
        if body is not None:
            event["body"] = body
        if not self.function_url and route != "/":
            event["pathParameters"] = {"proxy": unquote(route[1:])}
        event["isBase64Encoded"] = encoded
        return event

    def local_response(self, response: object, door: FrontDoor) -> LocalResponse:
        """Any return value without ``statusCode`` is a ``200`` JSON response; cookies become Set-Cookie."""
        if not (isinstance(response, dict) and "statusCode" in response):
            body = json.dumps(response).encode("utf-8")
            return aws.LocalResponse(200, (("Content-Type", "application/json"),), body)
        status = aws.check_status(response)
        headers = list(aws.header_map(response.get("headers"), "headers").items())
        aws.multi_header_map(response.get("multiValueHeaders"), "multiValueHeaders")
        cookies = response.get("cookies", [])
        if cookies is None:
            cookies = []
        if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
            raise aws.MalformedResponseError("cookies must be a list of strings")
        headers += [("Set-Cookie", cookie) for cookie in cookies]
        return aws.http_response(response, status, headers)


@cached_on_fields
def _split_event_path(raw_path: str, stage: object, proxy: object, route_key: object, decoded: bool) -> Split:
    """:func:`_prefix_and_route` of the event's raw fields."""
    return _prefix_and_route(raw_path, text_or_none(stage), app_path_from_proxy(proxy, route_key), decoded)


def _prefix_and_route(raw_path: str, stage: str | None, app_path: str | None, decoded: bool) -> Split:
    """The external prefix and the path the app routes on (percent-encoded) of a payload 2.0 event.

    Cached on the raw fields (:func:`_split_event_path`): every request needs this.
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


def _cookie_header(cookies: list[str] | None, joined: str) -> str:
    """The ``Cookie`` header as the browser sent it.

    HTTP APIs split it on ``"; "`` into the event's ``cookies``; apig-wsgi
    joins them with ``";"`` and appends a ``cookie`` header the event also
    has (a hand-written one) after another ``";"``.
    """
    listed = cookies or []
    extra = joined[len(";".join(listed)) :].removeprefix(";")
    return "; ".join([*listed, extra] if extra else listed)


def _latin_1(text: str, where: str) -> str:
    """``text``'s UTF-8 bytes as a WSGI string."""
    try:
        return text.encode("utf-8").decode("latin-1")
    except UnicodeEncodeError:
        raise lone_surrogate(where) from None
