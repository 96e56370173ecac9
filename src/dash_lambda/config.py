"""The adapter's settings: keyword arguments, overridden by environment variables.

Every option is a keyword argument of :func:`dash_lambda.make_lambda_handler`
with a default that suits most apps.  Where a SAM template would set it, an
environment variable overrides the argument, so a deployment can change it
without a code change.  An empty variable counts as unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from .prefix import normalize_prefix

ENV_PREFIX = "DASH_LAMBDA_PREFIX"
ENV_PREFIXES = "DASH_LAMBDA_PREFIXES"
ENV_MAX_APPS = "DASH_LAMBDA_MAX_APPS"
ENV_COMPRESS = "DASH_LAMBDA_COMPRESS"
ENV_COMPRESS_MIN_BYTES = "DASH_LAMBDA_COMPRESS_MIN_BYTES"
ENV_STATIC_CACHE_MB = "DASH_LAMBDA_STATIC_CACHE_MB"
ENV_HEALTH_PATH = "DASH_LAMBDA_HEALTH_PATH"
ENV_BASIC_AUTH = "DASH_LAMBDA_BASIC_AUTH"
ENV_PRIME = "DASH_LAMBDA_PRIME"
ENV_STATIC_DIR = "DASH_LAMBDA_STATIC_DIR"

_FALSE = {"0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}


class ConfigError(ValueError):
    """An option or environment variable has a value the adapter cannot use."""


class Settings:
    """Resolved options of one handler (see :func:`resolve`)."""

    # A plain class, not a dataclass: the decorator alone would cost about a
    # millisecond of every cold start.
    __slots__ = (
        "basic_auth",
        "compress",
        "compress_min_bytes",
        "health_path",
        "max_apps",
        "prefix",
        "prefixes",
        "prime",
        "static_cache_bytes",
        "static_dir",
    )

    def __init__(
        self,
        *,
        prefix: str | None,
        prefixes: tuple[str, ...],
        max_apps: int,
        compress: bool,
        compress_min_bytes: int,
        static_cache_bytes: int,
        health_path: str | None,
        basic_auth: str | None,
        prime: bool,
        static_dir: str | None = None,
    ) -> None:
        self.prefix = prefix
        self.prefixes = prefixes
        self.max_apps = max_apps
        self.compress = compress
        self.compress_min_bytes = compress_min_bytes
        self.static_cache_bytes = static_cache_bytes
        self.health_path = health_path
        self.basic_auth = basic_auth
        self.prime = prime
        self.static_dir = static_dir

    def __repr__(self) -> str:
        shown = {name: getattr(self, name) for name in self.__slots__ if name != "basic_auth"}
        return f"Settings({shown}, basic_auth={'set' if self.basic_auth else None})"


def resolve(
    *,
    prefix: str | None,
    prefixes: Sequence[str],
    max_apps: int,
    compress: bool,
    compress_min_bytes: int,
    static_cache_mb: float,
    health_path: str | None,
    basic_auth: str | None,
    prime: bool,
    static_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge keyword arguments with the environment (which wins when set)."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    prefix = get(ENV_PREFIX) or prefix
    raw_prefixes = get(ENV_PREFIXES)
    if raw_prefixes is not None:
        prefixes = [p for p in raw_prefixes.split(",") if p.strip()]
    health = get(ENV_HEALTH_PATH)
    if health is not None:
        health_path = None if health.lower() in _FALSE else health
    raw_static_dir = get(ENV_STATIC_DIR)
    if raw_static_dir is not None:
        static_dir = None if raw_static_dir.lower() in _FALSE else raw_static_dir
    return Settings(
        prefix=None if prefix is None else normalize_prefix(prefix),
        prefixes=tuple(dict.fromkeys(normalize_prefix(p.strip()) for p in prefixes)),
        max_apps=_int(get(ENV_MAX_APPS), max_apps, ENV_MAX_APPS, minimum=1),
        compress=_bool(get(ENV_COMPRESS), compress, ENV_COMPRESS),
        compress_min_bytes=_int(
            get(ENV_COMPRESS_MIN_BYTES), compress_min_bytes, ENV_COMPRESS_MIN_BYTES, minimum=0
        ),
        static_cache_bytes=int(
            _float(get(ENV_STATIC_CACHE_MB), static_cache_mb, ENV_STATIC_CACHE_MB) * 1024 * 1024
        ),
        health_path=None if not health_path else "/" + health_path.strip("/"),
        basic_auth=get(ENV_BASIC_AUTH) or basic_auth,
        prime=_bool(get(ENV_PRIME), prime, ENV_PRIME),
        static_dir=None if static_dir is None else os.fspath(static_dir),
    )


def _bool(raw: str | None, default: bool, name: str) -> bool:
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r}: use true or false")


def _int(raw: str | None, default: int, name: str, *, minimum: int) -> int:
    value = default
    if raw is not None:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r}: use a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(raw: str | None, default: float, name: str) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: use a number") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value
