"""Events synthesized by ``dash_lambda.local.events`` against AWS's documented shapes.

The key sets below are those of ``sam local generate-event`` (AWS's own sample
events, shipped with the SAM CLI). When the SAM CLI is installed the test
regenerates them, so a change on AWS's side shows up here first.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from apig_wsgi import get_environ_v1, get_environ_v2
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dash_lambda.local.events import (
    PAYLOADS,
    FrontDoor,
    LocalContext,
    LocalRequest,
    MalformedResponseError,
    OutsidePrefixError,
    build_event,
    decode_response,
)
from dash_lambda.sources import LAMBDA_RESPONSE_LIMIT
from dash_lambda.sources.alb import ALB_RESPONSE_LIMIT

REPO = Path(__file__).resolve().parents[1]

# Keys of `sam local generate-event apigateway aws-proxy` (REST API, payload 1.0).
SAM_V1_TOP = {
    "body", "resource", "path", "httpMethod", "isBase64Encoded", "queryStringParameters",
    "multiValueQueryStringParameters", "pathParameters", "stageVariables", "headers",
    "multiValueHeaders", "requestContext",
}  # fmt: skip
SAM_V1_CONTEXT = {
    "accountId", "resourceId", "stage", "requestId", "requestTime", "requestTimeEpoch",
    "identity", "path", "resourcePath", "httpMethod", "apiId", "protocol",
}  # fmt: skip
SAM_V1_IDENTITY = {
    "cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "accessKey", "sourceIp",
    "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "userAgent", "user",
}  # fmt: skip
# Keys of `sam local generate-event apigateway http-api-proxy` (payload 2.0).
SAM_V2_TOP = {
    "version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers",
    "queryStringParameters", "requestContext", "body", "pathParameters", "isBase64Encoded",
    "stageVariables",
}  # fmt: skip
SAM_V2_CONTEXT = {
    "accountId", "apiId", "authentication", "authorizer", "domainName", "domainPrefix", "http",
    "requestId", "routeKey", "stage", "time", "timeEpoch",
}  # fmt: skip
SAM_V2_HTTP = {"method", "path", "protocol", "sourceIp", "userAgent"}
# Keys of `sam local generate-event alb request`.
SAM_ALB_TOP = {
    "requestContext", "httpMethod", "path", "queryStringParameters", "headers", "body",
    "isBase64Encoded",
}  # fmt: skip

# Documented differences between SAM's samples and what AWS sends.
# REST events from AWS also carry these (AWS's "Input format of a Lambda function
# for proxy integration"); SAM's sample predates them.
V1_CONTEXT_EXTRAS = {"domainName", "domainPrefix", "extendedRequestId"}
# Present only with mTLS (authentication), an authorizer (authorizer) or stage
# variables defined on the stage; the sample shows every optional field.
V2_ABSENT_WITHOUT_FEATURE = {"authentication", "authorizer"}
V2_TOP_ABSENT_WITHOUT_FEATURE = {"stageVariables"}


def _find_sam() -> str | None:
    local = REPO / ".venvs" / "sam" / "bin" / "sam"
    if local.exists():
        return str(local)
    return shutil.which("sam")


@pytest.fixture(scope="module")
def sam_events() -> dict[str, dict[str, Any]]:
    """AWS's sample events from the SAM CLI (offline), or skip if it is not installed."""
    sam = _find_sam()
    if sam is None:
        pytest.skip("SAM CLI not installed; the inline key sets still pin the shapes")
    commands = {
        "v1": ["apigateway", "aws-proxy", "--stage", "Prod", "--path", "x", "--method", "POST"],
        "v2": ["apigateway", "http-api-proxy"],
        "alb": ["alb", "request"],
    }
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    events = {}
    for name, args in commands.items():
        out = subprocess.run(
            [sam, "local", "generate-event", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            env=env,
        ).stdout
        events[name] = json.loads(out)
    return events


def full_request(path: str = "/Prod/x", **overrides: Any) -> LocalRequest:
    """A request using every feature an event can describe: query, cookies, body."""
    fields: dict[str, Any] = {
        "method": "POST",
        "path": path,
        "query_string": "a=1&a=2&b=caf%C3%A9&c",
        "headers": [
            ("Host", "127.0.0.1:8050"),
            ("User-Agent", "pytest"),
            ("Accept", "text/html"),
            ("Accept", "application/json"),
            ("Content-Type", "application/json"),
            ("Cookie", "one=1; two=2"),
            ("Connection", "keep-alive"),
        ],
        "body": b'{"test":"body"}',
        "client_addr": "127.0.0.9",
        "server_port": 8050,
    }
    fields.update(overrides)
    return LocalRequest(**fields)


# --------------------------------------------------------------- shape parity


def test_inline_key_sets_match_the_sam_cli(sam_events: dict[str, dict[str, Any]]) -> None:
    v1, v2, alb = sam_events["v1"], sam_events["v2"], sam_events["alb"]
    assert set(v1) == SAM_V1_TOP
    assert set(v1["requestContext"]) == SAM_V1_CONTEXT
    assert set(v1["requestContext"]["identity"]) == SAM_V1_IDENTITY
    assert set(v2) == SAM_V2_TOP
    assert set(v2["requestContext"]) == SAM_V2_CONTEXT
    assert set(v2["requestContext"]["http"]) == SAM_V2_HTTP
    assert set(alb) == SAM_ALB_TOP
    assert set(alb["requestContext"]) == {"elb"}


def test_rest_event_has_the_keys_of_aws_sample() -> None:
    event = build_event(full_request(), FrontDoor("v1", stage="Prod"))
    assert set(event) == SAM_V1_TOP
    assert set(event["requestContext"]) == SAM_V1_CONTEXT | V1_CONTEXT_EXTRAS
    assert set(event["requestContext"]["identity"]) == SAM_V1_IDENTITY
    # Every key is present even when the request has nothing to put in it.
    bare = build_event(LocalRequest("GET", "/Prod/"), FrontDoor("v1", stage="Prod"))
    assert set(bare) == SAM_V1_TOP
    for key in ("queryStringParameters", "multiValueQueryStringParameters", "pathParameters"):
        assert bare[key] is None
    assert bare["body"] is None


def test_http_api_event_has_the_keys_of_aws_sample() -> None:
    event = build_event(full_request(), FrontDoor("v2", stage="Prod"))
    assert set(event) == SAM_V2_TOP - V2_TOP_ABSENT_WITHOUT_FEATURE
    assert set(event["requestContext"]) == SAM_V2_CONTEXT - V2_ABSENT_WITHOUT_FEATURE
    assert set(event["requestContext"]["http"]) == SAM_V2_HTTP
    # Payload 2.0 omits what the request lacks: no cookies, query, body, route parameters.
    bare = build_event(LocalRequest("GET", "/Prod/"), FrontDoor("v2", stage="Prod"))
    assert set(bare) == {
        "version", "routeKey", "rawPath", "rawQueryString", "headers", "requestContext",
        "isBase64Encoded",
    }  # fmt: skip


def test_function_url_event_has_the_keys_of_aws_sample() -> None:
    event = build_event(full_request("/x"), FrontDoor("url"))
    # Function URLs have neither route parameters nor stage variables.
    assert set(event) == SAM_V2_TOP - {"pathParameters", "stageVariables"}
    assert set(event["requestContext"]) == SAM_V2_CONTEXT - V2_ABSENT_WITHOUT_FEATURE


def test_alb_event_has_the_keys_of_aws_sample() -> None:
    event = build_event(full_request("/x"), FrontDoor("alb"))
    assert set(event) == SAM_ALB_TOP
    assert set(event["requestContext"]) == {"elb"}
    assert set(event["requestContext"]["elb"]) == {"targetGroupArn"}
    multi = build_event(full_request("/x"), FrontDoor("alb", multi_value_headers=True))
    renamed = {"headers": "multiValueHeaders", "queryStringParameters": "multiValueQueryStringParameters"}
    assert set(multi) == {renamed.get(key, key) for key in SAM_ALB_TOP}


def test_synthesized_events_share_sam_value_types(sam_events: dict[str, dict[str, Any]]) -> None:
    """Same keys is not enough: each field must hold the same JSON type as AWS's sample."""
    pairs = [
        (sam_events["v1"], build_event(full_request(), FrontDoor("v1", stage="Prod"))),
        (sam_events["v2"], build_event(full_request(), FrontDoor("v2", stage="Prod"))),
        (sam_events["alb"], build_event(full_request("/x"), FrontDoor("alb"))),
    ]
    for sample, ours in pairs:
        for key in set(sample) & set(ours):
            if sample[key] is None or ours[key] is None:
                continue
            assert type(ours[key]) is type(sample[key]), key
        sample_context, our_context = sample["requestContext"], ours["requestContext"]
        for key in set(sample_context) & set(our_context):
            if sample_context[key] is not None and our_context[key] is not None:
                assert type(our_context[key]) is type(sample_context[key]), key


# ------------------------------------------------------------ REST API (v1)


def test_rest_stage_url_keeps_the_stage_out_of_path() -> None:
    event = build_event(LocalRequest("GET", "/Prod/_dash-layout"), FrontDoor("v1", stage="Prod"))
    assert event["path"] == "/_dash-layout"
    assert event["requestContext"]["path"] == "/Prod/_dash-layout"
    assert event["requestContext"]["stage"] == "Prod"
    assert event["resource"] == event["requestContext"]["resourcePath"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "_dash-layout"}


@pytest.mark.parametrize("path", ["/Prod/", "/Prod"])
def test_rest_stage_root_uses_the_root_resource(path: str) -> None:
    event = build_event(LocalRequest("GET", path), FrontDoor("v1", stage="Prod"))
    assert event["path"] == "/"
    assert event["requestContext"]["path"] == path
    assert event["resource"] == "/"
    assert event["pathParameters"] is None


def test_rest_base_path_mapping_puts_it_in_both_paths() -> None:
    door = FrontDoor("v1", base_path="/dash/")
    event = build_event(LocalRequest("GET", "/dash/assets/logo.png"), door)
    assert event["path"] == event["requestContext"]["path"] == "/dash/assets/logo.png"
    assert event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "assets/logo.png"}
    assert event["requestContext"]["stage"] == "Prod"
    assert door.url_prefix == "/dash/"


