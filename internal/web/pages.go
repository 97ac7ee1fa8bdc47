package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/ml/eval"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/report/chart"
	"github.com/stewardml/steward/internal/store"
)

// page is what every dashboard page shows around its content.
type page struct {
	Title    string
	Base     string
	Active   string
	Operator string
	CSRF     string
	Models   []string
	Model    string
	Now      time.Time
	Pending  int
}

func (h *Handler) page(r *request, active, title string) (page, error) {
	p := page{Title: title, Base: r.base, Active: active, Operator: r.op.Name, CSRF: h.keys.csrfToken(r.sess.Nonce), Now: h.now().UTC()}
	models, err := h.cfg.Registry.Models(r.ctx)
	if err != nil {
		return p, err
	}
	for _, m := range models {
		p.Models = append(p.Models, m.Name)
	}
	want := r.query.Get("model")
	if want == "" {
		want = h.cfg.DefaultModel
	}
	for _, m := range p.Models {
		if m == want {
			p.Model = m
		}
	}
	if p.Model == "" && len(p.Models) > 0 {
		p.Model = p.Models[0]
	}
	if pending, err := h.cfg.Approvals.List(r.ctx, true, 100); err == nil {
		p.Pending = len(pending)
	}
	return p, nil
}

// bundleCache keeps the evaluations and feature columns of bundles
// already read: bundles are immutable, so an entry never goes stale.
type bundleCache struct {
	artifacts store.ArtifactStore
	mu        sync.Mutex
	evals     map[string]*bundle.Evaluation
	features  map[string][]dataset.Column
}

// columns returns the feature columns of a bundle's schema, by name.
func (c *bundleCache) columns(r *request, key string) (map[string]*dataset.Column, error) {
	if _, err := c.evaluation(r, key); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]*dataset.Column{}
	for i, col := range c.features[key] {
		out[col.Name] = &c.features[key][i]
	}
	return out, nil
}

func (c *bundleCache) evaluation(r *request, key string) (*bundle.Evaluation, error) {
	c.mu.Lock()
	ev, ok := c.evals[key]
	c.mu.Unlock()
	if ok {
		return ev, nil
	}
	data, _, err := c.artifacts.Get(r.ctx, key)
	if err != nil {
		return nil, fmt.Errorf("web: bundle %s: %w", key, err)
	}
	b, err := bundle.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("web: bundle %s: %w", key, err)
	}
	ev = b.Evaluation
	if ev == nil {
		ev = &bundle.Evaluation{}
	}
	c.mu.Lock()
	if c.evals == nil || len(c.evals) > 64 {
		c.evals, c.features = map[string]*bundle.Evaluation{}, map[string][]dataset.Column{}
	}
	c.evals[key], c.features[key] = ev, b.Manifest.Schema.Features
	c.mu.Unlock()
	return ev, nil
}

// versionRow is one version in the models page.
type versionRow struct {
	registry.Version
	Aliases []string
	// Approval is the outcome of the latest approval request for this
	// version (approved, rejected, pending, expired), "" without one.
	Approval string
	// HoldoutRows counts the version's own hold-out rows (read for
	// champion and challenger only).
	HoldoutRows int
}

func (v versionRow) Metric(name string) float64 {
	if x, ok := v.Metrics[name]; ok {
		return x
	}
	return math.NaN()
}

type modelsView struct {
	page
	Versions   []versionRow
	Aliases    []registry.Alias
	History    []registry.AliasMove
	Champion   *versionRow
	Challenger *versionRow
	Comparison []report.MetricRow
	Curves     []chart.Drawer
	Progress   chart.Drawer
	// Live is the latest drift check with realised performance from
	// feedback labels, if any.
	Live *DriftSummary
}

