#!/usr/bin/env bash
# Peak resident memory of `neuronctl run` and of a two-neuron `network` on the mock board, for 10 minutes and for
# 1 hour of simulated time, with every output on (trace files, spike record, summary). Everything a run records
# streams to disk, so a run's memory must not grow with its length: exits 1 when the hour's peak is more than 10 %
# above the 10 minutes'. Release build; GNU time (Debian's `time` package, installed when missing) reads the peak.
#
#   Scripts/bench-memory.sh [minutes of the long run, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
long=${1:-60}
if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y -q time >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q time >/dev/null; }
    else
        echo "error: GNU time is missing; install it with: sudo apt-get install time" >&2
        exit 2
    fi
fi
swift build -c release --product neuronctl >/dev/null
bin="$(swift build -c release --show-bin-path)/neuronctl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# peak KIND SECONDS: runs it and prints the peak resident set in KiB.
peak() {
    local kind=$1 seconds=$2 out="$tmp/$1-$2"
    local args=(run --board Boards/mock.yaml --duration "$seconds")
    if [ "$kind" = network ]; then
        args=(network --board Boards/mock-two-neurons.yaml --network Boards/networks/two-neuron-loop.yaml --duration "$seconds")
    fi
    /usr/bin/time -f %M -o "$tmp/rss" "$bin" "${args[@]}" --output "$out" >/dev/null
    cat "$tmp/rss"
    rm -rf "$out"
}

status=0
for kind in run network; do
    short=$(peak "$kind" 600)
    longer=$(peak "$kind" $((long * 60)))
    ratio=$(awk -v a="$longer" -v b="$short" 'BEGIN { printf "%.3f", a / b }')
    echo "$kind: peak resident memory $((short / 1024)) MiB for 10 min, $((longer / 1024)) MiB for $long min (ratio $ratio, target <= 1.10)"
    awk -v r="$ratio" 'BEGIN { exit !(r <= 1.10) }' || status=1
done
exit $status
