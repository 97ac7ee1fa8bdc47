"""Writes sklearn_cv.json: the cross-validated scores of scikit-learn's and
XGBoost's counterparts of Steward's families on the folds Run draws for
Cleveland (cleveland_folds.json, 5 folds x 3 repeats, seed 0, no hold-out),
with the same fold-local preprocessing:

  logreg  median / most-frequent imputation, StandardScaler on numeric and
          binary features, one-hot categorical features;
          LogisticRegression(C=1, lbfgs, max_iter=1000)
  forest  imputation; RandomForestClassifier(n_estimators=100)
  gbdt    imputation; XGBClassifier(n_estimators=100, max_depth=6,
          learning_rate=0.1, tree_method="hist")

Scores are means over the 15 folds; a row is predicted positive when its
probability is >= 0.5.

    python3 sklearn_cv.py ../../../testdata/heart/processed.cleveland.data > sklearn_cv.json
"""
import json
import sys

import numpy as np
import pandas as pd
import sklearn
import xgboost
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

cols = "age sex cp trestbps chol fbs restecg thalach exang oldpeak slope ca thal num".split()
numeric = ["age", "trestbps", "chol", "thalach", "oldpeak", "ca"]
binary = ["sex", "fbs", "exang"]
categorical = ["cp", "restecg", "slope", "thal"]
df = pd.read_csv(sys.argv[1], names=cols, na_values="?")
y = (df.pop("num") > 0).astype(int).to_numpy()
X = df

with open("cleveland_folds.json") as f:
    folds = json.load(f)


def impute():
    return ColumnTransformer([
        ("n", SimpleImputer(strategy="median"), [c for c in cols[:-1] if c in numeric]),
        ("o", SimpleImputer(strategy="most_frequent"), [c for c in cols[:-1] if c not in numeric]),
    ])


def logreg():
    ct = ColumnTransformer([
        ("n", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("b", make_pipeline(SimpleImputer(strategy="most_frequent"), StandardScaler()), binary),
        ("c", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), categorical),
    ])
    return make_pipeline(ct, LogisticRegression(C=1.0, max_iter=1000))


models = {
    "logreg": logreg,
    "forest": lambda: make_pipeline(impute(), RandomForestClassifier(n_estimators=100, random_state=0)),
    "gbdt": lambda: make_pipeline(impute(), xgboost.XGBClassifier(
        n_estimators=100, max_depth=6, learning_rate=0.1, tree_method="hist", n_jobs=2, random_state=0)),
    "sklearn_gradient_boosting": lambda: make_pipeline(impute(), GradientBoostingClassifier(random_state=0)),
}

out = {}
for name, make in models.items():
    auc, acc, f1 = [], [], []
    for fold in folds:
        m = make()
        m.fit(X.iloc[fold["train"]], y[fold["train"]])
        p = m.predict_proba(X.iloc[fold["test"]])[:, 1]
        yt = y[fold["test"]]
        auc.append(roc_auc_score(yt, p))
        acc.append(accuracy_score(yt, p >= 0.5))
        f1.append(f1_score(yt, p >= 0.5))
    out[name] = {"roc_auc": float(np.mean(auc)), "accuracy": float(np.mean(acc)), "f1": float(np.mean(f1))}

json.dump({"versions": {"sklearn": sklearn.__version__, "xgboost": xgboost.__version__}, "families": out}, sys.stdout, indent=1)
print()
