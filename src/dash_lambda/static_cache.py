"""A shared HTTP cache (RFC 9111) for the files Dash serves, that never outranks the app.

Dash's component bundles (``plotly.min.js`` among them, 4.8 MB), the assets
folder and the favicon come from the deployment package.  Compressing them
is what costs (~100 ms for ``plotly.min.js``); asking the app costs little
beside it.  So the cache keeps two things apart:

* **What bytes to send** (:class:`_Bodies`): each body the app sent, encoded
  per content coding (compressed once, base64'd once), keyed by the app's
  strong ``ETag`` for that URL, or else by a SHA-256 of the bytes.  A body is
  only ever sent where the app has just vouched for exactly those bytes, so
  keeping it is not reusing a response: it is remembering how we encoded it.
* **May this client have them** (:class:`_Entry`): a stored response, which
  answers without the app only when HTTP allows it *and* the request is the
  same kind as the one the app answered: **both carry no credentials**
  (``Authorization``, ``Cookie``) and the same ``Origin``.  Every other
  request goes to the app, as a conditional request with the stored
  validators (``If-None-Match`` / ``If-Modified-Since``) when there are
  some: the app's gate runs (dash-auth, a ``before_request`` session check)
  and may refuse; its 304 means "send the stored bytes".  Without validators
  the app answers in full, and the body store still spares the compression.

Why not RFC 9111's own rule for credentials (§3.5)?  It lets a response
marked ``public`` (FastAPI's and Quart's Dash backends mark fingerprinted
bundles ``public, max-age=31536000``) answer *anyone*, while dash-auth or a
session check protect every file: an anonymous client would get what an
authorized one loaded.  The cache also cannot see what else an app gates
on, so it trusts the app's own word for anonymous requests only.

What is stored follows RFC 9111 §3 for a shared cache: GET 200 responses to
the static paths, not ``no-store`` or ``private``, no ``Set-Cookie``, no
``Vary`` beyond ``Accept-Encoding``; to a request with credentials only when
the response says ``public``, ``s-maxage`` or ``must-revalidate``.  Reuse
without the app needs freshness (§4.2): ``s-maxage``, ``max-age``,
``Expires``, else a heuristic lifetime of the sandbox's life (these files
cannot change in it); ``no-cache`` (Flask's default for ``assets/``) means
always ask.  Requests with ``Range`` or ``If-Match``-style preconditions go
straight to the app.

Keys are exact: prefix, app path and the query as the front door delivered
it (payload 2.0's ``rawQueryString``; for REST and ALB the query maps' items
in event order, with the door's name since REST decodes them and ALB does
not), never a re-encoding.  Memory is bounded by counting whole entries
(key, headers, bodies, bookkeeping), in three budgets: bodies; responses to
paths without a query, which every page load requests; and responses to
query-string variants (``?cb=1``, ``?cb=2`` …), a sixteenth of the total,
so cache-busting requests only evict each other, and share one body per
file.

**Files precompressed at build time** (``dash-lambda export-static``, the
handler's ``static_dir``) are a second source for :class:`_Bodies`, never a
second authority: when the app answers a file in full and its bytes are
the export's identity bytes (same size, then byte for byte), the export's
``.br`` / ``.gz`` variants become that body's compressed forms, so nothing
is compressed at run time.  The client still gets them only where it would
get the app's bytes: after the app's 200 or 304, or by the same-kind reuse
rule above.  Such responses carry the export's strong ``ETag`` (a hash of
the identity bytes, the same for every coding, as the CDN sends) and, on a
fingerprinted URL the app lets caches keep, ``immutable``.  An app whose
bytes differ from the export (an export older than the code) is served its
own bytes, compressed here as before, and the mismatch is logged once.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import time
from base64 import b64encode
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

from . import http_cache
from .responses import (
    BodyForm,
    CompressionPolicy,
    Encoded,
    Headers,
    WsgiResponse,
    encode_body,
    mark_headers,
)
from .sources.base import HttpRequest
from .static_files import ExportedFile, StaticFiles, is_fingerprinted

logger = logging.getLogger("dash_lambda")

#: Paths (below the routes prefix) of the files Dash serves from the deployment package.
STATIC_PATH_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon.ico")

#: Request headers whose presence makes the request go straight to the app.
_BYPASS = frozenset({"range", "if-match", "if-unmodified-since", "if-range"})
#: Memory an entry and a body take besides the strings and tuples counted one by one
#: (objects, dicts, the marked header lists), rounded up from tracemalloc's figures.  The
#: strings an app shares between responses count each time, so the estimate errs high.
_ENTRY_OVERHEAD = 600
_BODY_OVERHEAD = 400
#: Share of the budget for responses to query-string variants, and for stored responses overall.
_VARIANT_SHARE = 1 / 16
_ENTRY_SHARE = 2 / 16


def is_static_path(path: str) -> bool:
    """Whether ``path`` (below the routes prefix) names a file Dash serves from the package."""
    return path.startswith(STATIC_PATH_PREFIXES)


class StaticResponseCache:
    """The per-sandbox cache of static responses; ``max_bytes`` bounds all it keeps."""

    def __init__(self, max_bytes: int, policy: CompressionPolicy, files: StaticFiles | None = None) -> None:
        self.max_bytes = max_bytes
        self.policy = policy
        #: The build's precompressed files, if the handler was given an export.
        self.files = files
        self._stale: set[str] = set()
        self._lock = threading.Lock()
        self._bodies = _Lru(int(max_bytes * (1 - _ENTRY_SHARE - _VARIANT_SHARE)))
        self._entries = _Lru(int(max_bytes * _ENTRY_SHARE))
        self._variants = _Lru(int(max_bytes * _VARIANT_SHARE))
        #: Counters, for tests, benchmarks and logs (see :attr:`LambdaHandler.static_cache_stats`).
        self.stats = dict.fromkeys(
            ("hits", "revalidated", "passed", "stored", "compressed", "encoded", "exported", "evicted"), 0
        )

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    @property
    def size(self) -> int:
        """Bytes counted against the bound now."""
        return self._bodies.used + self._entries.used + self._variants.used

    def visit(
        self, request: HttpRequest, event: Mapping[str, Any], prefix: str, coding: str | None
    ) -> Visit | None:
        """Start serving a GET to a static path; ``None`` when the cache must stay out of it."""
        if not self.enabled:
            return None
        headers = _lower_case(request)
        if not _BYPASS.isdisjoint(headers):
            return None
        query = exact_query(request.source.name, event)
        key = (prefix, request.app_path, query)
        credentials = "authorization" in headers or "cookie" in headers or bool(event.get("cookies"))
        kind = (credentials, headers.get("origin"))
        segment = self._variants if query else self._entries
        with self._lock:
            entry = segment.get(key)
            bodies = self._bodies.get(entry.body_key) if entry is not None else None
        visit = Visit(self, segment, key, kind, prefix, request.app_path, coding, entry, bodies)
        visit.conditions = (headers.get("if-none-match"), headers.get("if-modified-since"))
        return visit

    def _bodies_for(self, body_key: Hashable) -> _Bodies:
        with self._lock:
            bodies: _Bodies | None = self._bodies.get(body_key)
            if bodies is None:
                bodies = _Bodies(body_key)
                self._admit(self._bodies, body_key, bodies)
            return bodies

    def _store(self, segment: _Lru, key: Hashable, entry: _Entry) -> None:
        with self._lock:
            if self._admit(segment, key, entry):
                self.stats["stored"] += 1

    def _forget(self, segment: _Lru, key: Hashable) -> None:
        with self._lock:
            segment.pop(key)

    def _grew(self, bodies: _Bodies, encoded: Encoded, *, exported: bool = False) -> None:
        with self._lock:
            self.stats["encoded"] += 1
            if exported:
                self.stats["exported"] += 1
            elif encoded.coding is not None:
                self.stats["compressed"] += 1
            self._bodies.grow(bodies.key, bodies, sys.getsizeof(encoded.body) + _BODY_OVERHEAD)
            self.stats["evicted"] += self._bodies.evict()

    def _approve(self, bodies: _Bodies, path: str, body: bytes) -> None:
        """Attach the export's file for ``path`` to ``bodies`` if it holds exactly ``body``.

        Checked once per body: the size first, then the bytes (a compare
        costs about a tenth of hashing them).  A mismatch is logged once per
        path and leaves the body to be compressed here.
        """
        if bodies.checked or self.files is None:
            return
        found = self.files.find(path)
        exported = None
        if found is not None:
            file, _ = found
            try:
                same = file.size == len(body) and self.files.read(file, None) == body
            except OSError as error:
                logger.warning("dash_lambda: cannot read the exported %s: %s", path, error)
                same = False
            if same:
                exported = file
            elif len(self._stale) < 256 and path not in self._stale:
                self._stale.add(path)
                logger.warning(
                    "dash_lambda: the app's %s differs from the export in %s (an export older "
                    "than the code?); serving the app's bytes, compressed at run time",
                    path,
                    self.files.directory,
                )
        bodies.exported = exported
        bodies.checked = True

    def _admit(self, segment: _Lru, key: Hashable, item: _Entry | _Bodies) -> bool:
        if item.size > segment.budget:
            return False
        segment.put(key, item)
        self.stats["evicted"] += segment.evict()
        return True


class _Lru:
    """Items with a ``size``, least recently used first; the caller holds the lock."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: Hashable, item: Any) -> None:
        self.pop(key)
        self._items[key] = item
        self.used += item.size

    def pop(self, key: Hashable) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            self.used -= item.size

    def grow(self, key: Hashable, item: Any, added: int) -> None:
        """``item`` takes ``added`` more bytes; they count if it is (still) kept here."""
        item.size += added
        if self._items.get(key) is item:
            self.used += added

    def evict(self) -> int:
        evicted = 0
        while self.used > self.budget and self._items:
            _, item = self._items.popitem(last=False)
            self.used -= item.size
            evicted += 1
        return evicted


