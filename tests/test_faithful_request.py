"""What a WSGI app expects from the server in front of it, behind every front door.

The prefix in ``SCRIPT_NAME`` (Flask's ``url_for``, ``request.url``), the
client's address as the front door saw it, every ``Set-Cookie``, header
names in any case, ``null`` multi-value maps, a bare prefix redirected to
itself with its slash, percent-encoded paths that cannot move the prefix,
and the events that look like requests but are not ones.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from apps import pages_app, sample_app
from lambda_events import HTTP_FIXTURES, Decoded, FakeContext, dash_config, decode, event_for, load
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import Client

from dash_lambda import LambdaHandler, UnsupportedEventError, make_lambda_handler
from dash_lambda.local.events import FrontDoor, LocalRequest, build_event, decode_response
from dash_lambda.local.gateway import LocalGateway
from dash_lambda.sources import find_source
from dash_lambda.sources.base import cookie_header_names

DOORS = pytest.mark.parametrize(("door", "prefix"), list(HTTP_FIXTURES.items()))
NOT_HTTP = Path(__file__).resolve().parent / "non_http_events"
SPOOFED, REAL = "203.0.113.66", "192.0.2.10"


def get(handler: LambdaHandler, event: dict[str, Any]) -> Decoded:
    return decode(handler(event, FakeContext()))


def origin(event: dict[str, Any]) -> str:
    """``scheme://host`` as the event's headers tell it."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    headers.update((k.lower(), v[-1]) for k, v in (event.get("multiValueHeaders") or {}).items())
    return f"{headers['x-forwarded-proto']}://{headers['host']}"


# --------------------------------------------------------------- the prefix in SCRIPT_NAME


@DOORS
def test_flask_redirect_with_url_for_keeps_the_prefix(handler: LambdaHandler, door: str, prefix: str) -> None:
    response = get(handler, event_for(door, "/login"))
    assert response.status == 302
    assert response.header("location") == f"{prefix}whoami?next=home"


@DOORS
def test_flask_request_urls_carry_the_prefix(handler: LambdaHandler, door: str, prefix: str) -> None:
    event = event_for(door, "/whoami", query={"q": "1"})
    seen = get(handler, event).json()
    assert seen["script_root"] == prefix.rstrip("/")
    assert seen["path"] == "/whoami"  # Flask routes on PATH_INFO, without the prefix
    assert seen["url_root"] == f"{origin(event)}{prefix}"
    assert seen["url"] == f"{origin(event)}{prefix}whoami?q=1"
    assert seen["host_url"] == f"{origin(event)}/"


@DOORS
def test_dash_urls_are_not_prefixed_twice(handler: LambdaHandler, door: str, prefix: str) -> None:
    page = get(handler, event_for(door, "/"))
    assert dash_config(page.text)["requests_pathname_prefix"] == prefix
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert scripts and all(url.startswith(prefix) and not url.startswith(prefix * 2) for url in scripts)


def test_prefix_override_is_the_script_name_too() -> None:
    behind_cloudfront = make_lambda_handler(sample_app.build_app, prefix="/app/")
    response = get(behind_cloudfront, event_for("rest-stage-url", "/login"))
    assert response.header("location") == "/app/whoami?next=home"


@pytest.mark.parametrize(
    ("door", "prefix"),
    [
        ("rest-stage-url", "/Prod/"),
        ("rest-base-path", "/dash/"),
        ("http-api-stage", "/Prod/"),
        ("rest-custom-domain", "/"),
    ],
)
def test_dash_pages_meta_urls_name_the_page_and_the_image_once(door: str, prefix: str) -> None:
    """``twitter:url`` is the request's URL (with the prefix); ``og:image`` keeps the one Dash made."""
    assets = str(sample_app.ASSETS)  # has logo.png, which Dash Pages takes for the pages' image
    handler = make_lambda_handler(lambda kwargs: pages_app.build_app({**kwargs, "assets_folder": assets}))
    event = event_for(door, "/about")
    page = get(handler, event)
    metas = dict(re.findall(r'<meta property="([^"]+)" content="([^"]*)"', page.text))
    assert metas["twitter:url"] == f"{origin(event)}{prefix}about"
    assert metas["og:image"] == metas["twitter:image"] == f"{origin(event)}{prefix}assets/logo.png"


