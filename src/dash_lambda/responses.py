"""Running the WSGI app and encoding its response for the front door.

apig-wsgi builds the environ; the response side is ours.  apig-wsgi's keeps
one value per header for payload 2.0, cannot compress, and buffers the body
twice; here the body is collected once, compressed when the client accepts
it, and base64-encoded only when it must be (binary, or compressed).
"""

from __future__ import annotations

import json
import re
import reprlib
from base64 import b64encode
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from .encoding import compress, is_text
from .errors import DashLambdaError

Headers = list[tuple[str, str]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WsgiResponse:
    """What the WSGI app answered."""

    __slots__ = ("body", "facts", "headers", "status")

    def __init__(self, status: int, headers: Headers, body: bytes, facts: HeaderFacts | None = None) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        #: What the headers say about the body, when already read (see :class:`BodyForm`).
        self.facts = facts


class WsgiProtocolError(DashLambdaError, RuntimeError):
    """The app (or a middleware around it) answered something that is not a WSGI response.

    PEP 3333 asks for a status line ``"NNN reason"``, a list of ``(str, str)``
    headers without control characters, and an iterable of ``bytes``; a
    front door given anything else answers 502 or, worse, passes on a header
    split by CR/LF.  The handler answers 500 instead and logs this.
    """


def call_wsgi(app: WsgiApp, environ: dict[str, Any]) -> WsgiResponse:
    """Call ``app`` and collect its whole response, checked against PEP 3333.

    The whole body is buffered, so the headers are never "sent" before the
    app is done: a ``start_response`` with ``exc_info`` (an app replacing its
    response with an error page) replaces the status and headers, unless the
    app has already written body bytes with ``write()``.
    """
    started: list[Any] = []
    chunks: list[bytes] = []

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], Any]:
        if exc_info:
            try:
                if any(chunks):
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # no reference cycle through the traceback (PEP 3333)
        elif started:
            raise WsgiProtocolError("the app called start_response twice without exc_info")
        started[:] = (status, headers)
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not started:
        raise WsgiProtocolError("the app returned without calling start_response")
    status, headers = started
    if len(chunks) == 1 and type(chunks[0]) is bytes:  # what Flask answers
        body = chunks[0]
    else:
        for chunk in chunks:
            if type(chunk) is not bytes:
                kind = type(chunk).__name__
                raise WsgiProtocolError(f"the app's body has a {kind} chunk; WSGI bodies are bytes")
        body = b"".join(chunks)
    code = _STATUS_CODES.get(status) if type(status) is str else None
    facts = None
    if type(headers) is list:
        try:  # a header list seen before: one look-up
            facts = _SEEN_HEADERS.get(tuple(headers))
        except TypeError:  # a pair that is not a tuple of strings: checked next
            facts = None
    if facts is None:
        headers, facts = _checked_headers(headers)
    return WsgiResponse(code or _status_code(status), headers, body, facts)


_STATUS = re.compile(r"([1-5][0-9][0-9])(?: |\Z)")
#: A header name is an RFC 9110 token.
_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: Control characters other than tab: CR/LF would split the header (response splitting).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _status_code(status: object) -> int:
    if isinstance(status, str):
        code = _STATUS_CODES.get(status)
        if code is not None:
            return code
        match = _STATUS.match(status)
        if match is not None:
            code = int(match.group(1))
            if len(_STATUS_CODES) < 256:
                _STATUS_CODES[status] = code
            return code
    raise WsgiProtocolError(f"the app's status {_show(status)} is not 'NNN reason' with NNN in 100-599")


#: Status lines seen valid, bounded: apps send a handful.
_STATUS_CODES: dict[str, int] = {}


def _checked_headers(headers: object) -> tuple[Headers, HeaderFacts]:
    """A copy of ``headers`` once they are known to be safe to pass on, and what they say.

    :func:`call_wsgi` looks a header list up in ``_SEEN_HEADERS`` first: an
    app answers a route with the same headers again and again.  Here a name
    seen valid before is one set look-up, and a printable value has no
    control character.
    """
    if not isinstance(headers, list):
        kind = type(headers).__name__
        raise WsgiProtocolError(f"the app's headers are a {kind}, not a list of (name, value)")
    try:
        for header in headers:
            name, value = header
            if (
                type(name) is not str
                or name not in _VALID_NAMES
                or type(value) is not str
                or not value.isprintable()
            ):
                _check_header(header)
    except (TypeError, ValueError):
        raise WsgiProtocolError(f"the app's headers {_show(headers)} are not (name, value) pairs") from None
    facts = HeaderFacts(headers)
    if not facts.sets_cookie:  # a cookie is someone's: not kept here
        try:
            seen = tuple(headers)
            hash(seen)
        except TypeError:  # a pair given as a list: valid, but not kept
            return list(headers), facts
        if len(_SEEN_HEADERS) >= 256:
            _SEEN_HEADERS.clear()  # e.g. callbacks' Content-Length: start over rather than grow
        _SEEN_HEADERS[seen] = facts
    return list(headers), facts