def test_rest_custom_domain_without_base_path_has_no_prefix() -> None:
    event = build_event(LocalRequest("GET", "/x"), FrontDoor("v1"))
    assert event["path"] == event["requestContext"]["path"] == "/x"
    assert event["requestContext"]["stage"] == "Prod"


def test_rest_keeps_path_encoding_but_decodes_proxy_and_query() -> None:
    request = LocalRequest("GET", "/Prod/caf%C3%A9%20x", query_string="q=a%2Bb&q=c+d&e=")
    event = build_event(request, FrontDoor("v1", stage="Prod"))
    assert event["path"] == "/caf%C3%A9%20x"
    assert event["pathParameters"] == {"proxy": "café x"}
    assert event["queryStringParameters"] == {"q": "c+d", "e": ""}
    assert event["multiValueQueryStringParameters"] == {"q": ["a+b", "c+d"], "e": [""]}


def test_rest_headers_single_and_multi_views() -> None:
    event = build_event(full_request(), FrontDoor("v1", stage="Prod"))
    assert event["headers"]["Accept"] == "application/json"
    assert event["multiValueHeaders"]["Accept"] == ["text/html", "application/json"]
    assert event["headers"]["Cookie"] == "one=1; two=2"
    assert event["headers"]["Host"] == "127.0.0.1:8050"
    assert "Connection" not in event["headers"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.9"
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["headers"]["X-Forwarded-Port"] == "8050"
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.9"
    assert event["requestContext"]["identity"]["userAgent"] == "pytest"


def test_rest_appends_client_to_an_existing_forwarded_for() -> None:
    request = LocalRequest("GET", "/", headers=[("X-Forwarded-For", "10.0.0.1")], client_addr="::1")
    event = build_event(request, FrontDoor("v1"))
    assert event["headers"]["X-Forwarded-For"] == "10.0.0.1, ::1"
    assert event["multiValueHeaders"]["X-Forwarded-For"] == ["10.0.0.1, ::1"]


def test_rest_binary_media_types_base64_every_body() -> None:
    event = build_event(full_request(), FrontDoor("v1", stage="Prod"))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b'{"test":"body"}'
    plain = build_event(full_request(), FrontDoor("v1", stage="Prod", binary_media_types=False))
    assert plain == {**plain, "body": '{"test":"body"}', "isBase64Encoded": False}


def test_rest_request_time_format_is_locale_free() -> None:
    event = build_event(LocalRequest("GET", "/"), FrontDoor("v1"), now=1428582896.0)
    assert event["requestContext"]["requestTime"] == "09/Apr/2015:12:34:56 +0000"
    assert event["requestContext"]["requestTimeEpoch"] == 1428582896000


# ----------------------------------------------------------- HTTP API (v2)


def test_http_api_named_stage_keeps_it_in_raw_path() -> None:
    event = build_event(full_request(), FrontDoor("v2", stage="Prod"))
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/Prod/x"
    assert event["requestContext"]["stage"] == "Prod"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "ANY /{proxy+}"
    assert event["pathParameters"] == {"proxy": "x"}
    root = build_event(LocalRequest("GET", "/Prod/"), FrontDoor("v2", stage="Prod"))
    assert root["routeKey"] == "ANY /"
    assert "pathParameters" not in root


def test_http_api_default_stage_has_no_prefix() -> None:
    for door in (FrontDoor("v2"), FrontDoor("v2", stage="$default")):
        event = build_event(LocalRequest("GET", "/x"), door)
        assert event["rawPath"] == "/x"
        assert event["requestContext"]["stage"] == "$default"
        assert door.url_prefix == "/"


def test_http_api_headers_cookies_query_and_body() -> None:
    event = build_event(full_request(), FrontDoor("v2", stage="Prod"))
    assert event["headers"]["accept"] == "text/html,application/json"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["one=1", "two=2"]
    assert all(name == name.lower() for name in event["headers"])
    assert "connection" not in event["headers"]
    assert event["rawQueryString"] == "a=1&a=2&b=caf%C3%A9&c"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "café", "c": ""}
    # JSON is text to an HTTP API: not base64-encoded.
    assert event["body"] == '{"test":"body"}'
    assert event["isBase64Encoded"] is False


