"""Response encoding per front door: headers, cookies, binary and text bodies."""

from __future__ import annotations

import base64
import json

import pytest
from lambda_events import FakeContext, decode, event_for

from dash_lambda import LambdaHandler


def test_rest_api_keeps_every_set_cookie_in_multi_value_headers(handler: LambdaHandler) -> None:
    response = handler(event_for("rest-stage-url", "/cookies"), FakeContext())
    cookies = response["multiValueHeaders"]["Set-Cookie"]
    assert [c.split(";")[0] for c in cookies] == ["first=1", "second=2"]
    assert response["multiValueHeaders"]["X-Repeated"] == ["a", "b"]
    assert "headers" not in response


def test_http_api_puts_set_cookies_in_the_cookies_list(handler: LambdaHandler) -> None:
    response = handler(event_for("http-api-default", "/cookies"), FakeContext())
    assert [c.split(";")[0] for c in response["cookies"]] == ["first=1", "second=2"]
    assert "set-cookie" not in response["headers"]
    assert response["headers"]["x-repeated"] == "a, b"


def test_function_url_joins_repeated_headers(handler: LambdaHandler) -> None:
    response = handler(event_for("function-url", "/cookies"), FakeContext())
    assert response["headers"]["x-repeated"] == "a, b"
    assert len(response["cookies"]) == 2


def test_alb_answers_multi_value_only_when_asked_in_multi_value(handler: LambdaHandler) -> None:
    multi = handler(event_for("alb-multi-value", "/cookies"), FakeContext())
    assert "headers" not in multi
    assert len(multi["multiValueHeaders"]["Set-Cookie"]) == 2
    assert multi["statusDescription"] == "200 OK"
    single = handler(event_for("alb", "/cookies"), FakeContext())
    assert "multiValueHeaders" not in single
    assert single["headers"]["X-Repeated"] == "a, b"
    assert single["statusDescription"] == "200 OK"


@pytest.mark.parametrize("door", ["rest-stage-url", "http-api-stage", "alb", "function-url"])
def test_base64_request_bodies_are_decoded(handler: LambdaHandler, door: str) -> None:
    payload = bytes(range(256))
    response = decode(
        handler(
            event_for(
                door,
                "/echo",
                method="POST",
                body=payload,
                base64_body=True,
                headers={"Content-Type": "application/octet-stream"},
            ),
            FakeContext(),
        )
    )
    assert response.status == 200
    assert response.raw["isBase64Encoded"] is True
    assert response.body == payload


@pytest.mark.parametrize("door", ["rest-stage-url", "http-api-default", "alb-multi-value"])
def test_json_stays_text_when_not_compressed(handler: LambdaHandler, door: str) -> None:
    event = event_for(door, "/_dash-dependencies", headers={"Accept-Encoding": "identity"})
    response = handler(event, FakeContext())
    assert response["isBase64Encoded"] is False
    assert isinstance(json.loads(response["body"]), list)


def test_binary_body_round_trips_exactly(handler: LambdaHandler) -> None:
    response = handler(event_for("http-api-default", "/assets/logo.png"), FakeContext())
    assert base64.b64decode(response["body"]).startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("door", ["rest-stage-url", "http-api-default"])
def test_same_header_names_with_another_content_type_are_encoded_by_their_own_type(
    handler: LambdaHandler, door: str
) -> None:
    """The adapter reads a header list it has seen before once: by content, never by names alone."""
    gzip_only = {"Accept-Encoding": "gzip"}
    for _ in range(3):
        text = handler(event_for(door, "/big", query={"size": "5000"}, headers=gzip_only), FakeContext())
        binary = handler(
            event_for(door, "/big", query={"size": "5000", "kind": "binary"}, headers=gzip_only),
            FakeContext(),
        )
        assert decode(text).header("content-encoding") == "gzip"
        assert decode(binary).header("content-encoding") is None
        assert decode(binary).body == bytes(i % 251 for i in range(5000))
