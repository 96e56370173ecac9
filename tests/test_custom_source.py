"""A front door the library does not know, added through the public API."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from apps import sample_app
from lambda_events import FakeContext, callback_body, event_for, find_component
from werkzeug.test import EnvironBuilder

from dash_lambda import EventSource, HttpRequest, LambdaContext, Refusal, Request, make_lambda_handler
from dash_lambda.sources.base import Headers


class PipeSource(EventSource):
    """A made-up door: ``{"pipe": {"method", "path", "body"}}`` in, ``{"code", "headers", "text"}`` out."""

    name = "pipe"

    def matches(self, event: Mapping[str, Any]) -> bool:
        return isinstance(event.get("pipe"), dict)

    def parse(self, event: dict[str, Any]) -> HttpRequest:
        pipe = event["pipe"]
        headers = {"content-type": "application/json"} if pipe.get("body") else {}
        return HttpRequest(
            source=self, prefix="/", app_path=pipe["path"], method=pipe["method"], query="",
            wsgi_event=event, headers=headers,
        )  # fmt: skip

    def make_environ(self, request: HttpRequest, context: LambdaContext) -> dict[str, Any]:
        pipe = request.event["pipe"]
        body = pipe.get("body", "").encode()
        builder = EnvironBuilder(
            request.app_path, method=request.method, data=body, headers=list(request.headers.items())
        )
        return dict(builder.get_environ())

    def make_response(
        self, event: Mapping[str, Any], status: int, headers: Headers, body: str, is_base64: bool = False
    ) -> dict[str, Any]:
        return {"code": status, "headers": dict(headers), "text": body, "base64": is_base64}


def pipe(path: str, method: str = "GET", body: str = "") -> dict[str, Any]:
    return {"pipe": {"method": method, "path": path, "body": body}}


def test_a_custom_source_serves_a_dash_app_and_the_built_in_doors_stay() -> None:
    handler = make_lambda_handler(sample_app.build_app, sources=[PipeSource()], compress=False)

    page = handler(pipe("/"), FakeContext())
    assert page["code"] == 200 and '<div id="react-entry-point">' in page["text"]
    layout = handler(pipe("/_dash-layout"), FakeContext())
    assert find_component(json.loads(layout["text"]), "country") is not None
    inputs = [{"id": "country", "property": "value", "value": "Chile"}]
    answer = handler(
        pipe("/_dash-update-component", "POST", callback_body("population.figure", inputs)), FakeContext()
    )
    assert answer["code"] == 200
    assert json.loads(answer["text"])["response"]["population"]["figure"]["data"][0]["name"] == "Chile"
    assert handler(pipe("/health"), FakeContext())["text"] == '{"status":"ok"}'

    assert handler(event_for("http-api-default", "/_dash-layout"), FakeContext())["statusCode"] == 200


def test_authorizers_see_the_narrow_request_of_any_door() -> None:
    seen: list[tuple[str, str, str, str, str | None, str]] = []

    def record(request: Request) -> Refusal | None:
        seen.append(
            (request.method, request.prefix, request.path, request.client_address,
             request.header("x-team"), sorted(request.event)[0])
        )  # fmt: skip
        return Refusal(403, "teams only") if request.header("x-team") is None else None

    handler = make_lambda_handler(sample_app.build_app, authorizers=[record], sources=[PipeSource()])
    refused = handler(event_for("rest-stage-url", "/_dash-layout"), FakeContext())
    allowed = handler(event_for("alb", "/_dash-layout", headers={"X-Team": "a"}), FakeContext())
    assert refused["statusCode"] == 403 and allowed["statusCode"] == 200
    assert handler(pipe("/_dash-layout"), FakeContext())["code"] == 403
    assert seen[0][:3] == ("GET", "/Prod/", "/_dash-layout")
    assert seen[0][3] == event_for("rest-stage-url")["requestContext"]["identity"]["sourceIp"]
    assert seen[1][4] == "a" and seen[2][:3] == ("GET", "/", "/_dash-layout")
    assert seen[2][5] == "pipe"
