// Package report renders what people read about a model's life: the
// training report (every candidate's cross-validation scores, ROC and PR
// curves, confusion matrix, calibration, feature importance, the data's
// digest and validation result), the drift report (drift score and, per
// feature, the test, statistic, p-value, adjusted p-value, effect size,
// verdict and reference-versus-current histogram) and the deployment report
// (what was promoted or rolled back, why, who approved, champion and
// candidate side by side).
//
// A Loader reads a report's sources from the stores (run records and model
// bundles, drift reports, the registry's alias history, the audit log and
// approval requests) into a plain view model (Training, Drift,
// Deployment). Render turns a view model into a self-contained HTML page
// (inline CSS and SVG charts from package chart, no scripts, no external
// assets; the templates live in templates/report_*.html.tmpl) or into a PDF
// drawn in pure Go with go-pdf/fpdf and the same charts. Publish stores the
// rendered files in the artifact store under reports/rendered/, where the
// dashboard and the links in emails find them.
//
// The training report of a run is at reports/rendered/training/{run}.{html,pdf},
// a drift report at reports/rendered/drift/{model}/{check}.{html,pdf} and a
// deployment report at reports/rendered/deployment/{model}/{seq}.{html,pdf},
// where seq numbers the champion alias's moves.
package report
