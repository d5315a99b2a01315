#!/usr/bin/env bash
# Reads neuronctl's files with the field's own readers (docs/formats.md): AEDAT 2.0 files written during a run
# (--aedat) and by `neuronctl export aedat`, read back with tonic and pyNAVIS, every event compared with spikes.csv;
# for a one-neuron run and a two-neuron network, and from a recording.
# And `neuronctl export nwb` of both runs, read back with pynwb (the spikes compared) and checked by nwbinspector
# (no critical finding). The NPY trace (--trace-format npy) read with numpy against the CSV trace, and after a kill -9.
# The readers live in .venv-formats, created on first use from PyPI's default index by
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

echo "== NPY trace: np.load equals the CSV trace of the same seed; after kill -9 the documented one-liner reads every whole row"
mkdir npy && "$ctl" run --seed 3 --pulses 60 --output npy --trace-format npy >/dev/null
"$py" "$root/Scripts/formats/check_npy.py" same one/trace.csv npy/trace.npy
"$ctl" export nwb npy
"$py" "$root/Scripts/formats/check_nwb.py" npy npy/run.nwb
mkdir complete killed && "$ctl" run --seed 5 --duration 20s --output complete --trace-format npy >/dev/null
"$ctl" run --seed 5 --duration 600s --output killed --trace-format npy >/dev/null 2>&1 &
pid=$!
# Kill it once 50 000 rows are on disk (a few seconds in; the 600 s run would take minutes).
for _ in $(seq 600); do [ "$(stat -c %s killed/trace.npy 2>/dev/null || echo 0)" -gt 500192 ] && break; sleep 0.1; done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
"$py" "$root/Scripts/formats/check_npy.py" prefix killed/trace.npy complete/trace.npy
echo "ok: tonic and pyNAVIS read every event; pynwb reads every spike; nwbinspector finds nothing critical; numpy reads every trace row"