class _Bodies:
    """One body the app sent, encoded once per content coding (``None``: as the app sent it)."""

    __slots__ = ("checked", "encoded", "exported", "key", "size")

    def __init__(self, key: Hashable) -> None:
        self.key = key
        self.encoded: dict[str | None, Encoded] = {}
        self.size = _BODY_OVERHEAD + _deep_size(key)
        #: The exported file holding exactly these bytes (its variants are their codings).
        self.exported: ExportedFile | None = None
        self.checked = False


class _Memo:
    """The :class:`~dash_lambda.responses.BodyMemo` of one body: reads and fills its :class:`_Bodies`."""

    __slots__ = ("_bodies", "_cache")

    def __init__(self, cache: StaticResponseCache, bodies: _Bodies) -> None:
        self._cache = cache
        self._bodies = bodies

    def get(self, coding: str | None) -> Encoded | None:
        bodies = self._bodies
        encoded = bodies.encoded.get(coding)
        files = self._cache.files
        exported = bodies.exported
        if (
            encoded is None
            and coding is not None
            and exported is not None
            and files is not None
            and coding in exported.encodings
        ):
            try:
                data = files.read(exported, coding)
            except OSError:
                return None  # compressed here instead
            encoded = Encoded(b64encode(data).decode("ascii"), True, len(data), coding)
            if coding not in bodies.encoded:
                bodies.encoded[coding] = encoded
                self._cache._grew(bodies, encoded, exported=True)
        return encoded

    def put(self, encoded: Encoded) -> None:
        if encoded.coding not in self._bodies.encoded:
            self._bodies.encoded[encoded.coding] = encoded
            self._cache._grew(self._bodies, encoded)


