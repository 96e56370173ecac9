"""A Dash app with background callbacks, for the LambdaManager tests and the browser test.

``run`` reports progress to a progress bar, sets a note with ``set_props``,
disables its button while it runs (``running``) and can be cancelled;
``fail`` raises; ``slow`` does ``run``'s work as an ordinary callback;
``bad`` reports a value that is not JSON; ``echo`` returns the size of a large argument and what
``current_event()`` / ``current_context()`` showed it.  Step count and
delay come from the page, so a test chooses how long a job runs.

Callbacks are registered on the app (``app.callback``), so this module can
share a process with the other test apps.
"""

from __future__ import annotations

import time
from typing import Any

import dash
from dash import Input, Output, State, dcc, html, set_props

from dash_lambda import LambdaManager, current_context, current_event

TITLE = "Background Callbacks"
#: Poll interval of every background callback here (Dash's default is 1 s).
INTERVAL_MS = 200


def build_app(dash_kwargs: dict[str, Any] | None = None, manager: LambdaManager | None = None) -> dash.Dash:
    """The app; ``manager`` defaults to a ``LambdaManager()`` configured by the environment."""
    manager = manager if manager is not None else LambdaManager()
    app = dash.Dash(
        __name__,
        title=TITLE,
        assets_folder="no-assets",
        background_callback_manager=manager,
        **(dash_kwargs or {}),
    )
    app.layout = html.Div(
        [
            html.H1(TITLE),
            dcc.Input(id="steps", type="number", value=5),
            dcc.Input(id="delay", type="number", value=0.3),
            html.Button("Run", id="run"),
            html.Button("Cancel", id="cancel", disabled=True),
            html.Progress(id="bar", value="0", max="10"),
            html.Div(id="note"),
            html.Div(id="result"),
            html.Button("Fail", id="fail"),
            html.Div(id="fail-result"),
            dcc.Store(id="payload", data=""),
            html.Button("Echo", id="echo"),
            html.Div(id="echo-result"),
            html.Button("Slow", id="slow"),
            html.Div(id="slow-result"),
            html.Button("Report something that is not JSON", id="bad"),
            dcc.Input(id="bad-kind", value="progress"),
            html.Progress(id="bad-bar", value="0"),
            html.Div(id="bad-result"),
        ]
    )

    @app.callback(
        Output("result", "children"),
        Input("run", "n_clicks"),
        State("steps", "value"),
        State("delay", "value"),
        background=True,
        progress=[Output("bar", "value"), Output("bar", "max")],
        running=[
            (Output("run", "disabled"), True, False),
            (Output("cancel", "disabled"), False, True),
        ],
        cancel=[Input("cancel", "n_clicks")],
        interval=INTERVAL_MS,
        prevent_initial_call=True,
    )
    def run(set_progress: Any, n_clicks: int, steps: int, delay: float) -> str:
        for step in range(1, int(steps) + 1):
            time.sleep(float(delay))
            set_progress((str(step), str(steps)))
            set_props("note", {"children": f"step {step} of {steps}"})
        return f"done after {steps} steps (click {n_clicks})"

    @app.callback(
        Output("fail-result", "children"),
        Input("fail", "n_clicks"),
        background=True,
        interval=INTERVAL_MS,
        prevent_initial_call=True,
    )
    def fail(n_clicks: int) -> str:
        raise ValueError(f"the job failed on purpose (click {n_clicks})")

    @app.callback(
        Output("echo-result", "children"),
        Input("echo", "n_clicks"),
        State("payload", "data"),
        background=True,
        interval=INTERVAL_MS,
        prevent_initial_call=True,
    )
    def echo(n_clicks: int, payload: str) -> str:
        event = current_event()
        context = current_context()
        source_ip = (event.get("requestContext") or {}).get("identity", {}).get("sourceIp") or (
            (event.get("requestContext") or {}).get("http", {}).get("sourceIp")
        )
        return (
            f"{len(payload)} characters; request from {source_ip}; "
            f"job request id {context.aws_request_id}; {context.get_remaining_time_in_millis() > 0}"
        )

    @app.callback(
        Output("bad-result", "children"),
        Input("bad", "n_clicks"),
        State("bad-kind", "value"),
        background=True,
        progress=[Output("bad-bar", "value")],
        interval=INTERVAL_MS,
        prevent_initial_call=True,
    )
    def bad(set_progress: Any, n_clicks: int, kind: str) -> str:
        """Reports a value JSON cannot hold, by ``set_progress`` or ``set_props`` (``kind``)."""
        if kind == "progress":
            set_progress(object())
        else:
            set_props("note", {"children": object()})
        return f"reported (click {n_clicks})"

    @app.callback(
        Output("slow-result", "children"),
        Input("slow", "n_clicks"),
        State("steps", "value"),
        State("delay", "value"),
        prevent_initial_call=True,
    )
    def slow(n_clicks: int, steps: int, delay: float) -> str:
        """The same work as ``run``, as an ordinary callback: it holds its request for all of it."""
        time.sleep(int(steps) * float(delay))
        return f"slow done after {steps} steps"

    return app
