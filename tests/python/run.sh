#!/usr/bin/env bash
# Checks the mock Azure server with the official `openai` Python client.
# Uses a venv under target/ (never the system Python); reinstalls only when
# requirements.txt changes. Expects target/debug/mock-azure-openai built.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/pyenv
stamp=$venv/.requirements
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! cmp -s tests/python/requirements.txt "$stamp"; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
    cp tests/python/requirements.txt "$stamp"
fi
exec "$venv/bin/python" -m pytest -q tests/python
