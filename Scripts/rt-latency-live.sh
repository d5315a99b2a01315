#!/usr/bin/env bash
# Wake-up latency of the real-time loop with the live view and 10 connected viewers, against the same run without,
# by Scripts/rt-latency.sh's method: the same `neuronctl run --realtime` (mock board paced by clock_nanosleep on
# the real clock, SCHED_FIFO where permitted), in alternating rounds, the order swapped each round.
#
#   Scripts/rt-latency-live.sh [seconds]        (env: PRIO=80, INTERVAL_US=100, CPU=<n>, ROUNDS=3, VIEWERS=10)
#
# Prints p50 / p99 / max per round and the medians, and the ratio of the p99s (with viewers / without).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
prio=${PRIO:-80}
interval=${INTERVAL_US:-100}
cpu=${CPU:-}
rounds=${ROUNDS:-3}
viewers=${VIEWERS:-10}
rate=$(( 1000000 / interval ))
pin=()
[ -n "$cpu" ] && pin=(--cpu "$cpu")

echo "== building neuronctl (release)"
swift build -c release --product neuronctl >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {  # run ROUND NAME [extra flags]
    local r=$1 name=$2
    shift 2
    echo "== round $r: neuronctl run --realtime $* (${duration} s)"
    .build/release/neuronctl run --realtime --priority "$prio" "${pin[@]}" --sample-rate "$rate" --duration "$duration" \
        --no-trace --json --output "$tmp/out" "$@" > "$tmp/$name.$r.json" 2>"$tmp/$name.$r.err" &
    local pid=$!
    if [ "$name" = live ]; then
        # The viewers: bare WebSocket clients that read everything until the server closes.
        python3 - "$tmp/$name.$r.err" "$viewers" > "$tmp/viewers.$r.txt" <<'PY'
import re, socket, sys, threading, time
err, n = sys.argv[1], int(sys.argv[2])
for _ in range(600):
    m = re.search(r"live view: http://127\.0\.0\.1:(\d+)/", open(err).read())
    if m: break
    time.sleep(0.05)
port, total = int(m.group(1)), []
def viewer():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    got = 0
    while True:
        b = s.recv(65536)
        if not b: break
        got += len(b)
    total.append(got)
threads = [threading.Thread(target=viewer) for _ in range(n)]
for t in threads: t.start()
for t in threads: t.join()
print(f"{len(total)} viewers received {sum(total)} bytes")
PY
    fi
    wait $pid || true
}
for r in $(seq 1 "$rounds"); do
    if [ $(( r % 2 )) -eq 1 ]; then run "$r" plain; run "$r" live --live 127.0.0.1:0; else run "$r" live --live 127.0.0.1:0; run "$r" plain; fi
done

python3 - "$tmp" "$rounds" "$duration" <<'PY'
import json, statistics, sys
tmp, rounds, duration = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def stats(name, r):
    try:
        w = json.load(open(f"{tmp}/{name}.{r}.json"))["result"]["timing"]["wake_latency_micros"]
    except Exception:
        sys.exit(f"error: round {r} ({name}) produced no report: " + open(f"{tmp}/{name}.{r}.err").read())
    return w["p50"], w["p99"], w["max"]
plain = [stats("plain", r) for r in range(1, rounds + 1)]
live = [stats("live", r) for r in range(1, rounds + 1)]
print(f"{'round':8}{'without viewers p50/p99/max (us)':>36}{'with viewers p50/p99/max (us)':>34}  viewers")
for r in range(rounds):
    a, b = plain[r], live[r]
    v = open(f"{tmp}/viewers.{r + 1}.txt").read().strip()
    print(f"{r + 1:<8}{a[0]:12.1f}{a[1]:12.1f}{a[2]:12.1f}{b[0]:12.1f}{b[1]:11.1f}{b[2]:11.1f}  {v}")
print()
for i, name in enumerate(("p50", "p99", "max")):
    a, b = statistics.median(x[i] for x in plain), statistics.median(x[i] for x in live)
    print(f"{name + ' median of ' + str(rounds) + ' rounds (us)':30}{a:10.1f}{b:10.1f}  ratio {b / a if a else float('inf'):.2f}")
spread = [max(x[1] for x in plain) / min(x[1] for x in plain) if min(x[1] for x in plain) else float('inf')]
print(f"noise: the p99s without viewers span a factor {spread[0]:.2f} over the rounds")
print(f"load average while measuring: {open('/proc/loadavg').read().split()[0]}")
PY
