#!/usr/bin/env python3
"""Writes a run's output directory (trace.csv or trace-neuron<ID>.csv, spikes.csv, summary.json) as an NWB file.

Usage: export_nwb.py RUN_DIR [OUT.nwb] [--experimenter "Last, First"] [--institution NAME]
(default OUT: RUN_DIR/run.nwb). Needs pynwb (the .venv-formats venv).
- Units: one unit per neuron channel, spike times (threshold crossings) in s, resolution = 1 / sample rate.
- Acquisition: each channel's capacitor voltage as a TimeSeries in volts (data float32, conversion 1.0).
- Stimulus: each channel's commanded stimulus as a TimeSeries in volts.
- Intervals: the pulses (runs of non-zero stimulus) as a TimeIntervals table with their channel and amplitude.
- Device, board and protocol metadata from summary.json.
"""
import argparse
import glob
import json
import os
import re
import sys
import uuid
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.device import Device
from pynwb.epoch import TimeIntervals
from pynwb.misc import Units
from pynwb.file import Subject


def traces(run):
    """{channel id: DataFrame} of the run's trace files."""
    one = os.path.join(run, "trace.csv")
    if os.path.exists(one):
        meta = header(one)
        return {int(meta.get("neuron", "0")): pd.read_csv(one, comment="#")}
    out = {}
    for path in sorted(glob.glob(os.path.join(run, "trace-neuron*.csv"))):
        out[int(re.search(r"trace-neuron(\d+)\.csv$", path).group(1))] = pd.read_csv(path, comment="#")
    return out


def header(path):
    meta = {}
    with open(path) as f:
        for line in f:
            if not line.startswith("# "):
                break
            key, _, value = line[2:].partition(":")
            meta[key] = value.strip()
    return meta


def pulses(channel, trace):
    """(start, stop, amplitude) of each run of non-zero stimulus, at sample resolution."""
    on = trace["stimulus_v"].to_numpy() != 0
    edges = np.flatnonzero(np.diff(np.concatenate(([False], on, [False])).astype(np.int8)))
    t = trace["time_s"].to_numpy()
    dt = np.median(np.diff(t)) if len(t) > 1 else 0.0
    for start, stop in zip(edges[::2], edges[1::2]):
        yield t[start], t[stop - 1] + dt, float(trace["stimulus_v"].iloc[start]), channel


def main():
    parser = argparse.ArgumentParser(description="A NeuronHIL run directory as an NWB file.")
    parser.add_argument("run")
    parser.add_argument("out", nargs="?")
    parser.add_argument("--experimenter", action="append")
    parser.add_argument("--institution")
    args = parser.parse_args()
    run = args.run
    out = args.out or os.path.join(run, "run.nwb")
    summary = json.load(open(os.path.join(run, "summary.json")))
    protocol = summary.get("protocol", {})
    rate = float(summary["sample_rate_hz"])
    board = summary["board"]
    created = datetime.fromtimestamp(os.path.getmtime(os.path.join(run, "summary.json")), tz=timezone.utc)
    nwb = NWBFile(
        session_description=f"NeuronHIL {summary['command']} on board {board['name']}: "
                            + ", ".join(f"{k} {v}" for k, v in sorted(protocol.items()) if k != "read_with"),
        identifier=str(uuid.uuid4()),
        session_start_time=created,
        experiment_description="Halide-perovskite artificial neuron (Ag/MAPbI3/Au volatile memristor with a 300 pF "
                               "capacitor) driven by voltage pulses; capacitor voltage sampled by an ADC.",
        source_script=f"{summary['tool']}; Scripts/formats/export_nwb.py",
        source_script_file_name="export_nwb.py",
        related_publications=["doi:10.1039/D4MH01513A"],
        keywords=["neuromorphic", "memristor", "perovskite", "artificial neuron"],
        experimenter=args.experimenter,
        institution=args.institution,
    )
    device = Device(
        name="neuron_board",
        description=f"board {board['name']} ({board['file']}), "
                    + (f"simulated: model {board.get('model')}, seed {board.get('seed')}" if board.get("simulated") else "hardware"),
        manufacturer="NeuronHIL" if board.get("simulated") else "unknown",
    )
    nwb.add_device(device)
    # The subject is a device, not an organism: no species applies, sex is NWB's "O" (other), and the age is the
    # open ISO 8601 range "P0D/" (at least zero days: the device's fabrication date is not known here).
    nwb.subject = Subject(subject_id=f"{board['name']}-neuron", sex="O", age="P0D/",
                          description="a halide-perovskite artificial neuron (volatile memristive switch and 300 pF "
                                      "capacitor), not an organism")
    nwb.units = Units(name="units", description="spikes of each neuron channel: threshold crossings in s",
                      resolution=1.0 / rate)
    nwb.add_unit_column(name="channel", description="the neuron's id in the board file")
    spikes = pd.read_csv(os.path.join(run, "spikes.csv"), comment="#")
    intervals = TimeIntervals(name="pulses", description="stimulus pulses: runs of non-zero commanded stimulus")
    intervals.add_column(name="amplitude", description="commanded stimulus in volts")
    intervals.add_column(name="channel", description="the neuron's id in the board file")
    rows = []
    for channel, trace in sorted(traces(run).items()):
        t = trace["time_s"].to_numpy(np.float64)
        for name, column, target in (("membrane", "membrane_v", nwb.add_acquisition), ("stimulus", "stimulus_v", nwb.add_stimulus)):
            # A simulated run samples exactly on the rate's grid; a real-time run keeps its measured times.
            regular = len(t) > 1 and np.allclose(np.diff(t), 1.0 / rate, rtol=0, atol=2e-7)
            timing = dict(starting_time=float(t[0]), rate=rate) if regular else dict(timestamps=t)
            target(TimeSeries(
                name=f"{name}_neuron{channel}", data=trace[column].to_numpy(np.float32), **timing,
                unit="volts", conversion=1.0, resolution=-1.0,
                description=("capacitor voltage read by the ADC" if name == "membrane" else "stimulus voltage commanded to the DAC")
                            + f" of neuron {channel}; NaN where its read failed"))
        rows += list(pulses(channel, trace))
    for start, stop, amplitude, channel in sorted(rows):
        intervals.add_row(start_time=start, stop_time=stop, amplitude=amplitude, channel=channel)
    if rows:
        nwb.add_time_intervals(intervals)
    for channel in sorted(set(traces(run)) | set(spikes["channel"].astype(int))):
        times = spikes.loc[spikes["channel"] == channel, "crossing_s"].to_numpy(np.float64)
        nwb.add_unit(spike_times=times, channel=channel)
    with NWBHDF5IO(out, "w") as io:
        io.write(nwb)
    print(f"{len(spikes)} spikes of {len(nwb.units)} units written to {out}")


if __name__ == "__main__":
    main()
