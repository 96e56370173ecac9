"""Lambda-grade serving: compression, size limits, warm-ups, init build, health, auth."""

from __future__ import annotations

import base64
import json
import mimetypes
from typing import Any

import pytest
from apps import sample_app
from lambda_events import FakeContext, decode, drop_header, event_for, load

from dash_lambda import BasicAuth, HttpRequest, LambdaHandler, Refusal, Request, make_lambda_handler

#: Where Dash serves plotly.js (4.8 MB) when a Graph asks for it.
PLOTLY_JS = "/_dash-component-suites/plotly/package_data/plotly.min.js"


def index_with(handler: LambdaHandler, accept: str | None, door: str = "rest-stage-url") -> dict[str, Any]:
    event = event_for(door, "/")
    drop_header(event, "Accept-Encoding")
    if accept is not None:
        event = event_for(door, "/", headers={"Accept-Encoding": accept})
    return handler(event, FakeContext())


# --- compression ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0, gzip;q=0.1", "gzip"),
        ("*", "br"),
        ("*;q=0", None),
        ("identity", None),
        ("gzip;q=0", None),
        ("deflate", None),
        (None, None),
    ],
)
def test_compression_follows_accept_encoding(
    handler: LambdaHandler, accept: str | None, coding: str | None
) -> None:
    response = index_with(handler, accept)
    decoded = decode(response)
    assert decoded.status == 200
    assert decoded.header("content-encoding") == coding
    assert response["isBase64Encoded"] is (coding is not None)
    if coding:
        assert "Accept-Encoding" in (decoded.header("vary") or "")
    assert "<title>Sample Dashboard</title>" in decoded.text


@pytest.mark.parametrize("door", ["rest-stage-url", "http-api-stage", "alb", "alb-multi-value"])
def test_compressed_responses_are_base64_with_headers_for_every_door(
    handler: LambdaHandler, door: str
) -> None:
    response = index_with(handler, "gzip", door)
    decoded = decode(response)
    assert response["isBase64Encoded"] is True
    assert decoded.header("content-encoding") == "gzip"
    assert int(decoded.header("content-length") or 0) == len(base64.b64decode(response["body"]))


def test_small_bodies_are_not_compressed(handler: LambdaHandler) -> None:
    response = decode(
        handler(event_for("http-api-default", "/health", headers={"Accept-Encoding": "gzip"}), FakeContext())
    )
    assert response.header("content-encoding") is None
    small = decode(
        handler(
            event_for("http-api-default", "/big", query={"size": "500"}, headers={"Accept-Encoding": "gzip"}),
            FakeContext(),
        )
    )
    assert small.header("content-encoding") is None and len(small.body) == 500


def test_binary_bodies_are_not_compressed(handler: LambdaHandler) -> None:
    event = event_for(
        "http-api-default",
        "/big",
        query={"size": "5000", "kind": "binary"},
        headers={"Accept-Encoding": "gzip"},
    )
    response = decode(handler(event, FakeContext()))
    assert response.header("content-encoding") is None
    assert len(response.body) == 5000


def test_compression_can_be_turned_off_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASH_LAMBDA_COMPRESS", "false")
    handler = make_lambda_handler(sample_app.build_app)
    assert decode(index_with(handler, "gzip, br")).header("content-encoding") is None


def test_plotly_bundle_under_target_when_gzip_accepted(handler: LambdaHandler) -> None:
    response = handler(
        event_for("http-api-default", PLOTLY_JS, headers={"Accept-Encoding": "gzip"}), FakeContext()
    )
    on_the_wire = len(base64.b64decode(response["body"]))
    decoded = decode(response)
    assert b"Plotly" in decoded.body[:2000] or b"plotly" in decoded.body[:2000]
    assert on_the_wire <= 1_600_000 < len(decoded.body)


def test_static_responses_are_cached_per_sandbox() -> None:
    handler = make_lambda_handler(sample_app.build_app)
    event = event_for("http-api-default", PLOTLY_JS, headers={"Accept-Encoding": "gzip"})
    first = handler(event, FakeContext())
    reached_flask = len(sample_app.REQUESTS)
    second = handler(event, FakeContext())
    assert len(sample_app.REQUESTS) == reached_flask, "the warm request did not reach Flask"
    assert second["body"] == first["body"] and second is not first
    assert {k: v for k, v in second["headers"].items() if k != "age"} == first["headers"]
    assert second["headers"]["age"] == "0"  # RFC 9111 §5.1: a cache says how old its answer is
    other_coding = handler(
        event_for("http-api-default", PLOTLY_JS, headers={"Accept-Encoding": "br"}), FakeContext()
    )
    assert decode(other_coding).header("content-encoding") == "br"