# --------------------------------------------------------------------- REMOTE_ADDR


def with_spoofed_client(door: str, path: str) -> dict[str, Any]:
    """``door``'s event from client REAL, who wrote ``X-Forwarded-For: SPOOFED`` himself."""
    event = event_for(door, path, headers={"X-Forwarded-For": f"{SPOOFED}, {REAL}"})
    context = event["requestContext"]
    if "http" in context:
        context["http"]["sourceIp"] = REAL
    elif "identity" in context:
        context["identity"]["sourceIp"] = REAL
    return event


@DOORS
def test_remote_addr_is_the_address_the_front_door_saw(
    handler: LambdaHandler, door: str, prefix: str
) -> None:
    seen = get(handler, with_spoofed_client(door, "/whoami")).json()
    assert seen["remote_addr"] == REAL
    forwarded = {k.lower(): v for k, v in seen["headers"].items()}["x-forwarded-for"]
    assert forwarded == f"{SPOOFED}, {REAL}"  # reaches the app untouched


def test_proxy_fix_as_the_readme_shows_it_trusts_cloudfront_and_api_gateway() -> None:
    def behind_cloudfront(dash_kwargs: dict[str, Any]) -> Any:
        app = sample_app.build_app(dash_kwargs)
        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=2)
        return app

    event = event_for(
        "rest-stage-url", "/whoami", headers={"X-Forwarded-For": f"{SPOOFED}, {REAL}, 130.176.0.1"}
    )
    event["requestContext"]["identity"]["sourceIp"] = "130.176.0.1"  # CloudFront's address
    seen = get(make_lambda_handler(behind_cloudfront), event).json()
    assert seen["remote_addr"] == REAL


def test_alb_remote_addr_is_the_last_forwarded_entry_of_the_last_header(handler: LambdaHandler) -> None:
    event = event_for("alb-multi-value", "/whoami")
    event["multiValueHeaders"]["x-forwarded-for"] = ["10.0.0.1", f"{SPOOFED},{REAL}"]
    assert get(handler, event).json()["remote_addr"] == REAL


# ------------------------------------------------------------------------- cookies


@DOORS
def test_every_set_cookie_reaches_the_browser(handler: LambdaHandler, door: str, prefix: str) -> None:
    response = get(handler, event_for(door, "/cookies"))
    assert sorted(cookie.split(";")[0] for cookie in response.cookies) == ["first=1", "second=2"]


def test_single_value_alb_spells_each_set_cookie_differently(handler: LambdaHandler) -> None:
    response = handler(event_for("alb", "/cookies"), FakeContext())
    names = [name for name in response["headers"] if name.lower() == "set-cookie"]
    assert names == ["Set-Cookie", "set-Cookie"]
    assert response["headers"]["X-Repeated"] == "a, b"


def test_single_value_alb_cookies_come_out_of_the_local_server(handler: LambdaHandler) -> None:
    door = FrontDoor("alb")
    raw = handler(build_event(LocalRequest("GET", "/cookies"), door), FakeContext())
    assert [v.split(";")[0] for v in decode_response(raw, door).header_values("set-cookie")] == [
        "first=1",
        "second=2",
    ]
    served = Client(LocalGateway(handler, door)).get("/cookies")
    assert [v.split(";")[0] for v in served.headers.getlist("Set-Cookie")] == ["first=1", "second=2"]


def with_cookie_header(door: str, path: str, cookie: str | None) -> dict[str, Any]:
    """The event of a request with this ``Cookie`` header (``None``: without one)."""
    event = event_for(door, path)
    if "version" in event:  # payload 2.0: the header split into ``cookies``, or no key at all
        event.pop("cookies", None)
        if cookie is not None:
            event["cookies"] = cookie.split("; ")
    elif cookie is not None:
        event = event_for(door, path, headers={"Cookie": cookie})
    return event


