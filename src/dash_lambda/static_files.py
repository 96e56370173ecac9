"""Answering static-file requests from a ``dash-lambda export-static`` directory.

Read-only and without Dash's help: for an app path and a negotiated content
coding it gives the precompressed bytes written at build time, so nothing
is compressed while serving, and the headers a browser or CDN needs to
reuse them:

* one strong ``ETag`` per file, the same for its identity, brotli and gzip
  bytes (a content hash of the identity bytes), so a revalidation answers
  304 whichever coding the cached copy has; with ``Vary: Accept-Encoding``
  on every answer for a file that has variants, caches keep the codings
  apart.  (A byte range of one coding is not a range of another, so this
  module never serves ranges.)
* ``Cache-Control: public, max-age=31536000, immutable`` where the URL has
  Dash's fingerprint (``name.v1_2_3m1700000000.js``): a new build has a new
  URL.  Every other file may change with a deploy under the same URL, so it
  is ``public, no-cache``: kept, and revalidated before each use.

A fingerprinted path the export does not hold (its mtime differs between the
build machine and the runtime) is answered from the file's plain name, as
Dash's own route does.

The handler reads an export through :mod:`static_cache`, which approves its
bytes against the app's own answer (``static_dir`` /
``DASH_LAMBDA_STATIC_DIR``); ``dash-lambda serve --static`` answers with
:meth:`StaticFiles.answer` the way the CDN would.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import ConfigError

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
#: Paths (below the app's prefix) a CDN serves from an export; the template's
#: CloudFront behaviours route the same three.
CDN_PATHS = ("/_dash-component-suites/", "/assets/", "/_favicon.ico")
VARIANT_SUFFIXES = {"br": ".br", "gzip": ".gz"}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"


class StaticFilesError(ConfigError):
    """The directory is not a usable export; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """One file of an export, as the manifest describes it."""

    path: str
    content_type: str
    size: int
    etag: str
    encodings: dict[str, int]


@dataclass(frozen=True, slots=True)
class StaticAnswer:
    """What to send for one request: the bytes of one coding and their headers."""

    body: bytes
    coding: str | None
    content_type: str
    etag: str
    immutable: bool
    vary: bool

    @property
    def cache_control(self) -> str:
        return IMMUTABLE if self.immutable else REVALIDATE

    def headers(self, *, not_modified: bool = False) -> list[tuple[str, str]]:
        """The response headers; for a 304 without the representation's own (RFC 9110 15.4.5)."""
        headers = [("ETag", self.etag), ("Cache-Control", self.cache_control)]
        if self.vary:
            headers.append(("Vary", "Accept-Encoding"))
        if not not_modified:
            headers.insert(0, ("Content-Type", self.content_type))
            if self.coding:
                headers.append(("Content-Encoding", self.coding))
            headers.append(("Content-Length", str(len(self.body))))
        return headers


class StaticFiles:
    """The files of one export; see :meth:`load`."""

    def __init__(self, directory: Path, files: dict[str, ExportedFile]) -> None:
        self.directory = directory
        self._files = files

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> StaticFiles:
        """Read ``directory``'s manifest; :class:`StaticFilesError` if it is missing or malformed."""
        root = Path(directory)
        try:
            manifest = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StaticFilesError(
                f"{root} has no {MANIFEST_NAME}; create it with `dash-lambda export-static MODULE:APP {root}`"
            ) from None
        except (OSError, ValueError) as error:
            raise StaticFilesError(f"cannot read {root / MANIFEST_NAME}: {error}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
            raise StaticFilesError(
                f"{root / MANIFEST_NAME} is not a dash-lambda export of format {MANIFEST_FORMAT}"
            )
        entries = manifest.get("files")
        if not isinstance(entries, dict):
            raise StaticFilesError(f"{root / MANIFEST_NAME} has no files")
        files = {}
        for path, entry in entries.items():
            files[path] = _parse_entry(root, path, entry)
        return cls(root, files)

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, app_path: object) -> bool:
        return isinstance(app_path, str) and self.find(app_path) is not None

    def find(self, app_path: str) -> tuple[ExportedFile, bool] | None:
        """The file for ``app_path`` and whether its URL is fingerprinted (immutable); None if absent."""
        found = self._files.get(app_path)
        fingerprinted = is_fingerprinted(app_path)
        if found is None and fingerprinted:
            found = self._files.get(plain_path(app_path))
        return None if found is None else (found, fingerprinted)

    def answer(self, app_path: str, coding: str | None) -> StaticAnswer | None:
        """The bytes to send for ``app_path`` given the coding the client accepted, or None.

        ``coding`` is one :func:`dash_lambda.encoding.negotiate` returned
        (``"br"``, ``"gzip"`` or None); a file without that variant is sent
        as it is.
        """
        found = self.find(app_path)
        if found is None:
            return None
        file, immutable = found
        used = coding if coding in file.encodings else None
        body = self.read(file, used)
        return StaticAnswer(body, used, file.content_type, file.etag, immutable, bool(file.encodings))

    def read(self, file: ExportedFile, coding: str | None) -> bytes:
        """The bytes of ``file`` in ``coding`` (``None``: identity); the variant must exist."""
        name = file.path.lstrip("/") + (VARIANT_SUFFIXES[coding] if coding else "")
        return self.directory.joinpath(*PurePosixPath(name).parts).read_bytes()


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def is_cdn_path(app_path: str) -> bool:
    """Whether a CDN in front serves ``app_path`` from the export."""
    return app_path.startswith(CDN_PATHS)


def _parse_entry(root: Path, path: Any, entry: Any) -> ExportedFile:
    where = f"{root / MANIFEST_NAME}: {path!r}"
    if not isinstance(path, str) or not path.startswith("/"):
        raise StaticFilesError(f"{where} is not an app path")
    if any(part in ("", ".", "..") for part in path[1:].split("/")) or "\\" in path or "\0" in path:
        raise StaticFilesError(f"{where} leaves the export")
    try:
        encodings = {str(k): int(v) for k, v in entry.get("encodings", {}).items() if k in VARIANT_SUFFIXES}
        return ExportedFile(
            path, str(entry["content_type"]), int(entry["size"]), str(entry["etag"]), encodings
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        raise StaticFilesError(f"{where} has a malformed entry") from None


def is_fingerprinted(app_path: str) -> bool:
    """Whether ``app_path`` carries Dash's cache-busting fingerprint (``.v1_2_3m1700000000.js``)."""
    return app_path.startswith(CDN_PATHS[0]) and _check_fingerprint(app_path)[1]


def plain_path(app_path: str) -> str:
    """``app_path`` without Dash's fingerprint: the name the file has in its package."""
    return _check_fingerprint(app_path)[0]


def _check_fingerprint(app_path: str) -> tuple[str, bool]:
    from dash.fingerprint import check_fingerprint  # Dash's own test, so both agree

    plain, fingerprinted = check_fingerprint(app_path)  # type: ignore[no-untyped-call]
    return str(plain), bool(fingerprinted)
