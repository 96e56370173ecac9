"""The Lambda handler: from an event to the front door's response.

For each invocation it finds the event's source, answers what needs no Dash
(warm-ups, health, refusals, cached static files), picks the app for the
external prefix and lets apig-wsgi run it, then checks the response against
the front door's size limit.  Every failure becomes a response in the
source's shape; only a non-HTTP event raises.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from .apps import AppBuilder, AppCache
from .auth import Authorizer, BasicAuth
from .config import Settings, resolve
from .encoding import negotiate
from .errors import MalformedEventError, UnsupportedEventError
from .http_cache import not_modified
from .invocation import enter, leave
from .limits import oversize, too_large_message
from .responses import CompressionPolicy, Encoded, Headers, call_wsgi, encode_body
from .sources import find_source
from .sources.base import HttpRequest, Response
from .static_cache import StaticResponseCache, Visit, is_static_path
from .warmup import is_warmup

logger = logging.getLogger("dash_lambda")

_NO_STORE = {"Cache-Control": "no-store"}


class LambdaHandler:
    """A Lambda handler serving a Dash app builder; create it with :func:`make_lambda_handler`."""

    def __init__(
        self,
        builder: AppBuilder,
        settings: Settings,
        authorizers: Sequence[Authorizer] = (),
    ) -> None:
        self.settings = settings
        self._policy = CompressionPolicy(enabled=settings.compress, min_size=settings.compress_min_bytes)
        self._apps = AppCache(builder, max_apps=settings.max_apps)
        self._static = StaticResponseCache(settings.static_cache_bytes, self._policy)
        self._authorizers = tuple(authorizers)
        if settings.basic_auth:
            self._authorizers = (BasicAuth.from_credentials(settings.basic_auth), *authorizers)

    @property
    def static_cache_stats(self) -> dict[str, int]:
        """Counters of the static-file cache: ``hits`` (answered without the app),
        ``revalidated`` (the app's 304 let the stored bytes go), ``passed`` (the app
        answered in full), ``stored``, ``compressed`` and ``encoded`` (bodies made
        once and kept), ``evicted``; and ``bytes``, the memory it counts now."""
        return {**self._static.stats, "bytes": self._static.size}

    @property
    def built_prefixes(self) -> list[str]:
        """External prefixes whose apps are built, least recently used first."""
        return self._apps.prefixes

    def warm(self) -> list[str]:
        """Build the apps of the configured prefixes if they are not built yet.

        Called at creation (the Lambda init phase), before a SnapStart
        snapshot, and on every warm-up ping.  Returns the prefixes built.
        """
        expected = self.settings.prefixes or ((self.settings.prefix,) if self.settings.prefix else ())
        for prefix in expected:
            if prefix not in self._apps:
                started = time.perf_counter()
                self._apps.get(prefix)
                if self.settings.prime:
                    self._prime(prefix)
                logger.info(
                    "dash_lambda: app for %s ready in %.0f ms",
                    prefix,
                    (time.perf_counter() - started) * 1000,
                )
        return self._apps.prefixes

    def _prime(self, prefix: str) -> None:
        """Serve a first page load's dynamic requests a few times, past auth (see :func:`priming_events`)."""
        events = priming_events(prefix)
        for _ in range(_PRIME_ROUNDS):
            for event in events:
                source = find_source(event)
                assert source is not None
                response = self._serve(source.parse(event), event, None)
                if response.get("statusCode") != 200:
                    logger.warning(
                        "dash_lambda: priming %s%s got %s",
                        prefix,
                        event.get("path") or event.get("rawPath"),
                        response.get("statusCode"),
                    )
                    return

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not isinstance(event, dict):
            raise UnsupportedEventError(
                f"dash_lambda handles HTTP events; it was invoked with a {type(event).__name__}"
            )
        source = find_source(event)
        if source is None:
            if is_warmup(event):
                return {"warmed": self.warm()}
            raise UnsupportedEventError(_describe_unsupported(event))
        try:
            request = source.parse(event)
        except MalformedEventError as error:
            logger.warning("dash_lambda: bad %s event: %s", source.name, error)
            return source.json_response(event, 400, {"message": f"Bad request: {error}"})

        if request.app_path == self.settings.health_path:
            return source.text_response(
                event, 200, {"Content-Type": "application/json", **_NO_STORE}, '{"status":"ok"}'
            )
        for authorize in self._authorizers:
            try:
                refusal = authorize(request)
            except Exception:
                return _internal_error(request, event, context, "authorizer")
            if refusal is not None:
                return request.source.text_response(
                    event,
                    refusal.status,
                    {"Content-Type": "text/plain; charset=utf-8", **_NO_STORE, **refusal.headers},
                    refusal.message,
                )
        return self._serve(request, event, context)

    def _serve(self, request: HttpRequest, event: dict[str, Any], context: Any) -> Response:
        source = request.source
        prefix = self.settings.prefix or request.prefix
        coding = (
            negotiate(request.header("accept-encoding"))
            if self._policy.enabled and request.method != "HEAD"
            else None
        )
        visit = (
            self._static.visit(request, event, prefix, coding)
            if request.method == "GET" and is_static_path(request.app_path)
            else None
        )
        if visit is not None and visit.hit is not None:
            return self._respond(request, event, prefix, 200, *visit.hit, visit=visit)
        token = enter(event, context)
        try:
            app = self._apps.get(prefix)
            environ = source.make_environ(request, context)
            if visit is not None:
                visit.prepare(environ)
            answer = call_wsgi(app.wsgi_app, environ)
        except Exception:
            return _internal_error(request, event, context, "app")
        finally:
            leave(token)
        if visit is not None:
            status, headers, encoded, validated = visit.settle(answer)
            return self._respond(request, event, prefix, status, headers, encoded, validated, visit=visit)
        headers, encoded, form = encode_body(answer, coding, self._policy)
        return self._respond(
            request, event, prefix, answer.status, headers, encoded, form.validated, raw=answer.body
        )

    def _respond(
        self,
        request: HttpRequest,
        event: dict[str, Any],
        prefix: str,
        status: int,
        headers: Headers,
        encoded: Encoded,
        validated: bool,
        *,
        raw: bytes | None = None,
        visit: Visit | None = None,
    ) -> Response:
        """Shape the response for the front door: a 304 if the client has it, never over the limit."""
        source = request.source
        if validated and status == 200 and request.method in ("GET", "HEAD"):
            if visit is not None:
                if_none_match, if_modified_since = visit.conditions
            else:
                if_none_match = request.header("if-none-match")
                if_modified_since = request.header("if-modified-since")
            unchanged = not_modified(if_none_match, if_modified_since, headers)
            if unchanged is not None:
                return source.make_response(event, 304, unchanged, "")
        response = source.make_response(event, status, headers, encoded.body, encoded.is_base64)
        size = oversize(
            response,
            source.response_limit,
            None if encoded.is_base64 else raw,
            encoded.json_size if visit is not None else None,
        )
        if size is not None:
            message = too_large_message(
                size, source.response_limit, _door(source.name), prefix.rstrip("/") + request.app_path
            )
            logger.error("dash_lambda: %s", message)
            return source.json_response(event, 500, {"message": message})
        return response


