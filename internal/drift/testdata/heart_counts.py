#!/usr/bin/python3
"""Reduce the drift benchmark's synthetic heart data to what the tests need.

Every statistic in drift_values.json is a function of each feature's value
counts (the data are integers and one-decimal numbers), so the tests rebuild
the samples from the counts instead of committing the CSVs (80 MB at 1M rows).

Usage: python3 heart_counts.py DATA_DIR > heart_value_counts.json
where DATA_DIR holds heart_<N>.csv and heart_drift_<N>.csv written by the
baseline's data.py, for N in 303, 10000, 100000, 1000000.
"""
import json
import os
import sys

import numpy as np
import pandas as pd

FEATURES = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg",
            "thalach", "exang", "oldpeak", "slope", "ca", "thal"]


def counts(col):
    v, c = np.unique(col.to_numpy(dtype=np.float64), return_counts=True)
    return [[float(a), int(b)] for a, b in zip(v, c)]


def main():
    data = sys.argv[1]
    out = {}
    for n in [303, 10000, 100000, 1000000]:
        ref = pd.read_csv(os.path.join(data, f"heart_{n}.csv"))
        cur = pd.read_csv(os.path.join(data, f"heart_drift_{n}.csv"))
        out[str(n)] = {f: {"ref": counts(ref[f]), "cur": counts(cur[f])} for f in FEATURES}
    json.dump(out, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
