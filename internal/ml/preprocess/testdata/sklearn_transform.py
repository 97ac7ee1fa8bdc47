"""Writes sklearn_transform.json: scikit-learn 1.2's output for the Go test
of package preprocess. The pipelines are fitted on the first 200 rows of
the Cleveland file and applied to the other 103; the columns are emitted in
the feature order of the file, one-hot levels ascending.

    python3 sklearn_transform.py ../../../../testdata/heart/processed.cleveland.data > sklearn_transform.json
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

cols = "age sex cp trestbps chol fbs restecg thalach exang oldpeak slope ca thal num".split()
kinds = dict(age="numeric", sex="binary", cp="categorical", trestbps="numeric", chol="numeric",
             fbs="binary", restecg="categorical", thalach="numeric", exang="binary",
             oldpeak="numeric", slope="categorical", ca="numeric", thal="categorical")
df = pd.read_csv(sys.argv[1], names=cols, na_values="?").drop(columns="num")
train, test = df.iloc[:200], df.iloc[200:]


def out(one_hot_scale):
    parts = []
    for c in df.columns:
        strategy = "median" if kinds[c] == "numeric" else "most_frequent"
        if one_hot_scale and kinds[c] == "categorical":
            p = make_pipeline(SimpleImputer(strategy=strategy), OneHotEncoder(handle_unknown="ignore", sparse_output=False))
        elif one_hot_scale:
            p = make_pipeline(SimpleImputer(strategy=strategy), StandardScaler())
        else:
            p = SimpleImputer(strategy=strategy)
        p.fit(train[[c]])
        parts.append(np.asarray(p.transform(test[[c]]), dtype=float))
    return np.hstack(parts)


json.dump({"kinds": kinds, "train_rows": 200,
           "raw": out(False).tolist(), "scaled_one_hot": out(True).tolist()}, sys.stdout)
print()
