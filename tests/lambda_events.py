"""AWS-shaped events for the tests, made from the fixtures in ``events/``.

Each fixture is one front door's request for ``/``; :func:`event_for` moves
it to another path, method, body or headers the way that front door would
(stage in ``requestContext.path``, base path in both paths, ``{proxy+}``
parameters, ``sam local``'s route template…), so every test can hit any
route through any door.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brotli

from dash_lambda import LocalContext

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"

#: fixture name → the external prefix the handler must detect for it.
HTTP_FIXTURES = {
    "rest-stage-url": "/Prod/",
    "rest-custom-domain": "/",
    "rest-base-path": "/dash/",
    "sam-local": "/",
    "http-api-default": "/",
    "http-api-stage": "/Prod/",
    "function-url": "/",
    "alb": "/",
    "alb-multi-value": "/",
}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return data


def event_for(
    name: str,
    path: str = "/",
    *,
    method: str = "GET",
    query: dict[str, str] | None = None,
    body: bytes | str | None = None,
    base64_body: bool = False,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The fixture ``name`` rewritten as that door's event for ``method path``."""
    event = copy.deepcopy(load(name))
    proxy = path.lstrip("/")
    if "version" in event:
        _v2_path(event, name, path, proxy)
        event["requestContext"]["http"]["method"] = method
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in (query or {}).items())
        if query:
            event["queryStringParameters"] = dict(query)
    else:
        _v1_path(event, name, path, proxy)
        event["httpMethod"] = method
        if "multiValueQueryStringParameters" in event or name.startswith(("rest", "sam")):
            event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
        if name.startswith(("rest", "sam")) or "queryStringParameters" in event:
            event["queryStringParameters"] = dict(query) if query else None
        if "requestContext" in event and "httpMethod" in event["requestContext"]:
            event["requestContext"]["httpMethod"] = method
    for key, value in (headers or {}).items():
        set_header(event, key, value)
    if body is not None:
        raw = body.encode() if isinstance(body, str) else body
        event["body"] = base64.b64encode(raw).decode() if base64_body else raw.decode()
        event["isBase64Encoded"] = base64_body
    return event


def _v1_path(event: dict[str, Any], name: str, path: str, proxy: str) -> None:
    external_base = {"rest-stage-url": "/Prod", "rest-base-path": "/dash"}.get(name, "")
    in_path_base = "/dash" if name == "rest-base-path" else ""
    event["path"] = in_path_base + path
    if "elb" in event.get("requestContext", {}):
        return
    resource = "/" if path == "/" else "/{proxy+}"
    event["resource"] = resource
    event["pathParameters"] = None if path == "/" else {"proxy": proxy}
    context = event["requestContext"]
    context["resourcePath"] = resource
    context["path"] = resource if name == "sam-local" else external_base + path


def _v2_path(event: dict[str, Any], name: str, path: str, proxy: str) -> None:
    stage = event["requestContext"]["stage"]
    raw = path if stage == "$default" else f"/{stage}{path}"
    event["rawPath"] = raw
    event["requestContext"]["http"]["path"] = raw
    if event["routeKey"] != "$default":
        route = "ANY /" if path == "/" else "ANY /{proxy+}"
        event["routeKey"] = event["requestContext"]["routeKey"] = route
        if path != "/":
            event["pathParameters"] = {"proxy": proxy}


def set_header(event: dict[str, Any], name: str, value: str) -> None:
    """Set a request header where this event keeps headers."""
    lower_names = "version" in event or "elb" in event.get("requestContext", {})
    key = name.lower() if lower_names else name
    if isinstance(event.get("headers"), dict) or "headers" in event:
        event["headers"] = {**(event.get("headers") or {}), key: value}
    if "multiValueHeaders" in event:
        event["multiValueHeaders"] = {**(event.get("multiValueHeaders") or {}), key: [value]}


def drop_header(event: dict[str, Any], name: str) -> None:
    for field in ("headers", "multiValueHeaders"):
        if isinstance(event.get(field), dict):
            event[field] = {k: v for k, v in event[field].items() if k.lower() != name.lower()}


@dataclass
class Decoded:
    """A proxy response as the browser would get it."""

    status: int
    headers: dict[str, list[str]]
    cookies: list[str]
    body: bytes
    raw: dict[str, Any]

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[-1] if values else None

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


def decode(response: dict[str, Any]) -> Decoded:
    """Undo base64 and content encoding; gather headers by lower-case name."""
    headers: dict[str, list[str]] = {}
    for name, value in (response.get("headers") or {}).items():
        headers.setdefault(name.lower(), []).append(value)
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = list(values)
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
    codings = headers.get("content-encoding")
    coding = codings[-1] if codings else None
    if coding == "gzip":
        body = gzip.decompress(body)
    elif coding == "br":
        body = brotli.decompress(body)
    cookies = list(response.get("cookies") or headers.get("set-cookie") or [])
    return Decoded(response["statusCode"], headers, cookies, body, response)


def callback_body(output: str, inputs: list[dict[str, Any]], state: list[Any] | None = None) -> str:
    """The JSON body Dash's renderer posts to ``_dash-update-component``."""
    parts = [o for o in output.strip(".").split("...") if o] if output.startswith("..") else [output]
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in parts]
    return json.dumps(
        {
            "output": output,
            "outputs": outputs[0] if len(outputs) == 1 else outputs,
            "inputs": inputs,
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs],
            "state": state or [],
        }
    )


def callback_event(name: str, output: str, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fixture ``name`` as the renderer's ``_dash-update-component`` POST for ``output``."""
    return event_for(
        name,
        "/_dash-update-component",
        method="POST",
        body=callback_body(output, inputs),
        headers={"Content-Type": "application/json"},
    )


def FakeContext(request_id: str = "req-0001") -> LocalContext:
    """The library's own stand-in context, with a request id the test can look for."""
    return LocalContext(function_name="dash-lambda-test", aws_request_id=request_id)


def dash_config(index_html: str) -> dict[str, Any]:
    """The ``_dash-config`` JSON that Dash's index page hands the renderer."""
    import re

    match = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', index_html, re.S)
    assert match, "the page has no _dash-config"
    config: dict[str, Any] = json.loads(match.group(1))
    return config


def find_component(node: Any, component_id: str) -> dict[str, Any] | None:
    """The props of the component with ``component_id`` in a serialized layout."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and props.get("id") == component_id:
            return props
        for value in node.values():
            found = find_component(value, component_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for item in node:
            found = find_component(item, component_id)
            if found is not None:
                return found
    return None