#: Header lists seen valid (bounded), with what they say.
_SEEN_HEADERS: dict[tuple[tuple[str, str], ...], HeaderFacts] = {}

#: Header names seen valid, bounded: apps send the same few dozen.
_VALID_NAMES: set[str] = set()


def _check_header(header: object) -> None:
    """The full check of one header, for what the fast path in :func:`_checked_headers` cannot vouch for."""
    if not isinstance(header, (tuple, list)) or len(header) != 2:
        raise WsgiProtocolError(f"the app's header {_show(header)} is not a (name, value) pair")
    name, value = header
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        raise WsgiProtocolError(f"the app's header name {_show(name)} is not a token")
    if not isinstance(value, str) or _CONTROL.search(value) is not None:
        raise WsgiProtocolError(
            f"the app's {name} header is {_show(value)}: not a string without control characters"
        )
    if len(_VALID_NAMES) < 1024:
        _VALID_NAMES.add(name)


def _show(value: object) -> str:
    """A short repr, safe for anything (depth and length are bounded)."""
    return reprlib.repr(value)


class CompressionPolicy:
    """When the adapter compresses a response body.

    Bodies under ``min_size`` are sent as they are: what compressing them
    saves fits in a packet or two, and base64 takes back a third of it.
    """

    __slots__ = ("enabled", "min_size")

    def __init__(self, enabled: bool = True, min_size: int = 2048) -> None:
        self.enabled = enabled
        self.min_size = min_size


class Encoded:
    """A body as the front door takes it: text, or base64 of (compressed or binary) bytes.

    ``length`` is the byte length the client receives (its Content-Length),
    ``coding`` the content coding applied (``None``: the app's bytes).
    """

    __slots__ = ("_json_size", "body", "coding", "is_base64", "length")

    def __init__(self, body: str, is_base64: bool, length: int, coding: str | None) -> None:
        self.body = body
        self.is_base64 = is_base64
        self.length = length
        self.coding = coding
        self._json_size = len(body) + 2 if is_base64 else -1

    def json_size(self) -> int:
        """The body's length in the response as the runtime serializes it, measured once."""
        if self._json_size < 0:
            self._json_size = len(json.dumps(self.body))
        return self._json_size


class BodyMemo(Protocol):
    """Where :func:`encode_body` finds and leaves encoded bodies (see :mod:`static_cache`)."""

    def get(self, coding: str | None) -> Encoded | None: ...

    def put(self, encoded: Encoded) -> None: ...


#: The response headers :class:`HeaderFacts` reads, by lower-case name.
_FORM_HEADERS = frozenset(
    {
        "content-type",
        "content-encoding",
        "content-range",
        "cache-control",
        "vary",
        "etag",
        "last-modified",
        "set-cookie",
    }
)


class HeaderFacts:
    """What a response's headers say about its body, whatever the policy; read in one pass."""

    __slots__ = (
        "_forms",
        "no_transform",
        "partial",
        "precoded",
        "sets_cookie",
        "text",
        "validated",
        "varies",
    )

    def __init__(self, headers: Headers) -> None:
        self._forms: dict[bool, BodyForm] = {}
        content_type = content_encoding = cache_control = ""
        validated = varies = sets_cookie = partial = False
        for key, value in headers:
            lower = key.lower()
            if lower not in _FORM_HEADERS:
                continue
            if lower == "content-type":
                content_type = value
            elif lower == "content-encoding":
                content_encoding = value
            elif lower == "cache-control":
                cache_control = value
            elif lower == "vary":
                varies = varies or "accept-encoding" in value.lower() or value.strip() == "*"
            elif lower == "set-cookie":
                sets_cookie = True
            elif lower == "content-range":
                partial = True
            else:  # ETag, Last-Modified
                validated = True
        #: Whether the response has an ``ETag`` or ``Last-Modified`` a client can send back.
        self.validated = validated
        #: Whether it says already that it varies on ``Accept-Encoding`` (or on everything).
        self.varies = varies
        #: Whether it travels as text.
        self.text = is_text(content_type)
        #: Whether it has a content coding already (e.g. the app uses ``Dash(compress=True)``).
        self.precoded = bool(content_encoding)
        self.no_transform = "no-transform" in cache_control
        self.sets_cookie = sets_cookie
        #: Whether it is part of a body (a 206, or a 416 naming the length): its
        #: ``Content-Range`` counts the app's bytes, so they are sent as they are.
        self.partial = partial

    def form(self, policy: CompressionPolicy) -> BodyForm:
        """The :class:`BodyForm` of these headers under ``policy``, made once (it is never changed)."""
        form = self._forms.get(policy.enabled)
        if form is None:
            form = self._forms[policy.enabled] = BodyForm(self, policy)
        return form


