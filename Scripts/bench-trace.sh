#!/usr/bin/env bash
# The trace file's cost, CSV against NPY (--trace-format npy), on the same run: `neuronctl run` on the mock board,
# one neuron at 10 kS/s, the same seed, once with each format and once with --no-trace. Prints the rows, each
# file's size and bytes per row and their ratio, and each run's wall time (the best of REPEATS) and the writing
# cost per sample (its wall time minus the --no-trace run's, over the rows), measured in this one run. Release
# build. Exits 1 when the NPY file is not at least 3x smaller than the CSV.
#
#   Scripts/bench-trace.sh [seconds of simulated time, default 60] [repeats, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
repeats=${2:-3}
swift build -c release --product neuronctl >/dev/null
bin="$(swift build -c release --show-bin-path)/neuronctl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# best KIND: the shortest wall time in seconds of REPEATS runs writing KIND's trace (none: --no-trace) to $tmp/KIND.
best() {
    local kind=$1 flags=(--trace-format "$1") fastest=""
    [ "$kind" = none ] && flags=(--no-trace)
    for _ in $(seq "$repeats"); do
        rm -rf "${tmp:?}/$kind"
        local t0 t1
        t0=$(date +%s.%N)
        "$bin" run --seed 1 --duration "${seconds}s" --output "$tmp/$kind" "${flags[@]}" >/dev/null
        t1=$(date +%s.%N)
        fastest=$(awk -v a="$t0" -v b="$t1" -v f="$fastest" 'BEGIN { d = b - a; print (f == "" || d < f) ? d : f }')
    done
    echo "$fastest"
}

none=$(best none)
csv=$(best csv)
npy=$(best npy)
rows=$(grep -v '^#' "$tmp/csv/trace.csv" | tail -n +2 | wc -l)
csv_bytes=$(stat -c %s "$tmp/csv/trace.csv")
npy_bytes=$(stat -c %s "$tmp/npy/trace.npy")
npy_rows=$(( (npy_bytes - 192) / 10 ))
[ "$rows" -eq "$npy_rows" ] || { echo "error: the CSV has $rows rows, the NPY $npy_rows: not the same run" >&2; exit 2; }
awk -v rows="$rows" -v cb="$csv_bytes" -v nb="$npy_bytes" -v none="$none" -v csv="$csv" -v npy="$npy" -v s="$seconds" -v r="$repeats" 'BEGIN {
    printf "trace of neuronctl run --duration %ss (seed 1, 10 kS/s): %d rows; wall time the best of %d runs\n", s, rows, r
    printf "%-8s %14s %10s %10s %18s\n", "format", "bytes", "bytes/row", "wall s", "write us/sample"
    printf "%-8s %14s %10s %10.3f %18s\n", "none", "-", "-", none, "-"
    cc = (csv - none) * 1e6 / rows; nc = (npy - none) * 1e6 / rows
    printf "%-8s %14d %10.2f %10.3f %18.3f\n", "csv", cb, cb / rows, csv, cc
    printf "%-8s %14d %10.2f %10.3f %18.3f\n", "npy", nb, nb / rows, npy, nc
    printf "ratio csv/npy: size %.2fx, wall time %.2fx, writing cost %s\n", cb / nb, csv / npy, (nc > 0 ? sprintf("%.1fx", cc / nc) : "(npy within noise of no trace)")
    exit (cb / nb >= 3 ? 0 : 1)
}'
