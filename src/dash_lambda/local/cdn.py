"""``dash-lambda serve --static DIR``: a CDN in front of the local gateway.

With the template's ``StaticFiles=Cdn``, CloudFront answers
``_dash-component-suites/``, ``assets/`` and the favicon from an S3 copy of
the export and sends everything else to the function.  :class:`LocalCdn`
does the same on a developer's machine: static paths under the front door's
prefix are answered from an ``export-static`` directory (the precompressed
variant the browser accepts, strong ETags and 304s, ``immutable`` for
fingerprinted URLs), and every other request, or a static path the export
lacks (CloudFront's failover to the function), goes through the Lambda
handler.

A page load starts with a navigation request and ends when no request has
been under way for ``quiet_seconds``; then one line says how many of its
requests reached the handler, the number that costs invocations on AWS.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from ..encoding import negotiate
from ..static_files import StaticFiles, StaticFilesError, etag_matches, is_cdn_path
from .targets import ServeError

logger = logging.getLogger("dash_lambda.local.cdn")

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]

#: A page load is over when no request has been under way for this long.
QUIET_SECONDS = 2.0


class PageLoads:
    """Counts the requests of each page load and reports each load once it is quiet."""

    def __init__(self, report: Callable[[str], None], quiet_seconds: float = QUIET_SECONDS) -> None:
        self._report = report
        self._quiet = quiet_seconds
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._page: str | None = None
        self._requests = self._handler = self._static = self._static_bytes = 0
        self._in_flight = 0

    def started(self, path: str, *, navigation: bool) -> None:
        """A request arrived; a navigation ends the page load before it and starts a new one."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if navigation:
                self._flush()
                self._page = path
            self._in_flight += 1
            if self._page is not None:
                self._requests += 1

    def finished(self, *, through_handler: bool, static_bytes: int = 0) -> None:
        """A request was answered, by the handler or from the export."""
        with self._lock:
            self._in_flight -= 1
            if self._page is not None:
                if through_handler:
                    self._handler += 1
                else:
                    self._static += 1
                    self._static_bytes += static_bytes
            if self._in_flight == 0 and self._page is not None:
                self._timer = threading.Timer(self._quiet, self._quiet_now)
                self._timer.daemon = True
                self._timer.start()

    def _quiet_now(self) -> None:
        with self._lock:
            if self._in_flight == 0:
                self._flush()

    def _flush(self) -> None:
        if self._page is None:
            return
        self._report(
            f"dash-lambda: page load of {self._page}: {self._requests} requests, "
            f"{self._handler} through the handler, {self._static} from the static export "
            f"({_human(self._static_bytes)})"
        )
        self._page = None
        self._requests = self._handler = self._static = self._static_bytes = 0


class LocalCdn:
    """WSGI app: static paths under ``prefix`` from ``files``, the rest from ``origin``."""

    def __init__(
        self,
        origin: WSGIApp,
        files: StaticFiles,
        prefix: str,
        *,
        note_key: str | None = None,
        quiet_seconds: float = QUIET_SECONDS,
    ) -> None:
        self.origin = origin
        self.files = files
        self.prefix = prefix
        self.page_loads = PageLoads(logger.info, quiet_seconds)
        self._note_key = note_key

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        self.page_loads.started(path, navigation=_is_navigation(environ))
        try:
            answered = self._from_export(path, environ, start_response)
        except BaseException:
            self.page_loads.finished(through_handler=False)
            raise
        if answered is not None:
            self.page_loads.finished(through_handler=False, static_bytes=sum(map(len, answered)))
            return answered
        try:
            return self.origin(environ, start_response)
        finally:
            self.page_loads.finished(through_handler=True)

    def _from_export(
        self, path: str, environ: WSGIEnviron, start_response: StartResponse
    ) -> list[bytes] | None:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD") or not path.startswith(self.prefix):
            return None
        app_path = "/" + path[len(self.prefix) :]
        if not is_cdn_path(app_path):
            return None
        answer = self.files.answer(app_path, negotiate(environ.get("HTTP_ACCEPT_ENCODING")))
        if answer is None:
            return None  # like CloudFront's failover: the function serves what the bucket lacks
        if etag_matches(environ.get("HTTP_IF_NONE_MATCH"), answer.etag):
            status, headers, body = "304 Not Modified", answer.headers(not_modified=True), b""
        else:
            status, headers, body = "200 OK", answer.headers(), answer.body
        if self._note_key:
            environ[self._note_key] = f"static export, {answer.coding or 'identity'}"
        start_response(status, headers)
        return [] if method == "HEAD" else [body]


def local_cdn(origin: WSGIApp, directory: str, prefix: str, *, note_key: str | None = None) -> LocalCdn:
    """A :class:`LocalCdn` for the export in ``directory``; a one-line ServeError if it is not one."""
    try:
        files = StaticFiles.load(directory)
    except StaticFilesError as error:
        raise ServeError(str(error)) from None
    print(
        f"dash-lambda: {len(files)} static files from {directory}, served as a CDN would; "
        "the rest goes through the handler, counted per page load",
        flush=True,
    )
    return LocalCdn(origin, files, prefix, note_key=note_key)


def _is_navigation(environ: WSGIEnviron) -> bool:
    """A browser loading a page (Fetch Metadata), or a client asking for HTML without it."""
    mode = environ.get("HTTP_SEC_FETCH_MODE")
    if mode:
        return bool(mode == "navigate")
    return environ.get("REQUEST_METHOD") == "GET" and "text/html" in environ.get("HTTP_ACCEPT", "")


def _human(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.2f} MiB"
