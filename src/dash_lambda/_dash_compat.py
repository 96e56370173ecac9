"""At import, check that the installed Dash has the internals dash_lambda relies on.

Where Dash offers no public way, the library reaches into its private
modules: the module-level callback and page registries and ``get_app()``'s
app (:mod:`.dash_state`), the view Dash Pages builds for ``redirect_from``
(:mod:`.dash_routes`), the background-callback manager protocol and the
callback context a job runs in (:mod:`.background`).  Private names can
change in any release, so ``pyproject.toml`` pins the Dash range the tests
run on, both ends of it, and this module checks the names when
``dash_lambda`` is imported: a Dash without one of them fails then, with the
installed version and the supported range in the message, not with an
``AttributeError`` on the first request in production.

Everything checked is already imported by ``import dash`` except, on Dash
4.4+, the Flask backend module, which the first ``Dash()`` imports anyway:
the check costs a few dozen attribute look-ups.
"""

from __future__ import annotations

import importlib

import dash

from .errors import DashVersionError

#: The Dash releases dash_lambda supports: pyproject.toml's requirement.  The
#: tests run on the latest and on the lowest (constraints/dash-lowest.txt).
SUPPORTED = ">=3.0,<5"

_MANAGER = "dash.background_callback.managers:BaseBackgroundCallbackManager"

#: Each name as ``module:attribute.path``; a name Dash moved between supported
#: releases lists its places, separated by `` | ``.  Names only newer releases
#: have (``_callback.GLOBAL_API_PATHS``, ``_get_app.app_context``: Dash 3.3)
#: are used where present and are not required.  Component instances'
#: ``_prop_names`` (:mod:`.dash_links`) is set by every generated component
#: and cannot be seen without building one.
REQUIRED = (
    "dash:__version__",
    # dash_state: the globals one process shares between apps and prefixes
    "dash._callback:GLOBAL_CALLBACK_LIST",
    "dash._callback:GLOBAL_CALLBACK_MAP",
    "dash._callback:GLOBAL_INLINE_SCRIPTS",
    "dash._get_app:APP",
    "dash._get_paths:CONFIG",
    "dash._pages:CONFIG",
    "dash._pages:PAGE_REGISTRY",
    "dash:Dash._setup_server",
    "dash:_dash_renderer",
    # dash_routes: the view behind a page's redirect_from, found by its name
    "dash._pages:_create_redirect_function | dash.backends._flask:FlaskDashServer._create_redirect_function",
    # dash_links
    "dash.development.base_component:Component",
    # background: the manager protocol Dash calls, and what a job runs in
    f"{_MANAGER}.managers",
    f"{_MANAGER}.build_cache_key",
    f"{_MANAGER}.call_job_fn",
    f"{_MANAGER}.get_progress",
    f"{_MANAGER}.get_result",
    f"{_MANAGER}.get_updated_props",
    f"{_MANAGER}.job_running",
    f"{_MANAGER}.make_job_fn",
    f"{_MANAGER}.result_ready",
    f"{_MANAGER}.terminate_job",
    f"{_MANAGER}.terminate_unhealthy_job",
    "dash.background_callback._proxy_set_props:ProxySetProps",
    "dash._callback_context:context_value",
    "dash._utils:AttributeDict",
    "dash._utils:to_json",
)


def missing(required: tuple[str, ...] = REQUIRED) -> list[str]:
    """The entries of ``required`` that the installed Dash has in none of their places."""
    return [entry for entry in required if not any(_exists(place) for place in entry.split(" | "))]


def _exists(place: str) -> bool:
    module_name, _, path = place.partition(":")
    try:
        found: object = importlib.import_module(module_name)
    except ImportError:
        return False
    for name in path.split("."):
        try:
            found = getattr(found, name)
        except AttributeError:
            return False
    return True


def check() -> None:
    """Raise :class:`~dash_lambda.DashVersionError` if a required name is missing."""
    gone = missing()
    if gone:
        version = getattr(dash, "__version__", "of unknown version")
        raise DashVersionError(
            f"dash_lambda supports Dash {SUPPORTED}, and the installed Dash {version} lacks "
            f"{', '.join(gone)}; install a supported Dash: pip install 'dash{SUPPORTED}'"
        )


check()
