"""The ``dash-lambda`` command: ``serve`` a Dash app locally through the Lambda handler,
``invoke`` the handler once with an event file, or ``export-static`` the app's
static files for a CDN.

Both exist so that what runs on a developer's machine is the code path Lambda
runs, without Docker: the same handler, the same event shapes, the same
response limits.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

from .encoding import is_text
from .local.events import (
    PAYLOADS,
    FrontDoor,
    LocalContext,
    LocalRequest,
    LocalResponse,
    MalformedResponseError,
    OutsidePrefixError,
    build_event,
    decode_response,
    describe_event,
    door_for_event,
)
from .server import ServeOptions, serve
from .targets import ServeError, describe_exception, load_attribute, load_target, make_handler

#: Characters of a text body ``invoke`` prints before truncating (``--full`` shows all).
BODY_PREVIEW_CHARS = 2000


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; separate from :func:`main` so tests can check every flag."""
    parser = argparse.ArgumentParser(
        prog="dash-lambda",
        description="Run a Dash app through its AWS Lambda handler on your machine, without Docker.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_parser = commands.add_parser(
        "serve",
        help="serve the app locally; each request goes through the real Lambda handler",
        description=(
            "Serve MODULE:APP on a local port. Every browser request becomes the Lambda event "
            "the chosen front door would send, and the handler's response is sent back the way "
            "that front door would."
        ),
    )
    _add_target_arguments(serve_parser)
    _add_front_door_arguments(serve_parser, "serve")
    serve_parser.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)"
    )
    serve_parser.add_argument(
        "--port", type=int, default=8050, help="port to listen on; 0 picks a free one (default: %(default)s)"
    )
    serve_parser.add_argument(
        "--no-reload",
        dest="reload",
        action="store_false",
        help="do not restart when a Python file under --app-dir (or the library) changes",
    )
    serve_parser.add_argument(
        "--static",
        metavar="DIR",
        dest="static_dir",
        help=(
            "serve _dash-component-suites/, assets/ and the favicon from DIR (made by export-static) "
            "as a CDN would, everything else through the handler; logs handler requests per page load"
        ),
    )

    invoke_parser = commands.add_parser(
        "invoke",
        help="run one Lambda event through the handler and show the response",
        description=(
            "Invoke the handler once, as Lambda would, with EVENT (a JSON file, or - for stdin) or "
            "with the event a front door would send for a request you describe (--path, --method, "
            "--query, --header, --body, --payload, --stage, --base-path). Print the response: "
            "status, headers, the body decoded for reading, and its size against the front door's "
            "limit. Exits 1 when AWS would not deliver the response (5xx, too large, malformed)."
        ),
    )
    _add_target_arguments(invoke_parser)
    invoke_parser.add_argument(
        "event",
        metavar="EVENT",
        nargs="?",
        help="event JSON file, e.g. events/rest-stage-url.json; without it, the request below",
    )
    request = invoke_parser.add_argument_group(
        "the request (instead of EVENT)",
        "Build the event from a request, as the chosen front door would: "
        "dash-lambda invoke app:app --stage Prod --path /analytics --payload v2",
    )
    request.add_argument(
        "--path",
        help=(
            "the URL path the browser asks for (default: the prefix's root); a --stage or --base-path "
            "prefix is added when the path does not start with it"
        ),
    )
    request.add_argument("--method", help="HTTP method (default: GET, or POST with --body)")
    request.add_argument(
        "--query",
        action="append",
        default=[],
        metavar="QUERY",
        help="query string, as in the URL (a=1&b=%%20x); repeat to add parts",
    )
    request.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a request header; repeat for more",
    )
    request.add_argument(
        "--body",
        help="request body, or @FILE to read it from a file (Content-Type defaults to application/json)",
    )
    _add_front_door_arguments(request, "invoke")
    invoke_parser.add_argument("--full", action="store_true", help="print the whole body, however long")
    invoke_parser.add_argument(
        "--json", dest="as_json", action="store_true", help="print the handler's raw return value as JSON"
    )

    export_parser = commands.add_parser(
        "export-static",
        help="write the app's bundles, assets and favicon, precompressed, for a CDN",
        description=(
            "Write every file MODULE:APP_OR_BUILDER serves to anyone from _dash-component-suites/, "
            "assets/ and the favicon into DIR, byte for byte as the app serves them, with .br and .gz "
            "variants and a manifest.json. DIR mirrors the URL paths below the app's prefix."
        ),
    )
    export_parser.add_argument(
        "target",
        metavar="MODULE:APP_OR_BUILDER",
        help="the app builder (e.g. dash_app:build_app) or a dash.Dash app (e.g. app:app)",
    )
    export_parser.add_argument(
        "directory", metavar="DIR", help="where to write: an empty or new directory, or an earlier export"
    )
    export_parser.add_argument(
        "--app-dir",
        metavar="DIR",
        help="directory to import MODULE from; put first on sys.path (default: the current directory)",
    )
    export_parser.add_argument(
        "--no-compress", dest="compress", action="store_false", help="leave out the .br and .gz variants"
    )
    export_parser.add_argument(
        "--jobs", type=int, metavar="N", help="parallel compressions (default: one per CPU)"
    )
    return parser


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        metavar="MODULE:APP",
        help=(
            "the Dash app (e.g. app:app), an app builder (build_app(dash_kwargs) -> Dash, e.g. "
            "dash_app:build_app), or a handler made with make_lambda_handler (e.g. app:lambda_handler)"
        ),
    )
    parser.add_argument(
        "--app-dir",
        metavar="DIR",
        help="directory to import MODULE from; put first on sys.path (default: the current directory)",
    )


