"""Every front door, every prefix case, through the real handler and a real Dash app."""

from __future__ import annotations

import re
from typing import Any

import pytest
from apps.sample_app import ASSETS
from lambda_events import (
    HTTP_FIXTURES,
    FakeContext,
    callback_event,
    dash_config,
    decode,
    event_for,
    find_component,
)

from dash_lambda import LambdaHandler

DOORS = pytest.mark.parametrize(("door", "prefix"), list(HTTP_FIXTURES.items()))


def get(handler: LambdaHandler, door: str, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return decode(handler(event_for(door, path, **kwargs), FakeContext()))  # type: ignore[arg-type]


@DOORS
def test_index_html_carries_the_external_prefix_in_every_url(
    handler: LambdaHandler, door: str, prefix: str
) -> None:
    page = get(handler, door, "/")
    assert page.status == 200
    assert page.header("content-type") == "text/html; charset=utf-8"
    assert "<title>Sample Dashboard</title>" in page.text
    script_urls = re.findall(r'<script src="([^"]+)"', page.text)
    assert script_urls, "the index lists Dash's bundles"
    assert all(url.startswith(prefix) for url in script_urls)
    assert any(url.startswith(f"{prefix}_dash-component-suites/dash/") for url in script_urls)
    assert any(url.startswith(f"{prefix}assets/app.js?m=") for url in script_urls)
    assert dash_config(page.text)["requests_pathname_prefix"] == prefix


@DOORS
def test_layout_uses_the_prefix_for_asset_urls(handler: LambdaHandler, door: str, prefix: str) -> None:
    layout = get(handler, door, "/_dash-layout")
    assert layout.status == 200
    assert layout.header("content-type") == "application/json"
    logo = find_component(layout.json(), "logo")
    assert logo is not None
    assert logo["src"] == f"{prefix}assets/logo.png"


@DOORS
def test_dependencies_list_every_module_level_callback(
    handler: LambdaHandler, door: str, prefix: str
) -> None:
    dependencies = get(handler, door, "/_dash-dependencies").json()
    outputs = {callback["output"] for callback in dependencies}
    assert {"population.figure", "days.children", "where.children"} <= outputs


@DOORS
def test_dropdown_callback_redraws_the_graph(handler: LambdaHandler, door: str, prefix: str) -> None:
    inputs = [{"id": "country", "property": "value", "value": "Chile"}]
    result = decode(handler(callback_event(door, "population.figure", inputs), FakeContext()))
    assert result.status == 200
    figure = result.json()["response"]["population"]["figure"]
    assert figure["data"][0]["name"] == "Chile"
    assert figure["data"][0]["y"] == [15.3, 17.1, 19.3]


@DOORS
def test_date_picker_callback_counts_days(handler: LambdaHandler, door: str, prefix: str) -> None:
    inputs = [{"id": "birthdate", "property": "date", "value": "2026-11-13"}]
    result = decode(handler(callback_event(door, "days.children", inputs), FakeContext()))
    assert result.status == 200
    assert result.json()["response"]["days"]["children"] == "You're 10 days young!"


@DOORS
def test_png_asset_is_base64_encoded_binary(handler: LambdaHandler, door: str, prefix: str) -> None:
    asset = get(handler, door, "/assets/logo.png")
    assert asset.status == 200
    assert asset.header("content-type") == "image/png"
    assert asset.raw["isBase64Encoded"] is True
    assert asset.body == (ASSETS / "logo.png").read_bytes()


@DOORS
def test_component_bundle_is_served_as_text(handler: LambdaHandler, door: str, prefix: str) -> None:
    page = get(handler, door, "/")
    bundle_url = next(
        url for url in re.findall(r'<script src="([^"]+)"', page.text) if "dash_renderer" in url
    )
    path, _, query = bundle_url[len(prefix) - 1 :].partition("?")
    bundle = get(
        handler,
        door,
        path,
        query=dict(p.split("=", 1) for p in query.split("&") if p),
        headers={"Accept-Encoding": "identity"},
    )
    assert bundle.status == 200
    assert "javascript" in (bundle.header("content-type") or "")
    assert bundle.raw["isBase64Encoded"] is False
    assert bundle.header("content-encoding") is None
    assert "dash_renderer" in bundle.text or "DashRenderer" in bundle.text


@DOORS
def test_query_strings_reach_the_app(handler: LambdaHandler, door: str, prefix: str) -> None:
    result = get(handler, door, "/whoami", query={"a": "1", "b": "two"})
    assert result.status == 200
    seen = result.json()
    assert seen["path"] == "/whoami"
    assert seen["query"] == "a=1&b=two"
    assert seen["args"] == {"a": "1", "b": "two"}


def test_rest_base_path_detected_from_proxy_parameters(handler: LambdaHandler) -> None:
    event = event_for("rest-base-path", "/_dash-layout")
    assert event["path"] == "/dash/_dash-layout" == event["requestContext"]["path"]
    assert get(handler, "rest-base-path", "/_dash-layout").status == 200


def test_sam_local_route_template_is_not_taken_for_a_prefix(handler: LambdaHandler) -> None:
    event = event_for("sam-local", "/page")
    assert event["requestContext"]["path"] == "/{proxy+}"
    page = decode(handler(event, FakeContext()))
    assert dash_config(page.text)["requests_pathname_prefix"] == "/"


def test_sam_generate_event_proxy_with_leading_slash(handler: LambdaHandler) -> None:
    """``sam local generate-event`` writes ``proxy`` as ``/x``; AWS writes ``x``."""
    event = event_for("rest-stage-url", "/_dash-layout")
    event["pathParameters"]["proxy"] = "/_dash-layout"
    assert decode(handler(event, FakeContext())).status == 200


def test_http_api_named_stage_default_route_strips_the_stage(handler: LambdaHandler) -> None:
    event = event_for("http-api-stage", "/_dash-layout")
    event["routeKey"] = event["requestContext"]["routeKey"] = "$default"
    event.pop("pathParameters", None)
    layout = decode(handler(event, FakeContext()))
    assert layout.status == 200
    assert find_component(layout.json(), "logo")["src"] == "/Prod/assets/logo.png"  # type: ignore[index]


def http_api_payload_1(path: str, *, stage: str = "Prod", proxy_route: bool = False) -> dict[str, Any]:
    """An HTTP API's payload 1.0 event: REST-shaped, but ``path`` is the URL's, stage included.

    As a captured event shows it (Worklytics/psoxy, ``api-gateway-v2-payload-v1.json``),
    and as AWS documents it: "use format 1.0 and ``path``" to see the API mapping.
    """
    event = event_for("rest-stage-url", "/")
    url_path = path if stage == "$default" else f"/{stage}{path}"
    route = "/{proxy+}" if proxy_route else "$default"
    event.update(version="1.0", path=url_path, resource=route)
    event["pathParameters"] = {"proxy": path.lstrip("/")} if proxy_route else None
    event["requestContext"].update(path=url_path, stage=stage, resourcePath=route, resourceId=route)
    return event


@pytest.mark.parametrize("proxy_route", [False, True], ids=["default-route", "proxy-route"])
def test_http_api_payload_1_0_on_a_named_stage_routes_without_the_stage(
    handler: LambdaHandler, proxy_route: bool
) -> None:
    layout = decode(handler(http_api_payload_1("/_dash-layout", proxy_route=proxy_route), FakeContext()))
    assert layout.status == 200
    assert layout.header("content-type") == "application/json"
    assert find_component(layout.json(), "logo")["src"] == "/Prod/assets/logo.png"  # type: ignore[index]
    index = decode(handler(http_api_payload_1("/"), FakeContext()))
    assert dash_config(index.text)["requests_pathname_prefix"] == "/Prod/"


def test_http_api_payload_1_0_bare_stage_redirects_and_default_stage_has_no_prefix(
    handler: LambdaHandler,
) -> None:
    event = http_api_payload_1("/")
    event["path"] = event["requestContext"]["path"] = "/Prod"
    redirect = decode(handler(event, FakeContext()))
    assert (redirect.status, redirect.header("location")) == (308, "/Prod/")
    index = decode(handler(http_api_payload_1("/", stage="$default"), FakeContext()))
    assert dash_config(index.text)["requests_pathname_prefix"] == "/"


def test_http_api_custom_domain_mapping_key_found_from_proxy(handler: LambdaHandler) -> None:
    event = event_for("http-api-default", "/_dash-layout")
    event["rawPath"] = "/dash/_dash-layout"
    event["routeKey"] = "ANY /{proxy+}"
    event["pathParameters"] = {"proxy": "_dash-layout"}
    layout = decode(handler(event, FakeContext()))
    assert layout.status == 200
    assert find_component(layout.json(), "logo")["src"] == "/dash/assets/logo.png"  # type: ignore[index]


@pytest.mark.parametrize("door", ["rest-stage-url", "http-api-stage", "alb"])
def test_explicit_prefix_overrides_detection(door: str) -> None:
    """Behind CloudFront the stage is hidden from the browser; the override says so."""
    from apps.sample_app import build_app

    from dash_lambda import make_lambda_handler

    behind_cloudfront = make_lambda_handler(build_app, prefix="/app/")
    page = decode(behind_cloudfront(event_for(door, "/"), FakeContext()))
    assert dash_config(page.text)["requests_pathname_prefix"] == "/app/"
    assert decode(behind_cloudfront(event_for(door, "/_dash-layout"), FakeContext())).status == 200


def test_prefix_override_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from apps.sample_app import build_app

    from dash_lambda import make_lambda_handler

    monkeypatch.setenv("DASH_LAMBDA_PREFIX", "/cdn")
    page = decode(make_lambda_handler(build_app)(event_for("rest-stage-url", "/"), FakeContext()))
    assert dash_config(page.text)["requests_pathname_prefix"] == "/cdn/"


@pytest.mark.parametrize(
    ("door", "field", "sent"),
    [
        ("http-api-default", "rawPath", "/path/100% sure?#café"),  # HTTP APIs deliver the path decoded
        ("function-url", "rawPath", "/path/100%25%20sure%3F%23caf%C3%A9"),  # Function URLs keep it encoded
        ("rest-custom-domain", "path", "/path/100%25%20sure%3F%23caf%C3%A9"),
        ("alb", "path", "/path/100%25%20sure%3F%23caf%C3%A9"),
    ],
)
def test_odd_characters_in_paths_reach_the_app_decoded_once(
    handler: LambdaHandler, door: str, field: str, sent: str
) -> None:
    event = event_for(door, "/path/x")
    event[field] = sent
    if event.get("pathParameters"):
        event["pathParameters"] = None
        event["resource"] = "/path/{rest+}"
    response = decode(handler(event, FakeContext()))
    assert response.status == 200, response.text
    assert response.json() == {"rest": "100% sure?#café"}
