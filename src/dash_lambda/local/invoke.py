"""``dash-lambda invoke``: one Lambda event through the handler, and what the front door delivers.

The event comes from a file (``events/*.json``) or is built, by the front
door's own event builder as ``serve`` uses, from a request described on the
command line.  The report reads the response as AWS would: status, headers,
the body decoded for reading, and its size against the front door's limit.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import traceback
import zlib
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, TextIO

from ..encoding import is_text
from .events import (
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
from .targets import ServeError, load_target, make_handler

#: Characters of a text body ``invoke`` prints before truncating (``--full`` shows all).
BODY_PREVIEW_CHARS = 2000


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


def invoke_request(
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
    from ..errors import UnsupportedEventError

    try:
        raw = handler(event, LocalContext())
    except UnsupportedEventError as error:
        raise ServeError(str(error)) from None
    except Exception as error:
        # The traceback first, as Lambda logs it; then what the caller would get.
        traceback.print_exc()
        front = f"{door.description} answers 502" if door is not None else "the invocation fails"
        print(f"response: none, the handler raised {type(error).__name__}; {front}")
        return 1
    try:
        serialized = json.dumps(raw)
    except (TypeError, ValueError) as error:
        print(f"response: not JSON-serializable ({error}); Lambda would fail the invocation")
        return 1
    if as_json:
        print(serialized)
    if door is None:
        if not as_json:
            print("event: not an HTTP request (a warm-up ping?)")
            print(f"response: {json.dumps(raw, indent=2)}")
        return 0
    line = request.describe() if request is not None else describe_event(event)
    return _report_delivery(raw, len(serialized.encode("utf-8")), door, line, full=full, as_json=as_json)


def _report_delivery(raw: Any, size: int, door: FrontDoor, line: str, *, full: bool, as_json: bool) -> int:
    """What ``door`` delivers for the handler's ``raw`` answer (``as_json``: only its verdict, on stderr)."""
    try:
        response = decode_response(raw, door)
    except MalformedResponseError as error:
        print(
            f"response: malformed for {door.description}: {error}; AWS would answer 502",
            file=_report(as_json),
        )
        return 1
    if as_json:
        return 1 if size > door.response_limit or response.status >= 500 else 0
    print(f"event: {door.description}, {line}")
    _print_response(response, raw, full=full)
    too_large = _report_size(size, door)
    return 1 if too_large or response.status >= 500 else 0


def _report(as_json: bool) -> TextIO:
    """Where the report goes: standard error when standard output carries the JSON."""
    return sys.stderr if as_json else sys.stdout


def _report_size(size: int, door: FrontDoor) -> bool:
    """Print the serialized size against the front door's limit; True when it is over."""
    limit = door.response_limit
    margin = limit - size
    limit_name = f"{door.source.limit_owner}'s"
    if margin >= 0:
        print(
            f"size: {size:,} bytes serialized; {limit_name} limit is {limit:,} bytes: "
            f"{margin:,} bytes to spare ({margin / limit:.2%})"
        )
        return False
    print(
        f"size: {size:,} bytes serialized; {limit_name} limit is {limit:,} bytes: "
        f"{-margin:,} bytes OVER, AWS would answer 502"
    )
    return True


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
    if isinstance(raw, dict) and raw.get("isBase64Encoded"):
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
