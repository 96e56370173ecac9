"""Finding what ``MODULE:APP`` names and turning it into a Lambda handler.

Shared by ``dash-lambda serve`` and ``dash-lambda invoke``: import the
module from ``--app-dir``, tell a ready handler from what
``make_lambda_handler`` wraps (a ``dash.Dash`` app or an app builder), and
say in one line what went wrong when something does, ``app:server``
included.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import DashLambdaError

Handler = Callable[[dict[str, Any], Any], Any]


class ServeError(DashLambdaError):
    """A problem the user can fix, reported as one line without a traceback."""


# ----------------------------------------------------------------- loading


@dataclass(frozen=True, slots=True)
class Target:
    """What ``MODULE:ATTR`` named: a handler to call as is, or a Dash app or builder to wrap."""

    spec: str
    handler: Handler | None
    app: Any


def load_target(spec: str, app_dir: str | os.PathLike[str] | None = None) -> Target:
    """Import ``MODULE:ATTR`` (with ``app_dir`` first on ``sys.path``, as uvicorn does).

    ``ATTR`` may be a ``dash.Dash`` app (``app:app``), a
    :class:`~dash_lambda.LambdaHandler` (``app:lambda_handler``), any other
    ``(event, context)`` Lambda handler function, or an app builder
    ``build_app(dash_kwargs) -> dash.Dash``.  Every failure is a
    :class:`ServeError` whose message says what to change.
    """
    return _classify(spec, load_attribute(spec, app_dir))


def load_attribute(spec: str, app_dir: str | os.PathLike[str] | None = None) -> Any:
    """Import ``MODULE:ATTR`` (``app_dir`` first on ``sys.path``) and return what ``ATTR`` names."""
    module_name, attr_path = parse_spec(spec)
    directory = resolve_app_dir(app_dir)
    if not sys.path or sys.path[0] != str(directory):
        sys.path.insert(0, str(directory))
    module = _import(module_name, directory)
    value: Any = module
    for part in attr_path.split("."):
        if not hasattr(value, part):
            names = [n for n in dir(value) if not n.startswith("_")]
            close = difflib.get_close_matches(part, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ServeError(f"module {module_name!r} has no attribute {attr_path!r}{hint}")
        value = getattr(value, part)
    return value


def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``MODULE:ATTR`` into its two dotted names, or raise ServeError."""
    module_name, sep, attr_path = spec.partition(":")
    if not sep or not _dotted(module_name) or not _dotted(attr_path):
        raise ServeError(f"expected MODULE:APP, for example app:app or dash_app:build_app; got {spec!r}")
    return module_name, attr_path


def resolve_app_dir(app_dir: str | os.PathLike[str] | None) -> Path:
    """The directory to import from (default: the current one), which must exist."""
    directory = Path(app_dir if app_dir is not None else os.getcwd()).resolve()
    if not directory.is_dir():
        raise ServeError(f"--app-dir {str(app_dir)!r} is not a directory")
    return directory


def _dotted(name: str) -> bool:
    return all(part.isidentifier() for part in name.split("."))


def _import(module_name: str, directory: Path) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        wanted = {module_name.rsplit(".", i)[0] for i in range(module_name.count(".") + 1)}
        if error.name not in wanted:
            raise ServeError(f"importing {module_name!r} failed: {describe_exception(error)}") from None
        local = sorted(p.stem for p in directory.glob("*.py")) + sorted(
            p.parent.name for p in directory.glob("*/__init__.py")
        )
        close = difflib.get_close_matches(module_name, local, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        if not close and directory == Path.cwd().resolve():
            hint = "; point --app-dir at the folder that holds it"
        raise ServeError(f"no module named {module_name!r} in {directory} or on sys.path{hint}") from None
    except Exception as error:
        raise ServeError(f"importing {module_name!r} failed: {describe_exception(error)}") from None


def _classify(spec: str, value: object) -> Target:
    from .. import LambdaHandler
    from ..app_input import classify
    from ..errors import UnsupportedAppError

    if isinstance(value, LambdaHandler):
        return Target(spec, value, None)
    if callable(value) and not isinstance(value, type) and _looks_like_lambda_handler(value):
        return Target(spec, value, None)
    try:
        classify(value)
    except UnsupportedAppError as error:
        raise ServeError(f"{spec}: {error}") from None
    return Target(spec, None, value)


def _looks_like_lambda_handler(function: Callable[..., Any]) -> bool:
    """A plain ``def handler(event, context)`` (the SAM seed's style) is served as is."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return False
    required = [
        p
        for p in parameters
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(required) == 2 and required[1].name in ("context", "ctx", "_context")


def describe_exception(error: BaseException) -> str:
    """``ValueError: boom (dash_app.py:12 in build_app)``: the error and where in user code."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    summary = f"{type(error).__name__}: {text}" if text else type(error).__name__
    if isinstance(error, SyntaxError) and error.filename:
        return f"{type(error).__name__}: {error.msg} ({_short_path(error.filename)}:{error.lineno})"
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if not _is_library_file(f.filename)] or frames
    if not own:
        return summary
    frame = own[-1]
    return f"{summary} ({_short_path(frame.filename)}:{frame.lineno} in {frame.name})"


def _is_library_file(filename: str) -> bool:
    here = str(Path(__file__).resolve().parent.parent)  # the whole dash_lambda package
    return (
        filename.startswith(here)
        or "site-packages" in filename
        or filename.startswith(sys.base_prefix)
        or filename.startswith("<frozen")
    )


def _short_path(filename: str) -> str:
    try:
        return os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename


def make_handler(target: Target, prefixes: Sequence[str] = ()) -> Handler:
    """The handler to serve: ``target``'s own, or its app or builder wrapped by ``make_lambda_handler``.

    The apps for ``prefixes`` are built (or, for a Dash app, primed) now: the
    server passes its front door's prefix, so a builder that raises is
    reported before the server starts and the first page load is a warm one.
    """
    if target.handler is not None:
        return target.handler
    from .. import make_lambda_handler
    from ..config import ConfigError
    from ..errors import BuilderError

    try:
        return make_lambda_handler(target.app, prefixes=list(prefixes))
    except (BuilderError, ConfigError) as error:
        raise ServeError(f"{target.spec}: {error}") from None
    except Exception as error:
        raise ServeError(f"{target.spec} raised {describe_exception(error)}") from None
