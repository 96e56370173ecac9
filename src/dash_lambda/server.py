"""``dash-lambda serve``: a local HTTP server in front of the real Lambda handler.

``sam local start-api`` needs Docker and sends an event shape API Gateway
never sends (aws-sam-cli #1483).  This server needs neither: each browser
request becomes the event the chosen front door would send
(:mod:`dash_lambda.local.events`), goes through the very ``LambdaHandler``
Lambda will run, and the proxy response is turned back into HTTP the way the
front door would (base64 decoded, ``cookies`` and ``multiValueHeaders``
restored, malformed and oversized responses answered with AWS's 502).

Werkzeug's development server does the HTTP work, threaded and with its
stat reloader.  Handler calls are serialized: a Lambda sandbox never runs two
invocations at once, so code that is correct on Lambda must not fail here
because two browser requests overlapped.
"""

from __future__ import annotations

import errno
import html
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server, run_simple
from werkzeug.wrappers import Request, Response

from .background.invokers import ThreadInvoker, set_default_invoker
from .local.events import (
    LAMBDA_REQUEST_LIMIT,
    FrontDoor,
    LocalContext,
    LocalRequest,
    LocalResponse,
    MalformedResponseError,
    OutsidePrefixError,
    build_event,
    decode_response,
)
from .targets import (
    Handler,
    ServeError,
    describe_exception,
    load_target,
    make_handler,
    parse_spec,
    resolve_app_dir,
)

logger = logging.getLogger("dash_lambda.server")

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]

#: API Gateway gives up on an integration after 29 s (REST default, HTTP API maximum).
API_GATEWAY_TIMEOUT_S = 29.0
#: Werkzeug listens with a backlog of 128; a burst of new connections beyond it
#: waits a full second for the SYN retry, so the local server asks for more.
LISTEN_BACKLOG = 1024
#: Set in the reloader's children to a file that exists once the app has loaded once.
_STARTED_MARKER_ENV = "DASH_LAMBDA_SERVE_STARTED"
_RAW_HEADERS_KEY = "dash_lambda.raw_headers"
_NOTE_KEY = "dash_lambda.note"


# ----------------------------------------------------------------- gateway