func (h *Handler) modelsPage(r *request) (response, error) {
	p, err := h.page(r, "models", "Model performance")
	if err != nil {
		return response{}, err
	}
	v := modelsView{page: p}
	if p.Model == "" {
		return h.render(http.StatusOK, "page_models", v)
	}
	vers, err := h.cfg.Registry.Versions(r.ctx, p.Model)
	if err != nil {
		return response{}, err
	}
	if v.Aliases, err = h.cfg.Registry.Aliases(r.ctx, p.Model); err != nil {
		return response{}, err
	}
	if v.History, err = h.cfg.Registry.History(r.ctx, p.Model, registry.Champion); err != nil && !errors.Is(err, registry.ErrNotFound) {
		return response{}, err
	}
	sort.Slice(v.History, func(i, j int) bool { return v.History[i].Seq > v.History[j].Seq })
	byNum := map[int]*versionRow{}
	for _, ver := range vers {
		v.Versions = append(v.Versions, versionRow{Version: ver})
	}
	sort.Slice(v.Versions, func(i, j int) bool { return v.Versions[i].Number > v.Versions[j].Number })
	for i := range v.Versions {
		byNum[v.Versions[i].Number] = &v.Versions[i]
	}
	for _, a := range v.Aliases {
		if row := byNum[a.Version]; row != nil {
			row.Aliases = append(row.Aliases, a.Name)
			switch a.Name {
			case registry.Champion:
				v.Champion = row
			case "challenger":
				v.Challenger = row
			}
		}
	}
	if v.Challenger != nil && v.Champion != nil && v.Challenger.Number == v.Champion.Number {
		v.Challenger = nil
	}
	// Champion against challenger: metrics and hold-out curves.
	var names []string
	var reps []*eval.Report
	for _, row := range []*versionRow{v.Champion, v.Challenger} {
		if row == nil {
			continue
		}
		label := fmt.Sprintf("v%d %s", row.Number, strings.Join(row.Aliases, ", "))
		names = append(names, label)
		var rep *eval.Report
		if row.BundleKey != "" {
			if ev, err := h.bundles.evaluation(r, row.BundleKey); err == nil {
				rep = ev.Holdout
			} else {
				h.log.Warn("web: bundle unreadable", "key", row.BundleKey, "err", err)
			}
		}
		reps = append(reps, rep)
		if rep != nil {
			row.HoldoutRows = rep.Metrics.N
		}
	}
	// Approval outcomes, newest request first, so the first seen per
	// version is its latest.
	if reqs, err := h.cfg.Approvals.List(r.ctx, false, 200); err == nil {
		for _, a := range reqs {
			if row := byNum[a.CandidateVersion]; row != nil && a.Model == p.Model && row.Approval == "" {
				row.Approval = string(a.Status)
			}
		}
	}
	if latest, ok, err := h.drift.Latest(r.ctx, p.Model); err == nil && ok && len(latest.Perf) > 0 {
		v.Live = &latest
	}
	if v.Challenger != nil && v.Champion != nil {
		d := report.Deployment{New: &report.VersionSummary{Metrics: v.Challenger.Metrics}, Old: &report.VersionSummary{Metrics: v.Champion.Metrics}}
		v.Comparison = d.Comparison()
	}
	if len(reps) > 0 {
		roc := report.ROCChart("ROC on the hold-out", names, reps)
		pr := report.PRChart("Precision-recall on the hold-out", names, reps)
		cal := report.CalibrationChart("Calibration on the hold-out", names, reps)
		v.Curves = []chart.Drawer{roc, pr, cal}
	}
	// Each version's scores, oldest to newest.
	prog := chart.LineChart{Title: "Scores by version", Width: 460, Height: 300, X: chart.Axis{Label: "version"}, Y: chart.Axis{Label: "score"}}
	for i, m := range []string{"cv_f1", "cv_roc_auc", "holdout_roc_auc", "holdout_f1"} {
		s := chart.Series{Name: metricName(m), Color: chart.Palette[i], Markers: true}
		for j := len(v.Versions) - 1; j >= 0; j-- {
			row := v.Versions[j]
			s.X, s.Y = append(s.X, float64(row.Number)), append(s.Y, row.Metric(m))
		}
		prog.Series = append(prog.Series, s)
	}
	v.Progress = prog
	return h.render(http.StatusOK, "page_models", v)
}

// ranges are the time ranges the drift and trends pages offer.
var ranges = []struct {
	Name  string
	Span  time.Duration
	Daily bool
}{
	{"24h", 24 * time.Hour, false},
	{"7d", 7 * 24 * time.Hour, false},
	{"30d", 30 * 24 * time.Hour, false},
	{"365d", 365 * 24 * time.Hour, true},
}

func pickRange(r *request, def string) (string, time.Duration, bool) {
	want := r.query.Get("range")
	if want == "" {
		want = def
	}
	for _, rg := range ranges {
		if rg.Name == want {
			return rg.Name, rg.Span, rg.Daily
		}
	}
	for _, rg := range ranges {
		if rg.Name == def {
			return rg.Name, rg.Span, rg.Daily
		}
	}
	return "30d", 30 * 24 * time.Hour, false
}

type driftView struct {
	page
	Range      string
	Ranges     []string
	Latest     *report.Drift
	LatestSum  DriftSummary
	Hists      []chart.Drawer
	ScoreChart chart.Drawer
	Recent     []DriftSummary
	Checks     int
	DriftCount int
	Unreadable string
	ReportPath string
	HasPerf    bool
}

