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
