#!/usr/bin/env python3
"""Plots NeuronHIL experiment CSVs (neuronctl experiment ..., neuronctl simulate population).

Usage: Scripts/plot.py FILE.csv [FILE.csv ...]   (or a directory: every CSV in it that names a figure)

Each CSV starts with '# key: value' metadata; the 'figure' key says what to draw. The PNG is written next to the
CSV (same name, .png) and its path printed. Needs matplotlib: run Scripts/setup-plotting.sh once, then use
.venv-plot/bin/python Scripts/plot.py ... (neuronctl does this itself when the venv exists).
Only the standard library and matplotlib are used (no pandas), so the venv stays small.
"""
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(path):
    """(metadata dict, list of row dicts) of a NeuronHIL CSV."""
    meta, lines = {}, []
    with open(path, newline="") as f:
        for line in f:
            if line.startswith("#"):
                key, _, value = line[1:].strip().partition(":")
                meta[key.strip()] = value.strip()
            else:
                lines.append(line)
    return meta, list(csv.DictReader(lines))


def num(rows, key):
    return [float(r[key]) if r[key] != "" else math.nan for r in rows]


def fmt(meta, key):
    """A metadata number without trailing zeros (0.7500 -> 0.75)."""
    try:
        return f"{float(meta[key]):g}"
    except (KeyError, ValueError):
        return meta.get(key, "?")


def subtitle(meta):
    parts = []
    if "board" in meta:
        parts.append("board " + meta["board"].split(" ")[0])
    if "model" in meta:
        parts.append("model " + meta["model"])
    if "seed" in meta:
        parts.append("seed " + meta["seed"])
    return ", ".join(parts)


def fig2c(path, meta, rows):
    t = [x * 1e3 for x in num(rows, "time_s")]
    v = num(rows, "membrane_v")
    stim = num(rows, "stimulus_v")
    fig, ax = plt.subplots(figsize=(8, 3.2))
    # Shade every pulse: runs of non-zero stimulus.
    start = None
    for i, s in enumerate(stim):
        if s > 0 and start is None:
            start = t[i]
        if s <= 0 and start is not None:
            ax.axvspan(start, t[i], color="tab:orange", alpha=0.18, lw=0)
            start = None
    if start is not None:
        ax.axvspan(start, t[-1], color="tab:orange", alpha=0.18, lw=0)
    ax.plot(t, v, color="tab:blue", lw=0.8, label="capacitor voltage")
    spikes_file = os.path.join(os.path.dirname(path), meta.get("spikes_file", ""))
    if meta.get("spikes_file") and os.path.exists(spikes_file):
        _, spikes = read(spikes_file)
        if spikes:
            ax.plot([x * 1e3 for x in num(spikes, "peak_time_s")], num(spikes, "peak_v"), "v", color="tab:red",
                    ms=5, label=f"detected spikes ({len(spikes)})")
    ax.plot([], [], color="tab:orange", alpha=0.4, lw=6,
            label=f"pulses {fmt(meta, 'amplitude_v')} V x {fmt(meta, 'width_ms')} ms at {fmt(meta, 'frequency_hz')} Hz")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("capacitor voltage (V)")
    ax.set_title("Fig. 2c: capacitor trace  (" + subtitle(meta) + ")", fontsize=10)
    ax.set_xlim(t[0], t[-1])
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def tuning_axes(ax, rows, key, label, scale=1.0):
    x = [float(r[key]) * scale for r in rows]
    y = num(rows, "probability_mean")
    e = num(rows, "probability_sd")
    ax.errorbar(x, y, yerr=e, marker="o", capsize=3, lw=1.2)
    ax.set_xlabel(label)
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)