def test_dynamic_responses_are_never_cached(handler: LambdaHandler) -> None:
    before = len(sample_app.REQUESTS)
    for _ in range(2):
        handler(event_for("http-api-default", "/_dash-layout"), FakeContext())
    assert len(sample_app.REQUESTS) == before + 2


def test_javascript_stays_text_when_mimetypes_say_application_javascript(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(mimetypes.types_map, ".js", "application/javascript")
    # A handler of its own: the session's may hold app.js, stored under the usual mimetype.
    handler = make_lambda_handler(sample_app.build_app, static_cache_mb=0)
    event = event_for("rest-stage-url", "/assets/app.js", headers={"Accept-Encoding": "identity"})
    response = handler(event, FakeContext())
    assert response["multiValueHeaders"]["Content-Type"][0].startswith("application/javascript")
    assert response["isBase64Encoded"] is False
    assert response["body"] == "window.sampleAssetLoaded = true;\n"


# --- size limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("door", "query"),
    [
        ("rest-stage-url", {"size": str(7 * 1024 * 1024)}),
        ("http-api-default", {"size": str(5 * 1024 * 1024), "kind": "binary"}),
        ("alb", {"size": str(1_500_000)}),
        ("alb-multi-value", {"size": str(800_000), "kind": "binary"}),
    ],
)
def test_oversized_response_gives_a_clear_error(
    handler: LambdaHandler, door: str, query: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    event = event_for(door, "/big", query=query, headers={"Accept-Encoding": "identity"})
    response = handler(event, FakeContext())
    assert response["statusCode"] == 500
    message = json.loads(response["body"])["message"]
    assert "/big" in message and "serve_locally=False" in message and "compress" in message
    assert "/big" in caplog.text and "accepts at most" in caplog.text


def test_compression_rescues_a_large_text_response(handler: LambdaHandler) -> None:
    event = event_for(
        "rest-stage-url", "/big", query={"size": str(7 * 1024 * 1024)}, headers={"Accept-Encoding": "gzip"}
    )
    response = decode(handler(event, FakeContext()))
    assert response.status == 200
    assert len(response.body) == 7 * 1024 * 1024


@pytest.mark.parametrize(("size", "status"), [(800_000, 200), (900_000, 500)])
def test_json_escaping_counts_toward_the_alb_limit(handler: LambdaHandler, size: int, status: int) -> None:
    """900 kB of JSON text has about 16% quotes and newlines: over 1 MB once serialized."""
    event = event_for("alb", "/big", query={"size": str(size)}, headers={"Accept-Encoding": "identity"})
    assert handler(event, FakeContext())["statusCode"] == status


# --- warm-ups and init ---------------------------------------------------------------------


def test_apps_are_built_at_init_when_prefixes_are_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASH_LAMBDA_PREFIXES", "/Prod/, /dash")
    before = len(sample_app.BUILDS)
    handler = make_lambda_handler(sample_app.build_app)
    assert sorted(handler.built_prefixes) == ["/Prod/", "/dash/"]
    assert len(sample_app.BUILDS) == before + 2
    handler(event_for("rest-stage-url", "/"), FakeContext())
    assert len(sample_app.BUILDS) == before + 2


def test_scheduled_event_builds_expected_apps_without_calling_dash() -> None:
    handler = make_lambda_handler(sample_app.build_app, prefixes=["/Prod/"], prime=False, max_apps=1)
    handler(event_for("rest-base-path", "/"), FakeContext())  # builds /dash/'s app, evicting /Prod/'s
    assert handler.built_prefixes == ["/dash/"]
    before = len(sample_app.REQUESTS)
    result = handler(load("scheduled-warmup"), FakeContext())
    assert result == {"warmed": ["/Prod/"]}
    assert len(sample_app.REQUESTS) == before


@pytest.mark.parametrize("ping", [{"warmup": True}, {"source": "serverless-plugin-warmup"}])
def test_plain_warmup_pings_are_answered(handler: LambdaHandler, ping: dict[str, object]) -> None:
    before = len(sample_app.REQUESTS)
    assert "warmed" in handler(ping, FakeContext())
    assert len(sample_app.REQUESTS) == before


# --- health --------------------------------------------------------------------------------


def broken_builder(_kwargs: dict[str, object]) -> object:
    raise RuntimeError("database unreachable")


@pytest.mark.parametrize("door", ["rest-stage-url", "http-api-stage", "alb", "function-url"])
def test_health_answers_without_building_dash(door: str) -> None:
    handler = make_lambda_handler(broken_builder)  # type: ignore[arg-type]
    response = decode(handler(event_for(door, "/health"), FakeContext()))
    assert response.status == 200
    assert response.json() == {"status": "ok"}
    assert response.header("cache-control") == "no-store"
    assert handler.built_prefixes == []


def test_health_path_is_configurable_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    custom = make_lambda_handler(broken_builder, health_path="/ping")  # type: ignore[arg-type]
    assert decode(custom(event_for("alb", "/ping"), FakeContext())).status == 200
    monkeypatch.setenv("DASH_LAMBDA_HEALTH_PATH", "off")
    off = make_lambda_handler(sample_app.build_app)
    page = decode(off(event_for("alb", "/health"), FakeContext()))
    assert page.status == 200 and "<title>Sample Dashboard</title>" in page.text


# --- auth ----------------------------------------------------------------------------------


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


@pytest.mark.parametrize("door", ["rest-stage-url", "http-api-default", "alb-multi-value"])
def test_basic_auth_accepts_refuses_and_exempts_health(door: str) -> None:
    handler = make_lambda_handler(sample_app.build_app, basic_auth="ada:s3cret")
    refused = decode(handler(event_for(door, "/"), FakeContext()))
    assert refused.status == 401
    assert refused.header("www-authenticate") == 'Basic realm="Dash", charset="UTF-8"'
    wrong = decode(
        handler(event_for(door, "/", headers={"Authorization": basic("ada:guess")}), FakeContext())
    )
    assert wrong.status == 401
    accepted = decode(
        handler(event_for(door, "/", headers={"Authorization": basic("ada:s3cret")}), FakeContext())
    )
    assert accepted.status == 200 and "Sample Dashboard" in accepted.text
    assert decode(handler(event_for(door, "/health"), FakeContext())).status == 200


def test_basic_auth_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASH_LAMBDA_BASIC_AUTH", "env:pw")
    handler = make_lambda_handler(sample_app.build_app)
    assert handler(event_for("http-api-default", "/"), FakeContext())["statusCode"] == 401
    ok = handler(
        event_for("http-api-default", "/", headers={"authorization": basic("env:pw")}), FakeContext()
    )
    assert ok["statusCode"] == 200


def test_basic_auth_scheme_is_case_insensitive() -> None:
    handler = make_lambda_handler(sample_app.build_app, basic_auth="ada:s3cret")
    token = base64.b64encode(b"ada:s3cret").decode()
    for header in (f"basic {token}", f"BASIC {token}", f"Basic  {token} "):
        response = handler(
            event_for("http-api-default", "/", headers={"authorization": header}), FakeContext()
        )
        assert response["statusCode"] == 200, header


def test_basic_auth_user_names_cannot_hold_a_colon() -> None:
    with pytest.raises(ValueError, match="cannot contain ':'"):
        BasicAuth("ada:lovelace", "s3cret")


def test_basic_auth_passed_in_code_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASH_LAMBDA_BASIC_AUTH", "env:pw")
    handler = make_lambda_handler(sample_app.build_app, basic_auth="ada:s3cret")
    env_creds = handler(
        event_for("http-api-default", "/", headers={"authorization": basic("env:pw")}), FakeContext()
    )
    assert env_creds["statusCode"] == 401
    ok = handler(
        event_for("http-api-default", "/", headers={"authorization": basic("ada:s3cret")}), FakeContext()
    )
    assert ok["statusCode"] == 200
    open_handler = make_lambda_handler(sample_app.build_app, basic_auth=None)
    assert open_handler(event_for("http-api-default", "/"), FakeContext())["statusCode"] == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "Digest username=ada",
        "Basic",
        "Basic !!!notbase64",
        "Basic " + base64.b64encode(b"ada").decode(),
        "Basic " + base64.b64encode(b"\xffada:s3cret").decode(),  # not UTF-8
        "Basic " + base64.b64encode(b"ada:s3cret:more").decode(),
        "Basic " + base64.b64encode(b"ada:s3cre").decode(),
        "Basic " + base64.b64encode(b"adb:s3cret").decode(),
    ],
)
def test_basic_auth_refuses_malformed_credentials(header: str) -> None:
    auth = BasicAuth("ada", "s3cret")
    request = HttpRequest(
        source=None,  # type: ignore[arg-type]
        prefix="/",
        app_path="/",
        method="GET",
        query="",
        wsgi_event={},
        headers={"Authorization": header},
    )
    refusal = auth(request)
    assert refusal is not None and refusal.status == 401


