#!/usr/bin/python3
"""Writes the XGBoost interoperability fixtures: models trained and saved by
XGBoost itself, with the outputs XGBoost itself computes for every row.

Run from the repository root with the system Python (Debian bookworm's
python3-xgboost 1.7, python3-pandas, python3-numpy):

    /usr/bin/python3 testdata/interop/xgboost/make_fixtures.py

For each fixture NAME it writes NAME.json and NAME.ubj (the model, in both of
XGBoost's document formats) and NAME.outputs.json:

    {"xgboost": version, "objective": ..., "features": [...],
     "rows": [[x, ...], ...],          # float64 inputs, hex bit patterns
     "margins": [[m, ...], ...],        # predict(output_margin=True), float32 bits
     "predictions": [[p, ...], ...],    # predict(), float32 bits
     "contribs": [[c, ...], ...]}       # predict(pred_contribs=True), float32 bits;
                                        # per row, class after class, bias last

NaN inputs are missing values. The last rows of every fixture are edge rows:
a value exactly on a split threshold, a float64 just below a threshold that
rounds up to it as float32, one missing value, and all values missing.
It also writes heart_logistic.deprecated, the same model in XGBoost's legacy
binary format, which readers must refuse, and libm.txt: glibc's expf and logf
(on which XGBoost's sigmoid, softmax and base margin rest) for a spread of
float32 inputs, one "expf|logf input output" line each, as bit patterns.
"""

import ctypes
import json
import os
import random
import struct

import numpy as np
import pandas as pd
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))

HEART = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach",
         "exang", "oldpeak", "slope", "ca", "thal"]


def heart():
    path = os.path.join(ROOT, "testdata", "heart", "processed.cleveland.data")
    df = pd.read_csv(path, header=None, names=HEART + ["num"], na_values=["?"])
    X = df[HEART].to_numpy(dtype=np.float64)
    y = (df["num"] > 0).astype(np.float64).to_numpy()
    return X, y, HEART


def csv(name, target):
    df = pd.read_csv(os.path.join(ROOT, "testdata", name, name + ".csv"))
    names = [c for c in df.columns if c != target]
    return df[names].to_numpy(dtype=np.float64), df[target].to_numpy(dtype=np.float64), names


def f64(x):
    return struct.pack(">d", float(x)).hex()


def f32(x):
    return struct.pack(">f", np.float32(x)).hex()


def edge_rows(booster, X):
    """Rows that probe the split rule and the missing-value defaults."""
    tree = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"][0]
    feat = tree["split_indices"][0]
    cond = np.float32(tree["split_conditions"][0])
    base = np.array(X[0], dtype=np.float64)
    on = base.copy()
    on[feat] = float(cond)  # exactly on the threshold: XGBoost goes right
    below = base.copy()
    below[feat] = np.nextafter(float(cond), -np.inf)  # rounds up to cond as float32
    under = base.copy()
    under[feat] = float(np.nextafter(cond, np.float32(-np.inf)))  # the float32 below it
    one = base.copy()
    one[feat] = np.nan
    none = np.full_like(base, np.nan)
    return np.vstack([on, below, under, one, none])


def write(name, booster, X, feature_names, feature_types=None, save=True):
    if save:
        booster.save_model(os.path.join(HERE, name + ".json"))
        booster.save_model(os.path.join(HERE, name + ".ubj"))
    rows = np.vstack([X, edge_rows(booster, X)])
    dm = xgb.DMatrix(rows, missing=np.nan, feature_names=feature_names,
                     feature_types=feature_types, enable_categorical=feature_types is not None)
    margins = booster.predict(dm, output_margin=True)
    preds = booster.predict(dm)
    contribs = booster.predict(dm, pred_contribs=True)
    n = rows.shape[0]
    margins = margins.reshape(n, -1)
    preds = preds.reshape(n, -1)
    contribs = contribs.reshape(n, -1)
    out = {
        "xgboost": xgb.__version__,
        "objective": json.loads(booster.save_config())["learner"]["objective"]["name"],
        "features": feature_names,
        "rows": [[f64(v) for v in r] for r in rows],
        "margins": [[f32(v) for v in r] for r in margins],
        "predictions": [[f32(v) for v in r] for r in preds],
        "contribs": [[f32(v) for v in r] for r in contribs],
    }
    with open(os.path.join(HERE, name + ".outputs.json"), "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")