class BodyForm:
    """What the adapter reads in a response's headers: how the body travels (text or
    not, compressed by the adapter or not), and what it says about caching."""

    __slots__ = ("compressible", "text", "validated", "varies")

    def __init__(self, facts: HeaderFacts, policy: CompressionPolicy) -> None:
        self.validated = facts.validated
        self.varies = facts.varies
        self.text = facts.text
        #: Whether the adapter compresses this kind of response for a client that accepts it.
        self.compressible = (
            policy.enabled
            and facts.text
            and not facts.precoded
            and not facts.no_transform
            and not facts.partial
        )

    def coding(self, accepted: str | None, size: int, policy: CompressionPolicy) -> str | None:
        """The content coding to apply to a body of ``size`` bytes, ``None`` to send it as is."""
        return accepted if self.compressible and size >= policy.min_size else None


def encode_body(
    response: WsgiResponse,
    coding: str | None,
    policy: CompressionPolicy,
    memo: BodyMemo | None = None,
) -> tuple[Headers, Encoded, BodyForm]:
    """Return (headers, encoded body, what the headers say) for the proxy response.

    Text stays text; a compressed or binary body is base64-encoded, as
    API Gateway, Function URLs and ALBs require.  A body that claims to be
    text but is not UTF-8 is sent as base64 too rather than lost.  With a
    ``memo`` (a body that is kept and reused), the encoded body is looked up
    there first and compressed harder when it is not, since that happens
    once.
    """
    form = (response.facts or HeaderFacts(response.headers)).form(policy)
    use = form.coding(coding, len(response.body), policy) if coding is not None else None
    encoded = memo.get(use) if memo is not None else None
    if encoded is None:
        encoded = encode(response.body, use, form.text, once=memo is not None)
        if memo is not None:
            memo.put(encoded)
    return mark_headers(response.headers, form, encoded), encoded, form


def encode(body: bytes, coding: str | None, text: bool, *, once: bool = False) -> Encoded:
    """Compress ``body`` with ``coding`` (``None``: as is) and make it a string for the front door."""
    if coding is not None:
        body = compress(body, coding, once=once)
    elif text:
        try:
            return Encoded(body.decode("utf-8"), False, len(body), None)
        except UnicodeDecodeError:
            pass
    return Encoded(b64encode(body).decode("ascii"), True, len(body), coding)


def mark_headers(headers: Headers, form: BodyForm, encoded: Encoded) -> Headers:
    """The app's headers for the body as sent: its coding, length and ``Vary: Accept-Encoding``.

    Every response the adapter would compress for some client says it
    varies on ``Accept-Encoding``, compressed or not (too small, not
    accepted), so a cache in front never hands one client's variant to
    another.  With compression off the adapter's responses do not vary, and
    carry no ``Vary`` of its making.
    """
    if encoded.coding is not None:
        return _mark_encoded(headers, encoded.coding, encoded.length)
    if form.compressible and not form.varies:
        return [*headers, ("Vary", "Accept-Encoding")]
    return headers


def _mark_encoded(headers: Headers, coding: str, length: int) -> Headers:
    marked: Headers = []
    vary: list[str] = []
    for key, value in headers:
        lower = key.lower()
        if lower == "content-length":
            continue
        if lower == "vary":
            vary.append(value)
            continue
        if lower == "etag" and not value.startswith("W/"):
            value = f"W/{value}"  # the encoded bytes are another representation
        marked.append((key, value))
    if not any("accept-encoding" in v.lower() for v in vary):
        vary.append("Accept-Encoding")
    marked += [
        ("Content-Encoding", coding),
        ("Content-Length", str(length)),
        ("Vary", ", ".join(vary)),
    ]
    return marked
