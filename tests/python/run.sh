#!/usr/bin/env bash
# Runs a Python test folder (default: tests/python, the mock checked by the
# official `openai` client) in a venv under target/ (never the system
# Python); reinstalls only when requirements.txt changes.
# Usage: tests/python/run.sh [TEST_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
tests=${1:-tests/python}
venv=target/pyenv
stamp=$venv/.requirements
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! cmp -s tests/python/requirements.txt "$stamp"; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
    cp tests/python/requirements.txt "$stamp"
fi
exec "$venv/bin/python" -m pytest -q "$tests"
