import dash
from dash import dcc, html

dash.register_page(__name__, path_template="/report/<report_id>", name="Report")


def layout(report_id: str | None = None, **_query: str) -> html.Div:
    return html.Div(
        [
            html.H2(f"Report {report_id}"),
            dcc.Link("Back to analytics", href=dash.get_relative_path("/analytics"), id="report-back"),
        ]
    )
