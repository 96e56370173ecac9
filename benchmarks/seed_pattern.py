"""The reference contender: the seed article's handler (shared/seeds/003_*.txt).

apig-wsgi's ``make_lambda_handler(app.server, binary_support=True)`` with one
``functools.lru_cache``d app per URL prefix; the prefix is the stage when the
raw path starts with it.  Two changes, both named where they are made:

* the article reads ``event["path"]`` eagerly (the default argument of a
  ``dict.get``), which raises ``KeyError`` on payload 2.0 events; here
  ``rawPath`` stands in for it, the smallest change that lets it serve them;
* ``before_build`` runs before each app is built.  The benchmark passes a
  hook that lets this second app in the process see the sample app's
  module-level ``dash.callback`` registrations, which dash_lambda's apps
  (built first) took; in a real function the seed's app is the only one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import dash
from apig_wsgi import make_lambda_handler

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def make_seed_handler(
    build_app: Callable[..., dash.Dash], before_build: Callable[[], object] = lambda: None
) -> Handler:
    @functools.lru_cache(maxsize=5)
    def build_handler(url_prefix: str) -> Handler:
        before_build()
        # If there's no prefix, it's a custom domain
        if url_prefix is None or url_prefix == "":
            handler: Handler = make_lambda_handler(wsgi_app=build_app().server, binary_support=True)
            return handler
        # If there's a prefix we're dealing with an API gateway stage
        # and need to return the appropriate urls.
        handler = make_lambda_handler(
            wsgi_app=build_app({"url_base_pathname": url_prefix}).server,
            binary_support=True,
        )
        return handler

    def get_raw_path(apigw_event: dict[str, Any]) -> str:
        # Article: apigw_event.get("requestContext", {}).get("path", apigw_event["path"])
        fallback = apigw_event["path"] if "path" in apigw_event else apigw_event["rawPath"]
        path: str = apigw_event.get("requestContext", {}).get("path", fallback)
        return path

    def get_url_prefix(apigw_event: dict[str, Any]) -> str:
        apigw_stage_name = apigw_event["requestContext"]["stage"]
        prefix = f"/{apigw_stage_name}/"
        raw_path = get_raw_path(apigw_event)
        if raw_path.startswith(prefix):
            return prefix
        return ""

    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        # We need the path with the stage prefix, which the API gateway hides a bit.
        event["path"] = get_raw_path(event)
        handle_event = build_handler(get_url_prefix(event))
        response = handle_event(event, context)
        return response

    return lambda_handler
