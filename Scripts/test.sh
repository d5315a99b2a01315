#!/usr/bin/env bash
# The project's test command (README "Quick start"; CI runs exactly this through .ci/run).
#  0. Checks that every relative link in README.md and docs/ resolves (Scripts/check-links.sh) and tests the APT
#     mirror helper (Scripts/test-apt-mirror.sh), and that the board description, the engine and the layers on it
#     do not depend on the Linux backends (Scripts/check-package-graph.sh, with its self-test): seconds, no build.
#  1. Installs the Debian packages the build and the VM test need, when missing (as root; `apt-get update` only
#     when an install fails on stale package lists).
#  2. Builds everything including the tests, refusing warnings in our own sources, and runs the whole suite on the
#     simulated board and through the syscall seam; then the live view's test in headless chromium; then reads our
#     files with the field's tools (Scripts/test-formats.sh; its venv .venv-formats is created from PyPI on first
#     use); checks allocations, instructions per sample (callgrind) and memory, boards as hosts in network
#     namespaces (Scripts/hosts-test.sh, root) and sharded runs through GNU parallel (Scripts/test-shards.sh).
#  3. Compiles the libgpiod shim against libgpiod 2.x headers (Scripts/check-gpiod-v2.sh, a second or two). trixie's
#     libgpiod-dev and libgpiod3 are downloaded once by Scripts/fetch-gpiod-v2.sh into ~/.cache/neuronhil/gpiod-v2
#     (a few seconds; it needs Debian's archive, as this machine's APT sources name it).
#  4. Runs the Linux backends against the kernel's simulated devices in a qemu VM (Scripts/vm-test.sh), and the
#     libgpiod shim's own C checks there, built against both libgpiod 1.6 and trixie's 2.x; the first run builds a
#     small kernel (about 3 minutes on 2 cores), later runs reuse it from ~/.cache/neuronhil/vm (by a hash of its
#     inputs) and take about 15 s.
#  5. Runs the README's two quick-start commands as written on a fresh bookworm root (Scripts/newcomer-test.sh):
#     the root is built once with debootstrap and cached under ~/.cache/neuronhil/newcomer; the build inside it is
#     cold every time (costs in docs/testing.md).
# NEURONHIL_SKIP_FORMATS=1 skips the Python readers of step 2 (the newcomer test's root has no Python);
# NEURONHIL_SKIP_HOSTS=1 the network-namespace test (the newcomer test's chroot shares the host's kernel namespaces).
# NEURONHIL_SKIP_VM=1 skips steps 3 to 5 (for machines without network access to Debian or without qemu); without
# it, no network access to Debian and nothing cached fails the run. NEURONHIL_SKIP_NEWCOMER=1 skips step 5 alone.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v swift >/dev/null 2>&1; then
    echo "error: swift is not on PATH. Install the Swift 6.x toolchain (https://www.swift.org/install/linux/)." >&2
    exit 2
fi

# Fast checks first (a second): every relative link in the README and docs/ resolves, and the APT mirror helper
# reads both sources.list formats.
echo "== links in README.md and docs/"
Scripts/check-links.sh
echo "== Scripts/lib/apt-mirror.sh"
Scripts/test-apt-mirror.sh
echo "== package graph (no board-description, engine or sink target reaches the Linux backends)"
Scripts/check-package-graph.sh --self-test
Scripts/check-package-graph.sh

# chromium: the live view's browser test (headless); valgrind: the instruction count.
packages=(libgpiod-dev libi2c-dev iproute2 python3 parallel chromium valgrind)
if [ "${NEURONHIL_SKIP_VM:-0}" != 1 ]; then
    packages+=(qemu-system-x86 busybox-static cpio linux-source-6.1 flex bison bc libelf-dev xz-utils make gcc binutils
        debootstrap)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "error: missing packages: ${missing[*]}. Fix: sudo apt-get install ${missing[*]}" >&2
        exit 2
    fi
    echo "== apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# build WHAT DIRS ARGS...: runs `swift build ARGS`, failing on a build error or on any warning in files under DIRS
# (a build without warnings is part of the contract: Swift 6 language mode, strict concurrency).
build() {
    local what=$1 dirs=$2
    shift 2
    if ! swift build "$@" 2>&1 | tee "$log"; then
        echo "error: $what does not build (see above)." >&2
        exit 1
    fi
    if grep -E "^$(pwd)/($dirs)/.*: warning:" "$log" >/dev/null; then
        echo "error: $what has warnings in our sources:" >&2
        grep -E "^$(pwd)/($dirs)/.*: warning:" "$log" | sort -u >&2
        exit 1
    fi
}

echo "== swift build --build-tests"
build "the package" "Sources|Tests" --build-tests

echo "== swift test"
swift test --skip-build

