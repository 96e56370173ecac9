"""Which requests a new sandbox sends itself at init (the handler's side is in test_static_export_serving)."""

from __future__ import annotations

import dash
from dash import dcc, html

from dash_lambda import priming
from dash_lambda.sources import find_source

PAGE = """<!DOCTYPE html><html><head>
<link rel="icon" href="/Prod/_favicon.ico?v=4.4.1">
<link rel="stylesheet" href="https://cdn.example.com/theme.css">
<link rel="stylesheet" href="//cdn.example.com/protocol-relative.css">
<link rel="stylesheet" href="/Prod/assets/style.css?m=17#top">
</head><body>
<script src="/Prod/_dash-component-suites/dash/deps/react@18.v4_4_1m1700000000.3.1.min.js"></script>
<script src="/elsewhere/_dash-component-suites/other.js"></script>
<script src="/Prod/assets/app.js?m=17"></script>
<script src="/Prod/assets/app.js?m=17"></script>
<script id="_dash-renderer" type="application/javascript">var renderer = new DashRenderer();</script>
<a href="/Prod/assets/not-loaded.pdf">a link is not a subresource</a>
</body></html>"""


def test_the_files_a_page_loads_from_below_its_prefix_once_each_with_their_queries() -> None:
    assert priming.referenced_files(PAGE, "/Prod/") == [
        ("/_favicon.ico", "v=4.4.1"),
        ("/assets/style.css", "m=17"),
        ("/_dash-component-suites/dash/deps/react@18.v4_4_1m1700000000.3.1.min.js", ""),
        ("/assets/app.js", "m=17"),
    ]


def test_under_the_root_prefix_other_sites_files_stay_out() -> None:
    found = [path for path, _ in priming.referenced_files(PAGE, "/")]
    assert "//cdn.example.com/protocol-relative.css" not in found
    assert "/elsewhere/_dash-component-suites/other.js" not in found  # not a path Dash serves at /
    assert "/Prod/assets/style.css" not in found


def test_on_demand_chunks_come_from_what_dash_registered_for_the_index_without_source_maps() -> None:
    app = dash.Dash(__name__)
    app.layout = html.Div([dcc.Graph(id="graph")])
    assert priming.on_demand_scripts(app) == []  # nothing registered before the index is served
    assert app.server.test_client().get("/").status_code == 200
    chunks = priming.on_demand_scripts(app)
    assert "/_dash-component-suites/dash/dcc/async-graph.js" in chunks
    assert "/_dash-component-suites/plotly/package_data/plotly.min.js" in chunks
    assert not any(path.endswith(".map") for path in chunks)


def test_static_events_put_chunks_first_and_are_anonymous_events_of_both_payloads() -> None:
    app = dash.Dash(__name__)
    app.layout = html.Div([dcc.Graph(id="graph")])
    index = app.server.test_client().get("/").get_data(as_text=True)
    events = priming.static_events(index, "/", app)
    paths = [event.get("rawPath") or event.get("path") for event in events]
    assert paths.index("/_dash-component-suites/plotly/package_data/plotly.min.js") < paths.index(
        "/_favicon.ico"
    )
    assert {find_source(event).name for event in events} == {"v1", "v2"}  # type: ignore[union-attr]
    for event in events:
        headers = {name.lower() for name in event.get("headers") or {}}
        assert not headers & {"cookie", "authorization", "origin"} and not event.get("cookies")