def make_lambda_handler(
    build_app: AppBuilder,
    *,
    prefix: str | None = None,
    prefixes: Sequence[str] = (),
    max_apps: int = 4,
    compress: bool = True,
    compress_min_bytes: int = 2048,
    static_cache_mb: float = 64,
    health_path: str | None = "/health",
    basic_auth: str | None = None,
    authorizers: Sequence[Authorizer] = (),
    prime: bool = True,
) -> LambdaHandler:
    """Wrap a Dash app builder in a Lambda handler for any HTTP front door.

    ``build_app(dash_kwargs)`` must return a ``dash.Dash`` built with
    ``Dash(__name__, **dash_kwargs, ...)``: the adapter passes the URL prefix
    options there, one app per external prefix.

    Keyword arguments (environment variables override them when set):

    * ``prefix`` (``DASH_LAMBDA_PREFIX``): use this external prefix instead of
      detecting it, for setups detection cannot see (CloudFront in front).
    * ``prefixes`` (``DASH_LAMBDA_PREFIXES``, comma-separated): build these
      apps now, in the init phase, so no request pays for building.
    * ``max_apps`` (``DASH_LAMBDA_MAX_APPS``): apps kept per sandbox (LRU).
    * ``compress`` (``DASH_LAMBDA_COMPRESS``) and ``compress_min_bytes``
      (``DASH_LAMBDA_COMPRESS_MIN_BYTES``): gzip/brotli text responses.
    * ``static_cache_mb`` (``DASH_LAMBDA_STATIC_CACHE_MB``): memory for
      finished responses of bundles and assets; 0 turns it off.
    * ``health_path`` (``DASH_LAMBDA_HEALTH_PATH``, ``off`` to disable):
      answered with ``{"status":"ok"}`` without building Dash.
    * ``basic_auth`` (``DASH_LAMBDA_BASIC_AUTH``): ``"user:password"``.
    * ``authorizers``: callables that may refuse a request (see :class:`Refusal`).
    * ``prime`` (``DASH_LAMBDA_PRIME``): after building an app at init, serve
      its index page once so the first user's request is a warm one.
    """
    settings = resolve(
        prefix=prefix,
        prefixes=prefixes,
        max_apps=max_apps,
        compress=compress,
        compress_min_bytes=compress_min_bytes,
        static_cache_mb=static_cache_mb,
        health_path=health_path,
        basic_auth=basic_auth,
        prime=prime,
    )
    handler = LambdaHandler(build_app, settings, authorizers)
    if settings.prefixes:
        handler.warm()
        _register_before_snapshot(handler.warm)
    return handler


