#!/usr/bin/env bash
# Run every check: lint, types, and the whole pytest suite (unit, through a
# real Dash app, SAM template and build, browser tests in Chromium).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k prefix`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --test
export PATH="$PWD/.venvs/sam/bin:$PWD/.venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0
echo "==> ruff"; ruff check src tests frontend benchmarks
echo "==> mypy --strict"; mypy
echo "==> pytest"; python -m pytest "$@"
