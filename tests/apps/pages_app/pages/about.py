import dash
from dash import Input, Output, html

dash.register_page(__name__, path="/about", name="about", redirect_from=["/old-about"])


def layout(**_kwargs: object) -> html.Div:
    return html.Div([html.H2("About page"), html.Button(id="about-button"), html.Div(id="about-out")])


@dash.callback(Output("about-out", "children"), Input("about-button", "n_clicks"), prevent_initial_call=True)
def about_clicked(n_clicks: int) -> str:
    path: str = dash.get_relative_path(f"/about?clicks={n_clicks}")
    return path