@DOORS
def test_the_cookie_header_reaches_the_app_as_the_browser_sent_it(
    handler: LambdaHandler, door: str, prefix: str
) -> None:
    seen = get(handler, with_cookie_header(door, "/whoami", "session=abc; theme=dark")).json()
    assert seen["headers"]["Cookie"] == "session=abc; theme=dark"


@DOORS
def test_a_request_without_cookies_has_no_cookie_header(
    handler: LambdaHandler, door: str, prefix: str
) -> None:
    seen = get(handler, with_cookie_header(door, "/whoami", None)).json()
    assert "Cookie" not in seen["headers"]


def test_a_hand_written_payload_2_0_cookie_header_is_kept_beside_the_cookies(handler: LambdaHandler) -> None:
    event = with_cookie_header("http-api-default", "/whoami", "a=1")
    event["headers"]["cookie"] = "b=2; c=3"
    assert get(handler, event).json()["headers"]["Cookie"] == "a=1; b=2; c=3"
    del event["cookies"]
    assert get(handler, event).json()["headers"]["Cookie"] == "b=2; c=3"


@DOORS
def test_a_comma_in_a_content_type_parameter_reaches_the_app(
    handler: LambdaHandler, door: str, prefix: str
) -> None:
    content_type = 'multipart/form-data; boundary="ab,cd"'  # a quoted comma is legal (RFC 2046)
    seen = get(handler, event_for(door, "/whoami", headers={"Content-Type": content_type})).json()
    assert seen["headers"]["Content-Type"] == content_type


def test_set_cookie_spellings_are_distinct_and_all_mean_set_cookie() -> None:
    names = cookie_header_names(1000)
    assert len(names) == len(set(names)) == 512
    assert names[0] == "Set-Cookie"
    assert {name.lower() for name in names} == {"set-cookie"}


# ------------------------------------------------------------------- header names


def title_case_v2_event(door: str, path: str, **headers: str) -> dict[str, Any]:
    """A payload 2.0 event with Title-Case header names, as ``sam local start-api`` sends them."""
    event = event_for(door, path)
    event["headers"] = {name.title(): value for name, value in event["headers"].items()} | headers
    return event


@pytest.mark.parametrize("door", ["http-api-default", "http-api-stage", "function-url"])
def test_title_case_payload_2_headers_are_found(door: str) -> None:
    guarded = make_lambda_handler(sample_app.build_app, basic_auth="u:p")
    token = base64.b64encode(b"u:p").decode()
    allowed = get(
        guarded, title_case_v2_event(door, "/", Authorization=f"Basic {token}", **{"Accept-Encoding": "gzip"})
    )
    assert allowed.status == 200
    assert allowed.header("content-encoding") == "gzip"
    refused = get(
        guarded, title_case_v2_event(door, "/", Authorization="Basic " + base64.b64encode(b"u:x").decode())
    )
    assert refused.status == 401


@pytest.mark.parametrize("door", ["rest-stage-url", "alb", "alb-multi-value"])
def test_header_names_in_any_case_are_found(door: str) -> None:
    guarded = make_lambda_handler(sample_app.build_app, basic_auth="u:p")
    event = event_for(door, "/_dash-layout")
    token = "Basic " + base64.b64encode(b"u:p").decode()
    for field in ("headers", "multiValueHeaders"):
        if isinstance(event.get(field), dict):
            event[field]["aUtHoRiZaTiOn"] = [token] if field == "multiValueHeaders" else token
    assert get(guarded, event).status == 200


# ---------------------------------------------------------------- null multi-value maps


