#!/usr/bin/env bash
# Reads neuronctl's files with the field's own readers (docs/formats.md): AEDAT 2.0 files written during a run
# (--aedat) and by `neuronctl export aedat`, read back with tonic and pyNAVIS, every event compared with spikes.csv;
# for a one-neuron run and a two-neuron network, and from a recording.
# And `neuronctl export nwb` of both runs, read back with pynwb (the spikes compared) and checked by nwbinspector
# (no critical finding). The readers live in .venv-formats, created on first use from PyPI's default index by
# Scripts/setup-formats.sh (about 90 s and 760 MB; later runs reuse it).
# Needs a built neuronctl (swift build); Scripts/test.sh runs this after the Swift suite.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

Scripts/setup-formats.sh
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
echo "== NWB: both runs exported, read back with pynwb, checked by nwbinspector"
"$ctl" export nwb one
"$py" "$root/Scripts/formats/check_nwb.py" one one/run.nwb
"$ctl" export nwb two -o two/network.nwb
"$py" "$root/Scripts/formats/check_nwb.py" two two/network.nwb
echo "ok: tonic and pyNAVIS read every event; pynwb reads every spike; nwbinspector finds nothing critical"