class _Entry:
    """A stored 200 response: the app's headers, where its body is, and who may reuse it unasked."""

    __slots__ = (
        "body_key",
        "etag",
        "export",
        "form",
        "fresh_until",
        "headers",
        "kind",
        "last_modified",
        "length",
        "marked",
        "size",
        "stored_at",
    )

    def __init__(
        self,
        key: Hashable,
        headers: Headers,
        form: BodyForm,
        length: int,
        body_key: Hashable,
        kind: tuple[bool, str | None],
    ) -> None:
        self.headers = headers
        self.form = form
        self.length = length
        #: The headers as sent with each encoded body, made on first use.
        self.marked: dict[str | None, Headers] = {}
        self.body_key = body_key
        self.kind = kind
        self.etag = http_cache.header(headers, "etag")
        self.last_modified = http_cache.header(headers, "last-modified")
        self.stored_at = time.monotonic()
        self.fresh_until = self.stored_at + http_cache.freshness_lifetime(headers)
        self.size = _ENTRY_OVERHEAD + _deep_size(key) + _deep_size(headers) + _deep_size(body_key)
        #: (the export's ETag, whether the URL is fingerprinted) when the body is the export's.
        self.export: tuple[str, bool] | None = None

    @property
    def validated(self) -> bool:
        return self.form.validated or self.export is not None

    def reusable_by(self, kind: tuple[bool, str | None]) -> bool:
        """Whether a request of ``kind`` may have it without asking the app (see the module doc)."""
        credentials, _ = kind
        return not credentials and kind == self.kind and time.monotonic() < self.fresh_until


