"""A Dash project as people write it, to be served through the Lambda handler unchanged.

A module-level app with Dash Pages and an external stylesheet, CSS and an
image in ``assets/``, ``@app.callback`` on that app, ``server = app.server``
for gunicorn, and Flask routes of its own (a login that redirects with
``url_for``).  The navigation is computed once, at import, from the page
registry, as Dash's Pages documentation shows it.
"""

from __future__ import annotations

import dash
import flask
import werkzeug
from dash import Dash, Input, Output, dcc, html

app = Dash(
    __name__,
    use_pages=True,
    # A stylesheet from elsewhere, as a data: URL so the browser tests stay offline.
    external_stylesheets=["data:text/css,nav%20a%7Bmargin-right%3A1em%7D"],
    title="Existing Project",
)
server: flask.Flask = app.server  # gunicorn app:server

app.layout = html.Div(
    [
        html.Img(id="logo", src=app.get_asset_url("logo.png"), height=24),
        html.Nav(
            [
                dcc.Link(page["name"], href=page["relative_path"], id=f"nav-{page['name'].lower()}")
                for page in dash.page_registry.values()
            ],
            id="nav",
        ),
        dcc.Input(id="name", value="world"),
        html.Div(id="greeting"),
        dash.page_container,
    ]
)


@app.callback(Output("greeting", "children"), Input("name", "value"))
def greet(name: str) -> str:
    return f"Hello, {name}!"


@server.route("/login")
def login() -> werkzeug.Response:
    return flask.redirect(flask.url_for("account"))


@server.route("/account")
def account() -> str:
    return "account page"