func rangeNames() []string {
	out := make([]string, len(ranges))
	for i, rg := range ranges {
		out[i] = rg.Name
	}
	return out
}

func (h *Handler) driftPage(r *request) (response, error) {
	p, err := h.page(r, "drift", "Drift analysis")
	if err != nil {
		return response{}, err
	}
	name, span, daily := pickRange(r, "30d")
	v := driftView{page: p, Range: name, Ranges: rangeNames()}
	if p.Model == "" {
		return h.render(http.StatusOK, "page_drift", v)
	}
	now := h.now().UTC()
	checks, err := h.drift.Checks(r.ctx, p.Model, now.Add(-span), now.Add(time.Minute))
	if err != nil {
		return response{}, err
	}
	v.Checks = len(checks)
	for _, c := range checks {
		if c.Verdict == "drift" {
			v.DriftCount++
		}
	}
	step := time.Hour
	if daily {
		step = 24 * time.Hour
	}
	v.ScoreChart = fitTime(driftScoreChart(checks, daily, now.Add(-span), now, 940, 300), step)
	for i := len(checks) - 1; i >= 0 && len(v.Recent) < 15; i-- {
		v.Recent = append(v.Recent, checks[i])
	}
	latest, ok, err := h.drift.Latest(r.ctx, p.Model)
	if err != nil {
		return response{}, err
	}
	if ok {
		v.LatestSum = latest
		v.ReportPath = "/reports/drift/" + url.PathEscape(p.Model) + "/" + url.PathEscape(latest.ID)
		data, _, err := h.cfg.Artifacts.Get(r.ctx, latest.Key)
		d := &report.Drift{ID: latest.ID, Model: p.Model, Key: latest.Key, CheckedAt: latest.Time, Version: latest.Version}
		if err == nil {
			err = report.DecodeDriftCheck(data, d)
		}
		if err != nil {
			v.Unreadable = err.Error()
		} else {
			v.Latest = d
			// The checked version's schema labels categories and units.
			var cols map[string]*dataset.Column
			if ver, err := h.cfg.Registry.Version(r.ctx, p.Model, latest.Version); err == nil && ver.BundleKey != "" {
				if cols, err = h.bundles.columns(r, ver.BundleKey); err != nil {
					h.log.Warn("web: bundle unreadable", "key", ver.BundleKey, "err", err)
				}
			}
			for _, f := range d.Report.FeatureResults {
				if f.Histogram != nil {
					v.Hists = append(v.Hists, report.DriftHistogram(f, cols[f.Name], 300, 200))
				}
			}
			if pr := d.Report.Prediction; pr != nil && pr.Histogram != nil {
				v.Hists = append(v.Hists, report.DriftHistogram(*pr, nil, 300, 200))
			}
		}
	}
	return h.render(http.StatusOK, "page_drift", v)
}

// driftScoreChart plots the drift score of each check (or each day's
// highest, for a year) against the dataset-drift share.
func driftScoreChart(checks []DriftSummary, daily bool, from, to time.Time, w, hgt float64) chart.LineChart {
	c := chart.LineChart{Title: "Drift score (share of drifted features)", Width: w, Height: hgt,
		X: chart.Axis{Time: true, Min: float64(from.Unix()), Max: float64(to.Unix())}, Y: chart.Axis{Min: 0, Max: 1, Label: "drift score"}}
	s := chart.Series{Name: "drift score", Color: chart.Palette[3], Width: 1.5}
	dr := chart.Series{Name: "dataset drift", Color: "#cf222e", Width: 0.01, Markers: true}
	share := 0.5
	if daily {
		type day struct{ max float64 }
		byDay := map[int64]float64{}
		var days []int64
		for _, ch := range checks {
			d := ch.Time.UTC().Truncate(24 * time.Hour).Unix()
			if _, ok := byDay[d]; !ok {
				days = append(days, d)
				byDay[d] = ch.Score
			}
			byDay[d] = math.Max(byDay[d], ch.Score)
		}
		for _, d := range days {
			s.X, s.Y = append(s.X, float64(d)), append(s.Y, byDay[d])
		}
		s.Name = "highest drift score of the day"
	} else {
		for _, ch := range checks {
			if ch.Verdict == "unreadable" || ch.Verdict == "insufficient_data" {
				continue
			}
			s.X, s.Y = append(s.X, float64(ch.Time.Unix())), append(s.Y, ch.Score)
			if ch.Verdict == "drift" && len(checks) <= 800 {
				dr.X, dr.Y = append(dr.X, float64(ch.Time.Unix())), append(dr.Y, ch.Score)
			}
		}
	}
	if len(checks) > 0 && checks[len(checks)-1].Share > 0 {
		share = checks[len(checks)-1].Share
	}
	c.Series = []chart.Series{s}
	if len(dr.X) > 0 {
		c.Series = append(c.Series, dr)
	}
	c.Refs = []chart.RefLine{{Y: share, Label: fmt.Sprintf("dataset drift at %.2f", share)}}
	return c
}

