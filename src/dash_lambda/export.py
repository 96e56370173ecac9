"""Writing every file a Dash app serves to anyone as a directory a CDN can serve.

``dash-lambda export-static`` calls :func:`export_static`.  The bytes come
from the app itself, through its Flask test client, never from a copy of
Dash's lookup, so each exported file is what the app (and so the Lambda
handler) answers for its path.  Which paths to ask for comes from the app:

* ``_dash-component-suites/``: every file Dash registered while rendering the
  index (``Dash.registered_paths``: bundles, async chunks, source maps,
  ``plotly.min.js``; exactly what its route agrees to serve), under its plain
  name, plus each fingerprinted name the index references;
* ``assets/``: every file in the app's assets folder;
* the favicon.

Only answers a shared cache may keep are exported: a ``200`` without
``Set-Cookie``, ``private``/``no-store`` or a ``Vary`` beyond
``Accept-Encoding``.  A file the app refuses to an anonymous client stays
behind the app.

The directory mirrors the URL paths below the app's prefix (a CDN bucket's
keys), with ``.br`` (quality 11) and ``.gz`` (level 9) variants next to
compressible files and ``manifest.json`` at the top, which
:mod:`dash_lambda.static_files` and the template's upload function read.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import dash

from .encoding import is_text
from .errors import DashLambdaError
from .static_files import MANIFEST_FORMAT, MANIFEST_NAME, VARIANT_SUFFIXES, is_fingerprinted, plain_path

GENERATOR = "dash-lambda export-static"
BROTLI_QUALITY = 11
GZIP_LEVEL = 9
SUITES = "/_dash-component-suites/"
FAVICON = "/_favicon.ico"

_SRC_OR_HREF = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


class ExportError(DashLambdaError):
    """The export cannot be made; the message says why and what to change."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A path the app did not hand out in a form a CDN may serve to anyone."""

    path: str
    reason: str


@dataclass(slots=True)
class ExportResult:
    """What :func:`export_static` wrote."""

    directory: Path
    manifest: dict[str, Any]
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        entries: dict[str, dict[str, Any]] = self.manifest["files"]
        return entries

    def total(self, coding: str | None = None) -> int:
        """Bytes of all identity files, or of the best each file has for ``coding``."""
        if coding is None:
            return sum(entry["size"] for entry in self.files.values())
        return sum(entry["encodings"].get(coding, entry["size"]) for entry in self.files.values())


def export_static(
    app_or_builder: dash.Dash | Callable[[dict[str, Any]], dash.Dash],
    directory: str | os.PathLike[str],
    *,
    compress: bool = True,
    jobs: int | None = None,
) -> ExportResult:
    """Write every static file ``app_or_builder`` serves to anyone into ``directory``.

    ``app_or_builder`` is a built ``dash.Dash`` app or a builder
    ``build_app(dash_kwargs) -> dash.Dash`` (built here for the prefix ``/``;
    the exported paths are below any prefix).  ``directory`` must be empty,
    missing, or an earlier export, which is replaced as a whole.
    ``compress=False`` leaves out the ``.br``/``.gz`` variants; ``jobs``
    bounds the parallel compressions (default: one per CPU).
    """
    target = Path(directory)
    _check_target(target)
    app = _app_of(app_or_builder)
    client = app.server.test_client()
    routes_prefix = app.config.routes_pathname_prefix

    def get(app_path: str) -> Any:
        return client.get(routes_prefix.rstrip("/") + quote(app_path, safe="/@:+,;=~!$&'()*"))

    index = get("/")
    referenced: list[str] = []
    skipped: list[Skipped] = []
    if index.status_code == 200:
        referenced = _referenced_suite_paths(index.get_data(as_text=True), app)
    else:
        skipped.append(Skipped("/", f"the index answered {index.status_code}: no bundle list"))
    paths = _suite_paths(app) + referenced + _asset_paths(app) + [FAVICON]

    files: dict[str, dict[str, Any]] = {}
    bodies: dict[str, bytes] = {}
    # An exception reaches us (and the summary) instead of Flask's error log:
    # a trimmed package lacks files Dash registered, e.g. the source maps.
    propagate = app.server.config.get("PROPAGATE_EXCEPTIONS")
    app.server.config["PROPAGATE_EXCEPTIONS"] = True
    try:
        for app_path in dict.fromkeys(paths):
            try:
                response = get(app_path)
            except Exception as error:
                skipped.append(Skipped(app_path, f"raised {type(error).__name__}"))
                continue
            refusal = _not_shareable(response)
            if refusal:
                skipped.append(Skipped(app_path, refusal))
                continue
            body = response.get_data()
            bodies[app_path] = body
            files[app_path] = _entry(app_path, body, response.headers.get("Content-Type", ""), app)
    finally:
        app.server.config["PROPAGATE_EXCEPTIONS"] = propagate

    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for app_path, body in bodies.items():
            _write(staging, app_path, body)
        if compress:
            _write_variants(staging, files, bodies, jobs)
        manifest = {
            "format": MANIFEST_FORMAT,
            "generator": GENERATOR,
            "dash": dash.__version__,
            "files": dict(sorted(files.items())),
        }
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportResult(target, manifest, skipped)


