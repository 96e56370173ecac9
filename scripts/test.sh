#!/usr/bin/env bash
# Run every check: lint, types, and the whole pytest suite (unit, through a
# real Dash app, SAM template and build, browser tests in Chromium).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k prefix`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --test
# The project venv first; the SAM CLI's venv after it, for `sam` only.
export PATH="$PWD/.venv/bin:$PWD/.venvs/sam/bin:$PATH"
export SAM_CLI_TELEMETRY=0
echo "==> ruff"; .venv/bin/ruff check src tests frontend benchmarks
echo "==> mypy --strict"; .venv/bin/mypy
echo "==> pytest"; .venv/bin/python -m pytest "$@"