type approvalsView struct {
	page
	Approver string
	// Waiting are the pending requests; the layout's Pending counts them
	// for the tab's badge.
	Waiting []approval.Request
	Decided []approval.Request
}

func (h *Handler) approvalsPage(r *request) (response, error) {
	p, err := h.page(r, "approvals", "Approvals")
	if err != nil {
		return response{}, err
	}
	all, err := h.cfg.Approvals.List(r.ctx, false, 200)
	if err != nil {
		return response{}, err
	}
	v := approvalsView{page: p, Approver: r.op.Approver()}
	for _, a := range all {
		if a.Status == approval.Pending {
			v.Waiting = append(v.Waiting, a)
		} else {
			v.Decided = append(v.Decided, a)
		}
	}
	return h.render(http.StatusOK, "page_approvals", v)
}

// decisionPage has the fields of the approval decision page template,
// the page the signed email links show.
type decisionPage struct {
	Title        string
	Message      string
	MessageClass string
	Request      *approval.Request
	Brief        *approval.Brief
	Form         *decisionForm
}

type decisionForm struct {
	Action, Approver, Exp, KeyID, Sig, CSRF string
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// approvalPage shows a request on the same page as the email links, with
// a form that decides as the signed-in operator.
func (h *Handler) approvalPage(r *request, id string) (response, error) {
	req, err := h.cfg.Approvals.Get(r.ctx, id)
	if errors.Is(err, approval.ErrNotFound) {
		return h.errorPage(r, http.StatusNotFound, "Not found", "There is no such approval request."), nil
	}
	if err != nil {
		return response{}, err
	}
	p := h.decisionPage(r, req)
	me := r.op.Approver()
	switch {
	case req.Status != approval.Pending:
		p.Title, p.Message, p.MessageClass = "Already decided", decidedMessage(req), "note"
	case !contains(req.Approvers, me):
		p.Title = fmt.Sprintf("%s version %d", req.Model, req.CandidateVersion)
		p.Message, p.MessageClass = fmt.Sprintf("You sign in as %s, who is not among this request's approvers (%s).", me, strings.Join(req.Approvers, ", ")), "bad"
	case !h.now().Before(req.ExpiresAt):
		p.Title, p.Message, p.MessageClass = "Expired", "This request expired at "+req.ExpiresAt.UTC().Format(time.RFC3339)+"; nothing was promoted.", "bad"
	default:
		p.Title = fmt.Sprintf("Approve %s version %d?", req.Model, req.CandidateVersion)
		p.Form = &decisionForm{Action: r.base + "/approvals?request=" + url.QueryEscape(req.ID), Approver: me, CSRF: h.keys.csrfToken(r.sess.Nonce)}
	}
	return h.renderDecision(http.StatusOK, p)
}

// decisionPage is the decision page of req with its brief: evidence
// links open on the dashboard.
func (h *Handler) decisionPage(r *request, req approval.Request) decisionPage {
	others, err := h.cfg.Approvals.List(r.ctx, false, 200)
	if err != nil {
		h.log.Warn("web: earlier approvals unreadable", "err", err)
	}
	b := approval.NewBrief(req, others, func(key string) string { return r.base + "/" + approval.EvidencePath(key) })
	return decisionPage{Request: &req, Brief: &b}
}

func (h *Handler) renderDecision(status int, p decisionPage) (response, error) {
	var b strings.Builder
	if err := h.decide.Execute(&b, p); err != nil {
		return response{}, fmt.Errorf("web: render decision page: %w", err)
	}
	return response{status: status, body: []byte(b.String()), ctype: "text/html; charset=utf-8"}, nil
}

func decidedMessage(r approval.Request) string {
	if r.Decision == nil {
		return fmt.Sprintf("This request is %s.", r.Status)
	}
	verb := "rejected"
	if r.Decision.Approved {
		verb = "approved"
	}
	return fmt.Sprintf("Decided: %s by %s at %s.", verb, r.Decision.By, r.Decision.At.UTC().Format("2006-01-02 15:04:05 MST"))
}

// decideApproval records the operator's decision through the approval
// service, exactly as the email link's form does.
func (h *Handler) decideApproval(r *request, form url.Values) (response, error) {
	id := r.query.Get("request")
	if id == "" {
		id = form.Get("request")
	}
	var approved bool
	switch form.Get("decision") {
	case "approve":
		approved = true
	case "reject":
	default:
		return h.errorPage(r, http.StatusBadRequest, "Bad request", `field "decision": expected "approve" or "reject"`), nil
	}
	req, err := h.cfg.Approvals.Decide(r.ctx, id, r.op.Approver(), approved, form.Get("comment"))
	p := h.decisionPage(r, req)
	switch {
	case errors.Is(err, approval.ErrNotFound):
		return h.errorPage(r, http.StatusNotFound, "Not found", "There is no such approval request."), nil
	case errors.Is(err, approval.ErrAlreadyDecided):
		p.Title, p.Message, p.MessageClass = "Already decided", decidedMessage(req), "note"
		return h.renderDecision(http.StatusConflict, p)
	case errors.Is(err, approval.ErrNotApprover):
		p.Title, p.Message, p.MessageClass = "Not an approver", "You are not among this request's approvers.", "bad"
		return h.renderDecision(http.StatusForbidden, p)
	case errors.Is(err, approval.ErrExpired):
		p.Title, p.Message, p.MessageClass = "Expired", "This request has expired; nothing was promoted.", "bad"
		return h.renderDecision(http.StatusGone, p)
	case errors.Is(err, approval.ErrInvalid):
		return h.errorPage(r, http.StatusBadRequest, "Bad request", err.Error()), nil
	case errors.Is(err, approval.ErrCallbackPending):
		p.Title, p.Message, p.MessageClass = "Decision recorded", decidedMessage(req)+" Steward could not resume the workflow yet and will retry.", "bad"
		return h.renderDecision(http.StatusAccepted, p)
	case err != nil:
		return response{}, err
	}
	h.log.Info("web: approval decided", "request", req.ID, "approved", approved, "by", r.op.Name)
	champion := -1
	if a, err := h.cfg.Registry.Aliases(r.ctx, req.Model); err == nil {
		champion = 0
		for _, al := range a {
			if al.Name == registry.Champion {
				champion = al.Version
			}
		}
	}
	p.Title, p.Message, p.MessageClass = "Thank you", approval.YourDecision(req, champion), "ok"
	return h.renderDecision(http.StatusOK, p)
}

type trendsView struct {
	page
	Range   string
	Ranges  []string
	Total   int64
	P50     float64
	P95     float64
	P99     float64
	Mean    float64
	Charts  []chart.Drawer
	Buckets int
	Daily   bool
}

func (h *Handler) trendsPage(r *request) (response, error) {
	p, err := h.page(r, "trends", "Historical trends")
	if err != nil {
		return response{}, err
	}
	name, span, daily := pickRange(r, "7d")
	v := trendsView{page: p, Range: name, Ranges: rangeNames(), Daily: daily}
	if p.Model == "" {
		return h.render(http.StatusOK, "page_trends", v)
	}
	if err := h.refreshTrends(r, p.Model); err != nil {
		return response{}, err
	}
	now := h.now().UTC()
	from := now.Add(-span)
	aggs, err := h.trends.Series(r.ctx, p.Model, from, now.Add(time.Minute), daily)
	if err != nil {
		return response{}, err
	}
	v.Buckets = len(aggs)
	total := newAgg(from)
	xa := chart.Axis{Time: true, Min: float64(from.Unix()), Max: float64(now.Unix())}
	step := "hour"
	if daily {
		step = "day"
	}
	vol := chart.LineChart{Title: "Predictions per " + step, Width: 460, Height: 280, X: xa, Y: chart.Axis{Label: "predictions"}}
	volS := chart.Series{Name: "", Color: chart.Palette[0], Width: 1.5}
	lat := chart.LineChart{Width: 460, Height: 280, X: xa}
	p50 := chart.Series{Name: "p50", Color: chart.Palette[2], Width: 1.5}
	p95 := chart.Series{Name: "p95", Color: chart.Palette[1], Width: 1.5}
	p99 := chart.Series{Name: "p99", Color: chart.Palette[3], Width: 1.5}
	mean := chart.LineChart{Title: "Mean probability and share predicted positive", Width: 460, Height: 280, X: xa, Y: chart.Axis{Min: 0, Max: 1, Percent: true}}
	mp := chart.Series{Name: "mean probability", Color: chart.Palette[4], Width: 1.5}
	pos := chart.Series{Name: "predicted positive", Color: chart.Palette[5], Width: 1.5}
	for _, a := range aggs {
		x := float64(a.Start.Unix())
		total.Merge(a)
		volS.X, volS.Y = append(volS.X, x), append(volS.Y, float64(a.Count))
		p50.X, p50.Y = append(p50.X, x), append(p50.Y, a.Quantile(0.5))
		p95.X, p95.Y = append(p95.X, x), append(p95.Y, a.Quantile(0.95))
		p99.X, p99.Y = append(p99.X, x), append(p99.Y, a.Quantile(0.99))
		mp.X, mp.Y = append(mp.X, x), append(mp.Y, a.MeanProb())
		pos.X, pos.Y = append(pos.X, x), append(pos.Y, float64(a.Positives)/float64(a.Count))
	}
	vol.Series = []chart.Series{volS}
	maxLat := 0.0
	for _, v := range p99.Y {
		if !math.IsNaN(v) {
			maxLat = math.Max(maxLat, v)
		}
	}
	unit, scale := latencyUnit(maxLat)
	for _, s := range []*chart.Series{&p50, &p95, &p99} {
		for i := range s.Y {
			s.Y[i] *= scale
		}
	}
	lat.Title, lat.Y = "Latency percentiles ("+unit+")", chart.Axis{Label: "latency (" + unit + ")"}
	lat.Series = []chart.Series{p50, p95, p99}
	mean.Series = []chart.Series{mp, pos}
	v.Total, v.P50, v.P95, v.P99, v.Mean = total.Count, total.Quantile(0.5), total.Quantile(0.95), total.Quantile(0.99), total.MeanProb()
	dist := chart.BarChart{Title: "Distribution of predicted probabilities", Width: 460, Height: 280, Value: chart.Axis{Label: "share of predictions", Percent: true}}
	edges := make([]float64, ProbBins+1)
	for i := range edges {
		edges[i] = float64(i) / ProbBins
	}
	dist.Categories = chart.EdgeLabels(edges)
	bars := chart.Bars{Name: "predictions", Color: chart.Palette[0]}
	for _, n := range total.Prob {
		share := 0.0
		if total.Count > 0 {
			share = float64(n) / float64(total.Count)
		}
		bars.Values = append(bars.Values, share)
	}
	dist.Series = []chart.Bars{bars}
	checks, err := h.drift.Checks(r.ctx, p.Model, from, now.Add(time.Minute))
	if err != nil {
		return response{}, err
	}
	score := driftScoreChart(checks, daily, from, now, 460, 280)
	perf := chart.LineChart{Title: "Realised performance (labelled feedback)", Width: 460, Height: 280, X: xa, Y: chart.Axis{Label: "score"}}
	byName := map[string]*chart.Series{}
	bands := map[string]*chart.Band{}
	var order []string
	for _, c := range checks {
		for _, m := range c.Perf {
			s, ok := byName[m.Name]
			if !ok {
				i := len(order)
				order = append(order, m.Name)
				s = &chart.Series{Name: m.Name, Color: chart.Palette[i%len(chart.Palette)], Width: 1.5}
				byName[m.Name] = s
				bands[m.Name] = &chart.Band{Color: s.Color}
			}
			x := float64(c.Time.Unix())
			s.X, s.Y = append(s.X, x), append(s.Y, m.Value)
			b := bands[m.Name]
			b.X, b.Lo, b.Hi = append(b.X, x), append(b.Lo, m.Lower), append(b.Hi, m.Upper)
		}
	}
	for _, n := range order {
		perf.Series = append(perf.Series, *byName[n])
		if len(checks) <= 800 {
			perf.Bands = append(perf.Bands, *bands[n])
		}
	}
	bucket := time.Hour
	if daily {
		bucket = 24 * time.Hour
	}
	v.Charts = []chart.Drawer{fitTime(vol, bucket), fitTime(lat, bucket), dist, fitTime(mean, bucket), fitTime(score, bucket), fitTime(perf, bucket)}
	return h.render(http.StatusOK, "page_trends", v)
}

// refreshTrends aggregates newly ended hours, at most once a minute per
// model in this process.
func (h *Handler) refreshTrends(r *request, model string) error {
	h.refreshMu.Lock()
	defer h.refreshMu.Unlock()
	now := h.now()
	if t, ok := h.refreshed[model]; ok && !now.Before(t) && now.Sub(t) < time.Minute {
		return nil
	}
	if _, err := h.trends.Refresh(r.ctx, model); err != nil {
		return err
	}
	if h.refreshed == nil {
		h.refreshed = map[string]time.Time{}
	}
	h.refreshed[model] = now
	return nil
}

// agentEntry is one decision of the agent with its evidence chain.
type agentEntry struct {
	audit.Event
	Details  []detail
	Chain    []audit.Event
	Evidence []link
}

// detail is one field of an event's details, flattened to a dotted path.
type detail struct{ Key, Value string }

// flatten turns a JSON document into one row per scalar field (lists of
// scalars on one row), so that the details read as a table rather than
// as JSON.
func flatten(prefix string, v any, out []detail) []detail {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out = flatten(p, x[k], out)
		}
	case []any:
		scalars := make([]string, 0, len(x))
		for _, e := range x {
			if _, nested := e.(map[string]any); nested {
				scalars = nil
				break
			}
			if _, nested := e.([]any); nested {
				scalars = nil
				break
			}
			scalars = append(scalars, scalar(e))
		}
		if scalars != nil {
			return append(out, detail{prefix, strings.Join(scalars, ", ")})
		}
		for i, e := range x {
			out = flatten(fmt.Sprintf("%s[%d]", prefix, i+1), e, out)
		}
	default:
		out = append(out, detail{prefix, scalar(x)})
	}
	return out
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "–"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', 6, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

