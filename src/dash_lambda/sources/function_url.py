"""Lambda Function URL events: payload 2.0 without stages or routes.

A Function URL is the function's own HTTPS endpoint: the event is an HTTP
API's, but ``rawPath`` keeps the browser's percent-encoding, there is never
a prefix, and ``requestContext.domainName`` ends in ``.lambda-url.{region}.on.aws``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .http_api import PayloadV2Source

if TYPE_CHECKING:
    from .emulation import FrontDoor


class FunctionUrlSource(PayloadV2Source):
    """Function URL events (payload 2.0 on a ``*.lambda-url.*`` domain)."""

    name = "url"
    title = "Function URL (payload 2.0)"
    gateway = "the Function URL"
    has_prefix = False
    gateway_timeout = False
    request_id_header = None
    function_url = True

    def local_domain(self, door: FrontDoor) -> str:
        return f"{door.api_id}.lambda-url.{door.region}.on.aws"
