"""Reads neuronctl's NPY trace (`--trace-format npy`, docs/formats.md#npy-trace-for-long-runs) with numpy alone.

read(path): the records, every whole row on disk; also a file cut short by `kill -9` or a full disk, whose
header may count fewer rows than were written. frame(path): the CSV trace's columns as a pandas DataFrame.
"""
import numpy as np


def read(path):
    """The file's records: every whole row after the header (the header's row count is not needed)."""
    with open(path, "rb") as f:
        np.lib.format.read_magic(f)
        _, _, dtype = np.lib.format.read_array_header_1_0(f)
        return np.fromfile(f, dtype=dtype)


def frame(path):
    """time_s, stimulus_v, membrane_v and pulse as trace.csv has them (pulse: counted from the stimulus's rises)."""
    import pandas as pd
    a = read(path)
    t = np.unwrap(a["time_us"].astype(np.int64), period=1 << 32)  # exact past the 2^32 µs wrap (71.6 min)
    stimulus = a["stimulus_100uv"].astype(np.float64) * 1e-4
    on = stimulus != 0
    rises = on & ~np.concatenate(([False], on[:-1]))
    return pd.DataFrame({"time_s": t * 1e-6, "stimulus_v": stimulus, "membrane_v": a["membrane_v"],
                         "pulse": np.cumsum(rises) - 1})