type link struct {
	Text string
	Href string
}

type agentView struct {
	page
	Entries []agentEntry
	Total   int
}

// isAgent says whether an audit event is one of the agent's decisions.
func isAgent(e audit.Event) bool {
	return e.Actor == "agent" || strings.HasPrefix(e.Action, "agent.")
}

func (h *Handler) agentPage(r *request) (response, error) {
	p, err := h.page(r, "agent", "Agent activity")
	if err != nil {
		return response{}, err
	}
	v := agentView{page: p}
	if p.Model == "" {
		return h.render(http.StatusOK, "page_agent", v)
	}
	evs, err := h.cfg.Audit.List(r.ctx, audit.Filter{Model: p.Model, Newest: true, Limit: 2000})
	if err != nil {
		return response{}, err
	}
	chains := map[string][]audit.Event{}
	decided := map[string]bool{} // correlation ids with an agent.* decision
	for _, e := range evs {
		if e.CorrelationID != "" {
			chains[e.CorrelationID] = append(chains[e.CorrelationID], e)
			if strings.HasPrefix(e.Action, "agent.") {
				decided[e.CorrelationID] = true
			}
		}
	}
	for _, e := range evs {
		// An action the agent took (model.rollback by actor agent) belongs
		// to the chain of the decision that took it, not beside it.
		if !isAgent(e) || !strings.HasPrefix(e.Action, "agent.") && decided[e.CorrelationID] {
			continue
		}
		v.Total++
		if len(v.Entries) >= 100 {
			continue
		}
		en := agentEntry{Event: e}
		if len(e.Details) > 0 {
			var doc any
			if json.Unmarshal(e.Details, &doc) == nil {
				en.Details = flatten("", doc, nil)
			}
		}
		if e.CorrelationID != "" {
			chain := append([]audit.Event(nil), chains[e.CorrelationID]...)
			sort.SliceStable(chain, func(i, j int) bool { return chain[i].Time.Before(chain[j].Time) })
			en.Chain = chain
		}
		seen := map[string]bool{}
		for _, c := range append([]audit.Event{e}, en.Chain...) {
			for _, ev := range c.Evidence {
				if !seen[ev] {
					seen[ev] = true
					en.Evidence = append(en.Evidence, evidenceLink(r.base, p.Model, ev))
				}
			}
		}
		v.Entries = append(v.Entries, en)
	}
	return h.render(http.StatusOK, "page_agent", v)
}

