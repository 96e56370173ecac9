#!/usr/bin/env bash
# Install what the project needs, once: the project venv (.venv), and with
# --test also its dev tools, the SAM CLI in its own venv (.venvs/sam; it pins
# its own Flask) and Debian's Chromium + ChromeDriver for the browser tests.
# --dash-lowest installs only .venvs/dash-lowest: the project and its dev
# tools on the lowest supported Dash, Flask and Werkzeug
# (constraints/dash-lowest.txt), for scripts/test.sh's second run.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=false
[[ "${1:-}" == "--test" ]] && want_test=true
PYTHON=${PYTHON:-python3}

stamp_ok() { [[ -f "$1" ]] && [[ "$(cat "$1")" == "$2" ]]; }

if [[ "${1:-}" == "--dash-lowest" ]]; then
    # The checkout's path is in the stamp: the install is editable, and
    # .venvs may be shared by several checkouts.
    lowest_hash=$( (cat pyproject.toml constraints/dash-lowest.txt; pwd) | sha256sum | cut -c1-16)
    if ! stamp_ok .venvs/dash-lowest/.installed "$lowest_hash"; then
        echo "==> installing dash-lambda[dev] on the lowest supported Dash into .venvs/dash-lowest"
        mkdir -p .venvs
        [[ -x .venvs/dash-lowest/bin/python ]] || "$PYTHON" -m venv .venvs/dash-lowest
        .venvs/dash-lowest/bin/python -m pip install --quiet --upgrade pip
        .venvs/dash-lowest/bin/python -m pip install --quiet -c constraints/dash-lowest.txt -e ".[dev]"
        echo "$lowest_hash" > .venvs/dash-lowest/.installed
    fi
    exit 0
fi

# The project itself, editable: with its development tools for the tests,
# with only what serving needs otherwise (a newcomer's first command is quick).
deps_hash=$(sha256sum pyproject.toml | cut -c1-16)
if $want_test; then extras=dev; else extras=brotli; fi
if ! stamp_ok .venv/.installed-dev "$deps_hash" && ! stamp_ok ".venv/.installed-$extras" "$deps_hash"; then
    echo "==> installing dash-lambda[$extras] into .venv"
    [[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[$extras]"
    echo "$deps_hash" > ".venv/.installed-$extras"
fi

$want_test || exit 0

# The SAM CLI, for sam validate / sam build in the tests.
if ! [[ -x .venvs/sam/bin/sam ]]; then
    echo "==> installing the AWS SAM CLI into .venvs/sam"
    mkdir -p .venvs
    "$PYTHON" -m venv .venvs/sam
    .venvs/sam/bin/python -m pip install --quiet --upgrade pip
    .venvs/sam/bin/python -m pip install --quiet aws-sam-cli
fi

# Debian's Chromium and its driver, for the browser tests (never a downloaded browser).
if ! [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "==> installing chromium and chromium-driver (Debian packages)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        echo "!! /usr/bin/chromium and /usr/bin/chromedriver are missing; install the Debian" \
             "packages chromium and chromium-driver (the browser tests will be skipped)" >&2
    fi
fi