def _register_before_snapshot(hook: Callable[[], object]) -> None:
    """Run ``hook`` before a SnapStart snapshot, where the runtime offers it."""
    try:
        from snapshot_restore_py import register_before_snapshot
    except ImportError:
        return
    register_before_snapshot(hook)


#: ``requestContext.requestId`` of the requests the handler sends itself when priming.
PRIME_REQUEST_ID = "dash-lambda-prime"
_PRIME_ROUNDS = 3


def priming_events(prefix: str) -> list[dict[str, Any]]:
    """GETs of the index, the layout and the dependencies under ``prefix``, in both payload formats.

    Sent through the whole handler with a browser's Accept-Encoding, they run
    every code path a first page load runs (event parsing, apig-wsgi,
    compression, encoding), so the first real request finds them warm.
    """
    base = prefix.rstrip("/")
    headers = {"accept": "*/*", "accept-encoding": "gzip, deflate, br", "user-agent": PRIME_REQUEST_ID}
    events: list[dict[str, Any]] = []
    for path in ("/", "/_dash-layout", "/_dash-dependencies"):
        proxy = path.lstrip("/")
        resource = "/{proxy+}" if proxy else "/"
        events.append(
            {
                "resource": resource,
                "path": path,
                "httpMethod": "GET",
                "headers": headers,
                "multiValueHeaders": {name: [value] for name, value in headers.items()},
                "queryStringParameters": None,
                "multiValueQueryStringParameters": None,
                "pathParameters": {"proxy": proxy} if proxy else None,
                "requestContext": {"path": base + path, "requestId": PRIME_REQUEST_ID, "stage": "prime"},
                "body": None,
                "isBase64Encoded": False,
            }
        )
        events.append(
            {
                "version": "2.0",
                "routeKey": f"ANY {resource}",
                "rawPath": base + path,
                "rawQueryString": "",
                "headers": headers,
                "pathParameters": {"proxy": proxy} if proxy else {},
                "requestContext": {
                    "http": {
                        "method": "GET",
                        "path": base + path,
                        "protocol": "HTTP/1.1",
                        "sourceIp": "127.0.0.1",
                    },
                    "requestId": PRIME_REQUEST_ID,
                    "stage": "$default",
                },
                "isBase64Encoded": False,
            }
        )
    return events


def _internal_error(request: HttpRequest, event: dict[str, Any], context: Any, culprit: str) -> Response:
    """Log the exception being handled with the request id; answer 500 naming only the id."""
    request_id = _request_id(event, context)
    logger.exception(
        "dash_lambda: the %s failed on %s %s%s (request id %s)",
        culprit,
        request.method,
        request.prefix.rstrip("/"),
        request.app_path,
        request_id,
    )
    return request.source.text_response(
        event,
        500,
        {"Content-Type": "text/plain; charset=utf-8", **_NO_STORE},
        f"Internal Server Error (request id {request_id}). The traceback is in the function's log.",
    )


def _request_id(event: dict[str, Any], context: Any) -> str:
    request_id = getattr(context, "aws_request_id", None)
    if not request_id:
        request_context = event.get("requestContext")
        if isinstance(request_context, dict):
            request_id = request_context.get("requestId")
    return str(request_id or uuid.uuid4())


def _describe_unsupported(event: dict[str, Any]) -> str:
    keys = ", ".join(sorted(map(str, event))[:12]) or "no keys"
    source = event.get("source") or event.get("eventSource")
    if source is None and isinstance(event.get("Records"), list) and event["Records"]:
        first = event["Records"][0]
        source = first.get("eventSource") if isinstance(first, dict) else None
    origin = f" from {source}" if source else ""
    return (
        f"dash_lambda handles HTTP events (API Gateway, Function URL, ALB) and warm-ups; "
        f"got an event{origin} with keys: {keys}"
    )


def _door(source_name: str) -> str:
    return "an ALB" if source_name == "alb" else "Lambda (synchronous invoke)"