def _add_front_door_arguments(parser: argparse.ArgumentParser | Any, command: str) -> None:
    verb = "serve under" if command == "serve" else "request through"
    parser.add_argument(
        "--payload",
        choices=PAYLOADS,
        default="v1",
        help=(
            "event shape: v1 = REST API (payload 1.0, the SAM template's default), v2 = HTTP API "
            "(payload 2.0), url = Function URL, alb = ALB target group (default: v1)"
        ),
    )
    parser.add_argument(
        "--stage",
        metavar="NAME",
        help=f"{verb} /NAME/ like an API Gateway stage URL (e.g. Prod); v1 and v2 only",
    )
    parser.add_argument(
        "--base-path",
        metavar="PATH",
        help=f"{verb} /PATH/ like a custom domain's base-path mapping; v1 and v2 only",
    )
    parser.add_argument(
        "--multi-value-headers",
        action="store_true",
        help="with --payload alb: the target group has multi-value headers turned on",
    )


def _front_door(parser: argparse.ArgumentParser, args: argparse.Namespace) -> FrontDoor:
    try:
        door = FrontDoor(
            payload=args.payload,
            stage=args.stage,
            base_path=args.base_path,
            multi_value_headers=args.multi_value_headers,
        )
    except ValueError as error:
        parser.error(str(error))
    if args.multi_value_headers and args.payload != "alb":
        parser.error("--multi-value-headers is an ALB setting; use it with --payload alb")
    return door


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dash-lambda`` console script and ``python -m dash_lambda``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "export-static":
            if args.jobs is not None and args.jobs < 1:
                parser.error(f"--jobs must be at least 1, got {args.jobs}")
            return export(
                args.target, args.directory, app_dir=args.app_dir, compress=args.compress, jobs=args.jobs
            )
        door = _front_door(parser, args)
        if args.command == "serve":
            if not 0 <= args.port <= 65535:
                parser.error(f"--port must be between 0 and 65535, got {args.port}")
            options = ServeOptions(
                spec=args.target,
                front_door=door,
                app_dir=args.app_dir,
                host=args.host,
                port=args.port,
                reload=args.reload,
                static_dir=args.static_dir,
            )
            return serve(options)
        request = _invoke_request(parser, args, door)
        return invoke(
            args.target,
            args.event,
            app_dir=args.app_dir,
            full=args.full,
            as_json=args.as_json,
            request=request,
        )
    except ServeError as error:
        print(f"dash-lambda: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


# ------------------------------------------------------------------ export-static


def export(
    spec: str, directory: str, *, app_dir: str | None = None, compress: bool = True, jobs: int | None = None
) -> int:
    """Load ``spec``, export its static files into ``directory`` and print what was written."""
    from .errors import BuilderError
    from .export import ExportError, export_static

    value = load_attribute(spec, app_dir)
    try:
        result = export_static(value, directory, compress=compress, jobs=jobs)
    except (ExportError, BuilderError) as error:
        raise ServeError(f"{spec}: {error}") from None
    except OSError as error:
        raise ServeError(f"cannot write {directory}: {error}") from None
    except Exception as error:
        raise ServeError(f"{spec} raised {describe_exception(error)}") from None
    sizes = f"{result.total() / 1e6:.1f} MB"
    if compress:
        sizes += f"; {result.total('br') / 1e6:.1f} MB as brotli, {result.total('gzip') / 1e6:.1f} MB as gzip"
    print(f"dash-lambda: exported {len(result.files)} files ({sizes}) to {result.directory}")
    reasons: dict[str, int] = {}
    for skipped in result.skipped:
        reasons[skipped.reason] = reasons.get(skipped.reason, 0) + 1
    if reasons:
        listed = "; ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
        print(f"dash-lambda: left to the app: {len(result.skipped)} paths ({listed})")
    return 0


# ------------------------------------------------------------------ invoke


@dataclass(frozen=True, slots=True)
class InvokeRequest:
    """A request described on the command line, and the front door it goes through."""

    request: LocalRequest
    front_door: FrontDoor

    def describe(self) -> str:
        """``PUT /Prod/echo?a=1``: the request line, for the report."""
        query = f"?{self.request.query_string}" if self.request.query_string else ""
        return f"{self.request.method} {self.request.path}{query}"

    def event(self) -> dict[str, Any]:
        """The event the front door would send (its own event builders, as ``serve`` uses)."""
        try:
            return build_event(self.request, self.front_door)
        except OutsidePrefixError as error:
            raise ServeError(str(error)) from None


def _invoke_request(
    parser: argparse.ArgumentParser, args: argparse.Namespace, door: FrontDoor
) -> InvokeRequest | None:
    """The request the flags describe; None when an EVENT file is given instead."""
    described = [
        flag
        for flag, value in (
            ("--path", args.path),
            ("--method", args.method),
            ("--query", args.query),
            ("--header", args.header),
            ("--body", args.body),
            ("--stage", args.stage),
            ("--base-path", args.base_path),
            ("--multi-value-headers", args.multi_value_headers),
        )
        if value
    ]
    if args.payload != "v1":
        described.append("--payload")
    if args.event is not None:
        if described:
            parser.error(f"give an EVENT file or describe the request ({', '.join(described)}), not both")
        return None
    path = args.path or door.url_prefix
    if not path.startswith("/"):
        parser.error(f"--path must start with '/', got {path!r}")
    head = door.url_prefix.rstrip("/")
    if head and path != head and not path.startswith(head + "/"):
        path = head + path
    path, _, inline_query = path.partition("?")
    query = "&".join(part for part in (inline_query, *args.query) if part)
    headers: list[tuple[str, str]] = []
    for header in args.header:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            parser.error(f"--header must look like 'Name: value', got {header!r}")
        headers.append((name.strip(), value.strip()))
    body = b""
    if args.body is not None:
        body = _read_body(args.body)
    names = {name.lower() for name, _ in headers}
    defaults = [("Host", door.domain_name), ("User-Agent", "dash-lambda invoke"), ("Accept", "*/*")]
    if body:
        defaults.append(("Content-Type", "application/json"))
    headers = [(n, v) for n, v in defaults if n.lower() not in names] + headers
    method = (args.method or ("POST" if args.body is not None else "GET")).upper()
    request = LocalRequest(method, path, query, tuple(headers), body, scheme="https", server_port=443)
    return InvokeRequest(request, door)


def _read_body(value: str) -> bytes:
    if not value.startswith("@"):
        return value.encode("utf-8")
    try:
        return Path(value[1:]).read_bytes()
    except OSError as error:
        raise ServeError(f"cannot read --body file {value[1:]!r}: {error.strerror}") from None


def invoke(
    spec: str,
    event_path: str | None,
    *,
    app_dir: str | None = None,
    full: bool = False,
    as_json: bool = False,
    request: InvokeRequest | None = None,
) -> int:
    """Run one event through the handler and print what the front door would deliver.

    The event is read from ``event_path``, or built for ``request``.
    """
    if request is not None:
        event: dict[str, Any] = request.event()
        door: FrontDoor | None = request.front_door
    elif event_path is not None:
        event = _read_event(event_path)
        door = door_for_event(event)
    else:  # pragma: no cover - main always passes one
        raise ServeError("give an EVENT file or --path")
    target = load_target(spec, app_dir)
    handler = make_handler(target)
    context = LocalContext()
    from .errors import UnsupportedEventError

    try:
        raw = handler(event, context)
    except UnsupportedEventError as error:
        raise ServeError(str(error)) from None
    try:
        serialized = json.dumps(raw)
    except (TypeError, ValueError) as error:
        print(f"response: not JSON-serializable ({error}); Lambda would fail the invocation")
        return 1
    if as_json:
        print(serialized)
        return 0
    if door is None:
        print("event: not an HTTP request (a warm-up ping?)")
        print(f"response: {json.dumps(raw, indent=2)}")
        return 0
    exit_status = 0
    try:
        response = decode_response(raw, door)
    except MalformedResponseError as error:
        print(f"response: malformed for {door.description}: {error}; AWS would answer 502")
        return 1
    line = request.describe() if request is not None else describe_event(event)
    print(f"event: {door.description}, {line}")
    _print_response(response, raw, full=full)
    size = len(serialized.encode("utf-8"))
    limit = door.response_limit
    margin = limit - size
    limit_name = f"{door.source.limit_owner}'s"
    if margin >= 0:
        print(
            f"size: {size:,} bytes serialized; {limit_name} limit is {limit:,} bytes: "
            f"{margin:,} bytes to spare ({margin / limit:.2%})"
        )
    else:
        print(
            f"size: {size:,} bytes serialized; {limit_name} limit is {limit:,} bytes: "
            f"{-margin:,} bytes OVER, AWS would answer 502"
        )
        exit_status = 1
    if response.status >= 500:
        exit_status = 1
    return exit_status


def _read_event(event_path: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if event_path == "-" else Path(event_path).read_text(encoding="utf-8")
    except OSError as error:
        raise ServeError(f"cannot read event file {event_path!r}: {error.strerror}") from None
    try:
        event = json.loads(text)
    except json.JSONDecodeError as error:
        raise ServeError(f"{event_path} is not JSON: {error}") from None
    if not isinstance(event, dict):
        raise ServeError(f"{event_path} holds a JSON {type(event).__name__}; a Lambda event is an object")
    return event


def _print_response(response: LocalResponse, raw: dict[str, Any], *, full: bool) -> None:
    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:
        phrase = ""
    print(f"status: {response.status} {phrase}".rstrip())
    print("headers:")
    for name, value in response.headers:
        print(f"  {name}: {value}")
    content_type = response.header("content-type") or "no content type"
    wire = len(response.body)
    body, how = _readable_body(response)
    notes = []
    if raw.get("isBase64Encoded"):
        notes.append("base64 in the response")
    if how:
        notes.append(f"{how}-decoded from {wire:,} bytes")
    note = f" ({', '.join(notes)})" if notes else ""
    if body is None:
        print(f"body: {content_type}, {wire:,} bytes{note}; binary, not shown")
        return
    print(f"body: {content_type}, {len(body.encode('utf-8')):,} bytes{note}:")
    if full or len(body) <= BODY_PREVIEW_CHARS:
        print(body)
    else:
        print(body[:BODY_PREVIEW_CHARS])
        print(f"… ({len(body) - BODY_PREVIEW_CHARS:,} more characters; --full shows all)")


def _readable_body(response: LocalResponse) -> tuple[str | None, str]:
    """The body as text for reading, undoing Content-Encoding; None when it is binary."""
    data = response.body
    encoding = (response.header("content-encoding") or "").strip().lower()
    how = ""
    try:
        if encoding == "gzip":
            data, how = gzip.decompress(data), "gzip"
        elif encoding == "deflate":
            data, how = zlib.decompress(data), "deflate"
        elif encoding == "br":
            import brotli  # optional dependency: dash-lambda[brotli]

            data, how = brotli.decompress(data), "brotli"
    except ImportError:  # brotli not installed: cannot read it
        return None, ""
    except Exception:  # corrupt data: gzip's OSError/EOFError, zlib.error, brotli.error
        return None, ""
    content_type = (response.header("content-type") or "").lower()
    if content_type and not is_text(content_type):
        return None, how
    try:
        return data.decode("utf-8"), how
    except UnicodeDecodeError:
        return None, how


def _version() -> str:
    from . import __version__

    return __version__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
