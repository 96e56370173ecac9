"""Prefix arithmetic and option resolution, without a Dash app."""

from __future__ import annotations

import pytest

from dash_lambda import ConfigError, make_lambda_handler
from dash_lambda.config import Settings, resolve
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


def test_defaults_apply_when_neither_argument_nor_variable_is_given() -> None:
    # The defaults make_lambda_handler's docstring and the README's options table document.
    assert resolve(environ={}) == Settings(
        prefix=None,
        prefixes=(),
        max_apps=4,
        compress=True,
        compress_min_bytes=2048,
        static_cache_bytes=64 * 1024 * 1024,
        health_path="/health",
        basic_auth=None,
        prime=True,
    )


def test_environment_supplies_the_options_not_passed() -> None:
    settings = resolve(
        environ={
            "DASH_LAMBDA_PREFIX": "cdn",
            "DASH_LAMBDA_PREFIXES": "/Prod/, dash,,",
            "DASH_LAMBDA_MAX_APPS": "2",
            "DASH_LAMBDA_COMPRESS": "off",
            "DASH_LAMBDA_COMPRESS_MIN_BYTES": "0",
            "DASH_LAMBDA_STATIC_CACHE_MB": "0.5",
            "DASH_LAMBDA_HEALTH_PATH": "healthz",
            "DASH_LAMBDA_BASIC_AUTH": "u:p",
            "DASH_LAMBDA_PRIME": "no",
        },
    )
    assert settings.prefix == "/cdn/"
    assert settings.prefixes == ("/Prod/", "/dash/")
    assert (settings.max_apps, settings.compress, settings.compress_min_bytes, settings.prime) == (
        2,
        False,
        0,
        False,
    )
    assert settings.static_cache_bytes == 512 * 1024
    assert settings.health_path == "/healthz"
    assert settings.basic_auth == "u:p"


#: (argument, value passed, variable, value set there, resolved attribute, expected)
PASSED_AND_SET = [
    ("prefix", "/code/", "DASH_LAMBDA_PREFIX", "/env/", "prefix", "/code/"),
    ("prefix", None, "DASH_LAMBDA_PREFIX", "/env/", "prefix", None),
    ("prefixes", ["/A/"], "DASH_LAMBDA_PREFIXES", "/B/,/C/", "prefixes", ("/A/",)),
    ("prefixes", (), "DASH_LAMBDA_PREFIXES", "/B/", "prefixes", ()),
    ("max_apps", 3, "DASH_LAMBDA_MAX_APPS", "2", "max_apps", 3),
    ("compress", True, "DASH_LAMBDA_COMPRESS", "off", "compress", True),
    ("compress_min_bytes", 10, "DASH_LAMBDA_COMPRESS_MIN_BYTES", "99", "compress_min_bytes", 10),
    ("static_cache_mb", 1, "DASH_LAMBDA_STATIC_CACHE_MB", "0", "static_cache_bytes", 1024 * 1024),
    ("health_path", "/ping", "DASH_LAMBDA_HEALTH_PATH", "/env-health", "health_path", "/ping"),
    ("health_path", None, "DASH_LAMBDA_HEALTH_PATH", "/env-health", "health_path", None),
    ("basic_auth", "code:pw", "DASH_LAMBDA_BASIC_AUTH", "env:pw", "basic_auth", "code:pw"),
    ("basic_auth", None, "DASH_LAMBDA_BASIC_AUTH", "env:pw", "basic_auth", None),
    ("prime", False, "DASH_LAMBDA_PRIME", "yes", "prime", False),
    ("static_dir", "/code-export", "DASH_LAMBDA_STATIC_DIR", "/env-export", "static_dir", "/code-export"),
    ("static_dir", None, "DASH_LAMBDA_STATIC_DIR", "/env-export", "static_dir", None),
]


@pytest.mark.parametrize(
    ("argument", "passed", "variable", "set_there", "attribute", "expected"),
    PASSED_AND_SET,
    ids=[f"{row[0]}={row[1]!r}" for row in PASSED_AND_SET],
)
def test_arguments_passed_win_over_the_environment(
    argument: str, passed: object, variable: str, set_there: str, attribute: str, expected: object
) -> None:
    assert getattr(resolve(environ={variable: set_there}), attribute) != expected  # the variable is read...
    settings = resolve(**{argument: passed}, environ={variable: set_there})  # type: ignore[arg-type]
    assert getattr(settings, attribute) == expected  # ...unless the argument is passed, None and () included


def test_every_variable_is_pinned_by_the_precedence_test() -> None:
    from dash_lambda import config

    variables = {value for name, value in vars(config).items() if name.startswith("ENV_")}
    assert variables == {row[2] for row in PASSED_AND_SET}


def test_empty_environment_variables_count_as_unset() -> None:
    settings = resolve(environ={"DASH_LAMBDA_PREFIX": " ", "DASH_LAMBDA_HEALTH_PATH": ""})
    assert settings.prefix is None and settings.health_path == "/health"


