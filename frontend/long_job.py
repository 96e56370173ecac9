"""The long-callback demo, shown when the deployment keeps background jobs.

With ``BackgroundCallbacks=true`` the template sets ``DASH_LAMBDA_JOBS_BUCKET``
(locally, set ``DASH_LAMBDA_JOBS_DIR``), and the page gains a background
callback that walks through every country slowly, reporting progress. It
runs in an asynchronous invocation of the function, longer than API
Gateway's 29 s, and can be cancelled. Without a job store the page stays as
it was.
"""

from __future__ import annotations

import os
import time
from typing import Any

import population
from dash import Dash, Input, Output, html

#: How long the demo job takes, in seconds.
SECONDS = float(os.environ.get("LONG_JOB_SECONDS", "40"))


def manager() -> Any:
    """A ``LambdaManager`` when the deployment has a job store, else None (no demo).

    dash_lambda is imported only then: the container path (``wsgi.py``) runs
    without it.
    """
    if os.environ.get("DASH_LAMBDA_JOBS_BUCKET") or os.environ.get("DASH_LAMBDA_JOBS_DIR"):
        from dash_lambda import LambdaManager

        return LambdaManager()
    return None


def add_to(app: Dash) -> None:
    """Append the demo to the page and register its callback on ``app``."""
    app.layout.children += [
        html.H2("A long callback"),
        html.P(f"Finds the most populous country, slowly: {SECONDS:.0f} s, past API Gateway's 29 s."),
        html.Button("Start", id="long-job-start"),
        html.Button("Cancel", id="long-job-cancel", disabled=True),
        html.Progress(id="long-job-bar", value="0", max="1"),
        html.Div(id="long-job-result"),
    ]

    @app.callback(
        Output("long-job-result", "children"),
        Input("long-job-start", "n_clicks"),
        background=True,
        progress=[Output("long-job-bar", "value"), Output("long-job-bar", "max")],
        running=[
            (Output("long-job-start", "disabled"), True, False),
            (Output("long-job-cancel", "disabled"), False, True),
        ],
        cancel=[Input("long-job-cancel", "n_clicks")],
        prevent_initial_call=True,
    )
    def most_populous(set_progress: Any, n_clicks: int) -> str:
        table = population.get_table()
        countries = table.countries
        best, best_pop = "", -1
        for done, country in enumerate(countries, start=1):
            time.sleep(SECONDS / len(countries))
            pops = table.series(country)[1]
            if pops and pops[-1] > best_pop:
                best, best_pop = country, pops[-1]
            set_progress((str(done), str(len(countries))))
        return f"{best}: {best_pop:,} people in the latest year ({len(countries)} countries looked at)."
