"""WSGI entry point for the container path (ECS, App Runner, any gunicorn host).

    gunicorn --chdir frontend --bind 0.0.0.0:8050 wsgi:application

Same builder as on Lambda, without dash_lambda: a long-running server has no
URL prefix to discover and no events to translate. Load balancers in front of
containers probe a health URL, so this module adds ``/health`` (on Lambda
dash_lambda answers that path itself).
"""

from __future__ import annotations

from dash_app import build_app
from flask import Flask

app = build_app()
application: Flask = app.server


@application.get("/health")
def health() -> dict[str, str]:
    """Liveness probe for an ALB target group or App Runner; does not touch Dash."""
    return {"status": "ok"}
