"""The Lambda event and context of the request being served.

Dash callbacks run inside the WSGI call, far from the handler.  A context
variable carries the invocation to them, which also keeps concurrent
requests of the threaded local server apart.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from .errors import DashLambdaError
from .lambda_context import LambdaContext


class OutsideInvocationError(DashLambdaError, RuntimeError):
    """:func:`current_event` or :func:`current_context` was called outside a request."""


class Invocation:
    """The Lambda event and context of one request (the handler's :class:`~.app_errors.Watch` is one)."""

    __slots__ = ("context", "event")

    def __init__(self, event: dict[str, Any], context: LambdaContext) -> None:
        self.event = event
        self.context = context


_current: ContextVar[Invocation | None] = ContextVar("dash_lambda_invocation", default=None)

#: Make an :class:`Invocation` current; returns the token for :func:`leave`.
#: The context variable's own methods: no Python frame on every request.
enter = _current.set
#: Restore what was current before :func:`enter`.
leave = _current.reset


def current_event() -> dict[str, Any]:
    """Return the Lambda event of the request being served, as it arrived.

    Call it from a Dash callback or layout function, e.g. to read
    ``requestContext.authorizer`` claims or the source IP.
    """
    return _get().event


def current_context() -> LambdaContext:
    """Return the Lambda context object of the request being served.

    It has ``aws_request_id``, ``get_remaining_time_in_millis()`` and the
    other attributes of the Python runtime's context.
    """
    return _get().context


def _get() -> Invocation:
    invocation = _current.get()
    if invocation is None:
        raise OutsideInvocationError(
            "current_event()/current_context() only work while dash_lambda serves a request, "
            "for example inside a Dash callback"
        )
    return invocation
