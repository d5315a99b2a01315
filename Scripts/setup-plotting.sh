#!/usr/bin/env bash
# Creates .venv-plot (matplotlib) for Scripts/plot.py, which neuronctl calls after an experiment when it exists.
# Needs python3 with the venv module (Debian: apt-get install python3-venv) and access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v python3 >/dev/null 2>&1; then
    echo "error: python3 not found. Install Python 3 (Debian: apt-get install python3 python3-venv)." >&2
    exit 2
fi
if [ ! -x .venv-plot/bin/python ]; then
    python3 -m venv .venv-plot || { echo "error: python3 -m venv failed. Debian: apt-get install python3-venv" >&2; exit 2; }
fi
.venv-plot/bin/pip install --quiet --upgrade pip >/dev/null 2>&1 || true
.venv-plot/bin/pip install --quiet 'matplotlib>=3.5'
.venv-plot/bin/python -c 'import matplotlib; print("matplotlib", matplotlib.__version__, "in .venv-plot")'
echo "ok: neuronctl experiment ... and neuronctl simulate population now write PNGs; or run .venv-plot/bin/python Scripts/plot.py FILE.csv"
