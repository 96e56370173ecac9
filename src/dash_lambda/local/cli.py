"""The ``dash-lambda`` command: ``serve`` a Dash app locally through the Lambda handler,
``invoke`` the handler once with an event file, or ``export-static`` the app's
static files for a CDN.

Both exist so that what runs on a developer's machine is the code path Lambda
runs, without Docker: the same handler, the same event shapes, the same
response limits.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .events import PAYLOADS, FrontDoor
from .gateway import API_GATEWAY_TIMEOUT_S
from .invoke import invoke, invoke_request
from .server import ServeOptions, serve
from .targets import ServeError, describe_exception, load_attribute


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; separate from :func:`main` so tests can check every flag."""
    parser = argparse.ArgumentParser(
        prog="dash-lambda",
        description="Run a Dash app through its AWS Lambda handler on your machine, without Docker.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_serve_command(commands)
    _add_invoke_command(commands)
    _add_export_command(commands)
    return parser


def _add_serve_command(commands: Any) -> None:
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
        "--port",
        type=int,
        default=8050,
        help="port to listen on; with --no-reload, 0 picks a free one (default: %(default)s)",
    )
    serve_parser.add_argument(
        "--no-reload",
        dest="reload",
        action="store_false",
        help="do not restart when a Python file under --app-dir (or the library) changes",
    )
    serve_parser.add_argument(
        "--gateway-timeout",
        type=float,
        default=API_GATEWAY_TIMEOUT_S,
        metavar="SECONDS",
        help=(
            "answer 504, as API Gateway does, for a request the handler took longer than this on "
            "(REST and HTTP APIs; 0 turns it off, e.g. to step through a callback in a debugger; "
            "default: %(default)g)"
        ),
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


def _add_invoke_command(commands: Any) -> None:
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
    _add_request_arguments(request)
    _add_front_door_arguments(request, "invoke")
    invoke_parser.add_argument("--full", action="store_true", help="print the whole body, however long")
    invoke_parser.add_argument(
        "--json", dest="as_json", action="store_true", help="print the handler's raw return value as JSON"
    )


def _add_request_arguments(request: Any) -> None:
    """``--path``, ``--method``, ``--query``, ``--header``, ``--body``: the request ``invoke`` sends."""
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


def _add_export_command(commands: Any) -> None:
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
                gateway_timeout_s=args.gateway_timeout or None,
            )
            return serve(options)
        request = invoke_request(parser, args, door)
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
    from ..errors import BuilderError
    from ..export import ExportError, export_static

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


def _version() -> str:
    from .. import __version__

    return __version__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
