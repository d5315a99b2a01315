#!/usr/bin/env bash
# Sharding through GNU parallel, as a cluster would run it: a sweep and a population study, each split into 4 shards
# run side by side by Scripts/shard-parallel.sh and merged, must give the unsharded run's files byte for byte (cmp).
#   Scripts/test-shards.sh [path/to/neuronctl]      (default .build/debug/neuronctl)
set -euo pipefail
cd "$(dirname "$0")/.."
export NEURONCTL=$(realpath "${1:-.build/debug/neuronctl}")
[[ -x $NEURONCTL ]] || { echo "test-shards: $NEURONCTL is not built. Fix: swift build" >&2; exit 1; }
work=$(mktemp -d /tmp/neuronhil-shards.XXXXXX)
trap 'rm -rf "$work"' EXIT

sweep=(experiment sweep Sweeps/amplitude-by-frequency.yaml --pulses 10 --repetitions 2 --seed 5 --quiet)
population=(simulate population --neurons 40 --simulations 200 --seed 5)
failed=0
compare() {  # NAME FILES...: each file of the unsharded run against the merged one
    local name=$1
    shift
    for f in "$@"; do
        if cmp "$work/$name/whole/$f" "$work/$name/merged/$f"; then
            echo "ok    $name: $f merged from 4 shards is the unsharded file, byte for byte"
        else
            echo "FAIL  $name: $f merged from 4 shards differs from the unsharded file"
            failed=1
        fi
    done
}
for name in sweep population; do
    declare -n args=$name
    "$NEURONCTL" "${args[@]}" --output "$work/$name/whole" --no-plot > /dev/null
    PARALLEL_JOBS=4 Scripts/shard-parallel.sh "$work/$name/merged" 4 "${args[@]}" > /dev/null
done
compare sweep amplitude-by-frequency-runs.csv amplitude-by-frequency.csv
compare population population-raster.csv population-code.csv population-error.csv
[[ $failed == 0 ]] && echo "test-shards: passed" || { echo "test-shards: FAILED"; exit 1; }
