#!/usr/bin/env bash
# Reads neuronctl's files with the field's own readers (docs/formats.md): AEDAT 2.0 files written during a run
# (--aedat) and by `neuronctl export aedat`, read back with tonic and pyNAVIS, every event compared with spikes.csv;
# for a one-neuron run and a two-neuron network, and from a recording.
# The readers live in .venv-formats, created on first use from PyPI's default index (about a minute and 400 MB;
# later runs reuse it). Needs a built neuronctl (swift build); Scripts/test.sh runs this after the Swift suite.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ ! -x .venv-formats/bin/python ] || ! .venv-formats/bin/python -c 'import tonic, pyNAVIS, pandas' 2>/dev/null; then
    echo "== creating .venv-formats (tonic, pyNAVIS, pandas)"
    python3 -m venv .venv-formats || { echo "error: python3 -m venv failed. Fix (Debian): apt-get install python3-venv" >&2; exit 2; }
    .venv-formats/bin/pip install --quiet 'tonic>=1.4' 'pyNAVIS>=1.2' 'pandas>=1.5'
fi
py=$root/.venv-formats/bin/python
ctl=$(swift build --show-bin-path)/neuronctl
[ -x "$ctl" ] || { echo "error: $ctl not built. Fix: swift build" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== AEDAT 2.0: a one-neuron run, its spikes.csv exported, and its recording exported"
mkdir one && "$ctl" run --seed 3 --pulses 60 --output one --aedat one/run.aedat --record one/run.json >/dev/null
"$ctl" export aedat one -o one/export.aedat
"$ctl" export aedat one/run.json -o one/record.aedat
"$py" "$root/Scripts/formats/check_aedat.py" one/spikes.csv one/run.aedat one/export.aedat one/record.aedat
head -c 13 one/run.aedat | cmp - <(printf '#!AER-DAT2.0\r\n' | head -c 13)

echo "== AEDAT 2.0: a two-neuron network"
"$ctl" network --board "$root/Boards/mock-two-neurons.yaml" --network "$root/Boards/networks/two-neuron-loop.yaml" \
    --duration 2 --output two --aedat two/run.aedat >/dev/null
"$py" "$root/Scripts/formats/check_aedat.py" two/spikes.csv two/run.aedat
echo "ok: tonic and pyNAVIS read every event"
