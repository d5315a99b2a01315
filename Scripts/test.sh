#!/usr/bin/env bash
# The project's test command (README "Quick start"; CI runs exactly this through .ci/run).
# Builds everything including the tests, refuses warnings in our own sources, then runs the whole suite on the
# simulated board. Needs only the Swift toolchain: the Linux hardware backends are not in the build yet, so no
# system packages are required (when they land, this script installs libgpiod-dev/libi2c-dev if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v swift >/dev/null 2>&1; then
    echo "error: swift is not on PATH. Install the Swift 6.x toolchain (https://www.swift.org/install/linux/)." >&2
    exit 2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "== swift build --build-tests"
if ! swift build --build-tests 2>&1 | tee "$log"; then
    echo "error: the build failed (see above)." >&2
    exit 1
fi
# A build without warnings is part of the contract (Swift 6 language mode, strict concurrency).
if grep -E "^$(pwd)/(Sources|Tests)/.*: warning:" "$log" >/dev/null; then
    echo "error: the build has warnings in our sources:" >&2
    grep -E "^$(pwd)/(Sources|Tests)/.*: warning:" "$log" | sort -u >&2
    exit 1
fi

echo "== swift test"
swift test --skip-build

# Deterministic, so it is a check, not a timing: a loop tick must not allocate.
echo "== allocations per loop tick (release)"
swift build -c release --product neuronhil-alloc-bench
.build/release/neuronhil-alloc-bench Boards/mock.yaml