def load_manifest(directory: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The manifest of an export in ``directory``, or None if there is none (or it is not ours)."""
    path = Path(directory) / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("generator") != GENERATOR:
        return None
    return manifest


# ------------------------------------------------------------------ the app


def _app_of(app_or_builder: Any) -> dash.Dash:
    if isinstance(app_or_builder, dash.Dash):
        return app_or_builder
    from .handler import LambdaHandler

    if isinstance(app_or_builder, LambdaHandler):
        raise ExportError(
            "this is a Lambda handler; name the app builder it wraps (e.g. dash_app:build_app) "
            "or a dash.Dash app"
        )
    if not callable(app_or_builder):
        raise ExportError(f"expected a dash.Dash app or an app builder, got {type(app_or_builder).__name__}")
    from .apps import AppCache

    # Built the way the handler builds it (Dash's global callbacks handled the same way).
    built: dash.Dash = AppCache(app_or_builder, max_apps=1).get("/").dash_app
    return built


def _suite_paths(app: dash.Dash) -> list[str]:
    """Every component-suite file the app's route would serve, by its plain name.

    ``registered_paths`` is filled while the index renders, with every
    resource of every registered component library (async chunks and
    ``dynamic`` ones such as source maps and plotly.min.js included), and
    is what Dash checks before serving a file.
    """
    return [
        f"{SUITES}{namespace}/{relative}"
        for namespace, relatives in sorted(app.registered_paths.items())
        for relative in sorted(relatives)
    ]


def _referenced_suite_paths(index_html: str, app: dash.Dash) -> list[str]:
    """The fingerprinted component-suite URLs the index page references, as app paths."""
    prefix = app.config.requests_pathname_prefix.rstrip("/") + SUITES
    found = []
    for url in _SRC_OR_HREF.findall(index_html):
        path = unquote(urlsplit(url).path)
        if path.startswith(prefix):
            found.append(SUITES + path[len(prefix) :])
    return found


def _asset_paths(app: dash.Dash) -> list[str]:
    folder = Path(app.config.assets_folder)
    if not folder.is_dir():
        return []
    url_path = app.config.assets_url_path.strip("/")
    found = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            relative = (Path(root) / name).relative_to(folder).as_posix()
            found.append(f"/{url_path}/{relative}")
    return sorted(found)


def _not_shareable(response: Any) -> str | None:
    """Why a shared cache (a CDN) must not hand this response to anyone; None if it may."""
    if response.status_code != 200:
        return f"answered {response.status_code}"
    if response.headers.get("Set-Cookie"):
        return "sets a cookie"
    cache_control = str(response.headers.get("Cache-Control", ""))
    if {d.strip().split("=")[0].lower() for d in cache_control.split(",")} & {"private", "no-store"}:
        return f"Cache-Control: {cache_control}"
    vary = str(response.headers.get("Vary", ""))
    if {v.strip().lower() for v in vary.split(",") if v.strip()} - {"accept-encoding"}:
        return f"Vary: {vary}"
    if response.headers.get("Content-Encoding"):
        return "already content-encoded by the app"
    return None


# ------------------------------------------------------------------ the manifest


def _entry(app_path: str, body: bytes, content_type: str, app: dash.Dash) -> dict[str, Any]:
    digest = hashlib.sha256(body).hexdigest()
    entry: dict[str, Any] = {
        "content_type": content_type,
        "size": len(body),
        "sha256": digest,
        # One validator for the file, whatever the coding (see static_files).
        "etag": f'"{digest[:32]}"',
        "immutable": is_fingerprinted(app_path),
        "encodings": {},
    }
    fingerprint = _fingerprint_source(app_path, app)
    if fingerprint:
        entry["fingerprint"] = fingerprint
    return entry


def _fingerprint_source(app_path: str, app: dash.Dash) -> dict[str, Any] | None:
    """For a fingerprinted path: the package file whose mtime Dash put in the name.

    Dash fingerprints with the file's modification time where the app runs.
    The template's upload function compares it with the time the deployment
    package gives that file and renames the key if they differ.
    """
    if not is_fingerprinted(app_path):
        return None
    plain = plain_path(app_path)
    namespace, _, relative = plain[len(SUITES) :].partition("/")
    module = sys.modules.get(namespace)
    token = PurePosixPath(app_path).name.split(".")[1]
    mtime = token.rsplit("m", 1)[1]
    if module is None or not getattr(module, "__file__", None) or not mtime.isdigit():
        return None
    file = Path(module.__file__ or "").parent / relative
    roots = [Path(p).resolve() for p in sys.path if p and Path(p).is_dir()]
    holding = [root for root in roots if file.resolve().is_relative_to(root)]
    if not holding:
        return None
    root = max(holding, key=lambda r: len(r.parts))
    return {"source": file.resolve().relative_to(root).as_posix(), "mtime": int(mtime)}


# ------------------------------------------------------------------ files


def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and load_manifest(target) is None:
        raise ExportError(
            f"{target} is not empty and holds no earlier export; pick an empty or new directory"
        )
    target.parent.mkdir(parents=True, exist_ok=True)


def file_for(directory: Path, app_path: str) -> Path:
    """Where ``app_path`` lives in an export; refuses paths that would leave it."""
    parts = app_path.removeprefix("/").split("/")
    if any(part in ("", ".", "..") for part in parts) or "\\" in app_path or "\0" in app_path:
        raise ExportError(f"refusing to export the path {app_path!r}")
    return directory.joinpath(*parts)


def _write(directory: Path, app_path: str, body: bytes) -> None:
    path = file_for(directory, app_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def _write_variants(
    directory: Path, files: dict[str, dict[str, Any]], bodies: dict[str, bytes], jobs: int | None
) -> None:
    """Compress every text file both ways, in parallel (brotli and zlib release the GIL)."""
    taken = set(files)
    work = [
        (app_path, coding)
        for app_path, entry in files.items()
        if is_text(entry["content_type"])
        for coding, suffix in VARIANT_SUFFIXES.items()
        if app_path + suffix not in taken  # an asset really named like a variant wins
    ]

    def run(item: tuple[str, str]) -> tuple[str, str, bytes]:
        app_path, coding = item
        return app_path, coding, _compress(bodies[app_path], coding)

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        results: Iterable[tuple[str, str, bytes]] = pool.map(run, work)
        for app_path, coding, compressed in results:
            if len(compressed) >= len(bodies[app_path]):
                continue
            _write(directory, app_path + VARIANT_SUFFIXES[coding], compressed)
            files[app_path]["encodings"][coding] = len(compressed)


def _compress(body: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    try:
        import brotli
    except ImportError:  # pragma: no cover - brotli is in the build's extras
        raise ExportError("brotli variants need the brotli package (dash-lambda[brotli])") from None
    compressed: bytes = brotli.compress(body, quality=BROTLI_QUALITY)
    return compressed
