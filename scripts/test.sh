#!/usr/bin/env bash
# Run every check: lint, formatting, types (the library, its tests, the
# benchmarks and the example app), and the whole pytest suite (unit, through a
# real Dash app, SAM template and build, browser tests in Chromium) on the
# latest Dash; then the suite again, without the browser and SAM tests, on
# the lowest supported Dash (constraints/dash-lowest.txt).
# Extra arguments go to both pytest runs, e.g. `bash scripts/test.sh -k prefix`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --test
bash scripts/bootstrap.sh --dash-lowest
outer_path=$PATH
# The project venv first; the SAM CLI's venv after it, for `sam` only.
export PATH="$PWD/.venv/bin:$PWD/.venvs/sam/bin:$PATH"
export SAM_CLI_TELEMETRY=0
echo "==> ruff"; .venv/bin/ruff check src tests frontend benchmarks
echo "==> ruff format --check"; .venv/bin/ruff format --check src tests frontend benchmarks
echo "==> mypy --strict (src, tests, benchmarks, frontend)"; .venv/bin/mypy
echo "==> pytest (Dash $(.venv/bin/python -c 'import dash; print(dash.__version__)'))"
.venv/bin/python -m pytest "$@"
lowest=.venvs/dash-lowest/bin
echo "==> pytest on the lowest supported Dash ($("$lowest/python" -c 'import dash; print(dash.__version__)'))"
PATH="$PWD/$lowest:$outer_path" "$lowest/python" -m pytest -m "not browser and not sam" "$@"
