import dash
from dash import html

dash.register_page(__name__, path="/links", name="links")

# A module-level layout: computed when the build imports the page, with that build's prefix.
layout = html.Div(
    [html.H2("Links page"), html.A("About", href=dash.get_relative_path("/about"), id="links-about")]
)
