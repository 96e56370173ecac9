"""A dashboard built from third-party component libraries: dash-bootstrap-components and dash-ag-grid.

Their bundles are registered by the libraries themselves (``_js_dist`` with
async chunks for AG Grid), not by Dash, so an export that only knew Dash's
own files would miss them.  Imported only in child processes (see
``tests/_static_export.py``): importing a component library registers it
for every app in the process.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, html

ROWS = [{"country": "Canada", "pop": 38.0}, {"country": "Chile", "pop": 19.3}]


def build_app(dash_kwargs: dict[str, Any] | None = None) -> dash.Dash:
    app = dash.Dash(__name__, title="Third-party components", **(dash_kwargs or {}))
    app.layout = dbc.Container(
        [
            html.H1("Third-party components"),
            dbc.Button("Count", id="count", n_clicks=0),
            html.Div(id="clicks"),
            dag.AgGrid(
                id="grid",
                rowData=ROWS,
                columnDefs=[{"field": "country"}, {"field": "pop"}],
            ),
        ]
    )
    return app


@dash.callback(Output("clicks", "children"), Input("count", "n_clicks"))
def show_clicks(n_clicks: int) -> str:
    return f"{n_clicks} clicks"
