"""The supported Dash range, and the import-time check of the Dash internals the library uses."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import dash
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from dash_lambda import DashLambdaError, DashVersionError, _dash_compat
from dash_lambda._dash_compat import REQUIRED, SUPPORTED, missing

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "dash_lambda"

#: Imports dash_lambda after taking ``sys.argv[1]`` (``module:attribute``) away from Dash;
#: prints the ImportError's class names and message, or null.
IMPORT_WITHOUT = """
import importlib, json, sys
module_name, _, name = sys.argv[1].partition(":")
module = importlib.import_module(module_name)
if hasattr(module, name):  # an older Dash may not have it at all
    delattr(module, name)
try:
    import dash_lambda
except ImportError as error:
    print(json.dumps({"type": [c.__name__ for c in type(error).__mro__], "message": str(error)}))
else:
    print(json.dumps(None))
"""


def import_without(place: str) -> dict[str, object] | None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_WITHOUT, place], capture_output=True, text=True, timeout=120, check=True
    )
    answer: dict[str, object] | None = json.loads(result.stdout)
    return answer


@pytest.mark.parametrize("place", ["dash._callback:GLOBAL_CALLBACK_LIST", "dash._utils:to_json"])
def test_import_fails_naming_the_dash_version_the_range_and_the_missing_name(place: str) -> None:
    failure = import_without(place)
    assert failure is not None
    assert failure["type"][:3] == ["DashVersionError", "DashLambdaError", "ImportError"]  # type: ignore[index]
    message = str(failure["message"])
    assert f"the installed Dash {dash.__version__} lacks {place};" in message
    assert f"supports Dash {SUPPORTED}" in message
    assert f"pip install 'dash{SUPPORTED}'" in message


def test_import_succeeds_without_a_name_only_newer_dash_has() -> None:
    # Dash 3.0-3.2 have no GLOBAL_API_PATHS: the library does without it.
    assert import_without("dash._callback:GLOBAL_API_PATHS") is None


def test_a_moved_name_is_found_in_any_of_its_places() -> None:
    assert missing(("dash._callback:NOT_THERE | dash._callback:GLOBAL_CALLBACK_LIST",)) == []
    gone = ("dash._callback:NOT_THERE | dash._no_such_module:X", "dash._utils:to_json.not_an_attribute")
    assert missing(gone) == list(gone)


def test_the_error_is_a_library_error_and_an_import_error() -> None:
    assert issubclass(DashVersionError, DashLambdaError) and issubclass(DashVersionError, ImportError)
    _dash_compat.check()  # the installed Dash is a supported one: no error


def _private_dash_names_used() -> set[str]:
    """``module:attribute`` of each private Dash name the library's source reads directly."""
    used: set[str] = set()
    for path in SRC.rglob("*.py"):
        if path.name == "_dash_compat.py":
            continue
        text = path.read_text()
        for module, names in re.findall(r"^\s*from (dash(?:\.\w+)*) import ([\w, ]+)$", text, re.M):
            for name in (n.strip() for n in names.split(",")):
                if module == "dash" and name.startswith("_"):
                    used.add(f"dash.{name}:")  # a private module: some name in it is checked
                elif "._" in module or name.startswith("_"):
                    used.add(f"{module}:{name}")
        for module, name in re.findall(r"\b(_callback|_get_app|_get_paths|_pages)\.([A-Za-z]\w*)", text):
            used.add(f"dash.{module}:{name}")
        used.update(f"dash:{name}" for name in re.findall(r"(?<!from )\bdash\.(_\w+)", text))
        used.update(f"dash:Dash.{name}" for name in re.findall(r"\bapp\.(_[a-z]\w*)\(", text))
    return used


def test_every_private_dash_name_the_library_uses_is_checked_at_import() -> None:
    places = {place for entry in REQUIRED for place in entry.split(" | ")}
    used = _private_dash_names_used()
    assert {"dash._callback:GLOBAL_CALLBACK_LIST", "dash:Dash._setup_server", "dash._utils:to_json"} <= used
    unchecked = {name for name in used if not any(place.startswith(name) for place in places)}
    assert unchecked == set(), f"add these to _dash_compat.REQUIRED: {sorted(unchecked)}"


def _dash_requirement(lines: list[str]) -> Requirement:
    (found,) = [Requirement(line) for line in lines if re.match(r"dash\s*[<>=!~]", line)]
    return found


def test_the_supported_range_is_the_one_declared_and_tested_at_its_lower_end() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    declared = _dash_requirement(pyproject["project"]["dependencies"]).specifier
    assert str(declared) == str(Requirement(f"dash{SUPPORTED}").specifier)
    assert dash.__version__ in declared  # the latest, which the main run uses
    frontend = (REPO / "frontend" / "requirements.txt").read_text().splitlines()
    assert _dash_requirement(frontend).specifier == declared
    pins = {
        Requirement(line).name: Requirement(line).specifier
        for line in (REPO / "constraints" / "dash-lowest.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    (lowest,) = [Version(spec.version) for spec in pins["dash"] if spec.operator == "=="]
    (floor,) = [Version(spec.version) for spec in declared if spec.operator == ">="]
    assert lowest == floor
    for name in ("flask", "werkzeug"):
        (minimum,) = [
            Version(spec.version)
            for line in pyproject["project"]["dependencies"]
            if Requirement(line).name == name
            for spec in Requirement(line).specifier
            if spec.operator == ">="
        ]
        (pinned,) = [Version(spec.version) for spec in pins[name]]
        assert pinned == minimum, name