def fig4(path, meta, rows):
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), sharey=True)
    panels = [("frequency", "frequency_hz", "frequency (Hz)", "4b"), ("amplitude", "amplitude_v", "amplitude (V)", "4c"),
              ("width", "width_ms", "pulse width (ms)", "S10")]
    for ax, (sweep, key, label, name) in zip(axes, panels):
        sub = [r for r in rows if r["sweep"] == sweep]
        if sub:
            tuning_axes(ax, sub, key, label)
        ax.set_title(f"Fig. {name}", fontsize=10)
    axes[0].set_ylabel("firing probability per pulse")
    fig.suptitle(f"Fig. 4: tuning curves, mean ± SD over {meta.get('repetitions', '?')} runs of {meta.get('pulses', '?')} pulses  ("
                 + subtitle(meta) + ")", fontsize=10)
    fig.tight_layout()
    return fig


def sweep(path, meta, rows):
    grid = meta.get("grid", "").split()
    labels = {"amplitude_v": "amplitude (V)", "width_ms": "pulse width (ms)", "frequency_hz": "frequency (Hz)"}
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    if not grid:
        grid = ["amplitude_v"]
    x_key = grid[-1]
    if len(grid) == 1:
        tuning_axes(ax, rows, x_key, labels.get(x_key, x_key))
    else:
        # One line per combination of the other parameters.
        groups = {}
        for r in rows:
            groups.setdefault(tuple(r[k] for k in grid[:-1]), []).append(r)
        for key, sub in groups.items():
            x = [float(r[x_key]) for r in sub]
            ax.errorbar(x, num(sub, "probability_mean"), yerr=num(sub, "probability_sd"), marker="o", capsize=3,
                        label=", ".join(f"{labels.get(k, k)} {float(v):g}" for k, v in zip(grid[:-1], key)))
        ax.set_xlabel(labels.get(x_key, x_key))
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    ax.set_ylabel("firing probability per pulse")
    name = os.path.splitext(os.path.basename(path))[0]
    ax.set_title(f"sweep {name}: mean ± SD over {meta.get('repetitions', '?')} runs\n" + subtitle(meta), fontsize=9)
    fig.tight_layout()
    return fig


