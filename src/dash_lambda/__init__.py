"""Run any Plotly Dash app on AWS Lambda, behind any HTTP front door.

from dash_lambda import make_lambda_handler
from app import app  # your dash.Dash app, unchanged

lambda_handler = make_lambda_handler(app)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# First: fail at import, naming the Dash version, if Dash lacks an internal the library uses.
from . import _dash_compat  # noqa: F401
from .auth import Authorizer, BasicAuth, Refusal, Request
from .errors import (
    BuilderError,
    ConfigError,
    DashLambdaError,
    DashVersionError,
    MalformedEventError,
    UnsupportedAppError,
    UnsupportedEventError,
)
from .handler import LambdaHandler, make_lambda_handler
from .invocation import OutsideInvocationError, current_context, current_event
from .lambda_context import LambdaContext, LocalContext
from .sources.base import EventSource, HttpRequest

if TYPE_CHECKING:
    from .background.events import JobEventRefused
    from .background.invokers import Invoker, LambdaInvoker, ThreadInvoker
    from .background.manager import LambdaManager
    from .background.store import DiskStore, JobStore, S3Store

#: Background-callback names, imported on first use (see dash_lambda.background).
_BACKGROUND = (
    "DiskStore",
    "Invoker",
    "JobEventRefused",
    "JobStore",
    "LambdaInvoker",
    "LambdaManager",
    "LocalContext",
    "S3Store",
    "ThreadInvoker",
)

__all__ = [
    "Authorizer",
    "BasicAuth",
    "BuilderError",
    "ConfigError",
    "DashLambdaError",
    "DashVersionError",
    "DiskStore",
    "EventSource",
    "HttpRequest",
    "Invoker",
    "JobEventRefused",
    "JobStore",
    "LambdaContext",
    "LambdaHandler",
    "LambdaInvoker",
    "LambdaManager",
    "LocalContext",
    "MalformedEventError",
    "OutsideInvocationError",
    "Refusal",
    "Request",
    "S3Store",
    "ThreadInvoker",
    "UnsupportedAppError",
    "UnsupportedEventError",
    "current_context",
    "current_event",
    "make_lambda_handler",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _BACKGROUND:
        from . import background

        return getattr(background, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
