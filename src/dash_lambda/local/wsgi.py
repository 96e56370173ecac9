"""Werkzeug plumbing of the local server: the request as the client sent it, and back.

Kept apart from :mod:`.gateway`, which emulates AWS and never sees a WSGI
environ: this module turns an environ into a :class:`LocalRequest` (raw
path, query and header list, as a front door receives them) and a
:class:`LocalResponse` into exactly the headers it names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from .events import LocalRequest, LocalResponse

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]

#: The environ key the request log reads its note from (timing, size, what AWS did).
NOTE_KEY = "dash_lambda.note"
_RAW_HEADERS_KEY = "dash_lambda.raw_headers"

#: The request log, under the adapter's name: Werkzeug's own logger stays at WARNING,
#: which hides its startup lines (a "Running on" URL without the stage prefix).
request_log = logging.getLogger("dash_lambda.server.requests")


class PassThroughResponse(Response):
    """Sends the headers it is given and no others (no default Content-Type)."""

    default_mimetype = None


def send(response: LocalResponse, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
    """Answer with ``response`` as is."""
    wsgi_response = PassThroughResponse(response.body, response.status, list(response.headers))
    result: Iterable[bytes] = wsgi_response(environ, start_response)
    return result


def request_from_environ(environ: WSGIEnviron) -> LocalRequest:
    """The request as the client sent it: raw path and query, every header in order."""
    path, query = _raw_target(environ)
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


def _raw_target(environ: WSGIEnviron) -> tuple[str, str]:
    """Path and query from the request line, undecoded, as AWS receives them."""
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw_uri:
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        return path, environ.get("QUERY_STRING", "")
    split = urlsplit(raw_uri.encode("latin-1").decode("utf-8", "replace"))
    if split.scheme and split.netloc:  # absolute form: "GET http://host/path"
        return split.path or "/", split.query
    if split.netloc:  # "//x/y" was parsed as a host name
        return f"//{split.netloc}{split.path}", split.query
    return split.path, split.query


class RequestHandler(WSGIRequestHandler):
    """Keeps the raw header list (case, order, repeats) and logs timings with each request."""

    def make_environ(self) -> WSGIEnviron:
        environ: WSGIEnviron = super().make_environ()
        environ[_RAW_HEADERS_KEY] = [(k, v.replace("\r\n", "")) for k, v in self.headers.items()]
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        note = getattr(self, "environ", {}).get(NOTE_KEY)
        if note is None:
            super().log_request(code, size)
            return
        self.log("info", '"%s" %s (%s)', self.requestline, code, note)

    def log(self, type: str, message: str, *args: Any) -> None:
        """Werkzeug's request line, logged under :data:`request_log` instead of ``werkzeug``."""
        line = f"{self.address_string()} - - [{self.log_date_time_string()}] {message % args}"
        getattr(request_log, type)(line.rstrip())
