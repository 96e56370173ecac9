"""``dash-lambda serve``: a local HTTP server in front of the real Lambda handler.

``sam local start-api`` needs Docker and sends an event shape API Gateway
never sends (aws-sam-cli #1483).  This server needs neither: each browser
request goes through :class:`~.gateway.LocalGateway`, which plays the AWS
front door in front of the very handler Lambda will run.

Werkzeug's development server does the HTTP work, threaded, and restarts
the app with its stat reloader the way ``flask run`` does: the first
process loads the app once (so a broken start fails in one line) and binds
the port (Werkzeug reports a port in use); a child process serves and is
replaced when a watched file changes.  A child whose app fails to load
shows the error in the browser and the console until the next save.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from werkzeug.serving import is_running_from_reloader, make_server, run_simple

from ..background.invokers import ThreadInvoker, set_default_invoker
from .events import FrontDoor, LocalContext, LocalRequest
from .gateway import API_GATEWAY_TIMEOUT_S, LocalGateway
from .targets import ServeError, describe_exception, load_target, make_handler, resolve_app_dir
from .wsgi import NOTE_KEY, RequestHandler, StartResponse, WSGIApp, WSGIEnviron

#: Werkzeug listens with a backlog of 128; a burst of new connections beyond it
#: waits a full second for the SYN retry, so the server without reloader asks for more.
LISTEN_BACKLOG = 1024


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What ``dash-lambda serve`` was asked to do."""

    spec: str
    front_door: FrontDoor
    app_dir: str | None = None
    host: str = "127.0.0.1"
    port: int = 8050
    reload: bool = True
    #: An ``export-static`` directory served as a CDN would (see :mod:`dash_lambda.local.cdn`).
    static_dir: str | None = None
    #: API Gateway's 504 after this many seconds (``None``: a warning only).
    gateway_timeout_s: float | None = API_GATEWAY_TIMEOUT_S


def serve(options: ServeOptions) -> int:
    """Run the local server until interrupted; returns the exit status."""
    _configure_logging()
    try:
        if not options.reload:
            return _serve_once(options)
        if is_running_from_reloader():
            return _serve_child(options)
        return _serve_parent(options)
    except SystemExit as stop:  # Werkzeug's exit after its own message (a port in use)
        return stop.code if isinstance(stop.code, int) else 1


def _serve_once(options: ServeOptions) -> int:
    """Without the reloader: bind first (port 0 picks a free port), then load, so the URL answers."""
    dispatcher = _Dispatcher()
    server = make_server(
        options.host, options.port, dispatcher, threaded=True, request_handler=RequestHandler
    )
    try:
        server.socket.listen(LISTEN_BACKLOG)
        started = time.perf_counter()
        dispatcher.app = load_app(options, server.port)
        _announce_start(options, time.perf_counter() - started)
        _announce_url(options, server.port)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _serve_parent(options: ServeOptions) -> int:
    """The reloader's first process: check the app loads, then let Werkzeug bind and spawn children."""
    if options.port == 0:
        raise ServeError("--port 0 picks a free port only with --no-reload; give a port number")
    started = time.perf_counter()
    load_app(options, options.port)
    _announce_start(options, time.perf_counter() - started)
    _run_reloading(options, _placeholder_app)
    return 0


def _serve_child(options: ServeOptions) -> int:
    """A reloader child: load the app (or an error page) and serve on the socket Werkzeug passed down."""
    started = time.perf_counter()
    try:
        app = load_app(options, options.port)
    except ServeError as error:
        print(f"dash-lambda: error: {error}", file=sys.stderr, flush=True)
        print("dash-lambda: fix it and save; the server reloads", file=sys.stderr, flush=True)
        app = _error_app(str(error))
    else:
        print(f"dash-lambda: server process ready in {time.perf_counter() - started:.1f} s", flush=True)
        _announce_url(options, options.port)
    _run_reloading(options, app)
    return 0


def _run_reloading(options: ServeOptions, app: WSGIApp) -> None:
    run_simple(
        options.host,
        options.port,
        app,
        use_reloader=True,
        reloader_type="stat",
        extra_files=_asset_files(options.app_dir),
        threaded=True,
        request_handler=RequestHandler,
    )


def _announce_start(options: ServeOptions, elapsed: float) -> None:
    print(
        f"dash-lambda: {options.spec} loaded and built in {elapsed:.1f} s, served through the Lambda "
        f"handler as {options.front_door.description}",
        flush=True,
    )


def _announce_url(options: ServeOptions, port: int) -> None:
    """The URL to open, with the front door's prefix (Werkzeug's own "Running on" omits it)."""
    url = f"http://{_url_host(options.host)}:{port}{options.front_door.url_prefix}"
    reload_note = "reloads on code changes" if options.reload else "no auto-reload"
    print(f"dash-lambda: open {url}  (Ctrl+C to stop; {reload_note})", flush=True)


def _asset_files(app_dir: str | os.PathLike[str] | None) -> list[str]:
    """Files under the app's ``assets/``, watched too: the handler caches them like a sandbox does."""
    assets = resolve_app_dir(app_dir) / "assets"
    return [str(path) for path in assets.rglob("*") if path.is_file()] if assets.is_dir() else []


def load_app(options: ServeOptions, port: int) -> WSGIApp:
    """The gateway for ``options`` (behind the local CDN with ``--static``), self-checked."""
    gateway: WSGIApp = build_gateway(options, port)
    if options.static_dir:
        from .cdn import local_cdn

        prefix = options.front_door.url_prefix
        gateway = local_cdn(gateway, options.static_dir, prefix, note_key=NOTE_KEY)
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
    gateway = LocalGateway(handler, options.front_door, gateway_timeout_s=options.gateway_timeout_s)
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


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _placeholder_app(environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
    """Answers while the app loads; the reloader's first process never serves."""
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
        environ[NOTE_KEY] = "app failed to load"
        start_response("500 Internal Server Error", [("Content-Type", "text/html; charset=utf-8")])
        return [page]

    return app


def _configure_logging() -> None:
    """Show the adapter's INFO lines and its request log; Werkzeug's own logger only from WARNING.

    Werkzeug's INFO lines are its startup banner ("Running on" a URL without
    the stage prefix, which gets API Gateway's 403) and the reloader's
    chatter; the request log goes through :data:`.wsgi.request_log` instead.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if logging.getLogger("dash_lambda").level == logging.NOTSET:
        logging.getLogger("dash_lambda").setLevel(logging.INFO)
    if logging.getLogger("werkzeug").level == logging.NOTSET:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
