"""Thousands of generated malformed and odd events: the handler never crashes.

Every event either raises the documented UnsupportedEventError or gets a
response that is valid for the front door it looks like: the right keys,
the right types, a base64 body that decodes, and JSON Lambda can serialize.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambda_events import HTTP_FIXTURES, load

from dash_lambda import LambdaHandler, UnsupportedEventError
from dash_lambda.sources import find_source

FIXTURES = {name: load(name) for name in HTTP_FIXTURES}
PATHS = ["/", "/_dash-layout", "/_dash-dependencies", "/assets/logo.png", "/health", "/cookies", "/nope"]

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
odd_paths = st.one_of(
    st.sampled_from(PATHS),
    st.text(max_size=30).map(lambda text: "/" + text),
    st.text(max_size=30),
    st.sampled_from(["/%2e%2e/", "//", "/Prod", "/Prod/", "/dash", "/{proxy+}", "/%ZZ", "/\x00"]),
)


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    """A fixture with some fields replaced, removed or nulled."""
    event = copy.deepcopy(FIXTURES[draw(st.sampled_from(sorted(FIXTURES)))])
    for _ in range(draw(st.integers(0, 4))):
        target = event
        if draw(st.booleans()) and isinstance(event.get("requestContext"), dict):
            target = event["requestContext"]
            if draw(st.booleans()) and isinstance(target.get("http"), dict):
                target = target["http"]
        keys = sorted(target)
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        action = draw(st.sampled_from(["delete", "null", "replace", "path"]))
        if action == "delete":
            del target[key]
        elif action == "null":
            target[key] = None
        elif action == "replace":
            target[key] = draw(json_value)
        else:
            target[key] = draw(odd_paths)
    for field in ("path", "rawPath"):
        if field in event and draw(st.booleans()):
            event[field] = draw(odd_paths)
    if draw(st.booleans()):
        event["body"] = draw(st.one_of(st.text(max_size=40), st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode())))
        event["isBase64Encoded"] = draw(st.one_of(st.booleans(), json_leaf))
    return event


any_event = st.one_of(
    mutated_events(),
    mutated_events(),
    mutated_events(),
    st.dictionaries(st.sampled_from(["httpMethod", "path", "version", "requestContext", "rawPath", "headers", "source", "body"]), json_value, max_size=6),
    st.dictionaries(st.text(max_size=10), json_value, max_size=5),
)


def assert_valid_proxy_response(event: dict[str, Any], response: dict[str, Any]) -> None:
    json.dumps(response)  # Lambda must be able to serialize it
    if "warmed" in response:
        return
    assert isinstance(response["statusCode"], int) and 100 <= response["statusCode"] <= 599
    assert isinstance(response["body"], str)
    assert isinstance(response["isBase64Encoded"], bool)
    if response["isBase64Encoded"]:
        base64.b64decode(response["body"], validate=True)
    source = find_source(event)
    assert source is not None
    if source.name == "v2":
        assert isinstance(response["headers"], dict)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in response["headers"].items())
        assert isinstance(response["cookies"], list) and all(isinstance(c, str) for c in response["cookies"])
    else:
        assert ("headers" in response) != ("multiValueHeaders" in response)
        if "multiValueHeaders" in response:
            assert all(isinstance(v, list) and all(isinstance(i, str) for i in v) for v in response["multiValueHeaders"].values())
        else:
            assert all(isinstance(v, str) for v in response["headers"].values())


@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(event=any_event)
def test_generated_events_never_crash_the_handler(handler: LambdaHandler, event: dict[str, Any]) -> None:
    try:
        response = handler(event, None)
    except UnsupportedEventError as error:
        assert "dash_lambda handles HTTP events" in str(error)
        assert find_source(event) is None
        return
    assert_valid_proxy_response(event, response)
