import dash
from dash import html

dash.register_page(__name__, path="/", name="home")

layout = html.H2("Home page")
