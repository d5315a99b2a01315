#!/usr/bin/env bash
# The layering rule of Package.swift, checked: the board description, the engine and the layers on it build
# without the Linux backends, and without the live view's server (only NeuronSession and the CLI link NeuronLive). Reads `swift package describe --type json`, computes each target's transitive target
# dependencies and fails, naming the path, if one of the backend-free targets reaches a Linux target.
#
#   Scripts/check-package-graph.sh                 check this package (no build)
#   Scripts/check-package-graph.sh --self-test     the checker must refuse a made-up graph with one bad edge
#   Scripts/check-package-graph.sh --build         also build NeuronBoard and NeuronControl alone in a scratch
#                                                  directory of their own (.build/graph-check, kept, so later runs
#                                                  are incremental) and check that no Linux target was compiled
set -euo pipefail
cd "$(dirname "$0")/.."

command -v python3 >/dev/null || { echo "error: python3 is missing; install it with: apt-get install python3" >&2; exit 2; }

backend_free="NeuronBoard NeuronControl NeuronSim NeuronNetwork NeuronExperiments NeuronSinks NeuronLive"
linux="NeuronLinux CNeuronLinux CGPIOD CLibGPIOD CLibI2C"
server_free="NeuronBoard NeuronControl NeuronSim NeuronNetwork NeuronExperiments NeuronSinks"
server="NeuronLive"

# check GRAPH_JSON_FILE: exit 1 with one line per forbidden path.
check() {
    python3 - "$1" "$backend_free" "$linux" "$server_free" "$server" <<'EOF'
import json, sys
graph = json.load(open(sys.argv[1]))
deps = {t["name"]: t.get("target_dependencies", []) for t in graph["targets"]}
rules = [(sys.argv[2].split(), set(sys.argv[3].split()),
          "Fix: depend on NeuronBoard (backend-neutral) and let NeuronSession or the CLI pick NeuronBoardSim/NeuronBoardLinux"),
         (sys.argv[4].split(), set(sys.argv[5].split()),
          "Fix: hand the live view a TraceStream or a SpikeSink from NeuronSession; only NeuronSession and the CLI link NeuronLive")]
bad = 0
for free, forbidden, fix in rules:
    for start in free:
        if start not in deps:
            print(f"error: {start} is not a target of the package; update Scripts/check-package-graph.sh"); bad += 1; continue
        paths, todo = {start: [start]}, [start]
        while todo:  # breadth first, so the path printed is a shortest one
            name = todo.pop(0)
            for d in deps.get(name, []):
                if d not in paths:
                    paths[d] = paths[name] + [d]
                    todo.append(d)
        for target in sorted(forbidden & paths.keys()):
            print(f"error: {start} reaches {target}: {' -> '.join(paths[target])}. {fix}")
            bad += 1
print(f"package graph: {len(rules[0][0])} backend-free and {len(rules[1][0])} server-free targets checked, {bad} problem(s)")
sys.exit(1 if bad else 0)
EOF
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${1:-}" = --self-test ]; then
    # A made-up graph: NeuronControl -> NeuronFake -> NeuronLinux and NeuronSinks -> NeuronLive must be refused with
    # their paths.
    cat > "$tmp/bad.json" <<'EOF'
{"targets": [
  {"name": "NeuronBoard", "target_dependencies": ["NeuronHAL"]},
  {"name": "NeuronControl", "target_dependencies": ["NeuronHAL", "NeuronFake"]},
  {"name": "NeuronFake", "target_dependencies": ["NeuronLinux"]},
  {"name": "NeuronLinux", "target_dependencies": ["CNeuronLinux"]},
  {"name": "NeuronSim", "target_dependencies": []}, {"name": "NeuronNetwork", "target_dependencies": []},
  {"name": "NeuronExperiments", "target_dependencies": []}, {"name": "NeuronSinks", "target_dependencies": ["NeuronLive"]},
  {"name": "NeuronHAL", "target_dependencies": []}, {"name": "CNeuronLinux", "target_dependencies": []},
  {"name": "NeuronLive", "target_dependencies": ["NeuronHAL"]}]}
EOF
    if out=$(check "$tmp/bad.json"); then
        echo "error: the checker passed a graph with NeuronControl -> NeuronFake -> NeuronLinux" >&2; exit 1
    fi
    grep -q "NeuronControl reaches NeuronLinux: NeuronControl -> NeuronFake -> NeuronLinux" <<<"$out" || {
        echo "error: the checker refused the bad graph without naming the path:" >&2; echo "$out" >&2; exit 1; }
    grep -q "NeuronControl reaches CNeuronLinux" <<<"$out" || { echo "error: transitive C target not reported:" >&2; echo "$out" >&2; exit 1; }
    grep -q "NeuronSinks reaches NeuronLive: NeuronSinks -> NeuronLive" <<<"$out" || {
        echo "error: the checker passed NeuronSinks -> NeuronLive:" >&2; echo "$out" >&2; exit 1; }
    echo "package graph self-test: each bad edge is refused with its path"
    exit 0
fi

swift package describe --type json > "$tmp/graph.json"
check "$tmp/graph.json"

if [ "${1:-}" = --build ]; then
    # Proof by building: the two targets alone, in a scratch directory that builds nothing else, compile no Linux
    # module.
    scratch=.build/graph-check
    for target in NeuronBoard NeuronControl; do
        swift build --scratch-path "$scratch" --target "$target" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }
    done
    # SwiftPM writes a plan file into every target's directory; what counts is an object file or a module.
    built=$(find "$scratch" \( -path '*/NeuronLinux.build/*' -o -path '*/NeuronBoardLinux.build/*' -o -path '*/CNeuronLinux.build/*' \
        -o -path '*/CGPIOD.build/*' -o -path '*/Modules/*Linux*' \) \( -name '*.o' -o -name '*.swiftmodule' \) | head -3)
    if [ -n "$built" ]; then
        echo "error: building NeuronBoard and NeuronControl compiled Linux targets: $built" >&2; exit 1
    fi
    objects() { find "$scratch" -path "*/$1.build/*" -name '*.o' | wc -l; }
    [ "$(objects NeuronBoard)" -gt 0 ] && [ "$(objects NeuronControl)" -gt 0 ] ||
        { echo "error: the scratch build compiled neither NeuronBoard nor NeuronControl (nothing was checked)" >&2; exit 1; }
    echo "package graph: NeuronBoard and NeuronControl built alone, no Linux target compiled"
fi
