"""Refusing requests before they reach Dash: basic auth and custom authorizers.

An authorizer is any callable that takes the :class:`Request` and returns
``None`` to let it through or a :class:`Refusal` to answer instead.
Basic auth is one such callable, so other schemes (a shared header, a JWT
check) plug in the same way.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from werkzeug.datastructures import Authorization

from .errors import ConfigError


class Request(Protocol):
    """What an authorizer may read about a request, whichever front door sent it."""

    @property
    def method(self) -> str:
        """``GET``, ``POST``…"""

    @property
    def path(self) -> str:
        """The path the app routes on, without the prefix (``/_dash-layout``)."""

    @property
    def prefix(self) -> str:
        """The external prefix the browser sees (``/Prod/`` or ``/``)."""

    @property
    def query(self) -> str:
        """The query string, as the front door passed it."""

    @property
    def client_address(self) -> str:
        """The address that connected to the front door."""

    @property
    def event(self) -> Mapping[str, Any]:
        """The Lambda event as it arrived (``requestContext.authorizer`` claims and the like)."""

    def header(self, name: str) -> str | None:
        """A request header by its lower-case ``name``, or ``None``."""


class Refusal:
    """The response an authorizer gives instead of the app's: status, text, extra headers."""

    __slots__ = ("headers", "message", "status")

    def __init__(
        self, status: int = 403, message: str = "Forbidden", headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.message = message
        self.headers: Mapping[str, str] = dict(headers or {})

    def __repr__(self) -> str:
        return f"Refusal({self.status}, {self.message!r}, {dict(self.headers)!r})"


Authorizer = Callable[[Request], "Refusal | None"]


class BasicAuth:
    """HTTP basic authentication against one user name and password.

    Werkzeug parses the header; both parts are compared in constant time, so
    response timing does not tell an attacker how much of a guess was right.
    """

    def __init__(self, username: str, password: str, *, realm: str = "Dash") -> None:
        if not username or not password:
            raise ConfigError("basic auth needs a non-empty user name and password")
        if ":" in username:
            raise ConfigError("a basic auth user name cannot contain ':' (RFC 7617)")
        self._username = username.encode()
        self._password = password.encode()
        self._challenge = Refusal(
            status=401,
            message="Authentication required",
            headers={"WWW-Authenticate": f'Basic realm="{realm}", charset="UTF-8"'},
        )

    @classmethod
    def from_credentials(cls, credentials: str) -> BasicAuth:
        """Build from ``"user:password"`` (the form of ``DASH_LAMBDA_BASIC_AUTH``)."""
        username, sep, password = credentials.partition(":")
        if not sep:
            raise ConfigError("basic auth credentials must look like 'user:password'")
        return cls(username, password)

    def __call__(self, request: Request) -> Refusal | None:
        given = Authorization.from_header(request.header("authorization"))
        if given is None or given.type != "basic":
            return self._challenge
        # "&", not "and": both comparisons run whatever the first one found.
        user_ok = hmac.compare_digest((given.username or "").encode(), self._username)
        password_ok = hmac.compare_digest((given.password or "").encode(), self._password)
        return None if user_ok & password_ok else self._challenge
