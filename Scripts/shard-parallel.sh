#!/usr/bin/env bash
# A sweep split into N shards run side by side with GNU parallel (Debian: apt-get install parallel), then merged:
# the same two files as the unsharded run, byte for byte.
#   Scripts/shard-parallel.sh SWEEP.yaml OUT [N] [extra sweep flags...]
#   e.g. Scripts/shard-parallel.sh Sweeps/amplitude-by-frequency.yaml out 4 --pulses 20 --repetitions 3
# NEURONCTL names the binary (default: neuronctl on PATH, else .build/release/neuronctl).
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 SWEEP.yaml OUT [N] [sweep flags...]" >&2; exit 2; }
sweep=$1 out=$2 n=${3:-4}
shift $(( $# >= 3 ? 3 : 2 ))
neuronctl=${NEURONCTL:-$(command -v neuronctl || echo .build/release/neuronctl)}
command -v parallel >/dev/null || { echo "error: GNU parallel is not installed. Fix: apt-get install parallel" >&2; exit 1; }
mkdir -p "$out/shards"
seq 1 "$n" | parallel --will-cite --halt now,fail=1 \
    "$neuronctl" experiment sweep "$sweep" --shard "{}/$n" --output "$out/shards" --no-plot --quiet "$@"
"$neuronctl" merge "$out" "$out"/shards/*-runs.shard-*-of-"$n".csv
