"""REST API events (payload format 1.0), including ``sam local start-api``.

The same event shape arrives through three doors that need three prefixes:

* the stage URL: ``path`` lacks the stage, ``requestContext.path`` has it;
* a custom domain with a base-path mapping: both paths carry the base path,
  and only ``resource`` with ``pathParameters.proxy`` tell which part is the
  app's;
* ``sam local start-api``: ``requestContext.path`` is the route *template*
  (``/{proxy+}``) and the URL has no prefix at all.

HTTP APIs can send this payload too (``"version": "1.0"``), with one
difference: their ``path`` is the URL's path, stage and API mapping
included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlencode

from apig_wsgi import get_environ_v1

from ..prefix import (
    ROOT,
    Split,
    app_path_from_proxy,
    cached_on_fields,
    normalize_prefix,
    script_name,
    split_by_stage,
    split_external_path,
    wsgi_safe,
)
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
    group_repeated,
    headers_agree,
    lone_surrogate,
    optional,
    require,
    text_or_none,
    without_null_multi_maps,
)
from .non_http import NOT_PROXY_KEYS

if TYPE_CHECKING:
    from ..lambda_context import LambdaContext
    from .emulation import FrontDoor, LocalRequest, LocalResponse

_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


class RestApiSource(EventSource):
    """API Gateway REST API proxy integration (payload 1.0)."""

    name = "v1"
    title = "REST API (payload 1.0)"
    gateway = "API Gateway"
    has_prefix = True
    gateway_timeout = True
    request_id_header = "x-amzn-RequestId"
    default_content_type = "application/json"

    def matches(self, event: Mapping[str, Any]) -> bool:
        if "httpMethod" not in event or event.get("version", "1.0") != "1.0":
            return False
        context = event.get("requestContext")
        if isinstance(context, dict) and "elb" in context:
            return False
        return event.keys().isdisjoint(NOT_PROXY_KEYS)

    def parse(self, event: Event) -> HttpRequest:
        method = event.get("httpMethod")
        path = event.get("path")
        context = event.get("requestContext")
        if type(method) is not str or type(path) is not str or path[:1] != "/" or type(context) is not dict:
            # What an API Gateway event never lacks: the helpers word what is wrong.
            method = require(event, "httpMethod", str, "event")
            path = check_path(path, "event.path")
            context = optional(event, "requestContext", dict, "event") or {}
        # Check what apig-wsgi will read: the multi-value maps when present.
        given: Any = event.get("headers")
        multi_headers = event.get("multiValueHeaders")
        if headers_agree(given, multi_headers):  # both checked, in one pass
            single_headers: dict[str, str] = given
        else:
            single_headers = check_str_map(given, "event.headers")
            if multi_headers is not None:
                check_multi_map(multi_headers, "event.multiValueHeaders")
        headers = single_headers
        if multi_headers is not None and not headers:
            headers = {name: values[-1] for name, values in multi_headers.items() if values}
        multi_query = event.get("multiValueQueryStringParameters")
        if multi_query is not None:
            check_multi_map(multi_query, "event.multiValueQueryStringParameters")
            query: dict[str, str] = {}
        else:
            query = check_str_map(event.get("queryStringParameters"), "event.queryStringParameters")
        path_parameters = optional(event, "pathParameters", dict, "event")
        if event.get("body") is not None or event.get("isBase64Encoded", False) is not False:
            check_body(event)

        fields = (
            path,
            context.get("path"),
            context.get("stage"),
            path_parameters.get("proxy") if path_parameters else None,
            event.get("resource"),
            "version" in event,  # an HTTP API's: the stage is in ``path`` too
        )
        try:
            split = _split_event_path(*fields)
        except TypeError:  # a crafted event's unhashable field: computed, not cached
            split = _split_event_path.__wrapped__(*fields)
        # A null multi-value map hides a filled single-value one from apig-wsgi.
        hidden = (multi_headers is None and single_headers) or (multi_query is None and query)
        wsgi_event = without_null_multi_maps(event) if hidden else event
        if split.app_path != path:
            wsgi_event = {**wsgi_event, "path": split.app_path}
        query_key = _query_key(event, query) if multi_query or query else ""
        slash_redirect = _query_string(event) if split.bare else None
        return HttpRequest(
            self, split.prefix, split.app_path, method, query_key, wsgi_event, headers, slash_redirect, event
        )

    def make_environ(self, request: HttpRequest, context: LambdaContext) -> dict[str, Any]:
        event = request.wsgi_event
        try:
            environ: dict[str, Any] = get_environ_v1(event, context, encode_query_params=True)
        except UnicodeEncodeError:  # apig-wsgi encodes the body and the decoded query as UTF-8
            raise lone_surrogate("the event's query or body") from None
        environ["SCRIPT_NAME"] = script_name(request.prefix)
        # apig-wsgi takes X-Forwarded-For's first entry, which the client writes.
        environ["REMOTE_ADDR"] = _source_ip(event.get("requestContext"))
        return environ

    def client_address(self, request: HttpRequest) -> str:
        return _source_ip(request.event.get("requestContext"))

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

    def local_stage(self, door: FrontDoor) -> str:
        return door.stage or "Prod"  # a custom domain maps to a stage too

    def local_domain(self, door: FrontDoor) -> str:
        if door.base_path is not None:
            return "dash.example.com"
        return super().local_domain(door)

    def local_event(
        self, request: LocalRequest, door: FrontDoor, route: str, now: float, request_id: str | None
    ) -> Event:
        """Headers twice (last value, every value), query decoded, both paths encoded.

        With a stage URL the stage is not in ``path``; with a base-path
        mapping the base path is in both paths.  With ``BinaryMediaTypes:
        "*/*"`` every body arrives base64-encoded.
        """
        single, multi = aws.single_and_multi(aws.forwarded_headers(request, lower=False), fold_case=True)
        query_single, query_multi = aws.single_and_multi(aws.parse_query(request.query_string, decode=True))
        is_root = route == "/"
        resource = "/" if is_root else "/{proxy+}"
        body, encoded = aws.body_field(request, base64_always=door.binary_media_types)
        domain = self.local_domain(door)
        return {
            "resource": resource,
            "path": route if door.stage else request.path,
            "httpMethod": request.method,
            "headers": single,
            "multiValueHeaders": multi,
            "queryStringParameters": query_single or None,
            "multiValueQueryStringParameters": query_multi or None,
            "pathParameters": None if is_root else {"proxy": unquote(route[1:])},
            "stageVariables": None,
            "requestContext": {
                "accountId": door.account_id,
                "apiId": door.api_id,
                "domainName": domain,
                "domainPrefix": domain.split(".", 1)[0],
                "extendedRequestId": aws.short_id(),
                "httpMethod": request.method,
                "identity": _identity(request),
                "path": request.path,
                "protocol": "HTTP/1.1",
                "requestId": aws.request_id(request_id),
                "requestTime": aws.clf_time(now),
                "requestTimeEpoch": int(now * 1000),
                "resourceId": "local1",
                "resourcePath": resource,
                "stage": self.local_stage(door),
            },
            "body": body,
            "isBase64Encoded": encoded,
        }

    def local_response(self, response: object, door: FrontDoor) -> LocalResponse:
        """API Gateway merges both header maps; for a name in both, ``multiValueHeaders`` wins."""
        proxy, status, single, multi = aws.payload_1_proxy(response, _RESPONSE_KEYS, self.title)
        multi_names = {name.lower() for name in multi}
        headers = [(n, v) for n, v in single.items() if n.lower() not in multi_names]
        headers += [(name, value) for name, values in multi.items() for value in values]
        return aws.http_response(proxy, status, headers)


def _identity(request: LocalRequest) -> dict[str, str | None]:
    identity: dict[str, str | None] = dict.fromkeys(
        (
            "accessKey",
            "accountId",
            "caller",
            "cognitoAuthenticationProvider",
            "cognitoAuthenticationType",
            "cognitoIdentityId",
            "cognitoIdentityPoolId",
        )
    )
    identity["sourceIp"] = request.client_addr
    identity["user"] = None
    identity["userAgent"] = request.header("user-agent")
    identity["userArn"] = None
    return identity


@cached_on_fields
def _split_event_path(
    path: str, context_path: object, stage: object, proxy: object, resource: object, http_api: bool
) -> Split:
    """:func:`_prefix_and_route` of the event's raw fields."""
    return _prefix_and_route(
        path, text_or_none(context_path), text_or_none(stage), app_path_from_proxy(proxy, resource), http_api
    )


