"""Writes sklearn_metrics.json: scikit-learn 1.2's values for the cases the
Go tests of package eval check. Run with a Python that has scikit-learn:

    python3 sklearn_metrics.py > sklearn_metrics.json
"""
import json
import sys

import numpy as np
import sklearn
from sklearn import metrics
from sklearn.calibration import calibration_curve


def case(name, y, p, threshold=0.5):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    pred = (p >= threshold).astype(int)
    tn, fp, fn, tp = metrics.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    fpr, tpr, roc_thr = metrics.roc_curve(y, p, drop_intermediate=False)
    prec, rec, pr_thr = metrics.precision_recall_curve(y, p)
    frac, mean = calibration_curve(y, p, n_bins=10, strategy="uniform")
    return {
        "name": name,
        "y": y.tolist(),
        "p": p.tolist(),
        "threshold": threshold,
        "accuracy": metrics.accuracy_score(y, pred),
        "precision": metrics.precision_score(y, pred, zero_division=0),
        "recall": metrics.recall_score(y, pred, zero_division=0),
        "f1": metrics.f1_score(y, pred, zero_division=0),
        "roc_auc": metrics.roc_auc_score(y, p),
        "pr_auc": metrics.average_precision_score(y, p),
        "log_loss": metrics.log_loss(y, p, labels=[0, 1]),
        "brier": metrics.brier_score_loss(y, p),
        "confusion": {"tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn)},
        # roc_curve: (fpr, tpr, threshold) in increasing fpr.
        "roc": [[float(a), float(b), float(c)] for a, b, c in zip(fpr, tpr, roc_thr)],
        # precision_recall_curve reversed to increasing recall, without the
        # final (recall 0, precision 1) point that has no threshold.
        "pr": [[float(r), float(q), float(t)] for r, q, t in
               reversed(list(zip(rec[:-1], prec[:-1], pr_thr)))],
        # calibration_curve keeps only the non-empty bins.
        "calibration": {"frac_positive": frac.tolist(), "mean_predicted": mean.tolist()},
    }


rng = np.random.default_rng(20240501)
cases = [
    case("hand", [0, 0, 1, 1, 0, 1, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.5, 0.5, 0.9, 0.2]),
    case("ties", [1, 0, 1, 0, 1, 1, 0, 0, 1, 0], [0.5, 0.5, 0.5, 0.5, 0.7, 0.7, 0.2, 0.2, 0.2, 1.0]),
    case("extremes", [1, 0, 1, 0], [1.0, 0.0, 0.0, 1.0]),
]
y = rng.integers(0, 2, 300)
p = np.clip(np.round(0.35 * y + rng.uniform(0, 0.65, 300), 2), 0, 1)
cases.append(case("random300", y, p))
y = (rng.uniform(size=500) < 0.1).astype(int)
p = 1 / (1 + np.exp(-(rng.normal(size=500) + 1.5 * y - 2)))
cases.append(case("imbalanced500_t03", y, p, threshold=0.3))
json.dump({"sklearn": sklearn.__version__, "cases": cases}, sys.stdout)
print()
