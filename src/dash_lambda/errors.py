"""Exceptions raised by dash_lambda; every one derives from :class:`DashLambdaError`.

Only :class:`UnsupportedEventError` escapes the handler; :class:`BuilderError`
(with :class:`UnsupportedAppError`) and :class:`ConfigError` are raised by
:func:`make_lambda_handler` when it is given something it cannot serve or
builds apps at init, and :class:`DashVersionError` by ``import dash_lambda``
when the installed Dash lacks what the library uses. Every other problem is
answered with an HTTP response in the shape of the front door the request
came through.  Each also derives from the built-in exception it refines
(``ValueError``, ``TypeError``, ``ImportError``...), so code written against
those keeps working.
"""

from __future__ import annotations


class DashLambdaError(Exception):
    """Base class of every exception this library raises."""


class UnsupportedEventError(DashLambdaError, ValueError):
    """The handler was invoked with an event that is not an HTTP request.

    API Gateway (REST and HTTP APIs), Function URLs, ALB target groups and
    warm-up pings are understood; anything else (an SQS batch, an S3
    notification, a hand-written test event) raises this, because there is no
    HTTP client to answer.  The message names the keys that arrived so the
    misconfigured trigger can be found in the function's logs.
    """


class MalformedEventError(DashLambdaError, ValueError):
    """An HTTP event is missing a field or has one of the wrong type.

    The handler turns it into a ``400 Bad Request`` response; it is public so
    custom event sources can raise it too.
    """


class BuilderError(DashLambdaError, TypeError):
    """The app builder did not return a usable ``dash.Dash`` app.

    Raised when the builder returns something else, ignores the prefix
    options it was given, or uses a non-WSGI Dash backend.
    """


class UnsupportedAppError(BuilderError):
    """``make_lambda_handler`` was given something it cannot serve.

    Raised when the handler is created, never on a request: a Flask app
    (``app.server``) instead of its Dash app, a class instead of an instance,
    a builder that cannot be called as ``build_app(dash_kwargs)``, a Dash app
    whose routes or backend the adapter cannot serve under several prefixes.
    The message names the fix.
    """


class ConfigError(DashLambdaError, ValueError):
    """An option or environment variable has a value the adapter cannot use.

    Raised when the handler is created; the message names the keyword
    argument or the ``DASH_LAMBDA_*`` variable the value came from.
    """


class DashVersionError(DashLambdaError, ImportError):
    """The installed Dash lacks an internal name dash_lambda relies on.

    Raised by ``import dash_lambda`` (see :mod:`dash_lambda._dash_compat`),
    naming the installed Dash version, the supported range and what is
    missing, rather than an ``AttributeError`` on the first request.
    """
