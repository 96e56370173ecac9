"""Run any Plotly Dash app on AWS Lambda, behind any HTTP front door.

from dash_lambda import make_lambda_handler
from app import app  # your dash.Dash app, unchanged

lambda_handler = make_lambda_handler(app)
"""

from __future__ import annotations

from .auth import Authorizer, BasicAuth, Refusal
from .config import ConfigError
from .errors import (
    BuilderError,
    DashLambdaError,
    MalformedEventError,
    UnsupportedAppError,
    UnsupportedEventError,
)
from .handler import LambdaHandler, make_lambda_handler
from .invocation import OutsideInvocationError, current_context, current_event
from .sources.base import HttpRequest

__all__ = [
    "Authorizer",
    "BasicAuth",
    "BuilderError",
    "ConfigError",
    "DashLambdaError",
    "HttpRequest",
    "LambdaHandler",
    "MalformedEventError",
    "OutsideInvocationError",
    "Refusal",
    "UnsupportedAppError",
    "UnsupportedEventError",
    "current_context",
    "current_event",
    "make_lambda_handler",
]

__version__ = "0.1.0"