def test_http_api_decodes_raw_path() -> None:
    event = build_event(LocalRequest("GET", "/Prod/a%20b"), FrontDoor("v2", stage="Prod"))
    assert event["rawPath"] == "/Prod/a b"


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [
        ("application/json", False),
        ("text/plain; charset=utf-8", False),
        ("application/vnd.api+json", False),
        ("application/octet-stream", True),
        ("application/x-www-form-urlencoded", True),
        ("image/png", True),
        (None, True),
    ],
)
def test_payload2_base64_encodes_non_text_bodies(content_type: str | None, encoded: bool) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    request = LocalRequest("POST", "/x", headers=headers, body=b"payload")
    event = build_event(request, FrontDoor("url"))
    assert event["isBase64Encoded"] is encoded
    body = base64.b64decode(event["body"]) if encoded else event["body"].encode()
    assert body == b"payload"


def test_payload2_base64_encodes_text_that_is_not_utf8() -> None:
    request = LocalRequest("POST", "/x", headers=[("content-type", "text/plain")], body=b"\xff")
    event = build_event(request, FrontDoor("v2"))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff"


def test_http_api_base_path_keeps_the_mapping_key_in_raw_path() -> None:
    door = FrontDoor("v2", base_path="dash")
    event = build_event(LocalRequest("GET", "/dash/x"), door)
    assert event["rawPath"] == "/dash/x"
    assert event["pathParameters"] == {"proxy": "x"}
    assert event["requestContext"]["stage"] == "$default"