class LocalGateway:
    """A WSGI app playing the AWS front door: HTTP → event → handler → HTTP.

    Everything AWS answers without the function (paths outside the stage,
    oversized requests) or instead of the function's answer (malformed or
    oversized responses, an exception escaping the handler) is answered the
    same way here, with a log line saying what AWS would have done and why.
    """

    def __init__(
        self,
        handler: Handler,
        front_door: FrontDoor,
        *,
        function_timeout_s: float = 30.0,
        gateway_timeout_s: float | None = None,
    ) -> None:
        self.handler = handler
        self.front_door = front_door
        self.function_timeout_s = function_timeout_s
        #: When set, API Gateway's 504 for a handler slower than this (AWS: 29 s REST, 30 s HTTP API).
        self.gateway_timeout_s = gateway_timeout_s
        self._lock = threading.Lock()
        self._explained_outside = False

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        request = request_from_environ(environ)
        response, note = self.invoke(request)
        environ[_NOTE_KEY] = note
        headers = list(response.headers)
        default_type = self.front_door.source.default_content_type
        if default_type is not None and response.header("content-type") is None:
            # A REST API labels a response without Content-Type as JSON.
            headers.append(("Content-Type", default_type))
        wsgi_response = _PassThroughResponse(response.body, response.status, headers)
        result: Iterable[bytes] = wsgi_response(environ, start_response)
        return result

    def invoke(self, request: LocalRequest) -> tuple[LocalResponse, str]:
        """Run ``request`` through the front door and the handler: (response, log note)."""
        door = self.front_door
        try:
            event = build_event(request, door)
        except OutsidePrefixError as outside:
            if not self._explained_outside:
                # Explained once; after that the request log line says it.
                self._explained_outside = True
                host = request.header("host")
                where = f"{request.scheme}://{host}{door.url_prefix}" if host else door.url_prefix
                logger.warning(
                    "dash-lambda: %s %s is outside %s, so %s answers %d without invoking the function; "
                    "open %s",
                    request.method,
                    request.path,
                    door.url_prefix,
                    door.source.gateway,
                    outside.response.status,
                    where,
                )
            page = self._outside_page(request, outside.response)
            if page is not None:
                return page, f"outside {door.url_prefix}, answered by the front door (a page for the browser)"
            return outside.response, f"outside {door.url_prefix}, answered by the front door"
        event_bytes = len(json.dumps(event))
        if event_bytes > LAMBDA_REQUEST_LIMIT:
            logger.error(
                "dash-lambda: the event for %s %s is %d bytes; Lambda accepts at most %d",
                request.method,
                request.path,
                event_bytes,
                LAMBDA_REQUEST_LIMIT,
            )
            return _aws_error(413, "Request Too Long"), "request too large"

        context = LocalContext(timeout_seconds=self.function_timeout_s)
        try:
            with self._lock:
                # Timed inside the lock: the invocation's own duration, as Lambda would bill it.
                started = time.perf_counter()
                raw = self.handler(event, context)
                elapsed = time.perf_counter() - started
        except Exception:
            logger.exception(
                "dash-lambda: the handler raised for %s %s; Lambda reports the invocation as failed "
                "and %s answers 502",
                request.method,
                request.path,
                _door_short(door),
            )
            return _aws_error(502, "Internal server error"), "handler raised"
        timeout = self.gateway_timeout_s
        if timeout is not None and elapsed > timeout and door.source.gateway_timeout:
            logger.warning(
                "dash-lambda: %s %s took %.1f s; API Gateway gave up after %.0f s and answered 504",
                request.method,
                request.path,
                elapsed,
                timeout,
            )
            return _aws_error(504, "Endpoint request timed out"), "gateway timeout"
        if elapsed > API_GATEWAY_TIMEOUT_S and door.source.gateway_timeout:
            logger.warning(
                "dash-lambda: %s %s took %.1f s; API Gateway gives up after %.0f s and answers 504",
                request.method,
                request.path,
                elapsed,
                API_GATEWAY_TIMEOUT_S,
            )
        try:
            size = len(json.dumps(raw).encode("utf-8"))
        except (TypeError, ValueError) as error:
            logger.error(
                "dash-lambda: the response to %s %s is not JSON-serializable (%s); Lambda fails "
                "the invocation and %s answers 502",
                request.method,
                request.path,
                error,
                _door_short(door),
            )
            return _aws_error(502, "Internal server error"), "response not JSON"
        if size > door.response_limit:
            logger.error(
                "dash-lambda: the response to %s %s is %d bytes serialized; %s accepts %d, so "
                "AWS answers 502. Enable compression or serve large files from a CDN.",
                request.method,
                request.path,
                size,
                _door_short(door),
                door.response_limit,
            )
            return _aws_error(502, "Internal server error"), "response too large"
        try:
            response = decode_response(raw, door)
        except MalformedResponseError as error:
            logger.error(
                "dash-lambda: malformed Lambda proxy response to %s %s: %s; %s answers 502",
                request.method,
                request.path,
                error,
                _door_short(door),
            )
            return _aws_error(502, "Internal server error"), "malformed response"
        request_id = event.get("requestContext", {}).get("requestId")
        header = door.source.request_id_header
        if request_id and header is not None:
            response = LocalResponse(
                response.status, (*response.headers, (header, request_id)), response.body
            )
        return response, f"{elapsed * 1000:.0f} ms, {_human_size(size)} serialized"


    def _outside_page(self, request: LocalRequest, answer: LocalResponse) -> LocalResponse | None:
        """For a browser, AWS's answer outside the prefix as a page that says what to open or fix.

        Only ``Accept: text/html`` requests (a page the user opened) get it,
        with AWS's status; scripts, images and API clients keep AWS's exact
        answer.  When the same path exists under the prefix, the URL was
        most likely written into the app without it, and the page names the
        functions that add it.
        """
        if "text/html" not in (request.header("accept") or ""):
            return None
        door = self.front_door
        inside = door.url_prefix + request.path.lstrip("/")
        query = f"?{request.query_string}" if request.query_string else ""
        host = request.header("host")
        url = f"{request.scheme}://{host}{inside}{query}" if host else inside + query
        link = f'<a href="{html.escape(url)}">{html.escape(url)}</a>'
        exists = False
        if request.path != "/" and request.method in ("GET", "HEAD"):
            probe = LocalRequest(
                "GET", inside, request.query_string, request.headers, b"", request.client_addr,
                request.scheme, request.server_port,
            )  # fmt: skip
            exists = self.invoke(probe)[0].status < 400
        path = html.escape(request.path)
        lines = [
            f"<h1>{path} is outside {html.escape(door.url_prefix)}</h1>",
            f"<p>Through {html.escape(door.description)} every URL of the app starts with "
            f"<code>{html.escape(door.url_prefix)}</code>; {_door_short(door)} answers "
            f"{answer.status} here without invoking the function.</p>",
        ]
        if exists:
            assets = "/assets/"
            fix = (
                f'<code>app.get_asset_url("{html.escape(request.path[len(assets) :])}")</code>'
                if request.path.startswith(assets)
                else f'<code>dash.get_relative_path("{path}")</code>'
            )
            referer = request.header("referer")
            source = f" (the link was on {html.escape(referer)})" if referer else ""
            lines.append(
                f"<p>{link} exists: a link or address in the app leaves out the prefix{source}. "
                f"Write it as {fix}, which carries the prefix wherever the app is served.</p>"
            )
        else:
            lines.append(f"<p>Open {link}.</p>")
        body = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Outside '
            f"{html.escape(door.url_prefix)}</title></head><body>{''.join(lines)}</body></html>"
        )
        return LocalResponse(answer.status, (("Content-Type", "text/html; charset=utf-8"),), body.encode())