// evidenceLink links an evidence reference to the page that shows it.
func evidenceLink(base, model, ev string) link {
	l := link{Text: ev}
	switch {
	case strings.HasPrefix(ev, "reports/rendered/"):
		l.Href = base + report.ViewPath(ev)
	case strings.HasPrefix(ev, "reports/drift/") && strings.HasSuffix(ev, ".json"):
		parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(ev, "reports/drift/"), ".json"), "/")
		if len(parts) == 2 {
			l.Href = base + "/reports/drift/" + url.PathEscape(parts[0]) + "/" + url.PathEscape(parts[1])
		}
	case strings.HasPrefix(ev, "runs/") && strings.HasSuffix(ev, "/record.json"):
		l.Href = base + "/reports/training/" + url.PathEscape(strings.TrimSuffix(strings.TrimPrefix(ev, "runs/"), "/record.json"))
	case strings.HasPrefix(ev, "approval:"):
		l.Href = base + "/approvals?request=" + url.QueryEscape(strings.TrimPrefix(ev, "approval:"))
	case strings.HasPrefix(ev, "http://"), strings.HasPrefix(ev, "https://"):
		l.Href = ev
	case strings.HasPrefix(ev, "bundles/"), strings.HasPrefix(ev, "datasets/"):
		l.Href = base + "/" + approval.EvidencePath(ev)
	}
	return l
}

