"""The Lambda handler: from an event to the front door's response.

For each invocation it finds the event's source, answers what needs no Dash
(warm-ups, health, refusals, cached static files), picks the app for the
external prefix and lets apig-wsgi run it, then checks the response against
the front door's size limit.  Every failure becomes a response in the
source's shape; only a non-HTTP event raises.
"""

from __future__ import annotations

import base64
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import dash

from . import priming
from .app_errors import WATCH_KEY, Watch
from .app_errors import request_id as _request_id
from .apps import AppBuilder, open_apps
from .auth import Authorizer, BasicAuth
from .background.events import JOB_EVENT_KEY
from .config import UNSET, Settings, Unset, resolve
from .encoding import negotiate
from .errors import MalformedEventError, UnsupportedEventError
from .http_cache import not_modified
from .invocation import enter, leave
from .lambda_context import LambdaContext, LocalContext
from .limits import oversize, too_large_message
from .responses import CompressionPolicy, Encoded, Headers, call_wsgi, encode_body
from .sources import SOURCES, find_source
from .sources.base import EventSource, HttpRequest, Response
from .sources.non_http import describe_unsupported
from .static_cache import STATIC_PATH_PREFIXES, StaticResponseCache, Visit
from .static_files import StaticFiles
from .warmup import is_warmup

logger = logging.getLogger("dash_lambda")

_NO_STORE = {"Cache-Control": "no-store"}