# ------------------------------------------------------------- Function URL


def test_function_url_event() -> None:
    event = build_event(full_request("/caf%C3%A9"), FrontDoor("url"))
    assert event["rawPath"] == "/caf%C3%A9"  # Function URLs keep the encoding
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "$default"
    assert event["requestContext"]["stage"] == "$default"
    assert event["requestContext"]["domainName"].endswith(".lambda-url.us-east-1.on.aws")
    assert event["requestContext"]["accountId"] == "anonymous"
    assert event["cookies"] == ["one=1", "two=2"]


# ---------------------------------------------------------------------- ALB


def test_alb_single_value_last_wins_and_query_stays_encoded() -> None:
    event = build_event(full_request("/x"), FrontDoor("alb"))
    assert event["headers"]["accept"] == "application/json"
    assert event["headers"]["cookie"] == "one=1; two=2"
    assert event["queryStringParameters"] == {"a": "2", "b": "caf%C3%A9", "c": ""}
    assert event["path"] == "/x"
    assert event["body"] == '{"test":"body"}'
    assert event["isBase64Encoded"] is False


def test_alb_multi_value() -> None:
    event = build_event(full_request("/x"), FrontDoor("alb", multi_value_headers=True))
    assert event["multiValueHeaders"]["accept"] == ["text/html", "application/json"]
    assert event["multiValueQueryStringParameters"] == {
        "a": ["1", "2"], "b": ["caf%C3%A9"], "c": [""],
    }  # fmt: skip
    assert "headers" not in event and "queryStringParameters" not in event


