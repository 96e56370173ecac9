"""The adapter's settings: keyword argument, else environment variable, else default.

Every option is a keyword argument of :func:`dash_lambda.make_lambda_handler`
with a default that suits most apps.  Where a SAM template would set it, a
``DASH_LAMBDA_*`` environment variable supplies the option when the code does
not pass it, so a deployment can change it without a code change.  A value
the code passes always wins: what the code says is what runs, whatever the
function's (or a developer's shell's) environment holds.  An empty variable
counts as unset.

"Not passed" is told apart from every real value (``None`` included) by the
:data:`UNSET` sentinel, the default of those arguments; the documented
defaults live in :func:`resolve`.
"""

from __future__ import annotations

import enum
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

from .errors import ConfigError as ConfigError  # raised here; its home is errors
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

_T = TypeVar("_T")
_N = TypeVar("_N", int, float)

_FALSE = {"0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on"}


class Unset(enum.Enum):
    """The type of :data:`UNSET`: an option the code did not pass."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


#: Default of the options an environment variable can supply: "not passed".
UNSET: Final = Unset.UNSET


@dataclass(frozen=True, slots=True, repr=False)
class Settings:
    """Resolved options of one handler (see :func:`resolve`)."""

    prefix: str | None
    prefixes: tuple[str, ...]
    max_apps: int
    compress: bool
    compress_min_bytes: int
    static_cache_bytes: int
    health_path: str | None
    basic_auth: str | None
    prime: bool
    static_dir: str | None = None

    def __repr__(self) -> str:
        # The credentials stay out of logs and tracebacks.
        return (
            f"Settings(prefix={self.prefix!r}, prefixes={self.prefixes!r}, max_apps={self.max_apps}, "
            f"compress={self.compress}, compress_min_bytes={self.compress_min_bytes}, "
            f"static_cache_bytes={self.static_cache_bytes}, health_path={self.health_path!r}, "
            f"basic_auth={('set' if self.basic_auth else None)!r}, prime={self.prime}, "
            f"static_dir={self.static_dir!r})"
        )


def resolve(
    *,
    prefix: str | Unset | None = UNSET,
    prefixes: Iterable[str] | Unset = UNSET,
    max_apps: int | Unset = UNSET,
    compress: bool | Unset = UNSET,
    compress_min_bytes: int | Unset = UNSET,
    static_cache_mb: float | Unset = UNSET,
    health_path: str | Unset | None = UNSET,
    basic_auth: str | Unset | None = UNSET,
    prime: bool | Unset = UNSET,
    static_dir: str | os.PathLike[str] | Unset | None = UNSET,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Each option from its argument if passed, else from its variable if set, else its default.

    A variable is only read for an option not passed, so a bad value in one
    the code overrides raises nothing.  Errors name the argument or the
    variable the bad value came from.
    """
    _check_arguments(
        prefix=(prefix, (str, type(None)), "a string such as '/Prod/', or None"),
        max_apps=(max_apps, int, "a whole number"),
        compress=(compress, bool, "True or False"),
        compress_min_bytes=(compress_min_bytes, int, "a whole number"),
        static_cache_mb=(static_cache_mb, (int, float), "a number"),
        health_path=(health_path, (str, type(None)), "a path such as '/health', or None to turn it off"),
        basic_auth=(basic_auth, (str, type(None)), "'user:password', or None"),
        prime=(prime, bool, "True or False"),
        static_dir=(static_dir, (str, os.PathLike, type(None)), "a directory, or None"),
    )
    if not isinstance(prefixes, Unset):
        prefixes = _list_of_prefixes(prefixes)
    env = _Environment(os.environ if environ is None else environ)
    chosen_prefix = env.text(prefix, ENV_PREFIX, None)
    if isinstance(prefixes, Unset):
        raw = env.raw(ENV_PREFIXES)
        prefixes = [p for p in raw.split(",") if p.strip()] if raw else ()
    health = env.text(health_path, ENV_HEALTH_PATH, "/health")
    if health_path is UNSET and health is not None and health.lower() in _FALSE:
        health = None  # the variable's "off"; the argument's is None
    if isinstance(static_dir, Unset):
        raw_static_dir = env.raw(ENV_STATIC_DIR)
        static_dir = None if raw_static_dir is None or raw_static_dir.lower() in _FALSE else raw_static_dir
    return Settings(
        prefix=None if chosen_prefix is None else normalize_prefix(chosen_prefix),
        prefixes=tuple(dict.fromkeys(normalize_prefix(p.strip()) for p in prefixes)),
        max_apps=env.count(max_apps, "max_apps", ENV_MAX_APPS, 4, minimum=1),
        compress=env.flag(compress, ENV_COMPRESS, True),
        compress_min_bytes=env.count(compress_min_bytes, "compress_min_bytes", ENV_COMPRESS_MIN_BYTES, 2048),
        static_cache_bytes=env.megabytes(static_cache_mb, "static_cache_mb", ENV_STATIC_CACHE_MB, 64),
        health_path=None if not health else "/" + health.strip("/"),
        basic_auth=env.text(basic_auth, ENV_BASIC_AUTH, None),
        prime=env.flag(prime, ENV_PRIME, True),
        static_dir=None if static_dir is None else os.fspath(static_dir),
    )


