#!/usr/bin/env bash
# A sharded job run side by side with GNU parallel (Debian: apt-get install parallel), then merged: the same files
# as the unsharded run, byte for byte.
#   Scripts/shard-parallel.sh OUT N ARGS...   ARGS: the neuronctl command line without --shard, --output, --no-plot
#   e.g. Scripts/shard-parallel.sh out 4 experiment sweep Sweeps/amplitude-by-frequency.yaml --pulses 20 --quiet
#        Scripts/shard-parallel.sh out 8 simulate population --simulations 10000
# The shards' files go to OUT/shards, the merged ones to OUT. NEURONCTL names the binary (default: neuronctl on
# PATH, else .build/release/neuronctl); PARALLEL_JOBS caps the shards running at once (default: one per core).
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: $0 OUT N ARGS... (e.g. $0 out 4 simulate population)" >&2; exit 2; }
out=$1 n=$2
shift 2
neuronctl=${NEURONCTL:-$(command -v neuronctl || echo .build/release/neuronctl)}
command -v parallel >/dev/null || { echo "error: GNU parallel is not installed. Fix: apt-get install parallel" >&2; exit 1; }
mkdir -p "$out/shards"
rm -f "$out"/shards/*.shard-*-of-"$n".csv  # a rerun's shards only
seq 1 "$n" | parallel --will-cite --quote --halt now,fail=1 --jobs "${PARALLEL_JOBS:-100%}" \
    "$neuronctl" "$@" --shard "{}/$n" --output "$out/shards" --no-plot
"$neuronctl" merge "$out" "$out"/shards/*.shard-*-of-"$n".csv
