#!/usr/bin/env bash
# Serve the example dashboard locally through the real Lambda handler, as
# API Gateway's stage URL would reach it: open http://127.0.0.1:8050/Prod/
# Extra arguments go to `dash-lambda serve`, e.g. `--payload v2 --port 9000`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/dash-lambda serve --app-dir frontend app:lambda_handler --stage Prod "$@"