// evidence serves /evidence/{key}, the evidence an approval request or an
// audit event names by artifact key: a model bundle or a dataset as a
// download, a run record, drift report or rendered report as its report
// page. Other keys (captured traffic among them) are not served.
func (h *Handler) evidence(r *request) (response, error) {
	key, err := url.PathUnescape(strings.TrimPrefix(r.path, "/evidence/"))
	if err != nil || strings.Contains(key, "..") {
		return h.errorPage(r, http.StatusNotFound, "Not found", "There is no such evidence."), nil
	}
	if strings.HasPrefix(key, "runs/") || strings.HasPrefix(key, "reports/") {
		if l := evidenceLink(r.base, "", key); l.Href != "" {
			return redirect(l.Href), nil
		}
	}
	var ctype, name string
	switch {
	case strings.HasPrefix(key, "bundles/"):
		ctype, name = "application/x-tar", "bundle-"+path.Base(key)
	case strings.HasPrefix(key, "datasets/"):
		ctype, name = "text/csv; charset=utf-8", "dataset-"+strings.TrimSuffix(path.Base(key), ".csv")+".csv"
	default:
		return h.errorPage(r, http.StatusNotFound, "Not found", "Only model bundles, datasets, run records and reports are served as evidence."), nil
	}
	data, _, err := h.cfg.Artifacts.Get(r.ctx, key)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return h.errorPage(r, http.StatusNotFound, "Not found", "There is no artifact "+key+"."), nil
	}
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: data, ctype: ctype,
		headers: map[string]string{"Content-Disposition": `attachment; filename="` + name + `"`}}, nil
}

