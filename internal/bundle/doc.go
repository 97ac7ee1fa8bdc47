// Package bundle defines Steward's model bundle, the immutable artifact a
// training run produces and every consumer loads: the serving path scores
// with it, drift checks read its reference profile, reports read its
// evaluation.
//
// A bundle is a tar archive with fixed headers (no times, owners or modes
// that vary) holding:
//
//	manifest.json    Manifest: schema, preprocessing, family, parameters,
//	                 metrics (CV mean/std and hold-out), dataset digest, code
//	                 version, seed, threshold, feature importances, and the
//	                 SHA-256 of every other member
//	model.bin        the model family's payload (ml.Model.MarshalBinary)
//	profile.json     the reference profile of the training data for drift
//	                 checks (optional)
//	evaluation.json  Evaluation: hold-out and out-of-fold reports with ROC
//	                 and PR curve points and calibration bins (optional)
//
// Its digest ("sha256:<hex>") is the SHA-256 of the archive encoded with the
// manifest's Training section (wall-clock start and duration) zeroed, so the
// same data, configuration and seed give the same digest whenever and
// wherever they are trained. The archive is stored under Key(digest) in the
// artifact store.
//
// A Predictor loads a bundle and scores rows given in schema order, as maps
// of feature name to value, or as matrices, checking each value against the
// schema and reporting a problem as a *FieldError (row index, field, what was
// expected). Explain reports per-feature contributions in the original
// feature space: one-hot columns are summed back into their feature, and
// base + sum of contributions = margin.
package bundle