def test_health_path_off_in_the_variable_and_none_in_code_turn_it_off() -> None:
    assert resolve(environ={"DASH_LAMBDA_HEALTH_PATH": "off"}).health_path is None
    assert resolve(health_path=None, environ={}).health_path is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DASH_LAMBDA_MAX_APPS", "many", "whole number"),
        ("DASH_LAMBDA_MAX_APPS", "0", "at least 1"),
        ("DASH_LAMBDA_COMPRESS", "maybe", "true or false"),
        ("DASH_LAMBDA_COMPRESS_MIN_BYTES", "-1", "at least 0"),
        ("DASH_LAMBDA_STATIC_CACHE_MB", "-1", "negative"),
        ("DASH_LAMBDA_STATIC_CACHE_MB", "inf", "infinite"),
        ("DASH_LAMBDA_STATIC_CACHE_MB", "nan", "infinite"),
        ("DASH_LAMBDA_STATIC_CACHE_MB", "lots", "use a number"),
        ("DASH_LAMBDA_PRIME", "2", "true or false"),
    ],
)
def test_bad_environment_values_are_named_in_the_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message) as error:
        make_lambda_handler(lambda kwargs: None)  # type: ignore[arg-type,return-value]
    assert name in str(error.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_apps": 0}, "max_apps must be at least 1, got 0"),
        ({"compress_min_bytes": -5}, "compress_min_bytes must be at least 0, got -5"),
        ({"static_cache_mb": -1}, "static_cache_mb must not be negative"),
        ({"max_apps": None}, "max_apps must be a whole number, got None"),
        ({"max_apps": "3"}, "max_apps must be a whole number, got '3'"),
        ({"compress_min_bytes": True}, "compress_min_bytes must be a whole number, got True"),
        ({"static_cache_mb": None}, "static_cache_mb must be a number, got None"),
        ({"compress": "maybe"}, "compress must be True or False, got 'maybe'"),
        ({"prime": 1}, "prime must be True or False, got 1"),
        ({"prefix": 5}, "prefix must be a string such as '/Prod/', or None, got 5"),
        ({"prefixes": "/Prod/"}, r"prefixes must be a list of prefixes such as \['/Prod/'\], got '/Prod/'"),
        ({"prefixes": None}, "prefixes must be a list of prefixes"),
        ({"health_path": 8080}, "health_path must be a path such as '/health', or None"),
        ({"basic_auth": ("u", "p")}, "basic_auth must be 'user:password', or None"),
        ({"static_dir": 3}, "static_dir must be a directory, or None, got 3"),
    ],
)
def test_bad_arguments_are_named_in_the_error(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_lambda_handler(lambda kwargs: None, **options)  # type: ignore[arg-type,return-value]


def test_a_bad_variable_is_not_read_when_its_argument_is_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASH_LAMBDA_MAX_APPS", "many")
    with pytest.raises(ConfigError):
        resolve()
    assert resolve(max_apps=2).max_apps == 2


def test_config_errors_are_library_errors_and_value_errors() -> None:
    from dash_lambda import DashLambdaError

    assert issubclass(ConfigError, DashLambdaError) and issubclass(ConfigError, ValueError)


def test_settings_are_frozen_and_keep_credentials_out_of_their_repr() -> None:
    import dataclasses

    settings = resolve(basic_auth="ada:s3cret", environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.max_apps = 9  # type: ignore[misc]
    assert "s3cret" not in repr(settings) and "basic_auth='set'" in repr(settings)


def test_malformed_basic_auth_credentials_are_refused_at_creation() -> None:
    with pytest.raises(ConfigError, match="user:password"):
        make_lambda_handler(lambda kwargs: None, basic_auth="no-colon")  # type: ignore[arg-type,return-value]


def test_prefixes_may_be_any_iterable_of_strings() -> None:
    settings = resolve(prefixes=(p for p in ("/Prod/", "dash")), environ={})
    assert settings.prefixes == ("/Prod/", "/dash/")


def test_unusable_values_of_other_public_constructors_are_config_errors() -> None:
    from dash_lambda.background import S3Store
    from dash_lambda.static_files import StaticFilesError

    with pytest.raises(ConfigError, match="bucket name"):
        S3Store("")
    assert issubclass(StaticFilesError, ConfigError)


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


@pytest.mark.parametrize(
    ("header", "allow_brotli", "coding"),
    [
        ("gzip;q=0, *", False, None),  # refused by name, whatever "*" says
        ("gzip;q=0, *", True, "br"),
        ("br;q=0, *", True, "gzip"),
        ("*;q=0.5, gzip", True, "gzip"),
        ("gzip, *", True, "br"),  # equal weights: brotli
        ("gzip;q=0.3, br;q=0.3", True, "br"),
        ("gzip;q=0.3, br;q=0.2", True, "gzip"),
        ("gzip;q=1.5", False, None),  # q outside 0..1: the item is dropped
        ("gzip;q=-1, *;q=0.2", False, "gzip"),
        ("identity;q=0", False, None),  # nothing better on offer: sent as is all the same
    ],
)
def test_accept_encoding_follows_rfc_9110_weights(
    header: str, allow_brotli: bool, coding: str | None
) -> None:
    assert negotiate(header, allow_brotli=allow_brotli) == coding


def test_docstring_examples_hold() -> None:
    import doctest

    from dash_lambda import encoding, prefix

    for module in (prefix, encoding):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0
