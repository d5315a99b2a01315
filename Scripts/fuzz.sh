#!/usr/bin/env bash
# libFuzzer on the input parsers: board files, sweep files, jAER datagrams, CSV records read back, and the
# sensor/network inputs (network files, CSV value streams, UDP value datagrams).
#   Scripts/fuzz.sh            1e6 inputs per target (the reliability issue's bar), seeds in Fuzz/corpus/
#   Scripts/fuzz.sh 20000      a short run
#   Scripts/fuzz.sh 1000000 fuzz-jaer     one target
# Builds Fuzz/ (a separate package referencing this one by path) with -sanitize=fuzzer in release. Needs only the
# Swift toolchain (libFuzzer ships with it). A crash leaves crash-<sha1> in Fuzz/artifacts/ and fails the script;
# reproduce it with: Fuzz/.build/release/<target> Fuzz/artifacts/crash-<sha1>.
# Swift Testing runs a short seeded mutation harness of the same parsers in every `swift test` (ParserFuzzTests,
# SweepFuzzTests, InputFuzzTests; NEURONHIL_FUZZ_ITERATIONS sets its size), which is what CI runs.
set -euo pipefail
# Swift's crash backtracer would catch a trap before libFuzzer can save the input that caused it.
export SWIFT_BACKTRACE=enable=no
cd "$(dirname "$0")/../Fuzz"
runs="${1:-1000000}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz-board fuzz-sweep fuzz-jaer fuzz-records fuzz-network)

# Offline: reuse the main package's resolved versions and checkouts when this package has none yet.
if [ ! -d .build/checkouts ]; then
    for b in ../.build*/checkouts; do
        if [ -d "$b" ]; then mkdir -p .build && cp -r "$b" .build/checkouts && break; fi
    done
fi
[ -f Package.resolved ] || cp ../Package.resolved Package.resolved

swift build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library
mkdir -p artifacts
for t in "${targets[@]}"; do
    corpus="corpus/${t#fuzz-}"
    work=$(mktemp -d)
    echo "== $t: $runs inputs (seeds: $corpus)"
    # -max_len bounds each input (board files are a few kB); -rss_limit_mb guards the machine; the work corpus is
    # a temporary copy so the committed seeds stay small.
    rc=0
    .build/release/"$t" "$work" "$corpus" -runs="$runs" -max_len=8192 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix=artifacts/ -print_final_stats=1 > "$work.log" 2>&1 || rc=$?
    grep -E "^(#[0-9]+ +DONE|Done [0-9]+ runs|stat::number_of_executed_units|SUMMARY|.*(Fatal error|deadly signal))" "$work.log" || true
    [ $rc -ne 0 ] && tail -40 "$work.log" >&2
    rm -rf "$work" "$work.log"
    if [ $rc -ne 0 ] || ls artifacts/crash-* artifacts/timeout-* artifacts/oom-* >/dev/null 2>&1; then
        echo "error: $t found a failing input (Fuzz/artifacts/)" >&2
        exit 1
    fi
done
echo "== no crashes"
