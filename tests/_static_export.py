"""Exports made and checked in child processes, for the example and third-party apps.

The example dashboard and the third-party component libraries must not be
imported into the pytest process: Dash keeps module-level callbacks and the
registry of component libraries in process globals, and the library tests'
own apps live there.  So ``dash-lambda export-static`` runs as a command,
and :func:`handler_answers` asks a real handler, in a fresh interpreter, for
every path of an export.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import brotli

from dash_lambda.static_files import is_fingerprinted

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FRONTEND = REPO / "frontend"
APPS = TESTS / "apps"


def export(app_dir: Path, spec: str, directory: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """``dash-lambda export-static --app-dir APP_DIR SPEC DIRECTORY FLAGS...``; fails the test on error."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dash_lambda",
            "export-static",
            "--app-dir",
            str(app_dir),
            spec,
            str(directory),
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


#: For every path of the export, through two front doors and three Accept-Encodings:
#: the status, Content-Type and sha256 of the body the browser gets (decoded).
_CHILD = r"""
import hashlib, json, sys
tests, app_dir, spec, export_dir = sys.argv[1:5]
sys.path[:0] = [tests]
from lambda_events import FakeContext, decode, event_for
from dash_lambda import make_lambda_handler
from dash_lambda.local.targets import load_attribute

handler = make_lambda_handler(load_attribute(spec, app_dir))
with open(f"{export_dir}/manifest.json") as f:
    paths = list(json.load(f)["files"])
answers = {}
for path in paths:
    for door in ("rest-stage-url", "function-url"):
        for coding in ("identity", "gzip", "br"):
            event = event_for(door, path, headers={"Accept-Encoding": coding})
            got = decode(handler(event, FakeContext()))
            answers.setdefault(path, []).append({
                "door": door,
                "coding": coding,
                "status": got.status,
                "content_type": got.header("content-type"),
                "sha256": hashlib.sha256(got.body).hexdigest(),
            })
json.dump(answers, sys.stdout)
"""


def handler_answers(app_dir: Path, spec: str, export_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """What a fresh handler for ``spec`` answers for each path in ``export_dir``'s manifest."""
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(TESTS), str(app_dir), spec, str(export_dir)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    answers: dict[str, list[dict[str, Any]]] = json.loads(result.stdout)
    return answers


def write_export(directory: Path, files: dict[str, tuple[bytes, str]], *, variants: bool = True) -> Path:
    """An export as ``export-static`` writes it, for the given (body, content type) per app path."""
    entries: dict[str, Any] = {}
    for path, (body, content_type) in files.items():
        target = directory / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        digest = hashlib.sha256(body).hexdigest()
        encodings = {}
        if variants and content_type.startswith("text/"):
            for coding, suffix, compressed in (
                ("br", ".br", brotli.compress(body)),
                ("gzip", ".gz", gzip.compress(body, mtime=0)),
            ):
                target.with_name(target.name + suffix).write_bytes(compressed)
                encodings[coding] = len(compressed)
        entries[path] = {
            "content_type": content_type,
            "size": len(body),
            "sha256": digest,
            "etag": f'"{digest[:32]}"',
            "immutable": is_fingerprinted(path),
            "encodings": encodings,
        }
    manifest = {"format": 1, "generator": "dash-lambda export-static", "files": entries}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory
