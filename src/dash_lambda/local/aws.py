"""What AWS answers instead of the function, and the page a browser gets outside the prefix.

The gateway decides *when* AWS would step in; this module says *what* it
sends then, in the exact bodies API Gateway, a Function URL and an ALB use.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable

from .events import FrontDoor, LocalRequest, LocalResponse


def aws_error(status: int, message: str) -> LocalResponse:
    """AWS's own JSON error answer, ``{"message": ...}``."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode("utf-8")
    return LocalResponse(status, (("Content-Type", "application/json"),), body)


def door_short(door: FrontDoor) -> str:
    """The AWS service in front of the function, for log lines."""
    return door.source.gateway


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.2f} MiB"


def outside_page(
    request: LocalRequest,
    answer: LocalResponse,
    door: FrontDoor,
    exists_inside: Callable[[LocalRequest], bool],
) -> LocalResponse | None:
    """For a browser, AWS's answer outside the prefix as a page that says what to open or fix.

    Only ``Accept: text/html`` requests (a page the user opened) get it,
    with AWS's status; scripts, images and API clients keep AWS's exact
    answer.  When the same path exists under the prefix (``exists_inside``
    asks the app), the URL was most likely written into the app without it,
    and the page names the functions that add it.
    """
    if "text/html" not in (request.header("accept") or ""):
        return None
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
        exists = exists_inside(probe)
    lines = [
        f"<h1>{html.escape(request.path)} is outside {html.escape(door.url_prefix)}</h1>",
        f"<p>Through {html.escape(door.description)} every URL of the app starts with "
        f"<code>{html.escape(door.url_prefix)}</code>; {door_short(door)} answers "
        f"{answer.status} here without invoking the function.</p>",
        _fix_line(request, link) if exists else f"<p>Open {link}.</p>",
    ]
    body = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Outside '
        f"{html.escape(door.url_prefix)}</title></head><body>{''.join(lines)}</body></html>"
    )
    return LocalResponse(answer.status, (("Content-Type", "text/html; charset=utf-8"),), body.encode())


def _fix_line(request: LocalRequest, link: str) -> str:
    """The path exists under the prefix: name the function that writes it with the prefix."""
    path = html.escape(request.path)
    assets = "/assets/"
    fix = (
        f'<code>app.get_asset_url("{html.escape(request.path[len(assets) :])}")</code>'
        if request.path.startswith(assets)
        else f'<code>dash.get_relative_path("{path}")</code>'
    )
    referer = request.header("referer")
    source = f" (the link was on {html.escape(referer)})" if referer else ""
    return (
        f"<p>{link} exists: a link or address in the app leaves out the prefix{source}. "
        f"Write it as {fix}, which carries the prefix wherever the app is served.</p>"
    )
