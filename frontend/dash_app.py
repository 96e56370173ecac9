"""The example dashboard: an ordinary Dash app, written as a builder function.

``build_app`` takes the Dash prefix options that dash_lambda chooses for each
external URL prefix (``/Prod/`` on a REST API stage URL, ``/`` on a custom
domain, ...) and passes them straight to ``Dash(...)``; that is the only thing
an app has to do to run behind dash_lambda. The same builder runs unchanged
under gunicorn (``wsgi.py``) and locally.

Callbacks are registered at module level with ``dash.callback``, as most Dash
code is written, so one registration serves every app the handler builds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import dash
import long_job
import plotly.graph_objects as go
import population
from dash import Dash, Input, Output, dcc, html

TITLE = "Dash on Lambda"
DEFAULT_COUNTRY = "Canada"


def build_app(dash_kwargs: Mapping[str, Any] | None = None) -> Dash:
    """Create the app; ``dash_kwargs`` (URL prefixes) go to ``Dash`` untouched."""
    jobs = long_job.manager()  # a long-callback demo when the deployment keeps background jobs
    app = Dash(__name__, title=TITLE, background_callback_manager=jobs, **dict(dash_kwargs or {}))
    app.layout = _layout(app, population.get_table())
    if jobs is not None:
        long_job.add_to(app)
    return app


def _layout(app: Dash, table: population.PopulationTable) -> html.Div:
    countries = table.countries
    initial = DEFAULT_COUNTRY if DEFAULT_COUNTRY in countries else countries[0]
    return html.Div(
        style={"fontFamily": "sans-serif", "maxWidth": "960px", "margin": "0 auto"},
        children=[
            html.H1(TITLE),
            html.P("This Dash app runs on AWS Lambda, wrapped by dash_lambda."),
            html.Img(
                id="architecture-img",
                src=app.get_asset_url("architecture.png"),
                alt="Browser, front door, AWS Lambda, Amazon S3",
                style={"maxWidth": "100%"},
            ),
            html.H2("Population by country"),
            dcc.Dropdown(id="country-dropdown", options=countries, value=initial, clearable=False),
            dcc.Graph(id="population-graph"),
            html.P(f"Data: {table.source}", id="data-source"),
            html.H2("How many days young are you?"),
            dcc.DatePickerSingle(id="birthdate-picker", placeholder="Your birthday"),
            html.Div(id="birthdate-output"),
        ],
    )


@dash.callback(Output("population-graph", "figure"), Input("country-dropdown", "value"))
def update_graph(country: str | None) -> go.Figure:
    """Line chart of one country's population over the years."""
    name = country or ""
    years, pops = population.get_table().series(name)
    figure = go.Figure(go.Scatter(x=years, y=pops, mode="lines+markers", name=name))
    figure.update_layout(
        title=f"Population of {name}",
        xaxis_title="Year",
        yaxis_title="Population",
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return figure


@dash.callback(
    Output("birthdate-output", "children"),
    Input("birthdate-picker", "date"),
    prevent_initial_call=True,
)
def days_young(birthdate: str | None) -> list[Any] | str:
    """Answer "You're N days young!" for a picked date (the picker sends ISO dates)."""
    if not birthdate:
        return ""
    days = (date.today() - date.fromisoformat(birthdate[:10])).days
    if days < 0:
        return "That date is in the future."
    return ["You're ", html.Strong(str(days)), " days young!"]
