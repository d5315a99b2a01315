#!/usr/bin/env python3
"""Checks the chain A -> B -> C that Scripts/hosts-test.sh ran (directly, then through the lossy relay).

For each link X -> Y: Y received every datagram X sent except the ones lost, and counted exactly those as lost from
the sequence gaps (the relay's log says which it dropped); Y's routed pulses are X's spikes, one each, in order
(matched through the relay's log when datagrams were dropped), each after its spike by 0 to 50 ms on the wall clock
(both boards' summaries give their start on CLOCK_REALTIME); the stranger's datagrams were refused and counted and
drove nothing; no board overran; every DAC read back 0 V, powered down. Prints the latency per link and mode.
"""
import argparse, csv, json, os, statistics, sys

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    print(("ok    " if ok else "FAIL  ") + what)


def summary(d, h):
    with open(os.path.join(d, h, "summary.json")) as f:
        return json.load(f)


def spike_times(d, h):
    with open(os.path.join(d, h, "spikes.csv")) as f:
        rows = [r for r in csv.DictReader(line for line in f if not line.startswith("#"))]
    return [float(r["crossing_s"]) for r in rows]


def external_pulses(d, h):
    with open(os.path.join(d, h, "record.json")) as f:
        rec = json.load(f)
    return [p["start_ns"] * 1e-9 for p in rec["pulses"] if p["cause"].startswith("external")]


def udp_sent(s):
    return sum(k["delivered"] for k in s["forwarding"]["sinks"] if k["name"].startswith("udp"))


def link(d, mode, x, y, dropped, stranger, stranger_sent):
    sx, sy = summary(d, x), summary(d, y)
    u = sy["udp_input"]
    sent = udp_sent(sx)
    name = f"{mode} {x.upper()} -> {y.upper()}"
    lost = sum(dropped)
    check(sent == len(spike_times(d, x)) and sent > 10, f"{name}: {x.upper()} sent one datagram per spike ({sent})")
    check(u["datagrams"] == sent - lost, f"{name}: {y.upper()} received {u['datagrams']} of {sent} datagrams, {lost} dropped on the link")
    runs = sum(1 for i, gone in enumerate(dropped) if gone and (i == 0 or not dropped[i - 1]))
    check(u["lost_datagrams"] == lost and u["sequence_gaps"] == runs,
          f"{name}: {y.upper()} counted {u['lost_datagrams']} lost in {u['sequence_gaps']} sequence gaps (dropped: {lost} in {runs} runs)")
    check(u["refused_datagrams"] == stranger_sent and u["refused_senders"] == [stranger],
          f"{name}: {y.upper()} refused {u['refused_datagrams']} datagrams from {u['refused_senders']} (stranger sent {stranger_sent})")
    kept = [t for t, gone in zip(spike_times(d, x), dropped) if not gone]
    pulses = external_pulses(d, y)
    check(len(pulses) == len(kept) == u["events"], f"{name}: {len(pulses)} routed pulses on {y.upper()} for {len(kept)} spikes delivered")
    latency = [(sy["started_unix_seconds"] + p) - (sx["started_unix_seconds"] + t) for t, p in zip(kept, pulses)]
    check(all(0 <= l < 0.05 for l in latency) and pulses == sorted(pulses),
          f"{name}: each pulse follows its spike, in order, within 0-50 ms")
    if latency:
        ms = sorted(l * 1e3 for l in latency)
        print(f"      latency spike -> routed pulse: p50 {statistics.median(ms):.2f} ms, p99 {ms[int(0.99 * (len(ms) - 1))]:.2f} ms, "
              f"max {ms[-1]:.2f} ms over {len(ms)} spikes")


def overruns(d, h):
    return summary(d, h)["result"]["timing"]["overruns"]


def board(d, mode, h, direct):
    s = summary(d, h)
    r = s["result"]
    # Loss and delay on the links must not make a loop wait: the receiving boards overrun no more than with clean
    # links (a loaded machine overruns in both; the margin covers its noise).
    n = r["timing"]["overruns"]
    if mode == "direct" or h == "a":
        check(r["timing"]["timed"], f"{mode} {h.upper()}: timed, {n} overruns")
    else:
        base = overruns(direct, h)
        check(n <= 2 * base + 100, f"{mode} {h.upper()}: overruns unchanged by loss and delay ({n}; clean links {base})")
    safe = all(b["volts"] == 0 and b["powered_down"] for b in s["dac_read_back"])
    check(safe and r["termination"] == "completed", f"{mode} {h.upper()}: completed; DAC read back 0 V, powered down")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--stranger", required=True)
    ap.add_argument("--sent-by-stranger", type=int, required=True)
    a = ap.parse_args()
    for mode in ["direct", "relay"]:
        d = os.path.join(a.work, mode)
        drops = [[False] * 100000, [False] * 100000]
        if mode == "relay":
            with open(os.path.join(d, "relay.json")) as f:
                routes = json.load(f)["routes"]
            drops = [[g["dropped"] for g in r["datagrams"]] for r in routes]
            check(all(r["dropped"] > 0 for r in routes), f"relay dropped {[r['dropped'] for r in routes]} datagrams on its routes (seed 27, 5 %)")
        for h in "abc":
            board(d, mode, h, os.path.join(a.work, "direct"))
        link(d, mode, "a", "b", drops[0][:udp_sent(summary(d, "a"))], a.stranger, a.sent_by_stranger)
        link(d, mode, "b", "c", drops[1][:udp_sent(summary(d, "b"))], a.stranger, a.sent_by_stranger)
    print(f"hosts-test: {'FAILED: ' + str(len(failures)) + ' checks' if failures else 'passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
