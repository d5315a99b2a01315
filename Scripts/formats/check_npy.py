#!/usr/bin/env python3
"""Checks neuronctl's NPY trace (--trace-format npy) against the CSV trace of the same run, and a trace cut by
kill -9 against a complete one.

Usage: check_npy.py same TRACE.csv TRACE.npy   np.load reads the closed file; it is byte for byte what np.save
                                               writes for that array; times and stimuli equal the CSV's exactly,
                                               membrane voltages within the CSV's 6 decimals, the pulse column
                                               counted from the stimulus's rises
       check_npy.py prefix KILLED.npy COMPLETE.npy   every whole row of the killed run's file (read after the
                                               header, as docs/formats.md shows) is a prefix of the complete run's
"""
import io
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import npy_trace  # noqa: E402


def fail(message):
    print("error: " + message, file=sys.stderr)
    sys.exit(1)


def same(csv_path, npy_path):
    a = np.load(npy_path)
    buffer = io.BytesIO()
    np.save(buffer, a)
    with open(npy_path, "rb") as f:
        if f.read() != buffer.getvalue():
            fail(f"{npy_path}: not byte for byte what np.save writes for the array it holds")
    if a.dtype.itemsize != 10:
        fail(f"{npy_path}: {a.dtype.itemsize} bytes a row, expected 10")
    c = pd.read_csv(csv_path, comment="#")
    if len(c) != len(a):
        fail(f"{npy_path}: {len(a)} rows, the CSV has {len(c)}")
    if not (np.round(c["time_s"].to_numpy() * 1e6).astype(np.int64) == a["time_us"]).all():
        fail("time_us differs from the CSV's time_s")
    if not (np.round(c["stimulus_v"].to_numpy() * 1e4).astype(np.int64) == a["stimulus_100uv"]).all():
        fail("stimulus_100uv differs from the CSV's stimulus_v")
    worst = np.nanmax(np.abs(c["membrane_v"].to_numpy() - a["membrane_v"].astype(np.float64)))
    if worst > 5.0001e-7:
        fail(f"membrane_v differs from the CSV's by {worst} V (the CSV keeps 6 decimals)")
    f = npy_trace.frame(npy_path)
    if not (f["pulse"].to_numpy() == c["pulse"].to_numpy()).all():
        fail("the pulse index counted from the stimulus's rises differs from the CSV's pulse column")
    print(f"ok: {npy_path}: {len(a)} rows equal the CSV's ({os.path.getsize(csv_path) / len(c):.1f} bytes a row there, "
          f"{(os.path.getsize(npy_path) - 192) / len(a):.1f} here)")


def prefix(killed_path, complete_path):
    with open(killed_path, "rb") as f: np.lib.format.read_magic(f); a = np.fromfile(f, dtype=np.lib.format.read_array_header_1_0(f)[2])  # noqa: E702,E501 the documented one-liner
    b = np.load(complete_path)
    whole = (os.path.getsize(killed_path) - 192) // 10
    if len(a) != whole or len(a) == 0:
        fail(f"{killed_path}: read {len(a)} rows, the file holds {whole} whole rows")
    n = min(len(a), len(b))
    if not (a[:n] == b[:n]).all():
        fail(f"{killed_path}: its rows are not a prefix of the complete run's")
    if not (np.diff(a["time_us"].astype(np.int64)) > 0).all():
        fail(f"{killed_path}: times do not increase")
    counted = np.load(killed_path)
    print(f"ok: {killed_path}: {len(a)} whole rows after kill -9 (the header counted {len(counted)}), "
          f"the first {n} equal the complete run's")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("same", "prefix"):
        fail(__doc__)
    (same if sys.argv[1] == "same" else prefix)(sys.argv[2], sys.argv[3])
