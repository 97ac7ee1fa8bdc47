// Package runs reads training runs as people look at them: the tracking
// run with, when stored, its full record (candidates, selection, hold-out,
// what was registered), and the side-by-side comparison of several runs.
// The command line (steward runs) and the dashboard's Runs page show the
// same rows from here.
package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/tracking"
	"github.com/stewardml/steward/internal/train"
)

// ErrNotFound reports an unknown run id.
var ErrNotFound = errors.New("runs: no such run")

// Tracker is the part of tracking the views read.
type Tracker interface {
	Get(ctx context.Context, id string) (tracking.Run, error)
	List(ctx context.Context, model string, limit int) ([]tracking.Run, error)
}

// Artifacts is the part of the artifact store the views read.
type Artifacts interface {
	Get(ctx context.Context, key string) ([]byte, store.ObjectInfo, error)
}

// View is a run as people look at it: the tracking run and,
// when stored, its full record.
type View struct {
	Run    tracking.Run     `json:"run"`
	Record *train.RunRecord `json:"record,omitempty"`
}

// Selected returns the winning candidate of the run, if any.
func (v View) Selected() *train.Scored {
	if v.Record == nil {
		return nil
	}
	for i := range v.Record.Candidates {
		if v.Record.Candidates[i].ID == v.Record.Winner {
			return &v.Record.Candidates[i]
		}
	}
	return nil
}

// Load reads run id and its stored record (nil for a run that failed
// before it stored one). An unknown id is ErrNotFound.
func Load(ctx context.Context, tr Tracker, arts Artifacts, id string) (View, error) {
	r, err := tr.Get(ctx, id)
	if errors.Is(err, tracking.ErrNotFound) {
		return View{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return View{}, err
	}
	v := View{Run: r}
	body, _, err := arts.Get(ctx, train.RecordKey(id))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return v, nil // a run that failed before it stored a record
	case err != nil:
		return v, err
	}
	var rec train.RunRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return v, fmt.Errorf("runs: run %s: its record does not parse: %w", id, err)
	}
	v.Record = &rec
	return v, nil
}

// Row is one line of a comparison: a label, a value per run, and
// whether the values differ.
type Row struct {
	Field   string   `json:"field"`
	Values  []string `json:"values"`
	Differs bool     `json:"differs"`
}

// Compare lays out the runs' settings and metrics side by side, one row
// per setting or metric, in the order the runs are given.
func Compare(views []View) []Row {
	field := func(label string, f func(v View) string) Row {
		r := Row{Field: label, Values: make([]string, len(views))}
		for i, v := range views {
			r.Values[i] = f(v)
		}
		return r
	}
	rec := func(f func(r *train.RunRecord) string) func(v View) string {
		return func(v View) string {
			if v.Record == nil {
				return "-"
			}
			return f(v.Record)
		}
	}
	rows := []Row{
		field("model", func(v View) string { return v.Run.Model }),
		field("status", func(v View) string { return string(v.Run.Status) }),
		field("started", func(v View) string { return v.Run.StartedAt.UTC().Format(time.RFC3339) }),
		field("dataset", func(v View) string { return short(v.Run.DatasetDigest) }),
		field("code", func(v View) string { return orDash(v.Run.CodeVersion) }),
		field("seed", rec(func(r *train.RunRecord) string { return strconv.FormatInt(r.Config.Seed, 10) })),
		field("folds × repeats", rec(func(r *train.RunRecord) string { return fmt.Sprintf("%d × %d", r.Config.Folds, r.Config.Repeats) })),
		field("selection metric", rec(func(r *train.RunRecord) string { return r.Config.Metric })),
		field("candidates", rec(func(r *train.RunRecord) string { return strconv.Itoa(len(r.Candidates)) })),
		field("selected", func(v View) string {
			if s := v.Selected(); s != nil {
				return s.ID
			}
			return "-"
		}),
		field("family", func(v View) string {
			if s := v.Selected(); s != nil {
				return s.Family
			}
			return "-"
		}),
		field("params", func(v View) string {
			if s := v.Selected(); s != nil {
				return params(s.Params)
			}
			return "-"
		}),
		field("registered", rec(func(r *train.RunRecord) string {
			switch {
			case r.Version != 0:
				return fmt.Sprintf("v%d (%s)", r.Version, r.Alias)
			case r.SameAs != 0:
				return fmt.Sprintf("same as v%d", r.SameAs)
			}
			return "-"
		})),
	}
	names := map[string]bool{}
	for _, v := range views {
		for k := range v.Run.Metrics {
			if strings.HasPrefix(k, "cv_") || strings.HasPrefix(k, "holdout_") {
				names[k] = true
			}
		}
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rows = append(rows, field(k, func(v View) string {
			if x, ok := v.Run.Metrics[k]; ok {
				return strconv.FormatFloat(x, 'f', 4, 64)
			}
			return "-"
		}))
	}
	for i := range rows {
		rows[i].Differs = differs(rows[i].Values)
	}
	return rows
}

func differs(values []string) bool {
	for _, v := range values[1:] {
		if v != values[0] {
			return true
		}
	}
	return false
}

// short is the first 12 hex digits of a digest.
func short(digest string) string {
	d := strings.TrimPrefix(digest, "sha256:")
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// params renders a search point as "k=v k=v" in key order.
func params(p map[string]any) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, p[k])
	}
	if len(parts) == 0 {
		return "(defaults)"
	}
	return strings.Join(parts, " ")
}
