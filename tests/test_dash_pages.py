"""Dash Pages across prefixes: registry paths, page routing and page callbacks follow the app."""

from __future__ import annotations

import dash
from apps import pages_app
from lambda_events import FakeContext, callback_body, decode, event_for, find_component

from dash_lambda import make_lambda_handler

DOORS = {"rest-stage-url": "/Prod/", "rest-custom-domain": "/", "rest-base-path": "/dash/"}


def post(handler, door: str, body: str):  # type: ignore[no-untyped-def]
    event = event_for(
        door,
        "/_dash-update-component",
        method="POST",
        body=body,
        headers={"Content-Type": "application/json"},
    )
    return decode(handler(event, FakeContext()))


def test_pages_follow_the_app_serving_the_request() -> None:
    handler = make_lambda_handler(pages_app.build_app)
    for _ in range(2):
        for door, prefix in DOORS.items():
            layout = decode(handler(event_for(door, "/_dash-layout"), FakeContext())).json()
            assert find_component(layout, "link-about")["href"] == f"{prefix}about"  # type: ignore[index]
            about = next(p for p in dash.page_registry.values() if p["name"] == "about")
            assert about["relative_path"] == f"{prefix}about"

            routed = post(
                handler,
                door,
                callback_body(
                    ".._pages_content.children..._pages_store.data..",
                    [
                        {"id": "_pages_location", "property": "pathname", "value": f"{prefix}about"},
                        {"id": "_pages_location", "property": "search", "value": ""},
                    ],
                ),
            )
            assert routed.status == 200, routed.text
            assert "About page" in routed.text

            clicked = post(
                handler,
                door,
                callback_body(
                    "about-out.children", [{"id": "about-button", "property": "n_clicks", "value": 3}]
                ),
            )
            assert clicked.status == 200, clicked.text
            assert clicked.json()["response"]["about-out"]["children"] == f"{prefix}about?clicks=3"


def route(handler, door: str, prefix: str, path: str):  # type: ignore[no-untyped-def]
    return post(
        handler,
        door,
        callback_body(
            ".._pages_content.children..._pages_store.data..",
            [
                {"id": "_pages_location", "property": "pathname", "value": prefix + path.lstrip("/")},
                {"id": "_pages_location", "property": "search", "value": ""},
            ],
        ),
    )


def test_each_app_keeps_the_module_level_page_layouts_of_its_own_build() -> None:
    handler = make_lambda_handler(pages_app.build_app)
    # Each build imports pages/ again; the last one (/dash/) must not leak into the others.
    for door in DOORS:
        handler(event_for(door, "/"), FakeContext())
    for _ in range(2):
        for door, prefix in DOORS.items():
            routed = route(handler, door, prefix, "/links")
            assert routed.status == 200, routed.text
            content = routed.json()["response"]["_pages_content"]["children"]
            assert find_component(content, "links-about")["href"] == f"{prefix}about"  # type: ignore[index]


def test_redirect_from_answers_under_each_prefix_with_its_own_target() -> None:
    handler = make_lambda_handler(pages_app.build_app)
    for _ in range(2):
        for door, prefix in DOORS.items():
            # Serving a layout first: Dash then keeps that app as dash.get_app(), which
            # must not be where the next build's redirect_from routes go.
            assert decode(handler(event_for(door, "/_dash-layout"), FakeContext())).status == 200
            moved = decode(handler(event_for(door, "/old-about"), FakeContext()))
            assert (moved.status, moved.header("location")) == (301, f"{prefix}about")
