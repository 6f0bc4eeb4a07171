#!/usr/bin/env bash
# Makes (or updates) the Python venv under target/ for the Python-driven
# checks (never the system Python) and prints its python's path. Reinstalls
# only when requirements.txt changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/pyenv
stamp=$venv/.requirements
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
if ! cmp -s tests/python/requirements.txt "$stamp"; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt >&2
    cp tests/python/requirements.txt "$stamp"
fi
echo "$PWD/$venv/bin/python"