@pytest.mark.parametrize("door", ["rest-stage-url", "rest-base-path", "alb", "alb-multi-value"])
def test_null_multi_value_maps_fall_back_to_the_single_value_ones(handler: LambdaHandler, door: str) -> None:
    event = event_for(door, "/whoami")
    event["headers"] = {"Host": "probe.example.com", "X-Forwarded-Proto": "https", "X-Probe": "yes"}
    event["multiValueHeaders"] = None
    # API Gateway decodes query parameters; an ALB passes them as the browser sent them.
    event["queryStringParameters"] = {"q": "1 2"} if door.startswith("rest") else {"q": "1%202"}
    event["multiValueQueryStringParameters"] = None
    seen = get(handler, event).json()
    assert seen["headers"]["X-Probe"] == "yes"
    assert seen["args"] == {"q": "1 2"}
    assert seen["url_root"].startswith("https://probe.example.com/")


# ------------------------------------------------------------------- not requests


NOT_HTTP_EVENTS = {
    "apigateway-token-authorizer": "an API Gateway TOKEN authorizer",
    "apigateway-request-authorizer": "an API Gateway REQUEST authorizer",
    "http-api-authorizer-v1": "an API Gateway REQUEST authorizer (HTTP API, payload 1.0)",
    "http-api-authorizer-v2": "an API Gateway REQUEST authorizer (HTTP API, payload 2.0)",
    "websocket-authorizer": "an API Gateway REQUEST authorizer",
    "websocket-connect": "an API Gateway WebSocket route ($connect)",
    "websocket-message": "an API Gateway WebSocket route ($default)",
    "vpc-lattice-v1": "VPC Lattice (event version 1.0)",
    "vpc-lattice-v2": "VPC Lattice (event version 2.0)",
    "bedrock-agent-openapi": "an Amazon Bedrock agent action group",
    "bedrock-agent-function": "an Amazon Bedrock agent action group",
    "cloudfront-lambda-edge": "CloudFront (Lambda@Edge)",
    "sqs": "Amazon SQS (aws:sqs)",
    "sns": "Amazon SNS (aws:sns)",  # whose records spell it EventSource
    "s3": "Amazon S3 (aws:s3)",
    "dynamodb": "DynamoDB Streams (aws:dynamodb)",
    "kinesis": "Kinesis Data Streams (aws:kinesis)",
}


@pytest.mark.parametrize(("name", "service"), list(NOT_HTTP_EVENTS.items()))
def test_events_that_are_not_requests_are_refused_naming_the_service(
    handler: LambdaHandler, name: str, service: str
) -> None:
    event = json.loads((NOT_HTTP / f"{name}.json").read_text())
    assert find_source(event) is None  # no HTTP source claims it, not even the look-alikes
    with pytest.raises(UnsupportedEventError, match=re.escape(f"got an event from {service} with keys: ")):
        handler(event, FakeContext())


def test_warm_up_pings_are_still_answered(handler: LambdaHandler) -> None:
    assert "warmed" in handler(load("scheduled-warmup"), FakeContext())


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def nested_tuple(depth: int) -> tuple[Any, ...]:
    value: tuple[Any, ...] = ("x",)
    for _ in range(depth):
        value = (value,)
    return value


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({"Records": nested(1000)}, "a batch of Records"),
        ({"Records": [{"eventSource": nested(1000)}]}, "a batch of Records"),
        ({"source": {"deep": nested(1000)}, nested_tuple(1000): "x"}, "keys: <tuple>, source"),
        ({1: "one", None: "none", "\ud800": "lone"}, "keys: <NoneType>, <int>, ?"),
        ({f"key{i}": i for i in range(100_000)}, "… (100000 keys)"),
        ({"Records": [{"EventSource": "aws:sns" * 1000}]}, "aws:snsaws:sns"),
    ],
)
def test_describing_an_odd_event_never_fails(
    handler: LambdaHandler, event: dict[Any, Any], named: str
) -> None:
    with pytest.raises(UnsupportedEventError) as raised:
        handler(event, FakeContext())
    message = str(raised.value)
    assert named in message
    assert len(message) < 1000
    message.encode("utf-8")  # printable: no lone surrogate reaches the log