def _prefix_and_route(
    path: str, context_path: str | None, stage: str | None, app_path: str | None, http_api: bool
) -> Split:
    """The external prefix and the path the app routes on (made WSGI-safe) of a REST event.

    Cached on the raw fields (:func:`_split_event_path`): every request needs this.
    """
    head, routed, bare = _split(path, context_path, stage, app_path, http_api)
    return Split(normalize_prefix(wsgi_safe(head)), wsgi_safe(routed), bare)


def _split(
    path: str, context_path: str | None, stage: str | None, app_path: str | None, http_api: bool
) -> tuple[str, str, bool]:
    """(external prefix as it stands in the URL, app's path, whether the URL ends at the prefix)."""
    external = (
        context_path
        if context_path is not None and context_path.startswith("/") and "{" not in context_path
        else path  # sam local puts the route template here, not the URL
    )
    if app_path is not None:
        head = split_external_path(external, app_path)
        if head is not None:
            # A base-path mapping leaves the base path in ``path`` too.
            base = split_external_path(path, app_path)
            routed = (path[len(base) :] or ROOT) if base else path
            return head, routed, bool(head) and head == external
    if http_api:  # ``path`` is the URL's: without a proxy route only the stage can be split off
        head, rest = split_by_stage(path, stage)
        return head, rest or ROOT, bool(head) and not rest
    head, rest = split_by_stage(external, stage)
    return head, path, bool(head) and not rest


def _query_key(event: Mapping[str, Any], query: Mapping[str, str]) -> str:
    multi = event.get("multiValueQueryStringParameters")
    source = multi if multi else query
    return "&".join(f"{k}={v}" for k, v in sorted(source.items())) if source else ""


def _query_string(event: Mapping[str, Any]) -> str:
    """The query string (with its ``?``) re-encoded from the decoded maps API Gateway sends."""
    multi = event.get("multiValueQueryStringParameters")
    single = event.get("queryStringParameters")
    query = urlencode(multi or single or {}, doseq=bool(multi), quote_via=quote, errors="surrogatepass")
    return f"?{query}" if query else ""


def _source_ip(context: object) -> str:
    """``requestContext.identity.sourceIp``: the address that connected to API Gateway."""
    try:
        source_ip = context["identity"]["sourceIp"]  # type: ignore[index]
    except (KeyError, TypeError):  # not there, or something else than an object on the way
        return "127.0.0.1"
    return source_ip if isinstance(source_ip, str) and source_ip else "127.0.0.1"
