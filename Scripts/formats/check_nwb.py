#!/usr/bin/env python3
"""Checks an NWB file that `neuronctl export nwb` wrote: pynwb reads back exactly the spikes of spikes.csv per
channel, the traces and pulses are there with their units, and nwbinspector finds nothing critical.

Usage: check_nwb.py RUN_DIR FILE.nwb   (exit 1 on any difference or critical finding)
"""
import os
import sys

import numpy as np
import pandas as pd
from nwbinspector import Importance, inspect_nwbfile
from pynwb import NWBHDF5IO


def main():
    run, path = sys.argv[1], sys.argv[2]
    spikes = pd.read_csv(os.path.join(run, "spikes.csv"), comment="#")
    failures = []
    with NWBHDF5IO(path, "r") as io:
        nwb = io.read()
        units = nwb.units.to_dataframe()
        for _, unit in units.iterrows():
            want = spikes.loc[spikes["channel"] == unit["channel"], "crossing_s"].to_numpy(np.float64)
            if not np.array_equal(np.asarray(unit["spike_times"], np.float64), want):
                failures.append(f"unit of channel {unit['channel']}: spike times differ from spikes.csv")
        if sum(len(u) for u in units["spike_times"]) != len(spikes):
            failures.append(f"{sum(len(u) for u in units['spike_times'])} spikes in the units, {len(spikes)} in spikes.csv")
        for series in list(nwb.acquisition.values()) + list(nwb.stimulus.values()):
            if series.unit != "volts" or series.conversion != 1.0:
                failures.append(f"{series.name}: unit {series.unit}, conversion {series.conversion}")
        pulses = len(nwb.intervals["pulses"]) if "pulses" in nwb.intervals else 0
        print(f"pynwb    {path}: {len(units)} units, {len(spikes)} spikes equal to spikes.csv: {not failures}; "
              f"series {sorted(nwb.acquisition) + sorted(nwb.stimulus)}; {pulses} pulses; resolution {nwb.units.resolution} s")
    findings = list(inspect_nwbfile(nwbfile_path=path))
    for f in findings:
        print(f"nwbinspector {f.importance.name}: {f.check_function_name}: {f.message}")
        if f.importance == Importance.CRITICAL or f.importance == Importance.ERROR:
            failures.append(f"nwbinspector: {f.check_function_name}")
    for f in failures:
        print("FAIL", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
