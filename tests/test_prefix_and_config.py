"""Prefix arithmetic and option resolution, without a Dash app."""

from __future__ import annotations

import pytest

from dash_lambda import ConfigError, make_lambda_handler
from dash_lambda.config import resolve
from dash_lambda.encoding import negotiate
from dash_lambda.prefix import (
    app_path_from_proxy,
    encode_path,
    normalize_prefix,
    script_name,
    split_by_stage,
    split_external_path,
    wsgi_safe,
)

DEFAULTS = dict(
    prefix=None,
    prefixes=(),
    max_apps=4,
    compress=True,
    compress_min_bytes=1024,
    static_cache_mb=64,
    health_path="/health",
    basic_auth=None,
    prime=True,
)


@pytest.mark.parametrize(
    ("raw", "normal"), [("", "/"), ("/", "/"), ("Prod", "/Prod/"), ("/a/b", "/a/b/"), ("//x//", "/x/")]
)
def test_prefixes_are_normalized_for_dash(raw: str, normal: str) -> None:
    assert normalize_prefix(raw) == normal


@pytest.mark.parametrize(
    ("external", "app", "head"),
    [
        ("/Prod/x/y", "/x/y", "/Prod"),
        ("/Prod/", "/", "/Prod"),
        ("/Prod", "/", "/Prod"),
        ("/x", "/x", ""),
        ("/dash/caf%C3%A9", "/café", "/dash"),
        ("/dash/a%2541", "/a%41", "/dash"),  # decoded once, not twice
        ("/da%73h/x", "/x", "/da%73h"),  # the prefix is never decoded
        ("/dash/a%2Fb", "/a/b", "/dash"),
        ("/elsewhere", "/x", None),
    ],
)
def test_external_path_splits_where_the_app_path_begins(external: str, app: str, head: str | None) -> None:
    assert split_external_path(external, app) == head


@pytest.mark.parametrize(
    ("external", "app", "head"),
    [
        ("/dash/a%41", "/a%41", "/dash"),  # an HTTP API delivered /dash/a%2541 decoded
        ("/dash/a b", "/a b", "/dash"),
        ("/dash/aA", "/a%41", None),
    ],
)
def test_decoded_external_path_is_compared_as_it_is(external: str, app: str, head: str | None) -> None:
    assert split_external_path(external, app, decoded=True) == head


@pytest.mark.parametrize(
    ("path", "stage", "split"),
    [
        ("/Prod/x", "Prod", ("/Prod", "/x")),
        ("/Prod", "Prod", ("/Prod", "")),
        ("/Production/x", "Prod", ("", "/Production/x")),
        ("/x", "$default", ("", "/x")),
        ("/x", None, ("", "/x")),
    ],
)
def test_stage_is_split_off_only_as_a_whole_segment(
    path: str, stage: str | None, split: tuple[str, str]
) -> None:
    assert split_by_stage(path, stage) == split


@pytest.mark.parametrize(
    ("proxy", "route", "app_path"),
    [
        ("x/y", "/{proxy+}", "/x/y"),
        ("/x", "/{proxy+}", "/x"),
        ("x", "ANY /{proxy+}", "/x"),
        (None, "/", "/"),
        (None, "ANY /", "/"),
        (None, "$default", None),
        ("x", "/items/{id}", None),
        (None, None, None),
    ],
)
def test_app_path_comes_from_the_proxy_route(
    proxy: str | None, route: str | None, app_path: str | None
) -> None:
    assert app_path_from_proxy(proxy, route) == app_path


def test_non_ascii_paths_are_percent_encoded_for_wsgi() -> None:
    assert wsgi_safe("/café") == "/caf%C3%A9"
    assert wsgi_safe("/plain") == "/plain"


def test_lone_surrogates_in_paths_are_encoded_not_raised() -> None:
    assert wsgi_safe("/a\ud800b") == "/a%ED%A0%80b"
    assert encode_path("/a\udfffb", decoded=True) == "/a%ED%BF%BFb"


def test_decoded_paths_encode_every_percent_sign() -> None:
    assert encode_path("/100% a%41", decoded=True) == "/100%25%20a%2541"
    assert encode_path("/a%41", decoded=False) == "/a%41"


def test_script_name_is_the_prefix_without_its_trailing_slash() -> None:
    assert script_name("/Prod/") == "/Prod"
    assert script_name("/") == ""


def test_environment_overrides_keyword_arguments() -> None:
    settings = resolve(
        **DEFAULTS,  # type: ignore[arg-type]
        environ={
            "DASH_LAMBDA_PREFIX": "cdn",
            "DASH_LAMBDA_PREFIXES": "/Prod/, dash,,",
            "DASH_LAMBDA_MAX_APPS": "2",
            "DASH_LAMBDA_COMPRESS": "off",
            "DASH_LAMBDA_STATIC_CACHE_MB": "0.5",
            "DASH_LAMBDA_HEALTH_PATH": "healthz",
            "DASH_LAMBDA_BASIC_AUTH": "u:p",
            "DASH_LAMBDA_PRIME": "no",
        },
    )
    assert settings.prefix == "/cdn/"
    assert settings.prefixes == ("/Prod/", "/dash/")
    assert (settings.max_apps, settings.compress, settings.prime) == (2, False, False)
    assert settings.static_cache_bytes == 512 * 1024
    assert settings.health_path == "/healthz"
    assert settings.basic_auth == "u:p"


def test_empty_environment_variables_count_as_unset() -> None:
    settings = resolve(**DEFAULTS, environ={"DASH_LAMBDA_PREFIX": " ", "DASH_LAMBDA_HEALTH_PATH": ""})  # type: ignore[arg-type]
    assert settings.prefix is None and settings.health_path == "/health"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DASH_LAMBDA_MAX_APPS", "many", "whole number"),
        ("DASH_LAMBDA_MAX_APPS", "0", "at least 1"),
        ("DASH_LAMBDA_COMPRESS", "maybe", "true or false"),
        ("DASH_LAMBDA_STATIC_CACHE_MB", "-1", "negative"),
    ],
)
def test_bad_environment_values_are_named_in_the_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message) as error:
        make_lambda_handler(lambda kwargs: None)  # type: ignore[arg-type,return-value]
    assert name in str(error.value)


def test_malformed_basic_auth_credentials_are_refused_at_creation() -> None:
    with pytest.raises(ValueError, match="user:password"):
        make_lambda_handler(lambda kwargs: None, basic_auth="no-colon")  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        ("gzip", "gzip"),
        ("GZIP;Q=1", "gzip"),
        ("br, gzip", "br"),
        ("gzip;q=bad", None),
        (" , ", None),
        ("x-gzip", None),
    ],
)
def test_accept_encoding_parsing(header: str, coding: str | None) -> None:
    assert negotiate(header) == coding


def test_docstring_examples_hold() -> None:
    import doctest

    from dash_lambda import encoding, prefix

    for module in (prefix, encoding):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0
