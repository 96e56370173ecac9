import dash
from dash import dcc, html

dash.register_page(__name__, path="/", name="Home")

# Computed once, at import: the link carries the prefix the app had then.
layout = html.Div(
    [
        html.H2("Home page"),
        dcc.Link("Report 7", href=dash.get_relative_path("/report/7"), id="home-report-link"),
    ]
)
