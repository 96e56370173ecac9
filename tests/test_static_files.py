"""Reading an export: precompressed bytes, one strong ETag for every coding, ``immutable`` where fingerprinted."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import brotli
import pytest
from _static_export import write_export

from dash_lambda.encoding import negotiate
from dash_lambda.static_files import (
    IMMUTABLE,
    REVALIDATE,
    StaticAnswer,
    StaticFiles,
    StaticFilesError,
    etag_matches,
    is_cdn_path,
    is_fingerprinted,
)

SCRIPT = b"window.answer = function () { return 42; };\n" * 300
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
PLAIN = "/_dash-component-suites/lib/bundle.min.js"
FINGERPRINTED = "/_dash-component-suites/lib/bundle.v1_2_3m1700000000.min.js"


def answer(files: StaticFiles, path: str, coding: str | None) -> StaticAnswer:
    found = files.answer(path, coding)
    assert found is not None, path
    return found


@pytest.fixture
def files(tmp_path: Path) -> StaticFiles:
    write_export(
        tmp_path,
        {
            PLAIN: (SCRIPT, "text/javascript; charset=utf-8"),
            FINGERPRINTED: (SCRIPT, "text/javascript; charset=utf-8"),
            "/assets/logo.png": (PNG, "image/png"),
        },
    )
    return StaticFiles.load(tmp_path)


@pytest.mark.parametrize(
    ("coding", "decompress"),
    [("br", brotli.decompress), ("gzip", gzip.decompress), (None, lambda body: body)],
)
def test_answers_the_precompressed_bytes_of_the_negotiated_coding(
    files: StaticFiles, coding: str | None, decompress: Any
) -> None:
    answer = files.answer(PLAIN, coding)
    assert answer is not None
    assert answer.coding == coding
    assert decompress(answer.body) == SCRIPT
    headers = dict(answer.headers())
    assert headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert headers["Content-Length"] == str(len(answer.body))
    assert headers.get("Content-Encoding") == coding
    assert headers["Vary"] == "Accept-Encoding"


def test_one_strong_etag_for_every_coding(files: StaticFiles) -> None:
    etags = {answer(files, PLAIN, coding).etag for coding in ("br", "gzip", None)}
    assert len(etags) == 1
    (etag,) = etags
    assert etag == f'"{hashlib.sha256(SCRIPT).hexdigest()[:32]}"'
    assert not etag.startswith("W/")


def test_fingerprinted_urls_are_immutable_and_others_revalidate(files: StaticFiles) -> None:
    assert answer(files, FINGERPRINTED, "br").cache_control == IMMUTABLE
    assert answer(files, PLAIN, "br").cache_control == REVALIDATE
    assert answer(files, "/assets/logo.png", None).cache_control == REVALIDATE


def test_a_fingerprint_the_export_does_not_hold_is_answered_from_the_plain_name(files: StaticFiles) -> None:
    """The runtime may date the file differently from the build machine; Dash's route ignores the date too."""
    other = "/_dash-component-suites/lib/bundle.v1_2_3m1800000000.min.js"
    answer = files.answer(other, "gzip")
    assert answer is not None
    assert gzip.decompress(answer.body) == SCRIPT
    assert answer.immutable


def test_a_file_without_variants_is_sent_as_it_is_without_vary(files: StaticFiles) -> None:
    answer = files.answer("/assets/logo.png", "br")
    assert answer is not None
    assert (answer.body, answer.coding) == (PNG, None)
    assert "Vary" not in dict(answer.headers())


def test_what_the_export_does_not_hold_is_not_answered(files: StaticFiles) -> None:
    assert files.answer("/assets/missing.png", None) is None
    assert files.answer("/_dash-layout", None) is None
    assert "/assets/missing.png" not in files
    assert PLAIN in files and len(files) == 3


def test_304_headers_keep_the_validator_and_drop_the_body_headers(files: StaticFiles) -> None:
    answer = files.answer(PLAIN, "br")
    assert answer is not None
    headers = dict(answer.headers(not_modified=True))
    assert headers == {"ETag": answer.etag, "Cache-Control": REVALIDATE, "Vary": "Accept-Encoding"}


@pytest.mark.parametrize(
    ("if_none_match", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('"abcd"', False),
        ("", False),
        (None, False),
    ],
)
def test_if_none_match_uses_weak_comparison(if_none_match: str | None, matches: bool) -> None:
    assert etag_matches(if_none_match, '"abc"') is matches


def test_the_cdn_serves_bundles_assets_and_the_favicon_only() -> None:
    assert is_cdn_path("/_dash-component-suites/dash/dcc/async-graph.js")
    assert is_cdn_path("/assets/logo.png")
    assert is_cdn_path("/_favicon.ico")
    for dynamic in ("/", "/_dash-layout", "/_dash-dependencies", "/_dash-update-component", "/health"):
        assert not is_cdn_path(dynamic)


def test_fingerprints_are_dashs_own() -> None:
    assert is_fingerprinted("/_dash-component-suites/dash/deps/polyfill@7.v4_4_1m1796161007.12.1.min.js")
    assert is_fingerprinted("/_dash-component-suites/dash/dcc/dash_core_components.v4_4_1m315532800.js")
    assert not is_fingerprinted("/_dash-component-suites/dash/dcc/async-graph.js")
    assert not is_fingerprinted("/assets/site.v1_0_0m1700000000.css"), (
        "assets are not Dash's fingerprinted URLs"
    )


# ------------------------------------------------------------------ loading


def test_a_directory_without_an_export_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(StaticFilesError, match="dash-lambda export-static"):
        StaticFiles.load(tmp_path)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("not json", "cannot read"),
        (json.dumps({"format": 99, "files": {}}), "format 1"),
        (json.dumps({"format": 1}), "has no files"),
        (json.dumps({"format": 1, "files": {"/assets/../../etc/passwd": {}}}), "leaves the export"),
        (json.dumps({"format": 1, "files": {"assets/x": {}}}), "not an app path"),
        (json.dumps({"format": 1, "files": {"/assets/x": {"size": "big"}}}), "malformed"),
    ],
)
def test_a_broken_manifest_is_refused_with_a_reason(tmp_path: Path, manifest: str, message: str) -> None:
    (tmp_path / "manifest.json").write_text(manifest)
    with pytest.raises(StaticFilesError, match=message):
        StaticFiles.load(tmp_path)


# ------------------------------------------------------------------ a real export


def test_every_file_of_a_real_export_decodes_to_its_identity_bytes(example_export: Path) -> None:
    files = StaticFiles.load(example_export)
    manifest = json.loads((example_export / "manifest.json").read_text())
    for path, entry in manifest["files"].items():
        for accept in ("br, gzip", "gzip", "identity"):
            answer = files.answer(path, negotiate(accept))
            assert answer is not None
            body = answer.body
            if answer.coding == "br":
                body = brotli.decompress(body)
            elif answer.coding == "gzip":
                body = gzip.decompress(body)
            assert hashlib.sha256(body).hexdigest() == entry["sha256"], (path, accept)
            assert answer.etag == entry["etag"]
            assert answer.immutable == entry["immutable"]