class _PassThroughResponse(Response):
    """Sends the headers it is given and no others (no default Content-Type)."""

    default_mimetype = None


def _aws_error(status: int, message: str) -> LocalResponse:
    body = json.dumps({"message": message}, separators=(",", ":")).encode("utf-8")
    return LocalResponse(status, (("Content-Type", "application/json"),), body)


def _door_short(door: FrontDoor) -> str:
    return door.source.gateway


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.2f} MiB"


def request_from_environ(environ: WSGIEnviron) -> LocalRequest:
    """The request as the client sent it: raw path and query, every header in order."""
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw_uri:
        split = urlsplit(raw_uri.encode("latin-1").decode("utf-8", "replace"))
        if split.scheme and split.netloc:  # absolute form: "GET http://host/path"
            path = split.path or "/"
        elif split.netloc:  # "//x/y" was parsed as a host name
            path = f"//{split.netloc}{split.path}"
        else:
            path = split.path
        query = split.query
    else:
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        query = environ.get("QUERY_STRING", "")
    raw_headers = environ.get(_RAW_HEADERS_KEY)
    if raw_headers is None:
        raw_headers = [
            (key[5:].replace("_", "-").title(), value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        ]
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                raw_headers.append((key.replace("_", "-").title(), environ[key]))
    body = Request(environ).get_data(cache=False)
    port = int(environ.get("SERVER_PORT") or 80)
    return LocalRequest(
        method=environ.get("REQUEST_METHOD", "GET"),
        path=path or "/",
        query_string=query,
        headers=tuple(raw_headers),
        body=body,
        client_addr=environ.get("REMOTE_ADDR") or "127.0.0.1",
        scheme=environ.get("wsgi.url_scheme", "http"),
        server_port=port,
    )


class _RequestHandler(WSGIRequestHandler):
    """Keeps the raw header list (case, order, repeats) and logs timings with each request."""

    def make_environ(self) -> WSGIEnviron:
        environ: WSGIEnviron = super().make_environ()
        environ[_RAW_HEADERS_KEY] = [(k, v.replace("\r\n", "")) for k, v in self.headers.items()]
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        note = getattr(self, "environ", {}).get(_NOTE_KEY)
        if note is None:
            super().log_request(code, size)
            return
        self.log("info", '"%s" %s (%s)', self.requestline, code, note)


class _StartupFilter(logging.Filter):
    """Drops Werkzeug's startup lines.

    Its "Running on http://host:port" omits the stage prefix, and a newcomer
    who clicks it gets API Gateway's 403; our own line names the right URL.
    "Restarting with stat" precedes every start and says nothing to a user.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(text in message for text in ("Running on", "Press CTRL+C", "Restarting with"))


# ------------------------------------------------------------------- serve


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What ``dash-lambda serve`` was asked to do."""

    spec: str
    front_door: FrontDoor
    app_dir: str | None = None
    host: str = "127.0.0.1"
    port: int = 8050
    reload: bool = True
    #: An ``export-static`` directory served as a CDN would (see :mod:`dash_lambda.local_cdn`).
    static_dir: str | None = None


def serve(options: ServeOptions) -> int:
    """Run the local server until interrupted; returns the exit status.

    With ``reload`` Werkzeug's reloader runs the server in a child process and
    restarts it when a watched file changes.  The first start must succeed
    (a bad ``MODULE:BUILDER`` exits with one line); after that, an edit that
    breaks the app shows the error in the browser and the console and the
    reloader waits for the next save.
    """
    _configure_logging()
    in_reloader_child = os.environ.get("WERKZEUG_RUN_MAIN") == "true"
    if options.reload and not in_reloader_child:
        # Fail fast on what needs no import; the child process imports the app.
        parse_spec(options.spec)
        resolve_app_dir(options.app_dir)
        port = check_port(options.host, options.port)
        marker_dir = tempfile.mkdtemp(prefix="dash-lambda-")
        os.environ[_STARTED_MARKER_ENV] = os.path.join(marker_dir, "started")
        try:
            run_simple(
                options.host,
                port,
                _placeholder_app,
                use_reloader=True,
                reloader_type="stat",
                threaded=True,
                request_handler=_RequestHandler,
            )
        except SystemExit as stop:
            return stop.code if isinstance(stop.code, int) else 1
        finally:
            shutil.rmtree(marker_dir, ignore_errors=True)
        return 0

    if in_reloader_child:
        # The reloader's parent bound the socket and passed it down: it is listening already.
        port = _inherited_port() or options.port
        app = _load_app(options, port, in_reloader_child=True)
        run_simple(
            options.host,
            port,
            app,
            use_reloader=True,
            reloader_type="stat",
            extra_files=_asset_files(options.app_dir),
            threaded=True,
            request_handler=_RequestHandler,
        )
        return 0

    # Without the reloader: bind first (port 0 picks a free port), then load,
    # so the announced URL answers at once.
    if options.port:
        check_port(options.host, options.port)
    dispatcher = _Dispatcher()
    server = make_server(
        options.host, options.port, dispatcher, threaded=True, request_handler=_RequestHandler
    )
    try:
        server.socket.listen(LISTEN_BACKLOG)
        dispatcher.app = _load_app(options, server.port, in_reloader_child=False)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _asset_files(app_dir: str | os.PathLike[str] | None) -> list[str]:
    """Files under the app's ``assets/``, watched too: the handler caches them like a sandbox does."""
    assets = resolve_app_dir(app_dir) / "assets"
    return [str(path) for path in assets.rglob("*") if path.is_file()] if assets.is_dir() else []


def _load_app(options: ServeOptions, port: int, *, in_reloader_child: bool) -> WSGIApp:
    """Build the gateway and announce its URL; in a reloaded child, fall back to an error page."""
    marker = os.environ.get(_STARTED_MARKER_ENV) if in_reloader_child else None
    reloaded = bool(marker and os.path.exists(marker))
    started = time.perf_counter()
    try:
        gateway: WSGIApp = build_gateway(options, port)
        if options.static_dir:
            from .local_cdn import local_cdn

            prefix = options.front_door.url_prefix
            gateway = local_cdn(gateway, options.static_dir, prefix, note_key=_NOTE_KEY)
    except ServeError as error:
        if not reloaded:
            raise
        print(f"dash-lambda: error: {error}", file=sys.stderr, flush=True)
        print("dash-lambda: fix it and save; the server reloads", file=sys.stderr, flush=True)
        return _error_app(str(error))
    elapsed = time.perf_counter() - started
    url = f"http://{_url_host(options.host)}:{port}{options.front_door.url_prefix}"
    if reloaded:
        print(f"dash-lambda: reloaded in {elapsed:.1f} s; open {url}", flush=True)
    else:
        print(
            f"dash-lambda: {options.spec} loaded and built in {elapsed:.1f} s, served through the Lambda "
            f"handler as {options.front_door.description}",
            flush=True,
        )
        reload_note = "reloads on code changes" if options.reload else "no auto-reload"
        print(f"dash-lambda: open {url}  (Ctrl+C to stop; {reload_note})", flush=True)
    if marker:
        Path(marker).touch()
    return gateway


class _Dispatcher:
    """The server's WSGI app until (and after) the real one is loaded."""

    def __init__(self) -> None:
        self.app: WSGIApp = _placeholder_app

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        return self.app(environ, start_response)


def build_gateway(options: ServeOptions, port: int) -> LocalGateway:
    """Load the target, make its handler and check that the front page answers."""
    target = load_target(options.spec, options.app_dir)
    handler = make_handler(target, [options.front_door.url_prefix])
    # Background-callback jobs go through the same handler on threads of
    # their own, as Lambda would run them in other sandboxes.
    set_default_invoker(ThreadInvoker(handler, context_factory=lambda: LocalContext(timeout_seconds=900)))
    gateway = LocalGateway(handler, options.front_door)
    self_check(gateway, options.spec, options.host, port)
    return gateway


def self_check(gateway: LocalGateway, spec: str, host: str, port: int) -> None:
    """Serve the front page once before announcing the URL.

    This builds the app of a handler served as is (``app:lambda_handler``),
    so a builder that raises is reported here, in one line, and the first
    browser request is a warm one.
    """
    prefix = gateway.front_door.url_prefix
    request = LocalRequest(
        "GET",
        prefix,
        headers=(
            ("Host", f"{_url_host(host)}:{port}"),
            ("Accept", "text/html"),
            ("User-Agent", "dash-lambda"),
        ),
        server_port=port,
    )
    with _capture_errors("dash_lambda") as errors:
        response, _ = gateway.invoke(request)
    if response.status < 500:
        return
    for error in errors:
        raise ServeError(f"{spec} failed to serve GET {prefix}: {describe_exception(error)}")
    first_line = response.body.decode("utf-8", "replace").strip().splitlines()[:1]
    detail = f": {first_line[0][:200]}" if first_line else ""
    raise ServeError(f"{spec} answered GET {prefix} with {response.status}{detail}")


@contextmanager
def _capture_errors(name: str) -> Iterator[list[BaseException]]:
    """Collect exceptions logged under logger ``name`` instead of printing their tracebacks."""
    errors: list[BaseException] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info and record.exc_info[1] is not None:
                errors.append(record.exc_info[1])

    target = logging.getLogger(name)
    collector = Collect(logging.ERROR)
    propagate = target.propagate
    target.addHandler(collector)
    target.propagate = False
    try:
        yield errors
    finally:
        target.removeHandler(collector)
        target.propagate = propagate


def check_port(host: str, port: int) -> int:
    """Return ``port`` if it can be bound on ``host`` (a free one for 0), else a one-line ServeError."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ServeError(f"cannot listen on host {host!r}: {error.strerror}") from None
    family, _, _, _, address = infos[0]
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)
        chosen: int = probe.getsockname()[1]
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {port} on {host} is already in use (another dash-lambda serve?); "
                f"stop that program or pick another port with --port {port + 1}"
            ) from None
        if error.errno == errno.EACCES:
            raise ServeError(f"no permission to listen on port {port}; use a port above 1023") from None
        raise ServeError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    finally:
        probe.close()
    return chosen


def _inherited_port() -> int | None:
    """The port of the socket Werkzeug's reloader parent bound and passed down.

    Also raises that socket's listen backlog, as for the server without reloader.
    """
    fd = os.environ.get("WERKZEUG_SERVER_FD")
    if not fd:
        return None
    try:
        with socket.socket(fileno=os.dup(int(fd))) as sock:
            sock.listen(LISTEN_BACKLOG)
            port: int = sock.getsockname()[1]
            return port
    except (OSError, ValueError):
        return None


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _placeholder_app(environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
    """The reloader's parent binds the socket but never serves; its children do."""
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def _error_app(message: str) -> WSGIApp:
    """Answers every request with the load error until the reloader restarts us."""
    from html import escape

    page = (
        "<!doctype html><title>dash-lambda: error</title>"
        "<h1>The app failed to load</h1>"
        f"<pre>{escape(message)}</pre><p>Fix it and save; the server reloads.</p>"
    ).encode()

    def app(environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        environ[_NOTE_KEY] = "app failed to load"
        start_response("500 Internal Server Error", [("Content-Type", "text/html; charset=utf-8")])
        return [page]

    return app


def _configure_logging() -> None:
    """Show the adapter's INFO lines and Werkzeug's request log, without its startup banner."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
    for name in ("dash_lambda", "werkzeug"):
        if logging.getLogger(name).level == logging.NOTSET:
            logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("werkzeug").addFilter(_StartupFilter())
