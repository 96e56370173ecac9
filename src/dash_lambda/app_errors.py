"""Exceptions the app caught itself, logged under the Lambda request id.

Flask catches an ``Exception`` that a route or a Dash callback raises and no
specific error handler took, sends ``got_request_exception``, and answers
with the app's own handler for 500 or, when the app has none, with its
generic 500 page.  The app's answer is the app's business, but every such
failure belongs in the log under the request id the user can quote, and the
generic page says nothing the user could quote.  So the adapter listens to
that signal and logs the exception with the request id; the handler then
replaces Flask's generic page (and nothing else) with its own 500 naming the
request id.

The receiver is connected once, at import, for every sender: that covers the
apps the adapter builds and the apps it is handed, with no per-request or
per-app bookkeeping and nothing registered on the user's app.  It acts only
on requests the handler is serving: those whose WSGI environ carries a
:class:`Watch`.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import flask
from werkzeug.exceptions import InternalServerError

from .invocation import Invocation

logger = logging.getLogger("dash_lambda")

#: Where the handler puts the request's :class:`Watch` in the WSGI environ.
WATCH_KEY = "dash_lambda.watch"

#: The body of Flask's answer to an exception when the app has no 500 handler.
GENERIC_500_BODY = InternalServerError().get_body().encode()


class Watch(Invocation):
    """One request's invocation, its request id and the exception the app logged for it, if any.

    The handler makes it the current :class:`~.invocation.Invocation` too:
    one object per request for both.
    """

    __slots__ = ("_request_id", "exception")

    def __init__(self, event: dict[str, Any], context: Any) -> None:
        self.event = event
        self.context = context
        self.exception: BaseException | None = None
        self._request_id: str | None = None

    @property
    def request_id(self) -> str:
        """The request id, made up once when neither the context nor the event has one."""
        if self._request_id is None:
            self._request_id = request_id(self.event, self.context)
        return self._request_id

    def is_generic_500_page(self, body: bytes) -> bool:
        """Whether a 500 answer's ``body`` is Flask's generic page for an exception the app logged.

        Flask sends that page when the app has no 500 handler of its own.
        """
        return self.exception is not None and body == GENERIC_500_BODY


def request_id(event: dict[str, Any], context: Any) -> str:
    """Lambda's request id, else the front door's, else a new one.

    Only a plain, short, printable id is taken from the event: it ends up in
    a response body and the log, and a crafted event can put anything there.
    """
    found = getattr(context, "aws_request_id", None)
    if type(found) is str and found:
        return found
    request_context = event.get("requestContext")
    if isinstance(request_context, dict):
        found = request_context.get("requestId")
        if type(found) is str and 0 < len(found) <= 128 and found.isascii() and found.isprintable():
            return found
    return str(uuid.uuid4())


def _log_app_exception(sender: object, exception: BaseException, **_: object) -> None:
    """``got_request_exception`` receiver: log with the request id, remember for the handler."""
    watch = flask.request.environ.get(WATCH_KEY)
    if not isinstance(watch, Watch):
        return  # a request the adapter is not serving
    watch.exception = exception
    logger.error(
        "dash_lambda: the app raised %s on %s %s (request id %s)",
        type(exception).__name__,
        flask.request.method,
        flask.request.script_root + flask.request.path,
        watch.request_id,
        exc_info=exception,
    )


flask.got_request_exception.connect(_log_app_exception)
