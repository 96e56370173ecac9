"""Content negotiation and compression of response bodies.

API Gateway and Function URLs pass bodies through untouched, so nothing
compresses Dash's multi-megabyte bundles unless the function does.  The
encoding is chosen from ``Accept-Encoding`` (brotli when the ``brotli``
package is installed, else gzip) and applied to text-like bodies only.
"""

from __future__ import annotations

from functools import lru_cache
from types import ModuleType

from werkzeug.http import parse_accept_header

#: Content types sent as text and worth compressing; everything else is
#: base64-encoded as binary.  apig-wsgi's own list misses JavaScript, which
#: Python <= 3.11 calls application/javascript when /etc/mime.types is absent.
TEXT_CONTENT_TYPES = (
    "text/",
    "application/json",
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/xml",
    "application/xhtml+xml",
    "application/ld+json",
    "application/manifest+json",
    "application/problem+json",
    "application/vnd.api+json",
    "image/svg+xml",
)

#: (gzip level, brotli quality) for responses compressed on every request:
#: fast, since each request pays for it again.
FAST_LEVELS = (1, 1)
#: ... and for static files, compressed once per sandbox and then cached:
#: smaller (plotly.min.js: 1.47 MB gzip, 1.29 MB brotli).
SMALL_LEVELS = (6, 5)


@lru_cache(maxsize=1)
def _brotli() -> ModuleType | None:
    """The optional ``brotli`` module (``pip install dash-lambda[brotli]``), imported on first use."""
    try:
        import brotli
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    module: ModuleType = brotli
    return module


def is_text(content_type: str) -> bool:
    """Whether a response of ``content_type`` travels as text and compresses well."""
    return content_type.lower().startswith(TEXT_CONTENT_TYPES)


@lru_cache(maxsize=128)
def negotiate(accept_encoding: str | None, allow_brotli: bool = True) -> str | None:
    """Pick ``"br"``, ``"gzip"`` or ``None`` (send as is) from an Accept-Encoding value.

    Werkzeug parses the header (RFC 9110's lists and quality values; an item
    whose ``q`` is not a number from 0 to 1 is dropped).  Each coding we offer
    gets the weight of its own entry, else that of ``*`` (which stands for the
    codings not named), else 0: ``q=0`` refuses a coding even when ``*``
    accepts the rest, and ``identity`` is always acceptable, so ``None`` is
    the answer when nothing we offer weighs more than 0.  Of equal weights
    brotli wins because it is smaller.  Cached: browsers send a handful of
    distinct values, and this runs on every request.

    >>> negotiate("gzip, deflate, br", allow_brotli=False)
    'gzip'
    >>> negotiate("gzip;q=0, identity") is None
    True
    >>> negotiate("gzip;q=0, *", allow_brotli=False) is None
    True
    """
    if not accept_encoding:
        return None
    accepted = parse_accept_header(accept_encoding)
    offered = ("br", "gzip") if allow_brotli and _brotli() is not None else ("gzip",)
    # Not Accept.best_match: it lets "*" stand for a coding refused by name.
    best = max(offered, key=accepted.quality)  # the first of equal weights: brotli
    return best if accepted.quality(best) > 0 else None


def compress(body: bytes, coding: str, *, once: bool = False) -> bytes:
    """Compress ``body`` with ``coding`` (one :func:`negotiate` returned).

    ``once`` marks a body that will be cached and never compressed again,
    which is worth a slower, smaller encoding.
    """
    gzip_level, brotli_quality = SMALL_LEVELS if once else FAST_LEVELS
    brotli = _brotli() if coding == "br" else None
    if brotli is not None:
        result: bytes = brotli.compress(body, quality=brotli_quality)
        return result
    import gzip  # imported here, not at start-up: most requests never compress

    return gzip.compress(body, compresslevel=gzip_level, mtime=0)
