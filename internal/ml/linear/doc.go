// Package linear is Steward's logistic regression: an L2-regularised linear
// model of the log-odds, fitted by L-BFGS (gonum/optimize) with the same
// objective as scikit-learn's LogisticRegression(solver="lbfgs"):
//
//	minimise  sum_i s_i * logloss(y_i, b + x_i·β) + ||β||² / (2C)
//
// where s_i is the sample weight times the class weight, and the intercept b
// is not penalised. Features are expected to be imputed and scaled by
// preprocessing already; Fit rejects missing values.
//
// Contributions are exact: feature j contributes β_j (x_j − m_j), where m_j is
// the weighted training mean of feature j, and the base value is
// b + Σ β_j m_j, so base + Σ contributions is the margin.
package linear
