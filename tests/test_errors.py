"""Bad input and failures give a response a person can act on, never a traceback."""

from __future__ import annotations

import json
import logging

import pytest
from lambda_events import FakeContext, callback_event, decode, event_for, load

from dash_lambda import LambdaHandler, OutsideInvocationError, UnsupportedEventError, current_event


@pytest.mark.parametrize("door", ["rest-stage-url", "http-api-default", "alb"])
def test_callback_exception_gives_500_naming_the_request_id(
    handler: LambdaHandler, door: str, caplog: pytest.LogCaptureFixture
) -> None:
    event = callback_event(
        door, "explosion.children", [{"id": "explode", "property": "n_clicks", "value": 1}]
    )
    with caplog.at_level(logging.ERROR, logger="dash_lambda"):
        response = decode(handler(event, FakeContext("8f0e-request")))
    assert response.status == 500
    assert "8f0e-request" in response.text
    assert "Traceback" not in response.text and "RuntimeError" not in response.text
    assert "the callback failed on purpose" in caplog.text
    assert "Traceback" in caplog.text
    assert "8f0e-request" in caplog.text


def test_request_id_falls_back_to_the_event(handler: LambdaHandler) -> None:
    inputs = [{"id": "explode", "property": "n_clicks", "value": 1}]
    event = callback_event("rest-stage-url", "explosion.children", inputs)
    response = decode(handler(event, None))
    assert event["requestContext"]["requestId"] in response.text


@pytest.mark.parametrize(
    ("door", "breakage", "message"),
    [
        ("rest-stage-url", {"path": 42}, "event.path must be a string starting with '/'"),
        ("rest-stage-url", {"headers": ["not", "a", "map"]}, "event.headers must map strings"),
        ("rest-stage-url", {"body": "%%%", "isBase64Encoded": True}, "not base64"),
        ("http-api-default", {"rawPath": None}, "event.rawPath"),
        ("http-api-default", {"requestContext": {"stage": "$default"}}, "requestContext.http"),
        ("http-api-default", {"cookies": [1, 2]}, "cookies must be a list of strings"),
        ("alb", {"httpMethod": None}, "event.httpMethod must be a string"),
        ("alb-multi-value", {"multiValueHeaders": {"a": "b"}}, "lists of strings"),
    ],
)
def test_malformed_http_event_gives_400_with_the_reason(
    handler: LambdaHandler, door: str, breakage: dict[str, object], message: str
) -> None:
    event = {**load(door), **breakage}
    response = handler(event, FakeContext())
    assert response["statusCode"] == 400
    assert message in json.loads(response["body"])["message"]


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({"Records": [{"eventSource": "aws:sqs", "body": "x"}]}, "aws:sqs"),
        ({"detail-type": "Object Created", "source": "aws.s3"}, "aws.s3"),
        ({"hello": "world"}, "hello"),
        ({}, "no keys"),
    ],
)
def test_non_http_event_raises_the_documented_exception(
    handler: LambdaHandler, event: dict[str, object], named: str
) -> None:
    with pytest.raises(UnsupportedEventError, match=named):
        handler(event, FakeContext())


def test_non_dict_event_raises_the_documented_exception(handler: LambdaHandler) -> None:
    with pytest.raises(UnsupportedEventError, match="list"):
        handler(["not", "an", "event"], FakeContext())  # type: ignore[arg-type]


def test_current_event_is_the_event_as_it_arrived(handler: LambdaHandler) -> None:
    event = event_for("rest-base-path", "/event")
    response = decode(handler(event, FakeContext()))
    assert response.json() == {"path": "/dash/event"}


def test_current_event_outside_a_request_says_so() -> None:
    with pytest.raises(OutsideInvocationError, match="inside a Dash callback"):
        current_event()
