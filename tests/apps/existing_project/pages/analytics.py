import dash
from dash import Input, Output, dcc, html

dash.register_page(__name__, path="/analytics", name="Analytics", redirect_from=["/stats"])


def layout(**_query: str) -> html.Div:
    # Computed per request: the links carry the prefix of the request being served.
    return html.Div(
        [
            html.H2("Analytics page"),
            html.A("Report 42", href=dash.get_relative_path("/report/42"), id="analytics-report-link"),
            html.Img(src=dash.get_asset_url("logo.png"), id="analytics-logo"),
            dcc.Dropdown(id="metric", options=["visits", "sales"], value="visits"),
            html.Div(id="metric-link"),
        ]
    )


@dash.callback(Output("metric-link", "children"), Input("metric", "value"))
def metric_link(metric: str) -> str:
    path: str = dash.get_relative_path(f"/analytics?metric={metric}")
    return path
