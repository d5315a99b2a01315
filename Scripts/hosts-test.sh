#!/usr/bin/env bash
# Boards as hosts: three `neuronctl network` processes, each in its own network namespace on the mock board, route
# spikes A -> B -> C over jAER UDP, first directly, then through a relay that drops 5 % and delays 2 ms +- 1 ms
# (Scripts/lib/udp-relay.py; this kernel has no netem). A fourth host, named in no network file, sends spikes to B
# and C, which must refuse and count them. Scripts/lib/hosts-check.py checks counts, order, losses, overruns and every
# board's safe state, and prints the latency the network added. Needs root (ip netns); skipped otherwise.
#   Scripts/hosts-test.sh [path/to/neuronctl]      (default .build/debug/neuronctl)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then
    echo "hosts-test: SKIPPED: needs root to create network namespaces (ip netns); run as root or with sudo"
    exit 0
fi
neuronctl=$(realpath "${1:-.build/debug/neuronctl}")
[[ -x $neuronctl ]] || { echo "hosts-test: $neuronctl is not built. Fix: swift build" >&2; exit 1; }
tag=nh$$
work=$(mktemp -d /tmp/neuronhil-hosts.XXXXXX)
hosts=(a b c r x)
declare -A addr=([a]=10.77.0.1 [b]=10.77.0.2 [c]=10.77.0.3 [r]=10.77.0.4 [x]=10.77.0.5)
pids=()
relays=()  # the relay's own pid: `ip netns exec` forks, and a signal to it does not reach the relay

cleanup() {
    for p in "${relays[@]}" "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for h in "${hosts[@]}" sw; do ip netns del "$tag-$h" 2>/dev/null || true; done
    [[ -n ${NEURONHIL_KEEP_HOSTS_DIR:-} ]] || rm -rf "$work"
}
trap cleanup EXIT INT TERM

# One switch namespace with a bridge; each host a veth pair to it, addresses only inside the namespaces.
ip netns add "$tag-sw"
ip -n "$tag-sw" link add br0 type bridge
ip -n "$tag-sw" link set br0 up
for h in "${hosts[@]}"; do
    ip netns add "$tag-$h"
    ip link add "$tag-$h" type veth peer name eth0 netns "$tag-$h"
    ip link set "$tag-$h" netns "$tag-sw"
    ip -n "$tag-sw" link set "$tag-$h" master br0 up
    ip -n "$tag-$h" addr add "${addr[$h]}/24" dev eth0
    ip -n "$tag-$h" link set eth0 up
    ip -n "$tag-$h" link set lo up
done
on() { local h=$1; shift; ip netns exec "$tag-$h" "$@"; }

# Waits until FILE holds LINE (a board's "listening on", the relay's "ready"), up to 60 s.
wait_for() {
    for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "hosts-test: timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; return 1
}

# network files: A drives its neuron and sends to B; B and C listen to their one peer, route address 0 to a pulse.
write_files() {  # DIR B_PEER C_PEER A_SEND B_SEND
    local d=$1
    mkdir -p "$d"/{a,b,c}
    cat > "$d/a.yaml" <<YAML
network: { name: host-a }
drive:
  - { neuron: 0, amplitude-volts: 0.75, width-ms: 5, frequency-hz: 33 }
send: $4
YAML
    for h in b c; do
        local peer=$2 send="send: $5"
        [[ $h == c ]] && { peer=$3; send=""; }
        cat > "$d/$h.yaml" <<YAML
network: { name: host-$h }
listen: ${addr[$h]}:9531
peers: [$peer]
routes:
  - { from-address: 0, to: 0, amplitude-volts: 0.75, pulses: 1, width-ms: 7.5, delay-ms: 0 }
$send
YAML
    done
}

run_chain() {  # NAME (direct | relay)
    local d=$work/$1
    if [[ $1 == relay ]]; then
        write_files "$d" "${addr[r]}" "${addr[r]}" "${addr[r]}:9601" "${addr[r]}:9602"
        on r python3 Scripts/lib/udp-relay.py --seed 27 --drop 0.05 --delay-ms 2 --jitter-ms 1 --log "$d/relay.json" --pid-file "$d/relay.pid" \
            --route "${addr[r]}:9601=${addr[b]}:9531" --route "${addr[r]}:9602=${addr[c]}:9531" > "$d/relay.log" 2>&1 &
        pids+=($!); local relay=$!
        wait_for "$d/relay.log" "relay ready"
        relays+=("$(cat "$d/relay.pid")")
    else
        write_files "$d" "${addr[a]}" "${addr[b]}" "${addr[b]}:9531" "${addr[c]}:9531"
    fi
    local common=(--realtime --seed 3)
    on c "$neuronctl" network --network "$d/c.yaml" --duration 15 --output "$d/c" --record "$d/c/record.json" "${common[@]}" > "$d/c.log" 2>&1 &
    pids+=($!); local pc=$!
    wait_for "$d/c.log" "listening on"
    on b "$neuronctl" network --network "$d/b.yaml" --duration 12 --output "$d/b" --record "$d/b/record.json" "${common[@]}" > "$d/b.log" 2>&1 &
    pids+=($!); local pb=$!
    wait_for "$d/b.log" "listening on"
    on a "$neuronctl" network --network "$d/a.yaml" --duration 5 --output "$d/a" "${common[@]}" > "$d/a.log" 2>&1 &
    pids+=($!); local pa=$!
    # The stranger: 25 well-formed jAER datagrams (address 0) to B and to C while A runs.
    on x python3 -c '
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(1, 26):
    for host in sys.argv[1:]:
        s.sendto(struct.pack(">iii", i, 0, i * 1000), (host, 9531))
    time.sleep(0.1)' "${addr[b]}" "${addr[c]}"
    local rc=0
    wait "$pa" || rc=$?; wait "$pb" || rc=$?; wait "$pc" || rc=$?
    if [[ $1 == relay ]]; then kill -TERM "${relays[-1]}"; wait "$relay" || true; fi
    if [[ $rc -ne 0 ]]; then
        echo "hosts-test: $1: a board exited with $rc" >&2
        tail -n 20 "$d"/{a,b,c}.log >&2
        return 1
    fi
}

run_chain direct
run_chain relay
python3 Scripts/lib/hosts-check.py "$work" --stranger "${addr[x]}" --sent-by-stranger 25