def time_to_spike(path, meta, rows):
    lo = num(rows, "bin_start_ms")
    hi = num(rows, "bin_end_ms")
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.bar(lo, num(rows, "density"), width=[b - a for a, b in zip(lo, hi)], align="edge", color="tab:blue", alpha=0.6,
           edgecolor="white", label=f"{meta.get('spikes', '?')} spikes")
    mean = float(meta.get("fit_mean_ms", "nan"))
    if mean > 0:
        xs = [hi[-1] * i / 400 for i in range(401)]
        ax.plot(xs, [math.exp(-x / mean) / mean for x in xs], color="tab:red",
                label=f"exponential fit, mean {mean:.2f} ms")
        ax.axvline(mean, color="tab:red", ls="--", lw=0.8)
    ax.axvline(6.9, color="k", ls=":", lw=0.8, label="paper: 6.9 ms")
    ax.set_xlabel("bias time before firing (ms)")
    ax.set_ylabel("probability density (1/ms)")
    ax.set_title(f"Fig. S8a: time to spike at {fmt(meta, 'amplitude_v')} V  (" + subtitle(meta) + ")", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def population_raster(path, meta, rows):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    width = float(meta.get("width_ms", "5")) / 1e3
    period = 1 / float(meta.get("frequency_hz", "33"))
    pulses = int(meta.get("pulses", "10"))
    n = int(meta.get("neurons", "100"))
    for ax, pop in zip(axes, ["stochastic", "deterministic"]):
        for k in range(pulses):
            ax.axvspan(k * period * 1e3, (k * period + width) * 1e3, color="tab:orange", alpha=0.18, lw=0)
        sub = [r for r in rows if r["population"] == pop]
        ax.plot([float(r["time_s"]) * 1e3 for r in sub], [int(r["neuron"]) for r in sub], "|", ms=3,
                color="tab:blue" if pop == "stochastic" else "tab:gray")
        ax.set_xlabel("time (ms)")
        title = f"{pop} ({meta.get('model')} model)" if pop == "stochastic" else "deterministic (6.9 ms of bias)"
        ax.set_title(title, fontsize=10)
        ax.set_ylim(-1, n)
    axes[0].set_ylabel("neuron")
    fig.suptitle(f"Fig. 3b: raster of {n} neurons over {pulses} pulses (seed {meta.get('seed')})", fontsize=10)
    fig.tight_layout()
    return fig


def population_code(path, meta, rows):
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    k = [int(r["pulse"]) for r in rows]
    sm, ss = num(rows, "stochastic_mean"), num(rows, "stochastic_sd")
    ax.fill_between(k, [a - b for a, b in zip(sm, ss)], [a + b for a, b in zip(sm, ss)], color="tab:blue", alpha=0.2,
                    label=f"stochastic, mean ± SD over {meta.get('simulations')} simulations")
    ax.plot(k, num(rows, "stochastic_code"), "o-", color="tab:blue", label=f"stochastic ({meta.get('model')} model), one simulation")
    ax.step(k, num(rows, "deterministic_code"), "s-", where="post", color="tab:gray", label="deterministic")
    ax.set_xlabel("pulse")
    ax.set_ylabel("population code (cumulative spikes)")
    ax.set_title(f"Fig. 3c: population code of {meta.get('neurons')} neurons", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def population_error(path, meta, rows):
    measure = meta.get("error", "mae")
    sub = [r for r in rows if r["measure"] == measure]
    n = [int(r["size"]) for r in sub]
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for pop, color in [("stochastic", "tab:blue"), ("deterministic", "tab:gray")]:
        m, s = num(sub, pop + "_mean"), num(sub, pop + "_sd")
        ax.fill_between(n, [max(1e-4, a - b) for a, b in zip(m, s)], [a + b for a, b in zip(m, s)], color=color, alpha=0.2)
        label = f"stochastic ({meta.get('model')} model)" if pop == "stochastic" else "deterministic"
        ax.plot(n, m, color=color, label=label + " ± 1 SD")
    cross = meta.get(f"crossover_{measure}", "none")
    if cross != "none":
        ax.axvline(int(cross), color="tab:red", ls="--", lw=1, label=f"crossover N = {cross}")
    ax.axvline(11, color="k", ls=":", lw=0.8, label="paper: about 11")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("population size N")
    ax.set_ylabel({"mae": "mean |decoded - input| (pulses)", "rmse": "RMS decoding error (pulses)",
                   "relative": "mean relative decoding error",
                   "pooled-rms": "pooled RMS decoding error (pulses)",
                   "ml": "ML decoder error probability"}.get(measure, measure))
    ax.set_title(f"Fig. 3d: representation error ({measure}), {meta.get('simulations')} simulations", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


FIGURES = {
    "fig2c": fig2c,
    "fig4": fig4,
    "sweep": sweep,
    "time-to-spike": time_to_spike,
    "population-raster": population_raster,
    "population-code": population_code,
    "population-error": population_error,
}


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    paths = []
    for a in argv:
        if os.path.isdir(a):
            paths += sorted(os.path.join(a, f) for f in os.listdir(a) if f.endswith(".csv"))
        else:
            paths.append(a)
    status = 0
    for path in paths:
        try:
            meta, rows = read(path)
        except OSError as e:
            print(f"error: {path}: cannot read ({e})", file=sys.stderr)
            status = 1
            continue
        figure = meta.get("figure")
        if figure is None:
            if not any(os.path.isdir(a) for a in argv):
                print(f"error: {path}: no '# figure:' metadata line; plot the file neuronctl names for plotting",
                      file=sys.stderr)
                status = 1
            continue
        if figure not in FIGURES:
            print(f"error: {path}: unknown figure '{figure}' (known: {', '.join(FIGURES)})", file=sys.stderr)
            status = 1
            continue
        if not rows:
            print(f"error: {path}: no data rows to plot", file=sys.stderr)
            status = 1
            continue
        fig = FIGURES[figure](path, meta, rows)
        out = os.path.splitext(path)[0] + ".png"
        fig.savefig(out, dpi=110)
        plt.close(fig)
        print(out)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
