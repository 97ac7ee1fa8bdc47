#!/usr/bin/python3
"""Reference evaluator for interop/model.json (pure numpy, no xgboost needed).

Shows the exact semantics a Go reader must follow to reproduce xgboost 1.7:
  * input converted to float32; go left iff x < split_condition (strict), NaN -> default_left
  * margin = float32(base_margin) + sum of leaf values, accumulated in float32, tree order
    (base_margin = logit(base_score) = 0 for base_score 0.5 and binary:logistic)
  * proba_1 = 1 / (expf(min(-margin, 88.7)) + 1 + 1e-16) in float32 (xgboost common::Sigmoid)
  This reproduces xgboost's predict_proba bit-for-bit on expected50.csv and edge_rows.csv.
It also emulates github.com/dmitryikh/leaves' XGBoost path (float64 input, x <= split,
base_score added raw as a margin) to explain leaves' mismatch (see README.md).

Usage: /usr/bin/python3 interop/json_predict.py
"""
import json
import math
import os

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))


def load_trees(path):
    m = json.load(open(path))
    learner = m["learner"]
    base_score = float(learner["learner_model_param"]["base_score"])
    trees = learner["gradient_booster"]["model"]["trees"]
    return base_score, trees


def eval_tree(t, x, mode):
    left, right = t["left_children"], t["right_children"]
    feat, cond, dleft = t["split_indices"], t["split_conditions"], t["default_left"]
    i = 0
    while left[i] != -1:
        v = x[feat[i]]
        if np.isnan(v):
            i = left[i] if dleft[i] else right[i]
        elif mode == "xgboost":
            i = left[i] if np.float32(v) < np.float32(cond[i]) else right[i]
        else:  # leaves: float64 input, <= threshold (threshold is the float32 value)
            i = left[i] if float(v) <= float(np.float32(cond[i])) else right[i]
    return cond[i]  # leaf value is stored in split_conditions for leaves


def predict(trees, base_score, X, mode):
    out = []
    for x in X:
        if mode == "xgboost":
            m = np.float32(np.log(base_score / (1 - base_score)))
            for t in trees:
                m = np.float32(m + np.float32(eval_tree(t, x, mode)))
            # xgboost common::Sigmoid: 1 / (expf(min(-x, 88.7)) + 1 + 1e-16), all float32;
            # float32(exp computed in float64) reproduces glibc expf bit-for-bit here.
            e = np.float32(math.exp(min(-float(m), 88.7)))
            p = np.float32(1) / (e + np.float32(1) + np.float32(1e-16))
        else:
            m = base_score
            for t in trees:
                m += float(np.float32(eval_tree(t, x, mode)))
            p = 1 / (1 + np.exp(-m))
        out.append((m, p))
    return np.array(out, dtype=np.float64)


def main():
    base_score, trees = load_trees(os.path.join(HERE, "model.json"))
    for name in ["expected50.csv", "edge_rows.csv"]:
        df = pd.read_csv(os.path.join(HERE, name))
        X = df.iloc[:, :13].to_numpy(dtype=np.float64)
        want_m, want_p = df["margin"].to_numpy(), df["proba_1"].to_numpy()
        ref = predict(trees, base_score, X, "xgboost")
        lv = predict(trees, base_score, X, "leaves")
        bits = np.asarray(ref[:, 1], dtype=np.float32).view(np.uint32)
        want_bits = np.array([int(h, 16) for h in df["proba_1_f32hex"]], dtype=np.uint32)
        print(f"{name}: reference evaluator max|dmargin|={np.max(np.abs(ref[:, 0] - want_m)):.3g} "
              f"max|dproba|={np.max(np.abs(ref[:, 1] - want_p)):.3g} "
              f"bit-identical proba rows={int(np.sum(bits == want_bits))}/{len(df)}")
        print(f"{name}: leaves-emulation     max|dmargin|={np.max(np.abs(lv[:, 0] - want_m)):.3g} "
              f"rows off by >1e-5 in proba={int(np.sum(np.abs(lv[:, 1] - want_p) > 1e-5))}/{len(df)}")


if __name__ == "__main__":
    main()