// view serves a stored rendered report to a signed-in operator.
func (h *Handler) view(r *request) (response, error) {
	key, err := url.PathUnescape(strings.TrimPrefix(r.path, "/view/"))
	if err != nil || !strings.HasPrefix(key, "reports/rendered/") || strings.Contains(key, "..") {
		return h.errorPage(r, http.StatusNotFound, "Not found", "Only rendered reports can be viewed here."), nil
	}
	data, info, err := h.cfg.Artifacts.Get(r.ctx, key)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return h.errorPage(r, http.StatusNotFound, "Not found", "There is no report "+key+"."), nil
	}
	if err != nil {
		return response{}, err
	}
	ct := info.ContentType
	if ct != "application/pdf" && !strings.HasPrefix(ct, "text/html") {
		ct = "application/octet-stream"
	}
	return response{status: http.StatusOK, body: data, ctype: ct}, nil
}

// reportLink serves /reports/{kind}/{id}?format=html|pdf: the stored
// rendering when there is one, else it renders and stores it first.
func (h *Handler) reportLink(r *request) (response, error) {
	rest, err := url.PathUnescape(strings.TrimPrefix(r.path, "/reports/"))
	if err != nil {
		return h.errorPage(r, http.StatusBadRequest, "Bad request", "The report address is not valid."), nil
	}
	kindName, id, _ := strings.Cut(rest, "/")
	f := report.HTML
	if fs := r.query.Get("format"); fs != "" {
		if f, err = report.ParseFormat(fs); err != nil {
			return h.errorPage(r, http.StatusBadRequest, "Bad request", err.Error()), nil
		}
	}
	kind, err := report.ParseKind(kindName)
	if err != nil {
		return h.errorPage(r, http.StatusNotFound, "Not found", err.Error()), nil
	}
	ref, err := report.ParseRef(kind, id)
	if err != nil {
		return h.errorPage(r, http.StatusNotFound, "Not found", err.Error()), nil
	}
	if ref.ID != "" || kind != report.KindDeployment {
		if ok, err := h.cfg.Artifacts.Exists(r.ctx, ref.Key(f)); err != nil {
			return response{}, err
		} else if ok {
			return redirect(r.base + report.ViewPath(ref.Key(f))), nil
		}
	}
	if h.cfg.Reports == nil {
		return h.errorPage(r, http.StatusNotFound, "Not found", "This report has not been rendered."), nil
	}
	pubs, err := h.cfg.Reports.Publish(r.ctx, ref, f)
	if errors.Is(err, report.ErrNotFound) || errors.Is(err, report.ErrInvalid) {
		return h.errorPage(r, http.StatusNotFound, "Not found", err.Error()), nil
	}
	if err != nil {
		return response{}, err
	}
	return redirect(r.base + report.ViewPath(pubs[0].Key)), nil
}

// FormatCount writes n with thousands separators, as the pages show counts.
func FormatCount(n int64) string { return fmtInt(n) }

// fmtInt writes n with thousands separators.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && c != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