def test_custom_authorizer_can_refuse_with_its_own_response() -> None:
    def only_from_office(request: Request) -> Refusal | None:
        if request.header("x-office") == "yes":
            return None
        return Refusal(403, "Office network only", {"X-Reason": "network"})

    handler = make_lambda_handler(sample_app.build_app, authorizers=[only_from_office])
    refused = decode(handler(event_for("function-url", "/"), FakeContext()))
    assert (refused.status, refused.text, refused.header("x-reason")) == (
        403,
        "Office network only",
        "network",
    )
    assert (
        decode(handler(event_for("function-url", "/", headers={"X-Office": "yes"}), FakeContext())).status
        == 200
    )
    assert decode(handler(event_for("function-url", "/health"), FakeContext())).status == 200


def test_init_primes_the_first_page_loads_dynamic_requests() -> None:
    before = len(sample_app.REQUESTS)
    make_lambda_handler(sample_app.build_app, prefixes=["/Prod/"], basic_auth="ada:s3cret")
    primed = sample_app.REQUESTS[before:]
    assert sorted(set(primed)) == ["/", "/_dash-dependencies", "/_dash-layout"]
    assert len(primed) == 3 * 2 * 3  # rounds, payload formats, routes; past basic auth

    before = len(sample_app.REQUESTS)
    make_lambda_handler(sample_app.build_app, prefixes=["/Prod/"], prime=False)
    assert sample_app.REQUESTS[before:] == []