def _check_arguments(**arguments: tuple[object, type | tuple[type, ...], str]) -> None:
    """Raise ConfigError for an argument passed with a type its option cannot take.

    ``True`` is an ``int`` to Python, not a count to anyone.
    """
    for option, (value, kinds, wanted) in arguments.items():
        if isinstance(value, Unset):
            continue
        if not isinstance(value, kinds) or (isinstance(value, bool) and kinds is not bool):
            raise ConfigError(f"{option} must be {wanted}, got {value!r}")


def _list_of_prefixes(value: object) -> tuple[str, ...]:
    """The ``prefixes`` argument as a tuple; a string is one prefix mistaken for a list."""
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        items = tuple(value)
        if all(isinstance(item, str) for item in items):
            return items
    raise ConfigError(f"prefixes must be a list of prefixes such as ['/Prod/'], got {value!r}")


class _Environment:
    """Reads an option's variable, only for options the code did not pass."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def raw(self, name: str) -> str | None:
        return self._environ.get(name, "").strip() or None

    def text(self, argument: _T | Unset, name: str, default: _T) -> _T | str:
        if not isinstance(argument, Unset):
            return argument
        raw = self.raw(name)
        return default if raw is None else raw

    def flag(self, argument: bool | Unset, name: str, default: bool) -> bool:
        if not isinstance(argument, Unset):
            return argument
        raw = self.raw(name)
        if raw is None:
            return default
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ConfigError(f"{name}={raw!r}: use true or false")

    def count(self, argument: int | Unset, option: str, name: str, default: int, *, minimum: int = 0) -> int:
        value, option = self._number(argument, option, name, default, int, "a whole number")
        if value < minimum:
            raise ConfigError(f"{option} must be at least {minimum}, got {value}")
        return value

    def megabytes(self, argument: float | Unset, option: str, name: str, default: float) -> int:
        """An option given in MB, in bytes."""
        value, option = self._number(argument, option, name, default, float, "a number")
        if not 0 <= value < math.inf:  # NaN fails both
            raise ConfigError(f"{option} must not be negative or infinite, got {value}")
        return int(value * 1024 * 1024)

    def _number(
        self, argument: _N | Unset, option: str, name: str, default: _N, parse: Callable[[str], _N], kind: str
    ) -> tuple[_N, str]:
        """The value, and what to call it in an error: the variable's name when it came from there."""
        raw = self.raw(name) if isinstance(argument, Unset) else None
        if raw is None:
            return (default if isinstance(argument, Unset) else argument), option
        try:
            return parse(raw), name
        except ValueError:
            raise ConfigError(f"{name}={raw!r}: use {kind}") from None