def train(X, y, names, params, rounds, feature_types=None):
    dm = xgb.DMatrix(X, label=y, missing=np.nan, feature_names=names,
                     feature_types=feature_types, enable_categorical=feature_types is not None)
    params = dict(params, seed=7, nthread=1)
    return xgb.train(params, dm, num_boost_round=rounds)


def libm():
    lib = ctypes.CDLL("libm.so.6")
    rng = random.Random(3)
    with open(os.path.join(HERE, "libm.txt"), "w") as f:
        for name, lo, hi in (("expf", -104.0, 89.0), ("expf", -8.0, 8.0), ("logf", 0.0, 1.0), ("logf", 0.0, 1e4)):
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
            for _ in range(3000):
                x = float(np.float32(rng.uniform(lo, hi)))
                f.write("%s %s %s\n" % (name, f32(x), f32(fn(x))))


def steward_export():
    """XGBoost's answers for a model Steward exported (steward_gbdt.json,
    written with Steward's probabilities by the xgboost package's test
    TestWriteExportFixture -update): the round trip Steward -> XGBoost."""
    path = os.path.join(HERE, "steward_gbdt.json")
    with open(os.path.join(HERE, "steward_gbdt.steward.json")) as f:
        rows = json.load(f)["rows"]
    X = np.array([[struct.unpack(">d", struct.pack(">Q", int(h, 16)))[0] for h in r] for r in rows])
    b = xgb.Booster(model_file=path)
    write("steward_gbdt", b, X, b.feature_names, save=False)


def main():
    libm()
    steward_export()
    X, y, names = heart()
    b = train(X, y, names, {"objective": "binary:logistic", "max_depth": 4, "eta": 0.1}, 60)
    write("heart_logistic", b, X, names)
    b.save_model(os.path.join(HERE, "heart_logistic.deprecated"))

    b = train(X, y, names, {"objective": "binary:logitraw", "max_depth": 3, "eta": 0.3,
                            "subsample": 0.8, "colsample_bytree": 0.7}, 40)
    write("heart_logitraw", b, X, names)

    # a base_score away from 0.5 exercises the probability-to-margin conversion
    b = train(X, y, names, {"objective": "reg:logistic", "max_depth": 5, "eta": 0.05,
                            "base_score": float(y.mean()), "tree_method": "hist"}, 80)
    write("heart_reglogistic", b, X, names)

    # categorical splits on chest pain type, slope and thallium
    types = ["c" if n in ("cp", "slope", "thal") else "q" for n in names]
    # small models: the readers' fuzz seeds
    b = train(X, y, names, {"objective": "binary:logistic", "max_depth": 2, "eta": 0.3}, 3)
    write("tiny_logistic", b, X, names)
    b = train(X, y, names, {"objective": "multi:softprob", "num_class": 2, "max_depth": 2, "eta": 0.3,
                            "tree_method": "hist", "max_cat_to_onehot": 1}, 2, feature_types=types)
    write("tiny_categorical", b, X, names, feature_types=types)
    b = train(X, y, names, {"objective": "binary:logistic", "max_depth": 4, "eta": 0.1,
                            "tree_method": "hist", "max_cat_to_onehot": 1}, 30, feature_types=types)
    write("heart_categorical", b, X, names, feature_types=types)

    X, y, names = csv("wine", "cultivar")
    b = train(X, y, names, {"objective": "multi:softprob", "num_class": 3, "max_depth": 3,
                            "eta": 0.2}, 25)
    write("wine_softprob", b, X, names)
    b = train(X, y, names, {"objective": "multi:softmax", "num_class": 3, "max_depth": 2,
                            "eta": 0.3, "num_parallel_tree": 2, "subsample": 0.7}, 10)
    write("wine_softmax", b, X, names)

    X, y, names = csv("diabetes", "progression")
    b = train(X, y, names, {"objective": "reg:squarederror", "max_depth": 6, "eta": 0.05,
                            "base_score": float(y.mean())}, 150)
    write("diabetes_squarederror", b, X, names)


if __name__ == "__main__":
    main()
