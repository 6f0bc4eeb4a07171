#!/usr/bin/env bash
# Runs a Python test folder with pytest in the venv from venv.sh.
# Usage: tests/python/run.sh [TEST_DIR]   (default: tests/python, the mock
# checked by the official `openai` client)
set -euo pipefail
cd "$(dirname "$0")/../.."
python=$(bash tests/python/venv.sh)
exec "$python" -m pytest -q "${1:-tests/python}"
