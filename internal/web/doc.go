// Package web is Steward's dashboard: five server-rendered pages (Go
// templates from templates/dashboard_*.html.tmpl, charts as inline SVG
// from package chart, no JavaScript) for the people who look after a
// model:
//
//	/models     model performance: versions, aliases, metrics, hold-out
//	            curves, champion against challenger, champion history
//	/drift      drift analysis: the latest check per feature with its
//	            reference-against-current histograms, drift-score history
//	/approvals  pending requests, each opening the same decision page as
//	            the email links (deciding calls the same
//	            approval.Service.Decide), and decided history
//	/trends     prediction volume, latency percentiles, probability
//	            distribution, drift score and realised performance over time
//	/agent      the agent's decisions, each expanding to its evidence chain
//
// plus /reports/{kind}/{id} (renders a report on first use, see package
// report), /view/{key} (a stored rendered report) and /evidence/{key}
// (what an approval request or an audit event names by artifact key: a
// model bundle or dataset as a download, a run record or drift report as
// its report page; the decision page of a signed email link, at
// /approvals/{id} of the same site, links there).
//
// The Handler is an httpedge.Handler, so the same code runs on Lambda
// behind API Gateway (functions/dashboard, through httpedge/apigw) and in
// `steward serve`, whose local gateway mounts it at /.
//
// Nothing is anonymous. Operators sign in with a name and password; only
// an argon2id hash of the password is stored (see Operators; argon2id is
// memory-hard, so a stolen table resists GPU guessing better than bcrypt
// or PBKDF2, and has no 72-byte limit). A session is an HMAC-signed
// cookie (HttpOnly, Secure, SameSite=Strict, 12 hours) naming the
// operator and a generation that deleting the operator invalidates. Every
// POST, the sign-in form included, must carry a CSRF token derived from a
// per-session nonce; without it the request is refused with 403. The
// cookie and CSRF keys are derived with HKDF from the platform's signing
// key. Secure is dropped only when Config.InsecureLoopback is set and the
// request came over plain http to a loopback address (the local
// `steward serve`); browsers refuse Secure cookies over http otherwise.
//
// Pages stay fast on a year of history: drift checks are read from the
// monitor's summary records (one small record each, MonitorHistory), and
// captured predictions from hourly
// and daily aggregates (Trends) with latency and probability histograms,
// each hour read once after it ends.
package web