class LambdaHandler:
    """A Lambda handler serving a Dash app or app builder; create it with :func:`make_lambda_handler`."""

    def __init__(
        self,
        app: dash.Dash | AppBuilder,
        settings: Settings,
        authorizers: Sequence[Authorizer] = (),
        sources: Sequence[EventSource] = (),
    ) -> None:
        self.settings = settings
        #: Tried in order: the caller's sources first, then the built-in ones.
        self.sources: tuple[EventSource, ...] = (*sources, *SOURCES)
        self._policy = CompressionPolicy(enabled=settings.compress, min_size=settings.compress_min_bytes)
        self._apps = open_apps(app, max_apps=settings.max_apps)
        files = StaticFiles.load(settings.static_dir) if settings.static_dir else None
        self._static = StaticResponseCache(settings.static_cache_bytes, self._policy, files)
        self._authorizers = tuple(authorizers)
        if settings.basic_auth:
            self._authorizers = (BasicAuth.from_credentials(settings.basic_auth), *authorizers)

    @property
    def static_cache_stats(self) -> dict[str, int]:
        """Counters of the static-file cache: ``hits`` (answered without the app),
        ``revalidated`` (the app's 304 let the stored bytes go), ``passed`` (the app
        answered in full), ``stored``, ``compressed`` and ``encoded`` (bodies made
        once and kept), ``exported`` (bodies taken from the precompressed export
        instead of compressed), ``evicted``; and ``bytes``, the memory it counts now."""
        return {**self._static.stats, "bytes": self._static.size}

    @property
    def built_prefixes(self) -> list[str]:
        """External prefixes whose apps are built (app mode: served), least recently used first."""
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
        """Send a first page load's requests through the handler at init (see :mod:`.priming`).

        The dynamic ones a few times; with an export (``static_dir``) also
        every static file the page loads, once: with the precompressed
        bytes at hand that costs reads, not compression, and the first
        user's page load becomes a warm one.
        """
        for _ in range(priming.ROUNDS):
            for event in priming.dynamic_events():
                if self._primed(prefix, event).get("statusCode") != 200:
                    return
        if self._static.files is None:
            return
        index = self._primed(prefix, priming.index_event())
        if index.get("statusCode") != 200:
            return
        refused: dict[str, object] = {}
        for event in priming.static_events(_text(index), prefix, self._apps.get(prefix).dash_app):
            response = self._primed(prefix, event, quiet=True)
            if response.get("statusCode") != 200:
                refused[str(event.get("rawPath") or event.get("path"))] = response.get("statusCode")
        if refused:  # the app's choice (files behind a login); its users' requests still reach it
            logger.info("dash_lambda: priming %s left out files the app did not serve: %s", prefix, refused)

    def _primed(self, prefix: str, event: dict[str, Any], *, quiet: bool = False) -> Response:
        """Serve a priming ``event`` under ``prefix``; unless ``quiet``, warn of anything but a 200."""
        source = find_source(event)
        assert source is not None
        request = source.parse(event)
        request.prefix = prefix
        response = self._serve(request, event, LocalContext(aws_request_id=priming.PRIME_REQUEST_ID))
        if response.get("statusCode") != 200 and not quiet:
            logger.warning(
                "dash_lambda: priming %s%s got %s; the rest of the page is not primed",
                prefix.rstrip("/"),
                event.get("path") or event.get("rawPath"),
                response.get("statusCode"),
            )
        return response

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            return self._answer(event, context)
        except UnsupportedEventError:
            raise
        except BaseException as error:
            return self._last_resort(event, context, error)

    def _last_resort(
        self, event: dict[str, Any], context: LambdaContext, error: BaseException
    ) -> dict[str, Any]:
        """Answer what escaped :meth:`_answer`, which is always a bug, met with crafted input or not.

        An HTTP event still gets a response in its source's shape (a 500
        naming the request id), a warm-up ping the apps built so far, and
        anything else the ``UnsupportedEventError`` it was due.  A
        ``MemoryError`` is answered like the rest: when a Lambda sandbox runs
        out of memory the runtime ends it before Python notices, so one here
        means a single oversized allocation was refused and the process is
        fine.  ``KeyboardInterrupt`` and ``SystemExit`` are answered too,
        since in Lambda they can only come from code run for the request;
        the local server runs the handler off its main thread, so Ctrl-C
        still stops it.
        """
        request_id = _request_id(event, context)
        try:
            source = find_source(event, self.sources)
            warmup = source is None and is_warmup(event)
        except Exception:
            source, warmup = None, False
        logger.error(
            "dash_lambda: failed on a %s event (request id %s): %s",
            source.name if source is not None else "non-HTTP",
            request_id,
            _name(error),
            exc_info=error,
        )
        if source is not None:
            return _error_page(source, event, request_id)
        if warmup:
            return {"warmed": self._apps.prefixes, "error": f"{_name(error)} (request id {request_id})"}
        raise UnsupportedEventError(
            "dash_lambda handles HTTP events (API Gateway, Function URL, ALB) and warm-ups; "
            "got an event it could not even describe"
        ) from error

    def _answer(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if not isinstance(event, dict):
            raise UnsupportedEventError(
                f"dash_lambda handles HTTP events; it was invoked with a {type(event).__name__}"
            )
        if JOB_EVENT_KEY in event:  # a background callback's job, sent by this function to itself
            from .background.worker import run_job_event

            return run_job_event(event, context, self._apps.get)
        for source in self.sources:  # find_source(), without its call on every request
            if source.matches(event):
                break
        else:
            if is_warmup(event):
                return {"warmed": self.warm()}
            raise UnsupportedEventError(describe_unsupported(event))
        try:
            request = source.parse(event)
        except MalformedEventError as error:
            return _bad_request(source, event, error)
        except Exception as error:
            return _unreadable(source, event, context, error)
        if self.settings.prefix:
            request.prefix = self.settings.prefix
        if request.slash_redirect is not None:
            return source.redirect_to_prefix(event, request)

        if request.app_path == self.settings.health_path:
            return source.text_response(
                event, 200, {"Content-Type": "application/json", **_NO_STORE}, '{"status":"ok"}'
            )
        for authorize in self._authorizers:
            try:
                refusal = authorize(request)
            except BaseException:
                return _internal_error(request, event, context, "authorizer")
            if refusal is not None:
                return request.source.text_response(
                    event,
                    refusal.status,
                    {"Content-Type": "text/plain; charset=utf-8", **_NO_STORE, **refusal.headers},
                    refusal.message,
                )
        return self._serve(request, event, context)

    def _serve(self, request: HttpRequest, event: dict[str, Any], context: LambdaContext) -> Response:
        source = request.source
        prefix = self.settings.prefix or request.prefix
        compressing = self._policy.enabled and request.method != "HEAD"
        coding = None
        visit = None
        static = request.method == "GET" and request.app_path.startswith(STATIC_PATH_PREFIXES)
        if static:
            if compressing:
                coding = negotiate(request.header("accept-encoding"))
            visit = self._static.visit(request, event, prefix, coding)
            if visit is not None and visit.hit is not None:
                return self._respond(request, event, prefix, 200, *visit.hit, visit=visit)
        try:
            environ = source.make_environ(request, context)
        except MalformedEventError as error:  # e.g. a lone surrogate in the query
            return _bad_request(source, event, error)
        except Exception as error:  # it reads nothing but the event
            return _unreadable(source, event, context, error)
        watch = Watch(event, context)
        environ[WATCH_KEY] = watch
        token = enter(watch)
        try:
            app = self._apps.get(prefix)
            if visit is not None:
                visit.prepare(environ)
            elif compressing and not static:
                # The header as the app gets it, its name already folded by apig-wsgi.
                accepted = environ.get("HTTP_ACCEPT_ENCODING")
                coding = negotiate(accepted) if accepted else None
            answer = call_wsgi(app.wsgi_app, environ)
        except BaseException as error:
            # SystemExit, KeyboardInterrupt and GeneratorExit too: raised by
            # the app they are bugs of the request, not signals to this process.
            logged = error is watch.exception
            return _internal_error(request, event, context, "app", watch=watch, logged=logged)
        finally:
            leave(token)
        if answer.status == 500 and watch.is_generic_500_page(answer.body):
            return _error_page(source, event, watch.request_id)
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
                size, source.response_limit, source.limit_owner, prefix.rstrip("/") + request.app_path
            )
            logger.error("dash_lambda: %s", message)
            return source.json_response(event, 500, {"message": message})
        return response


