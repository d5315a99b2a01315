#!/usr/bin/env bash
# Instructions per sample of the engine on the mock board (Fig. 2c protocol, 10 kS/s), counted by valgrind's
# callgrind: deterministic, so two builds can be compared on a shared, noisy machine where wall time varies 2x.
# The real-time factor itself is `neuronctl bench`; this is the tool for deciding whether a change made the path
# cheaper. Installs valgrind when missing (Debian's package).
#
#   Scripts/bench-instructions.sh [--max N] [top-N functions to list, default 12]
# With --max it exits 1 when a sample costs more than N instructions (Scripts/test.sh checks the target, 700).
set -euo pipefail
cd "$(dirname "$0")/.."
max=
if [ "${1:-}" = --max ]; then
    [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "error: --max takes a whole number of instructions, e.g. --max 700" >&2; exit 2; }
    max=$2
    shift 2
fi
top=${1:-12}
if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y valgrind >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y valgrind >/dev/null; }
    else
        echo "error: valgrind is missing; install it with: sudo apt-get install valgrind" >&2
        exit 2
    fi
fi
swift build -c release --product neuronctl >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# valgrind 3.19 cannot read the DWARF Swift 6 writes; the symbol table is enough.
strip --strip-debug -o "$tmp/neuronctl" "$(swift build -c release --show-bin-path)/neuronctl"
# Only what runs inside the engine's ticks (EngineRun.loop) is counted: start-up, board loading, the run's set-up
# and reporting are not.
valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --toggle-collect='*NeuronControl9EngineRunV4loop*' \
    "$tmp/neuronctl" bench --repetitions 1 --board "$PWD/Boards/mock.yaml" > "$tmp/bench.txt" 2>/dev/null
samples=$(sed -n 's/.* \([0-9][0-9]*\) samples at.*/\1/p' "$tmp/bench.txt")
total=$(callgrind_annotate "$tmp/cg.out" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
[ -n "$total" ] && [ -n "$samples" ] || { echo "error: could not read the profile" >&2; exit 1; }
per_sample=$(( total / samples ))
echo "Engine ticks: $per_sample instructions per sample ($samples samples, Fig. 2c at 10 kS/s, mock board)"
echo "largest self costs, instructions per sample:"
callgrind_annotate "$tmp/cg.out" 2>/dev/null | grep -E '^ *[0-9,]+ ' | grep -v 'PROGRAM TOTALS' | head -n "$top" |
    awk -v n="$samples" '{c=$1; gsub(",","",c); name=$0; sub(/^[^)]*%\) +/, "", name); sub(/ \[.*$/, "", name);
        sub(/^\?\?\?:/, "", name); printf "  %7.1f  %s\n", c/n, name}' | swift demangle --simplified | cut -c1-160
if [ -n "$max" ] && [ "$per_sample" -gt "$max" ]; then
    echo "error: $per_sample instructions per sample is above the target of $max: the functions above say where they went." >&2
    exit 1
fi