class Visit:
    """One GET to a static path: answered from the cache, or by the app and then settled."""

    __slots__ = (
        "_bodies",
        "_cache",
        "_coding",
        "_entry",
        "_key",
        "_kind",
        "_path",
        "_prefix",
        "_revalidating",
        "_segment",
        "conditions",
        "hit",
    )

    def __init__(
        self,
        cache: StaticResponseCache,
        segment: _Lru,
        key: Hashable,
        kind: tuple[bool, str | None],
        prefix: str,
        path: str,
        coding: str | None,
        entry: _Entry | None,
        bodies: _Bodies | None,
    ) -> None:
        self._cache = cache
        self._segment = segment
        self._key = key
        self._kind = kind
        self._prefix = prefix
        self._path = path
        self._coding = coding
        self._entry = entry
        self._revalidating: Encoded | None = None
        #: (headers, body, has validators) to send without asking the app, or ``None``.
        self.hit: tuple[Headers, Encoded, bool] | None = None
        #: The client's If-None-Match and If-Modified-Since, for the handler to answer.
        self.conditions: tuple[str | None, str | None] = (None, None)
        if entry is None or bodies is None:
            return
        encoded = _Memo(cache, bodies).get(entry.form.coding(coding, entry.length, cache.policy))
        if encoded is None:
            return  # this coding was never sent: the app's answer will give the bytes
        if entry.reusable_by(kind):
            age = str(int(time.monotonic() - entry.stored_at))
            headers = [*_mark(entry, encoded), ("Age", age)]
            self.hit = (headers, encoded, entry.validated)
            cache.stats["hits"] += 1
        elif entry.etag is not None or entry.last_modified is not None:
            self._revalidating = encoded

    def prepare(self, environ: dict[str, Any]) -> None:
        """Set the conditions of the app's request: the stored validators when revalidating.

        The client's own conditions are the cache's to answer, from the full
        response: Dash answers a matching ``If-None-Match`` with a bare 304
        that lacks the ``ETag`` and ``Vary`` a 304 must carry.
        """
        environ.pop("HTTP_IF_NONE_MATCH", None)
        environ.pop("HTTP_IF_MODIFIED_SINCE", None)
        entry = self._entry
        if self._revalidating is None or entry is None:
            return
        if entry.etag is not None:
            environ["HTTP_IF_NONE_MATCH"] = entry.etag
        if entry.last_modified is not None:
            environ["HTTP_IF_MODIFIED_SINCE"] = entry.last_modified

    def settle(self, answer: WsgiResponse) -> tuple[int, Headers, Encoded, bool]:
        """The response to send for the app's ``answer``, and whether it has validators;
        keeps what may be kept."""
        cache = self._cache
        policy = cache.policy
        entry = self._entry
        if self._revalidating is not None and entry is not None and answer.status == 304:
            cache.stats["revalidated"] += 1
            headers = _updated(_mark(entry, self._revalidating), answer.headers)
            if entry.export is not None:
                headers = _exported_headers(headers, *entry.export)
            return 200, headers, self._revalidating, entry.validated
        cache.stats["passed"] += 1
        if answer.status != 200:
            if entry is not None and entry.kind == self._kind and answer.status != 304:
                cache._forget(self._segment, self._key)  # the app now answers this kind otherwise
            headers, encoded, form = encode_body(answer, self._coding, policy)
            return answer.status, headers, encoded, form.validated
        memo = None
        export = None
        cache_control = http_cache.cache_control(answer.headers)
        if "no-store" not in cache_control and "private" not in cache_control:
            bodies = cache._bodies_for(self._body_key(answer))
            cache._approve(bodies, self._path, answer.body)
            memo = _Memo(cache, bodies)
            if bodies.exported is not None:
                export = (bodies.exported.etag, is_fingerprinted(self._path))
        headers, encoded, form = encode_body(answer, self._coding, policy, memo)
        if export is not None:
            headers = _exported_headers(headers, *export)
        if memo is not None and self._may_store(answer.headers):
            stored = _Entry(
                self._key,
                answer.headers,
                form,
                len(answer.body),
                memo._bodies.key,
                self._kind,
            )
            stored.export = export
            cache._store(self._segment, self._key, stored)
        elif entry is not None and entry.kind == self._kind:
            cache._forget(self._segment, self._key)
        return 200, headers, encoded, form.validated or export is not None

    def _body_key(self, answer: WsgiResponse) -> Hashable:
        etag = http_cache.header(answer.headers, "etag")
        if http_cache.is_strong(etag):
            return ("etag", self._prefix, self._path, etag)
        return ("sha256", hashlib.sha256(answer.body).digest())

    def _may_store(self, headers: Headers) -> bool:
        if not http_cache.shared_storable(headers):
            return False
        credentials, _ = self._kind
        return not credentials or http_cache.allows_shared_reuse_after_auth(headers)


