// Package eval scores a binary classifier's predicted probabilities against
// 0/1 labels: the threshold metrics (accuracy, precision, recall, F1 and the
// confusion matrix), the ranking metrics (ROC AUC and average precision, the
// area under the precision-recall curve), the probabilistic ones (log loss,
// Brier score), and the curves and calibration bins a report draws.
//
// Every function is pure over slices and follows scikit-learn's definitions,
// so that Steward's numbers can be checked against sklearn's: ties among
// scores are grouped as sklearn's roc_curve and precision_recall_curve group
// them, an undefined ratio (no predicted positives) is 0, and log loss
// clips probabilities to [eps, 1-eps] with eps the float64 machine epsilon.
// A row counts as predicted positive when its probability is >= the
// threshold.
package eval