def make_lambda_handler(
    app: dash.Dash | AppBuilder,
    *,
    prefix: str | Unset | None = UNSET,
    prefixes: Iterable[str] | Unset = UNSET,
    max_apps: int | Unset = UNSET,
    compress: bool | Unset = UNSET,
    compress_min_bytes: int | Unset = UNSET,
    static_cache_mb: float | Unset = UNSET,
    health_path: str | Unset | None = UNSET,
    basic_auth: str | Unset | None = UNSET,
    authorizers: Sequence[Authorizer] = (),
    sources: Sequence[EventSource] = (),
    prime: bool | Unset = UNSET,
    static_dir: str | os.PathLike[str] | Unset | None = UNSET,
) -> LambdaHandler:
    """Wrap a Dash app, or a Dash app builder, in a Lambda handler for any HTTP front door.

    ``app`` is either

    * an existing ``dash.Dash`` app, as your module constructs it (routes at
      ``/``, the default): one app serves every external prefix, its
      ``requests_pathname_prefix`` set per request (*app mode*); or
    * a builder ``build_app(dash_kwargs)`` returning a ``dash.Dash`` built
      with ``Dash(__name__, **dash_kwargs, ...)``: the adapter passes the URL
      prefix options there and builds one app per external prefix, so what
      the app computes at construction carries the right prefix too
      (*builder mode*).

    Anything else (``app.server``, a class, a builder that cannot be called
    with one argument) raises :class:`~dash_lambda.UnsupportedAppError` here,
    naming the fix.

    Keyword arguments, each with its environment variable and its default.
    An argument passed wins; one not passed is read from its variable when
    that is set and not empty, else the default applies:

    * ``prefix`` (``DASH_LAMBDA_PREFIX``; default ``None``, detected): use this
      external prefix instead of detecting it, for setups detection cannot
      see (CloudFront in front).
    * ``prefixes`` (``DASH_LAMBDA_PREFIXES``, comma-separated; default none):
      build these apps now, in the init phase, so no request pays for building.
    * ``max_apps`` (``DASH_LAMBDA_MAX_APPS``; default 4): builder mode's apps
      kept per sandbox (LRU); it builds at most 4 times ``max_apps`` over its
      life, then serves new prefixes with an app it has (see :mod:`dash_lambda.apps`).
    * ``compress`` (``DASH_LAMBDA_COMPRESS``; default ``True``) and
      ``compress_min_bytes`` (``DASH_LAMBDA_COMPRESS_MIN_BYTES``; default 2048):
      gzip/brotli text responses.
    * ``static_cache_mb`` (``DASH_LAMBDA_STATIC_CACHE_MB``; default 64): memory
      for finished responses of bundles and assets; 0 turns it off.
    * ``health_path`` (``DASH_LAMBDA_HEALTH_PATH``, ``off`` to disable; default
      ``"/health"``, ``None`` to disable): answered with ``{"status":"ok"}``
      without building Dash.
    * ``basic_auth`` (``DASH_LAMBDA_BASIC_AUTH``; default ``None``, off):
      ``"user:password"``.
    * ``authorizers`` (no variable; default none): callables that may refuse
      a request (see :class:`Refusal`).
    * ``prime`` (``DASH_LAMBDA_PRIME``; default ``True``): after building an
      app at init (or, in app mode, for each of ``prefixes``), serve its index
      page, layout and dependencies a few times, and with ``static_dir`` every
      static file a first page load asks for once, anonymously, so the first
      user's page load is a warm one.

    * ``sources``: extra :class:`EventSource` instances for events no built-in
      front door sends; tried before the built-in ones, which stay.
    * ``static_dir`` (``DASH_LAMBDA_STATIC_DIR``, ``off`` to disable; default
      none): a ``dash-lambda export-static`` directory whose precompressed files
      the static-file cache sends instead of compressing, once the app's own
      answer shows they are its bytes (see ``dash_lambda.static_cache``); a
      directory without a readable manifest raises ``StaticFilesError`` here.

    A value that cannot be used raises :class:`~dash_lambda.ConfigError`,
    naming the argument or the variable it came from.
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
        static_dir=static_dir,
    )
    handler = LambdaHandler(app, settings, authorizers, sources)
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


def _internal_error(
    request: HttpRequest,
    event: dict[str, Any],
    context: LambdaContext,
    culprit: str,
    *,
    watch: Watch | None = None,
    logged: bool = False,
) -> Response:
    """Log the exception being handled with the request id; answer 500 naming only the id.

    ``logged``: the app's ``got_request_exception`` line already has the
    traceback (the app let the exception propagate, e.g. in debug mode).
    """
    request_id = watch.request_id if watch is not None else _request_id(event, context)
    error = sys.exc_info()[1]
    logger.error(
        "dash_lambda: the %s failed on %s %r (request id %s): %s%s",
        culprit,
        request.method,
        request.prefix.rstrip("/") + request.app_path,
        request_id,
        _name(error),
        " (traceback above)" if logged else "",
        exc_info=not logged,
    )
    return _error_page(request.source, event, request_id)


def _error_page(source: EventSource, event: dict[str, Any], request_id: str) -> Response:
    return source.text_response(
        event,
        500,
        {"Content-Type": "text/plain; charset=utf-8", **_NO_STORE},
        f"Internal Server Error (request id {request_id}). The traceback is in the function's log.",
    )


def _bad_request(source: EventSource, event: dict[str, Any], error: MalformedEventError) -> Response:
    logger.warning("dash_lambda: bad %s event: %s", source.name, error)
    return source.json_response(event, 400, {"message": f"Bad request: {error}"})


def _unreadable(
    source: EventSource, event: dict[str, Any], context: LambdaContext, error: Exception
) -> Response:
    """A 400 for an event whose parsing (or environ) failed otherwise than with MalformedEventError.

    Both read nothing but the event, so the event is at fault (a lone
    surrogate, nesting deep enough to exhaust the stack), but the source
    should have said so in words: logged as an error, with the traceback.
    """
    request_id = _request_id(event, context)
    logger.exception(
        "dash_lambda: could not read a %s event (request id %s): %s", source.name, request_id, _name(error)
    )
    return source.json_response(
        event, 400, {"message": f"Bad request: the event could not be read (request id {request_id})"}
    )


def _text(response: Response) -> str:
    """The body of an uncompressed text ``response``."""
    body = response.get("body") or ""
    return base64.b64decode(body).decode("utf-8", "replace") if response.get("isBase64Encoded") else str(body)


def _name(error: BaseException | None) -> str:
    """``Type: message``, bounded: the message of an exception about crafted input can be huge."""
    if error is None:
        return "no exception"
    try:
        text = str(error)
    except Exception:
        text = ""
    text = text if len(text) <= 200 else f"{text[:200]}…"
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # no lone surrogate reaches the log
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
