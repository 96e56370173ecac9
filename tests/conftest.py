from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# CI replays the same generated examples on every run, so a landing never
# hangs on a new random draw; a developer's runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

from apps import sample_app  # noqa: E402

from dash_lambda import LambdaHandler, make_lambda_handler  # noqa: E402


@pytest.fixture(autouse=True)
def _no_adapter_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set options explicitly; a developer's DASH_LAMBDA_* must not leak in."""
    for name in list(os.environ):
        if name.startswith("DASH_LAMBDA_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def handler() -> LambdaHandler:
    """One handler for the session, like one warm Lambda sandbox."""
    return make_lambda_handler(sample_app.build_app)


@pytest.fixture(scope="session")
def example_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``dash-lambda export-static`` of the example dashboard (frontend/), precompressed; made once."""
    from _static_export import FRONTEND, export

    directory = tmp_path_factory.mktemp("example-export") / "static-files"
    export(FRONTEND, "dash_app:build_app", directory)
    return directory
