package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/stewardml/steward/internal/runs"
	"github.com/stewardml/steward/internal/tracking"
)

// runsView is the Runs page: the model's training runs, newest first,
// and, when two or more are chosen (?compare=ID&compare=ID), their
// settings and metrics side by side as steward runs compare prints them.
type runsView struct {
	page
	Runs    []runRow
	Compare []string
	Rows    []runs.Row
	Missing string
}

// runRow is one run in the list.
type runRow struct {
	ID, Started, Status, Dataset, Selected, Metric, Registered, Report string
	Chosen                                                             bool
}

func (h *Handler) runsPage(r *request) (response, error) {
	p, err := h.page(r, "runs", "Training runs")
	if err != nil {
		return response{}, err
	}
	v := runsView{page: p}
	if p.Model == "" {
		return h.render(http.StatusOK, "page_runs", v)
	}
	tr := tracking.New(h.cfg.Records)
	list, err := tr.List(r.ctx, p.Model, 50)
	if err != nil {
		return response{}, err
	}
	chosen := map[string]bool{}
	for _, id := range r.query["compare"] {
		chosen[id] = true
	}
	for _, run := range list {
		rv, err := runs.Load(r.ctx, tr, h.cfg.Artifacts, run.ID)
		if err != nil {
			return response{}, err
		}
		row := runRow{ID: run.ID, Started: run.StartedAt.UTC().Format("2006-01-02 15:04"), Status: string(run.Status),
			Dataset: shortDigest(run.DatasetDigest), Selected: "-", Metric: "-", Registered: "-", Chosen: chosen[run.ID],
			Report: r.base + "/reports/training/" + url.PathEscape(run.ID)}
		if s := rv.Selected(); s != nil {
			row.Selected = s.ID
			m := rv.Record.Config.Metric
			if st, ok := s.CV[m]; ok {
				row.Metric = m + " " + strconv.FormatFloat(st.Mean, 'f', 4, 64)
			}
		}
		if rec := rv.Record; rec != nil {
			switch {
			case rec.Version != 0:
				row.Registered = "version " + strconv.Itoa(rec.Version) + " (" + rec.Alias + ")"
			case rec.SameAs != 0:
				row.Registered = "same as version " + strconv.Itoa(rec.SameAs)
			}
		}
		v.Runs = append(v.Runs, row)
	}
	if len(chosen) >= 2 {
		var views []runs.View
		for _, id := range r.query["compare"] {
			rv, err := runs.Load(r.ctx, tr, h.cfg.Artifacts, id)
			if errors.Is(err, runs.ErrNotFound) {
				v.Missing = id
				return h.render(http.StatusNotFound, "page_runs", v)
			}
			if err != nil {
				return response{}, err
			}
			views = append(views, rv)
			v.Compare = append(v.Compare, id)
		}
		v.Rows = runs.Compare(views)
	}
	return h.render(http.StatusOK, "page_runs", v)
}

// shortDigest is the first 12 hex digits of a dataset digest.
func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