def test_alb_empty_body_is_an_empty_string() -> None:
    event = build_event(LocalRequest("GET", "/"), FrontDoor("alb"))
    assert event["body"] == ""
    assert event["isBase64Encoded"] is False
    assert event["queryStringParameters"] == {}


# ------------------------------------------------------------- the prefix


@pytest.mark.parametrize(
    ("door", "path", "status", "message"),
    [
        (FrontDoor("v1", stage="Prod"), "/", 403, "Forbidden"),
        (FrontDoor("v1", stage="Prod"), "/Production/x", 403, "Forbidden"),
        (FrontDoor("v1", stage="Prod"), "/favicon.ico", 403, "Forbidden"),
        (FrontDoor("v1", base_path="dash"), "/dashboard", 403, "Forbidden"),
        (FrontDoor("v2", stage="Prod"), "/x", 404, "Not Found"),
        (FrontDoor("v2", base_path="dash"), "/x", 403, "Forbidden"),
    ],
)
def test_outside_the_prefix_aws_answers_itself(door: FrontDoor, path: str, status: int, message: str) -> None:
    with pytest.raises(OutsidePrefixError) as caught:
        build_event(LocalRequest("GET", path), door)
    assert caught.value.response.status == status
    assert json.loads(caught.value.response.body) == {"message": message}
    assert caught.value.response.header("content-type") == "application/json"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"payload": "url", "stage": "Prod"}, "has no stage"),
        ({"payload": "alb", "stage": "Prod"}, "has no stage"),
        ({"payload": "alb", "base_path": "dash"}, "no base-path mapping"),
        ({"payload": "v1", "stage": "Prod", "base_path": "dash"}, "not both"),
        ({"payload": "v1", "stage": "Pr od"}, "not a valid API Gateway stage"),
        ({"payload": "v1", "base_path": "a b"}, "not a valid URL path"),
        ({"payload": "v3"}, "payload must be one of"),
    ],
)
def test_front_door_rejects_impossible_setups(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FrontDoor(**kwargs)


def test_front_door_prefixes_and_limits() -> None:
    assert FrontDoor("v1", stage="Prod").url_prefix == "/Prod/"
    assert FrontDoor("v1", base_path="/a/b/").url_prefix == "/a/b/"
    assert FrontDoor("v1", base_path="/").url_prefix == "/"
    assert FrontDoor("url").url_prefix == "/"
    assert FrontDoor("alb").response_limit == ALB_RESPONSE_LIMIT
    assert FrontDoor("v2").response_limit == LAMBDA_RESPONSE_LIMIT == 6_291_556
    assert FrontDoor("v1", base_path="a/b").app_route("/a/b") == "/"
    assert FrontDoor("v1", base_path="a/b").app_route("/a/b/c") == "/c"
    assert FrontDoor("v1", base_path="a/b").app_route("/a/bc") is None


def test_events_are_json_serializable_for_every_payload() -> None:
    for payload in PAYLOADS:
        stage = "Prod" if payload in ("v1", "v2") else None
        path = "/Prod/x" if stage else "/x"
        event = build_event(full_request(path), FrontDoor(payload, stage=stage))
        assert json.loads(json.dumps(event)) == event


# ------------------------------------------ what a WSGI layer reads from them


_header_name = st.from_regex(r"X-[A-Za-z][A-Za-z0-9-]{0,10}", fullmatch=True)
_header_value = st.from_regex(r"[ -~]{0,20}", fullmatch=True).map(str.strip)
_segment = st.text(min_size=1, max_size=6).map(lambda text: quote(text, safe="~@:"))


@example(payload="v1", segments=[], headers=[("X-A", ""), ("X-a", "")], body=b"", method="GET")
@settings(max_examples=200, deadline=None)
@given(
    payload=st.sampled_from(PAYLOADS),
    segments=st.lists(_segment, max_size=4),
    headers=st.lists(st.tuples(_header_name, _header_value), max_size=5),
    body=st.binary(max_size=64),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
)
def test_apig_wsgi_reads_back_the_request(
    payload: str, segments: list[str], headers: list[tuple[str, str]], body: bytes, method: str
) -> None:
    """The WSGI environ apig-wsgi builds from our events describes the original request."""
    stage = "Prod" if payload in ("v1", "v2") else None
    door = FrontDoor(payload, stage=stage)
    if payload == "v2":
        # An HTTP API hands over rawPath decoded and apig-wsgi unquotes it once
        # more, so only plain ASCII paths survive that pair unchanged (AWS's
        # behaviour, not ours; see test_http_api_decodes_raw_path).
        segments = [unquote(s) for s in segments if quote(unquote(s), safe="") == unquote(s)]
    app_path = "/" + "/".join(segments)
    path = f"/Prod{app_path}" if stage else app_path
    request = LocalRequest(
        method, path, headers=[*headers, ("Content-Type", "application/octet-stream")], body=body
    )
    event = json.loads(json.dumps(build_event(request, door)))
    if payload in ("v2", "url"):
        environ = get_environ_v2(event, None)
    else:
        environ = get_environ_v1(event, None, encode_query_params=payload == "v1")
    assert environ["REQUEST_METHOD"] == method
    assert environ["wsgi.input"].read() == body
    last: dict[str, str] = {}
    for name, value in headers:
        key = "HTTP_" + name.upper().replace("-", "_")
        if payload in ("v2", "url"):
            last[key] = f"{last[key]},{value}" if key in last else value
        elif payload == "alb" or key not in last:
            last[key] = value
        else:
            last[key] = f"{last[key]},{value}"
    for key, value in last.items():
        assert environ[key] == value
    if payload == "v1":
        # apig-wsgi routes on ``path``; on a stage URL it lacks the stage.
        assert _wsgi_path(environ) == unquote(app_path)
    else:
        assert _wsgi_path(environ) == unquote(path)


def _wsgi_path(environ: dict[str, Any]) -> str:
    """PATH_INFO as text: WSGI carries it as bytes decoded with ISO-8859-1."""
    path: str = environ["PATH_INFO"]
    return path.encode("iso-8859-1").decode("utf-8")


# ------------------------------------------------------------- responses


def test_decode_rest_response_merges_headers_multi_value_wins() -> None:
    response = {
        "statusCode": 302,
        "headers": {"Location": "/Prod/", "Set-Cookie": "lost=1", "Content-Length": "99"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": "",
        "isBase64Encoded": False,
    }
    decoded = decode_response(response, FrontDoor("v1", stage="Prod"))
    assert decoded.status == 302
    assert decoded.header("location") == "/Prod/"
    assert decoded.header_values("set-cookie") == ["a=1", "b=2"]
    assert decoded.header("content-length") is None  # the server recomputes it


def test_decode_rest_response_rejects_payload2_cookies() -> None:
    response = {"statusCode": 200, "headers": {}, "cookies": ["a=1"], "body": ""}
    with pytest.raises(MalformedResponseError, match="'cookies'"):
        decode_response(response, FrontDoor("v1"))


def test_decode_http_api_response_turns_cookies_into_set_cookie() -> None:
    response = {
        "statusCode": 200,
        "headers": {"content-type": "text/plain"},
        "cookies": ["a=1; Path=/", "b=2"],
        "body": "hi",
    }
    decoded = decode_response(response, FrontDoor("v2"))
    assert decoded.header_values("Set-Cookie") == ["a=1; Path=/", "b=2"]
    assert decoded.body == b"hi"


def test_decode_base64_body() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00"
    response = {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": base64.b64encode(png).decode(),
        "isBase64Encoded": True,
    }
    for payload in PAYLOADS:
        assert decode_response(response, FrontDoor(payload)).body == png


def test_decode_alb_uses_the_header_form_the_target_group_is_set_to() -> None:
    multi = {"statusCode": 200, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": ""}
    single = {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": ""}
    decoded = decode_response(multi, FrontDoor("alb", multi_value_headers=True))
    assert decoded.header_values("set-cookie") == ["a=1", "b=2"]
    assert decode_response(single, FrontDoor("alb")).header("content-type") == "text/plain"
    with pytest.raises(MalformedResponseError, match="must use multiValueHeaders"):
        decode_response(single, FrontDoor("alb", multi_value_headers=True))
    with pytest.raises(MalformedResponseError, match="must use headers"):
        decode_response(multi, FrontDoor("alb"))


def test_decode_payload2_infers_a_json_response() -> None:
    decoded = decode_response({"hello": "world"}, FrontDoor("url"))
    assert decoded.status == 200
    assert decoded.header("content-type") == "application/json"
    assert json.loads(decoded.body) == {"hello": "world"}


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ("oops", "not a proxy response"),
        ({"body": "x"}, "statusCode"),
        ({"statusCode": "200"}, "statusCode"),
        ({"statusCode": True}, "statusCode"),
        ({"statusCode": 200, "body": {"a": 1}}, "body must be a string"),
        ({"statusCode": 200, "body": "!!", "isBase64Encoded": True}, "not base64"),
        ({"statusCode": 200, "isBase64Encoded": "yes"}, "isBase64Encoded"),
        ({"statusCode": 200, "headers": {"X": {"a": 1}}}, "must be a string"),
        ({"statusCode": 200, "headers": ["X"]}, "must be an object"),
        ({"statusCode": 200, "multiValueHeaders": {"X": "y"}}, "list of strings"),
    ],
)
def test_decode_rejects_what_api_gateway_calls_malformed(response: Any, message: str) -> None:
    with pytest.raises(MalformedResponseError, match=message):
        decode_response(response, FrontDoor("v1"))


def test_decode_stringifies_numeric_header_values() -> None:
    decoded = decode_response({"statusCode": 200, "headers": {"X-N": 3, "X-B": True}}, FrontDoor())
    assert decoded.header("x-n") == "3"
    assert decoded.header("x-b") == "true"


def test_local_context_counts_down() -> None:
    context = LocalContext(timeout_seconds=3)
    assert 0 < context.get_remaining_time_in_millis() <= 3000
    assert context.invoked_function_arn.startswith("arn:aws:lambda:us-east-1:")
    assert context.log_group_name == "/aws/lambda/dash-lambda-local"
    assert context.aws_request_id != LocalContext().aws_request_id
