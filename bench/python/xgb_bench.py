#!/usr/bin/python3
"""XGBoost's side of the imported-model benchmark.

Trains a binary:logistic booster of TREES trees of depth DEPTH on synthetic
heart-shaped rows (13 features, a few missing values), saves it as JSON,
writes ROWS rows to score as raw float32 (row-major, little-endian) with
XGBoost's probabilities for them, and times XGBoost itself: loading the
JSON model, predicting every row (inplace_predict on the numpy array, all
cores) and predicting one row (median over REPEATS calls).

Usage: xgb_bench.py OUTDIR [--trees 1000] [--depth 8] [--rows 1000000]
Writes OUTDIR/model.json, rows.f32, probs.f32 and python.json (timings).
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import xgboost as xgb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--trees", type=int, default=1000)
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--train-rows", type=int, default=50000)
    ap.add_argument("--repeats", type=int, default=2000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(7)

    def rows(n):
        X = np.column_stack([
            rng.normal(54, 9, n), rng.integers(0, 2, n), rng.integers(1, 5, n), rng.normal(131, 17, n),
            rng.normal(246, 51, n), rng.integers(0, 2, n), rng.integers(0, 3, n), rng.normal(150, 23, n),
            rng.integers(0, 2, n), rng.exponential(1.0, n), rng.integers(1, 4, n), rng.integers(0, 4, n),
            rng.choice([3.0, 6.0, 7.0], n)]).astype(np.float64)
        X[rng.random(X.shape) < 0.01] = np.nan
        return X

    Xt = rows(a.train_rows)
    logit = 0.04 * (Xt[:, 0] - 54) + 0.8 * (Xt[:, 2] == 4) - 0.02 * (Xt[:, 7] - 150) + 0.5 * np.nan_to_num(Xt[:, 9])
    y = (rng.random(a.train_rows) < 1 / (1 + np.exp(-logit))).astype(np.float64)
    t = time.perf_counter()
    b = xgb.train({"objective": "binary:logistic", "max_depth": a.depth, "eta": 0.05, "tree_method": "hist",
                   "max_bin": 256, "min_child_weight": 0, "seed": 7},
                  xgb.DMatrix(Xt, label=y, missing=np.nan), num_boost_round=a.trees)
    train_s = time.perf_counter() - t
    path = os.path.join(a.out, "model.json")
    b.save_model(path)

    X = rows(a.rows)
    X.astype(np.float32).tofile(os.path.join(a.out, "rows.f32"))
    t = time.perf_counter()
    loaded = xgb.Booster(model_file=path)
    load_s = time.perf_counter() - t
    X32 = X.astype(np.float32)
    loaded.inplace_predict(X32[:10])  # warm up
    t = time.perf_counter()
    p = loaded.inplace_predict(X32)
    batch_s = time.perf_counter() - t
    p.astype(np.float32).tofile(os.path.join(a.out, "probs.f32"))
    one = X32[:1]
    lat = []
    for i in range(a.repeats):
        one = X32[i % a.rows:i % a.rows + 1]
        t = time.perf_counter_ns()
        loaded.inplace_predict(one)
        lat.append(time.perf_counter_ns() - t)
    out = {"xgboost": xgb.__version__, "trees": a.trees, "depth": a.depth, "rows": a.rows, "train_s": train_s,
           "load_s": load_s, "batch_s": batch_s, "one_row_median_us": statistics.median(lat) / 1000,
           "model_bytes": os.path.getsize(path)}
    with open(os.path.join(a.out, "python.json"), "w") as f:
        json.dump(out, f)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
