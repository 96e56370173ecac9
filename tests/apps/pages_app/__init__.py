"""A Dash Pages app: the page registry is process-global, its paths per prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash
from dash import html


def build_app(dash_kwargs: dict[str, Any] | None = None) -> dash.Dash:
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(Path(__file__).with_name("pages")),
        **(dash_kwargs or {}),
    )
    app.layout = html.Div(
        [
            html.Div(
                [
                    html.A(page["name"], href=page["relative_path"], id=f"link-{page['name']}")
                    for page in dash.page_registry.values()
                ],
                id="nav",
            ),
            dash.page_container,
        ]
    )
    return app
