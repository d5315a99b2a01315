#!/usr/bin/env python3
"""Reads AEDAT 2.0 files with tonic and with pyNAVIS and checks that each holds exactly the spikes of a spike record.

Usage: check_aedat.py SPIKES.csv FILE.aedat...   (exit 1 on any difference; Scripts/test-formats.sh runs it)
"""
import sys

import numpy as np
import pandas as pd
import tonic.io
from pyNAVIS import Loaders, MainSettings


def expected(spikes_csv):
    """(address, timestamp µs) per spike, as neuronctl writes them: channel, crossing truncated to µs."""
    s = pd.read_csv(spikes_csv, comment="#")
    crossing_100ns = np.rint(s["crossing_s"].to_numpy() * 1e7).astype(np.int64)
    return s["channel"].to_numpy(np.int64), crossing_100ns // 10


def with_tonic(path):
    version, start, _ = tonic.io.read_aedat_header_from_file(path)
    if version != 2.0:
        raise ValueError(f"tonic reads version {version}, expected 2.0")
    events = tonic.io.get_aer_events_from_file(path, version, start)
    return events["address"].astype(np.int64), events["timeStamp"].astype(np.int64)


def with_pynavis(path, channels):
    settings = MainSettings(num_channels=channels, mono_stereo=0, address_size=4, timestamp_size=4, ts_tick=1,
                            on_off_both=0, reset_timestamp=False, verbose=False)
    spikes = Loaders.loadAEDAT(path, settings)
    return np.asarray(spikes.addresses, np.int64), np.asarray(spikes.timestamps, np.int64)


def main():
    spikes_csv, files = sys.argv[1], sys.argv[2:]
    want_a, want_t = expected(spikes_csv)
    if len(want_a) == 0:
        sys.exit(f"{spikes_csv}: no spikes, nothing to compare")
    failed = False
    for path in files:
        for reader, (a, t) in (("tonic", with_tonic(path)), ("pyNAVIS", with_pynavis(path, int(want_a.max()) + 1))):
            same = len(a) == len(want_a) and np.array_equal(a, want_a) and np.array_equal(t, want_t)
            print(f"{reader:8} {path}: {len(a)} events, {'every one equal to' if same else 'DIFFERENT from'} {spikes_csv} ({len(want_a)} spikes)")
            failed |= not same
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
