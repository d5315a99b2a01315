#!/usr/bin/env bash
# The Fig. 3d workload (1000 simulations x 100 neurons x 10 pulses, stochastic and deterministic populations) in
# NeuronHIL (release build) and in Brian2 (every backend that works here), run time only, and the ratio against
# Brian2's fastest backend. Creates .venv-brian2 (Brian2 2.9 needs numpy < 2.4) on first use.
#   Scripts/bench-brian2.sh [--neurons 100] [--simulations 1000] [--dt-us 50]   (SWIFT_SCRATCH_PATH=.build-x to use another build directory)
set -euo pipefail
cd "$(dirname "$0")/.."
NEURONS=100; SIMS=1000; DT=50
SCRATCH=${SWIFT_SCRATCH_PATH:-.build}
while [ $# -gt 0 ]; do
    case "$1" in
        --neurons) NEURONS=$2; shift 2 ;;
        --simulations) SIMS=$2; shift 2 ;;
        --dt-us) DT=$2; shift 2 ;;
        *) echo "error: unknown argument $1 (use --neurons N, --simulations S, --dt-us DT)" >&2; exit 2 ;;
    esac
done

if [ ! -x .venv-brian2/bin/python ] || ! .venv-brian2/bin/python -c 'import brian2' 2>/dev/null; then
    echo "== creating .venv-brian2 (brian2 2.9, numpy < 2.4)"
    python3 -m venv .venv-brian2 || { echo "error: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 2; }
    .venv-brian2/bin/pip install --quiet 'brian2==2.9.*' 'numpy<2.4' || { echo "error: pip could not install brian2 2.9 (needs PyPI access)" >&2; exit 2; }
fi

echo "== NeuronHIL (swift build -c release)"
swift build -c release --scratch-path "$SCRATCH" --product neuronctl >/dev/null
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/neuronctl
swift_out=$("$BIN" simulate population --bench --neurons "$NEURONS" --simulations "$SIMS" --repetitions 5)
echo "$swift_out"
swift_t=$(echo "$swift_out" | sed -n 's/^run_time_s: //p')

best=""; best_backend=""
for backend in numpy cython cpp_standalone; do
    echo "== Brian2 $(.venv-brian2/bin/python -c 'import brian2; print(brian2.__version__)'), backend $backend"
    if out=$(.venv-brian2/bin/python Scripts/brian2_population.py --backend "$backend" --neurons "$NEURONS" --simulations "$SIMS" --dt-us "$DT" 2>/tmp/neuronhil-brian2-$backend.log); then
        echo "$out"
        t=$(echo "$out" | sed -n 's/^run_time_s: //p')
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; best_backend=$backend; fi
    else
        echo "backend $backend failed (log: /tmp/neuronhil-brian2-$backend.log):"; tail -3 /tmp/neuronhil-brian2-$backend.log
    fi
done
[ -n "$best" ] || { echo "error: no Brian2 backend ran" >&2; exit 1; }
echo "== result"
awk -v s="$swift_t" -v b="$best" -v bb="$best_backend" 'BEGIN {
    printf "NeuronHIL  %.4f s (fastest of 5)\nBrian2     %.4f s (%s, fastest backend)\nratio      %.0fx (target >= 10x)\n", s, b, bb, b / s }'