def _mark(entry: _Entry, encoded: Encoded) -> Headers:
    marked = entry.marked.get(encoded.coding)
    if marked is None:
        marked = mark_headers(entry.headers, entry.form, encoded)
        if entry.export is not None:
            marked = _exported_headers(marked, *entry.export)
        entry.marked[encoded.coding] = marked
    return marked


def _exported_headers(headers: Headers, etag: str, fingerprinted: bool) -> Headers:
    """``headers`` for a body that is the export's: its strong ``ETag``, ``immutable`` if fingerprinted.

    The ETag is the one the CDN sends for the file in every coding, so a
    copy a browser got from either revalidates with the other.  ``immutable``
    is only added to what the app already lets caches keep for a time (a
    ``max-age`` without ``no-cache`` / ``no-store``): the app's word on who
    may keep it stands.
    """
    out: Headers = [(key, value) for key, value in headers if key.lower() != "etag"]
    out.append(("ETag", etag))
    if fingerprinted:
        directives = http_cache.cache_control(headers)
        if (
            "max-age" in directives
            and "immutable" not in directives
            and "no-cache" not in directives
            and "no-store" not in directives
        ):
            out = [
                (key, f"{value}, immutable" if key.lower() == "cache-control" else value)
                for key, value in out
            ]
    return out


#: Headers of the app's 304 that never replace the stored ones (RFC 9111 §3.2).
_KEEP_STORED = frozenset({"content-length", "content-encoding", "content-type", "content-range"})


def _updated(stored: Headers, fresh: Headers) -> Headers:
    """The stored headers with those the app's 304 sent instead (its ``Set-Cookie`` included).

    ``Vary`` adds up: the stored one says what the adapter's codings vary
    on, the 304's what this answer varied on (``Cookie`` for a signed-in
    client).  CORS headers are the 304's alone: they answer who asked, a
    request from another ``Origin`` is always revalidated, and those stored
    for the first must not outlive a 304 that has none.
    """
    replace = {key.lower() for key, _ in fresh if key.lower() not in _KEEP_STORED}
    replace.discard("vary")
    kept = [
        (key, value)
        for key, value in stored
        if key.lower() not in replace and not key.lower().startswith("access-control-")
    ]
    varied = _tokens(value for key, value in stored if key.lower() == "vary")
    added = [(key, value) for key, value in fresh if key.lower() == "vary" and not _tokens([value]) <= varied]
    return kept + added + [(key, value) for key, value in fresh if key.lower() in replace]


def _tokens(values: Iterable[str]) -> set[str]:
    """The lower-case tokens of comma-separated header values (``Vary``)."""
    return {token.strip().lower() for value in values for token in value.split(",")}


def exact_query(door: str, event: Mapping[str, Any]) -> Hashable:
    """The query string as the front door delivered it, for keys: ``""`` when there is none.

    Payload 2.0 has the raw string.  REST and ALB events only have maps
    (REST's percent-decoded, ALB's as sent), so their items in event order
    stand for it, the multi-value map first as apig-wsgi reads it.
    """
    raw = event.get("rawQueryString")
    if isinstance(raw, str):
        return raw
    multi = event.get("multiValueQueryStringParameters")
    if isinstance(multi, dict) and multi:
        return (door, *((key, tuple(values)) for key, values in multi.items()))
    single = event.get("queryStringParameters")
    if isinstance(single, dict) and single:
        return (door, *single.items())
    return ""


def _lower_case(request: HttpRequest) -> Mapping[str, str]:
    """The request's headers by lower-case name: one pass, where a look-up each would scan them all."""
    return request.lower_case_headers()


def _deep_size(value: object) -> int:
    """Memory of a key or header list: the containers and every string in them."""
    size = sys.getsizeof(value)
    if isinstance(value, tuple | list):
        size += sum(_deep_size(item) for item in value)
    return size