def test_deeply_nested_value_in_an_http_field_is_a_short_400(handler: LambdaHandler) -> None:
    event = event_for("rest-stage-url", "/")
    event["httpMethod"] = nested(1000)
    response = handler(event, FakeContext())
    assert response["statusCode"] == 400
    assert len(json.loads(response["body"])["message"]) < 200


# -------------------------------------------------------------- the bare prefix


def bare(door: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    """``door``'s event for its prefix without the trailing slash (``/Prod``)."""
    event = event_for(door, "/", query=query)
    if door == "rest-stage-url":
        event["requestContext"]["path"] = "/Prod"
    elif door == "rest-base-path":
        event["path"] = event["requestContext"]["path"] = "/dash"
    else:
        event["rawPath"] = event["requestContext"]["http"]["path"] = "/Prod"
    return event


@pytest.mark.parametrize(
    ("door", "location"),
    [
        ("rest-stage-url", "/Prod/?a=1%202&b=%C3%A9"),
        ("rest-base-path", "/dash/?a=1%202&b=%C3%A9"),
        ("http-api-stage", "/Prod/?a=1%202&b=%C3%A9"),
    ],
)
def test_bare_prefix_redirects_to_the_prefix_keeping_the_query(
    handler: LambdaHandler, door: str, location: str
) -> None:
    event = bare(door, {"a": "1 2", "b": "é"})
    if "rawQueryString" in event:
        event["rawQueryString"] = "a=1%202&b=%C3%A9"  # raw, as the browser sent it
    response = handler(event, FakeContext())
    shape = "multiValueHeaders" if door.startswith("rest") else "cookies"
    assert shape in response  # the front door's own response shape
    redirect = decode(response)
    assert (redirect.status, redirect.header("location")) == (308, location)


def test_bare_prefix_redirects_without_a_query_and_on_a_default_route(handler: LambdaHandler) -> None:
    assert get(handler, bare("rest-stage-url")).header("location") == "/Prod/"
    event = bare("http-api-stage")
    event["routeKey"] = event["requestContext"]["routeKey"] = "$default"
    redirect = get(handler, event)
    assert (redirect.status, redirect.header("location")) == (308, "/Prod/")


@DOORS
def test_the_prefix_with_its_slash_and_paths_under_it_are_served(
    handler: LambdaHandler, door: str, prefix: str
) -> None:
    assert get(handler, event_for(door, "/")).status == 200
    assert get(handler, event_for(door, "/_dash-layout")).status == 200


def test_bare_prefix_through_the_local_server_and_behind_an_override(handler: LambdaHandler) -> None:
    served = Client(LocalGateway(handler, FrontDoor("v1", stage="Prod"))).get("/Prod?x=1")
    assert (served.status_code, served.headers["Location"]) == (308, "/Prod/?x=1")
    behind_cloudfront = make_lambda_handler(sample_app.build_app, prefix="/app/")
    assert get(behind_cloudfront, bare("rest-stage-url")).header("location") == "/app/"


# ----------------------------------------------------------- encoded paths and prefixes


ENCODED_PERCENT = {
    # /a%2541 as each door reports it; path parameters arrive decoded once (a%41).
    "rest-base-path": {"path": "/dash/path/a%2541", "context": "/dash/path/a%2541"},
    "rest-stage-url": {"path": "/path/a%2541", "context": "/Prod/path/a%2541"},
    "http-api-stage": {"rawPath": "/Prod/path/a%41"},  # HTTP APIs deliver the path decoded
}


@pytest.mark.parametrize("door", list(ENCODED_PERCENT))
def test_an_encoded_percent_neither_moves_the_prefix_nor_is_decoded_twice(door: str) -> None:
    handler = make_lambda_handler(sample_app.build_app)
    event = event_for(door, "/path/x")
    event["pathParameters"] = {"proxy": "path/a%41"}
    fields = ENCODED_PERCENT[door]
    if "rawPath" in fields:
        event["rawPath"] = event["requestContext"]["http"]["path"] = fields["rawPath"]
    else:
        event["path"], event["requestContext"]["path"] = fields["path"], fields["context"]
    response = get(handler, event)
    assert (response.status, response.json()) == (200, {"rest": "a%41"})
    assert handler.built_prefixes == [HTTP_FIXTURES[door]]


def test_http_api_custom_domain_mapping_with_an_encoded_percent() -> None:
    handler = make_lambda_handler(sample_app.build_app)
    event = event_for("http-api-default", "/path/x")
    event["rawPath"] = "/dash/path/a%41"
    event["routeKey"] = "ANY /{proxy+}"
    event["pathParameters"] = {"proxy": "path/a%41"}
    response = get(handler, event)
    assert (response.status, response.json()) == (200, {"rest": "a%41"})
    assert handler.built_prefixes == ["/dash/"]


@pytest.mark.parametrize(
    ("door", "field"),
    [
        ("alb", "path"),
        ("alb-multi-value", "path"),
        ("function-url", "rawPath"),
        ("http-api-default", "rawPath"),
    ],
)
def test_lone_surrogates_in_a_path_are_encoded_not_raised(
    handler: LambdaHandler, door: str, field: str
) -> None:
    event = event_for(door, "/path/x")
    event[field] = "/path/a\ud800b"
    response = handler(event, FakeContext())
    json.dumps(response)
    decoded = decode(response)
    assert decoded.status == 200
    assert decoded.json() == {"rest": "a\ufffd\ufffd\ufffdb"}  # the bytes a browser would send, invalid UTF-8


def test_lone_surrogate_and_line_breaks_in_a_redirect_query_are_encoded(handler: LambdaHandler) -> None:
    event = bare("http-api-stage")
    event["rawQueryString"] = "a=\ud800\r\nX-Injected: 1"
    location = get(handler, event).header("location")
    assert location == "/Prod/?a=%ED%A0%80%0D%0AX-Injected:%201"


@pytest.mark.parametrize("door", ["http-api-default", "http-api-stage", "function-url"])
def test_a_query_sent_without_percent_encoding_reaches_the_app_as_a_web_server_passes_it(
    handler: LambdaHandler, door: str
) -> None:
    """Payload 2.0 passes ``rawQueryString`` as the client sent it; WSGI wants its bytes as Latin-1."""
    event = event_for(door, "/whoami", query={"q": "€", "r": "é"})
    assert event["rawQueryString"] == "q=€&r=é"
    seen = get(handler, event).json()
    assert seen["args"] == {"q": "€", "r": "é"}
    assert seen["query"] == "q=€&r=é"  # the route decodes the bytes as UTF-8
    assert (
        seen["args"]
        == get(handler, event_for(door, "/whoami", query={"q": "%E2%82%AC", "r": "%C3%A9"})).json()["args"]
    )


@pytest.mark.parametrize(
    ("door", "field", "message"),
    [
        ("rest-stage-url", "query", "the event's query or body has a lone surrogate"),
        ("rest-stage-url", "body", "the event's query or body has a lone surrogate"),
        ("http-api-default", "query", "event.rawQueryString has a lone surrogate"),
        ("http-api-default", "body", "event.body has a lone surrogate"),
        ("function-url", "query", "event.rawQueryString has a lone surrogate"),
        ("alb", "query", "the event's query or body has a lone surrogate"),
        ("alb-multi-value", "query", "the event's query or body has a lone surrogate"),
        ("alb", "body", "the event's query or body has a lone surrogate"),
    ],
)
def test_a_lone_surrogate_in_a_query_or_body_is_a_400_that_names_it(
    handler: LambdaHandler, door: str, field: str, message: str
) -> None:
    """No client's bytes decode to a lone surrogate: the event is at fault, not the app (no 500)."""
    if field == "query":
        event = event_for(door, "/whoami", query={"q": "a\ud800"})
    else:
        event = event_for(door, "/echo", method="POST", body="a")
        event["body"] = "a\ud800"
    response = get(handler, event)
    assert response.status == 400
    assert response.json()["message"] == f"Bad request: {message}, which is not text a client can send"