# The live view in a real browser: a paced mock-board run with --live and `neuronctl view` on a recording, each
# loaded by headless chromium (DevTools protocol on a pipe); the spikes and samples the page received must equal
# the run's and the recording's (about 20 s).
echo "== live view in headless chromium"
python3 Scripts/live-browser-test.py .build/debug/neuronctl

echo "== NeuronBoard and NeuronControl built alone (.build/graph-check): no Linux target compiled"
Scripts/check-package-graph.sh --build

# The field's readers on our files: tonic and pyNAVIS read back every AEDAT event (a cached venv, created from
# PyPI on first use).
if [ "${NEURONHIL_SKIP_FORMATS:-0}" = 1 ]; then
    echo "== skipped the file-format readers (NEURONHIL_SKIP_FORMATS=1)"
else
    echo "== file formats read by the field's tools (Scripts/test-formats.sh)"
    Scripts/test-formats.sh
fi

# Deterministic, so it is a check, not a timing: an engine tick must not allocate, in a single-neuron run or a
# network run (driven by pulse trains or by a live feed), nor a forwarded spike. The bench exits 1
# when a figure is not 0; each figure is also checked here, so a bench that stopped measuring one (or printing it)
# fails too.
echo "== allocations per loop tick (release)"
swift build -c release --product neuronhil-alloc-bench
bench=$(mktemp)
trap 'rm -f "$log" "$bench"' EXIT
if ! .build/release/neuronhil-alloc-bench Boards/mock.yaml Boards/mock-two-neurons.yaml Boards/networks/two-neuron-loop.yaml | tee "$bench"; then
    echo "error: the allocation bench failed (see above)." >&2
    exit 1
fi
for figure in "allocations per tick" "allocations per network tick" "allocations per live sense tick" \
    "allocations per live-view tick (10 viewers, loop thread)" "allocations per forwarded spike"; do
    if ! grep -qx "$figure: 0 (target 0)" "$bench"; then
        echo "error: '$figure' is not 0 (see above)." >&2
        exit 1
    fi
done

# Also deterministic: callgrind counts the instructions inside the engine's ticks on the mock board (about a minute).
echo "== instructions per sample (release, callgrind)"
Scripts/bench-instructions.sh --max 700

# A run's memory must not grow with its length: peak resident memory of `run` and a two-neuron `network` for 10
# and 20 simulated minutes, every output on (the 60-minute comparison is Scripts/bench-memory.sh's default).
echo "== peak memory against run length (release)"
Scripts/bench-memory.sh 20

# Boards as hosts: A -> B -> C in network namespaces over jAER UDP, clean and through a lossy relay, a stranger
# refused (root; the script says SKIPPED without it). About 35 s.
if [ "${NEURONHIL_SKIP_HOSTS:-0}" = 1 ]; then
    echo "== skipped boards as hosts (NEURONHIL_SKIP_HOSTS=1)"
else
    echo "== boards as hosts (Scripts/hosts-test.sh)"
    Scripts/hosts-test.sh .build/debug/neuronctl
fi

# Sharding as a cluster runs it: 4 shards of a sweep and of a population study side by side through GNU parallel
# (Scripts/shard-parallel.sh), merged, compared byte for byte with the unsharded runs. A few seconds.
echo "== sharded runs through GNU parallel (Scripts/test-shards.sh)"
Scripts/test-shards.sh .build/debug/neuronctl

# NeuronHIL as another package's dependency (by path; tools-version 6.2 also lets a package depend on it by URL
# with its unsafe release flag): the example must build without warnings in our sources and print its spikes.
echo "== example package (Examples/SpikeCounter)"
build "the example package" "Sources|Examples" --package-path Examples/SpikeCounter
swift run --skip-build --package-path Examples/SpikeCounter SpikeCounter | tee "$bench"
if ! grep -qE "^[0-9]+ spikes from 20 pulses; ended completed, safe state reached$" "$bench"; then
    echo "error: the example package did not end with its spike count and the safe state (see above)." >&2
    exit 1
fi

if [ "${NEURONHIL_SKIP_VM:-0}" = 1 ]; then
    echo "== skipped the libgpiod 2.x header check, the VM test and the newcomer test (NEURONHIL_SKIP_VM=1)"
    exit 0
fi
echo "== libgpiod 2.x headers"
Scripts/check-gpiod-v2.sh
echo "== VM test (qemu TCG, gpio-sim, i2c-stub, SPI loopback; the libgpiod shim on 1.6 and 2.x)"
Scripts/vm-test.sh
if [ "${NEURONHIL_SKIP_NEWCOMER:-0}" = 1 ]; then
    echo "== skipped the newcomer test (NEURONHIL_SKIP_NEWCOMER=1)"
    exit 0
fi
echo "== newcomer test (the README's two commands on a fresh bookworm root)"
Scripts/newcomer-test.sh
