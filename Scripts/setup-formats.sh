#!/usr/bin/env bash
# Creates .venv-formats (tonic, pyNAVIS, pynwb, nwbinspector, pandas) for `neuronctl export nwb` and
# Scripts/test-formats.sh, once; later calls return at once. Needs python3 with the venv module (Debian:
# apt-get install python3-venv) and access to PyPI (pip's default index).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv-formats/bin/python ] && .venv-formats/bin/python -c 'import tonic, pyNAVIS, pynwb, nwbinspector, pandas' 2>/dev/null; then
    exit 0
fi
command -v python3 >/dev/null 2>&1 || { echo "error: python3 not found. Fix (Debian): apt-get install python3 python3-venv" >&2; exit 2; }
echo "== creating .venv-formats (tonic, pyNAVIS, pynwb, nwbinspector, pandas; about 90 s and 760 MB)"
python3 -m venv .venv-formats || { echo "error: python3 -m venv failed. Fix (Debian): apt-get install python3-venv" >&2; exit 2; }
.venv-formats/bin/pip install --quiet 'tonic>=1.4' 'pyNAVIS>=1.2' 'pynwb>=2.8' 'nwbinspector>=0.6' 'pandas>=1.5'