def test_compression_threshold_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    event = event_for("http-api-default", "/big", query={"size": "1500"}, headers={"Accept-Encoding": "gzip"})
    assert (
        decode(make_lambda_handler(sample_app.build_app)(event, FakeContext())).header("content-encoding")
        is None
    )
    monkeypatch.setenv("DASH_LAMBDA_COMPRESS_MIN_BYTES", "1000")
    compressed = decode(make_lambda_handler(sample_app.build_app)(event, FakeContext()))
    assert compressed.header("content-encoding") == "gzip" and len(compressed.body) == 1500


def test_an_authorizer_that_raises_gives_500_with_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    def broken(request: Request) -> Refusal | None:
        raise LookupError("token service down")

    handler = make_lambda_handler(sample_app.build_app, authorizers=[broken])
    response = decode(handler(event_for("rest-stage-url", "/"), FakeContext("auth-req-7")))
    assert response.status == 500 and "auth-req-7" in response.text
    assert "token service down" not in response.text
    assert "the authorizer failed" in caplog.text and "token service down" in caplog.text


def test_snapstart_hook_is_registered_when_the_runtime_offers_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """``snapshot_restore_py`` exists only in Lambda's runtime; a stand-in module records the hook."""
    import sys
    import types

    hooks: list[object] = []
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = hooks.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)

    handler = make_lambda_handler(sample_app.build_app, prefixes=["/Prod/"], prime=False, max_apps=1)
    assert hooks == [handler.warm]
    handler(event_for("rest-base-path", "/"), FakeContext())  # evicts /Prod/'s app
    assert handler.built_prefixes == ["/dash/"]
    hooks[0]()  # type: ignore[operator]
    assert handler.built_prefixes == ["/Prod/"]

    monkeypatch.delitem(sys.modules, "snapshot_restore_py")
    hooks.clear()
    make_lambda_handler(sample_app.build_app, prefixes=["/Prod/"], prime=False)  # outside Lambda
    assert hooks == []


def test_a_body_the_app_compressed_is_never_compressed_again(handler: LambdaHandler) -> None:
    event = event_for("http-api-default", "/precompressed", headers={"Accept-Encoding": "br, gzip"})
    response = decode(handler(event, FakeContext()))
    assert response.header("content-encoding") == "gzip"
    assert response.raw["isBase64Encoded"] is True
    assert response.body == b"already small " * 500


def test_head_requests_are_answered_uncompressed(handler: LambdaHandler) -> None:
    event = event_for("rest-stage-url", "/", method="HEAD", headers={"Accept-Encoding": "gzip"})
    response = decode(handler(event, FakeContext()))
    assert response.status == 200
    assert response.header("content-encoding") is None
