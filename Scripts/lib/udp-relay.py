#!/usr/bin/env python3
"""A seeded UDP relay that drops and delays datagrams: a lossy link where the kernel has no netem qdisc.

  udp-relay.py --seed 27 --drop 0.05 --delay-ms 2 --jitter-ms 1 --log relay.json \
      --route 0.0.0.0:9601=10.77.0.2:9531 --route 0.0.0.0:9602=10.77.0.3:9531

Each route listens on its address and sends what it keeps from the same socket to its destination, after
delay ± jitter (uniform). Each route draws from its own generator (seeded by the seed and the route's place in
the list), so the same seed drops the same datagrams of a route's stream however the routes' datagrams interleave. On SIGTERM it writes the log:
per route, every datagram's jAER sequence number and whether it was dropped.
"""
import argparse, heapq, json, os, random, selectors, signal, socket, struct, sys, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--drop", type=float, default=0.05)
    ap.add_argument("--delay-ms", type=float, default=2.0)
    ap.add_argument("--jitter-ms", type=float, default=1.0)
    ap.add_argument("--route", action="append", required=True, help="LISTEN_HOST:PORT=DEST_HOST:PORT")
    ap.add_argument("--log", required=True)
    ap.add_argument("--pid-file", help="write the process id here (`ip netns exec` does not pass signals on)")
    a = ap.parse_args()
    sel = selectors.DefaultSelector()
    routes = []
    for spec in a.route:
        src, dst = spec.split("=")
        sh, sp = src.rsplit(":", 1)
        dh, dp = dst.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((sh, int(sp)))
        r = {"route": spec, "sock": s, "dest": (dh, int(dp)), "datagrams": [], "rng": random.Random(f"{a.seed}/{len(routes)}")}
        routes.append(r)
        sel.register(s, selectors.EVENT_READ, r)
    queue = []  # (due, tiebreak, route, bytes)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    if a.pid_file:
        with open(a.pid_file, "w") as f:
            f.write(str(os.getpid()))
    print("relay ready", flush=True)
    n = 0
    while not stop:
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else 0.05
        for key, _ in sel.select(min(timeout, 0.05)):
            r = key.data
            data, _ = r["sock"].recvfrom(65536)
            seq = struct.unpack(">i", data[:4])[0] if len(data) >= 4 else None
            dropped = r["rng"].random() < a.drop
            delay = (a.delay_ms + r["rng"].uniform(-a.jitter_ms, a.jitter_ms)) / 1e3
            r["datagrams"].append({"sequence": seq, "dropped": dropped})
            if not dropped:
                n += 1
                heapq.heappush(queue, (time.monotonic() + delay, n, id(r), r, data))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, _, r, data = heapq.heappop(queue)
            r["sock"].sendto(data, r["dest"])
    log = [{"route": r["route"], "datagrams": r["datagrams"],
            "dropped": sum(d["dropped"] for d in r["datagrams"])} for r in routes]
    with open(a.log, "w") as f:
        json.dump({"seed": a.seed, "drop": a.drop, "delay_ms": a.delay_ms, "jitter_ms": a.jitter_ms, "routes": log}, f)


if __name__ == "__main__":
    sys.exit(main())
