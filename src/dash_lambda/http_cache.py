"""What HTTP says about storing, reusing and validating responses (RFC 9110 §13, RFC 9111).

Pure functions over header lists, no state: :mod:`static_cache` decides with
them what it may keep and hand out, and the handler answers a client's own
``If-None-Match`` / ``If-Modified-Since`` with them on every GET, the way a
web server in front of the app would.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from email.utils import parsedate_to_datetime

Headers = list[tuple[str, str]]

#: Representation metadata a 304 leaves out (RFC 9110 §15.4.5): the client
#: keeps what it stored with the body; a ``Content-Length: 0`` here would
#: even tell a cache that the stored body is empty.
_NOT_IN_304 = frozenset(
    {"content-type", "content-length", "content-encoding", "content-language", "content-range"}
)


def cache_control(headers: Iterable[tuple[str, str]]) -> dict[str, str | None]:
    """The ``Cache-Control`` directives of ``headers``, lower-case names, unquoted values.

    >>> cache_control([("Cache-Control", 'public, max-age=60, no-cache="Set-Cookie"')])
    {'public': None, 'max-age': '60', 'no-cache': 'Set-Cookie'}
    """
    directives: dict[str, str | None] = {}
    for key, value in headers:
        if key.lower() != "cache-control":
            continue
        for part in value.split(","):
            name, sep, argument = part.partition("=")
            name = name.strip().lower()
            if name:
                directives[name] = argument.strip().strip('"') if sep else None
    return directives


def header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The last value of the header ``name`` (lower-case), or ``None``."""
    found = None
    for key, value in headers:
        if key.lower() == name:
            found = value
    return found


def vary_fields(headers: Iterable[tuple[str, str]]) -> set[str]:
    """The request header names (lower-case) a response says it varies on; ``*`` included."""
    fields: set[str] = set()
    for key, value in headers:
        if key.lower() == "vary":
            fields.update(part.strip().lower() for part in value.split(",") if part.strip())
    return fields


def shared_storable(headers: Iterable[tuple[str, str]]) -> bool:
    """Whether a shared cache may keep this 200 response at all (RFC 9111 §3).

    Not when the app said ``no-store`` or ``private``, not with a
    ``Set-Cookie`` (the cookie is for one client), and not when the response
    varies on a request header other than ``Accept-Encoding`` (``Origin``,
    ``Cookie``, ``*``…), which the cache does not key on.
    """
    headers = list(headers)
    directives = cache_control(headers)
    if "no-store" in directives or "private" in directives:
        return False
    if header(headers, "set-cookie") is not None:
        return False
    return vary_fields(headers) <= {"accept-encoding"}


def allows_shared_reuse_after_auth(headers: Iterable[tuple[str, str]]) -> bool:
    """Whether a response to a request with credentials may be stored by a shared cache.

    RFC 9111 §3.5: only with ``public``, ``s-maxage`` or ``must-revalidate``.
    """
    directives = cache_control(headers)
    return any(name in directives for name in ("public", "s-maxage", "must-revalidate"))


def freshness_lifetime(headers: Iterable[tuple[str, str]]) -> float:
    """Seconds a shared cache may reuse the response without asking the origin (RFC 9111 §4.2.1).

    ``s-maxage``, then ``max-age``, then ``Expires`` minus ``Date``; ``0``
    for ``no-cache`` and for an ``Expires`` that cannot be read.  A response
    without any of them gets an unlimited heuristic lifetime (§4.2.2 lets a
    cache choose one): :mod:`static_cache` only keeps responses to the paths
    Dash serves from the deployment package, which cannot change while the
    sandbox lives.
    """
    headers = list(headers)
    directives = cache_control(headers)
    if "no-cache" in directives:
        return 0.0
    for name in ("s-maxage", "max-age"):
        if name in directives:
            try:
                return max(0.0, float(int(directives[name] or "")))
            except ValueError:
                return 0.0
    expires = header(headers, "expires")
    if expires is not None:
        try:
            until = parsedate_to_datetime(expires).timestamp()
            date = header(headers, "date")
            now = parsedate_to_datetime(date).timestamp() if date else time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return 0.0
        return max(0.0, until - now)
    return math.inf


def not_modified(
    if_none_match: str | None, if_modified_since: str | None, headers: Headers
) -> Headers | None:
    """The headers of a 304 if the client's conditions say it has this 200 response already.

    RFC 9110 §13.1.2/§13.1.3 for a GET or HEAD: ``If-None-Match`` uses the
    weak comparison (``W/"x"`` matches ``"x"``: a compressed copy the client
    stored is as good as the identity one), and when it is present
    ``If-Modified-Since`` is ignored.  Returns ``None`` to send the 200.
    """
    if if_none_match is not None:
        etag = header(headers, "etag")
        if etag is None or not _weak_match(if_none_match, etag):
            return None
    elif if_modified_since is not None:
        last_modified = header(headers, "last-modified")
        if last_modified is None:
            return None
        try:
            changed = parsedate_to_datetime(last_modified) > parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None  # an invalid date is ignored (RFC 9110 §13.1.3)
        if changed:
            return None
    else:
        return None
    return [(key, value) for key, value in headers if key.lower() not in _NOT_IN_304]


def _weak_match(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    wanted = _opaque(etag)
    return any(_opaque(candidate) == wanted for candidate in _split_etags(if_none_match))


def _split_etags(value: str) -> list[str]:
    """The entity tags of a list value; commas inside quotes belong to the tag."""
    tags: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            tags.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    tags.append("".join(current).strip())
    return [tag for tag in tags if tag]


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith(("W/", "w/")) else tag


def is_strong(etag: str | None) -> bool:
    """Whether ``etag`` is a strong validator: the same tag means the same bytes (RFC 9110 §8.8.1)."""
    return etag is not None and etag.startswith('"')
