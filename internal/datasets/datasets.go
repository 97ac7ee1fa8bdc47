// Package datasets compares dataset versions and chooses among candidate
// training files: what DVC's diff and a data selector did in the plan
// Steward replaces. It is pure over parsed frames; the catalog of stored
// versions is dataset.Catalog, and the command line joins both with the
// runs and model versions that used each version.
package datasets

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/validation"
)

// ColumnSummary describes one column of a frame.
type ColumnSummary struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Rows    int    `json:"rows"`
	Missing int    `json:"missing"`
	// Numeric columns: over the present values.
	Mean *float64 `json:"mean,omitempty"`
	Std  *float64 `json:"std,omitempty"`
	Min  *float64 `json:"min,omitempty"`
	Max  *float64 `json:"max,omitempty"`
	// Levels counts each value of a categorical or binary column, by its
	// label where the schema gives one.
	Levels map[string]int `json:"levels,omitempty"`
}

// Summarize describes every column of f that s (nil: none) knows, in
// frame order; columns s does not describe are summarised as numeric.
func Summarize(f *dataset.Frame, s *dataset.Schema) []ColumnSummary {
	out := make([]ColumnSummary, len(f.Names))
	for j, name := range f.Names {
		col := f.Cols[j]
		cs := ColumnSummary{Name: name, Kind: string(dataset.Numeric), Rows: f.Rows}
		var schemaCol *dataset.Column
		if s != nil {
			for _, c := range s.Columns {
				if c.Name == name {
					schemaCol = &c
					cs.Kind = string(c.Kind)
				}
			}
		}
		var present []float64
		for _, v := range col {
			if math.IsNaN(v) {
				cs.Missing++
				continue
			}
			present = append(present, v)
		}
		if schemaCol != nil && schemaCol.Kind != dataset.Numeric {
			cs.Levels = map[string]int{}
			for _, v := range present {
				cs.Levels[levelName(*schemaCol, v)]++
			}
		} else if len(present) > 0 {
			mean, m2 := 0.0, 0.0
			lo, hi := present[0], present[0]
			for i, v := range present { // Welford
				d := v - mean
				mean += d / float64(i+1)
				m2 += d * (v - mean)
				lo, hi = min(lo, v), max(hi, v)
			}
			std := 0.0
			if len(present) > 1 {
				std = math.Sqrt(m2 / float64(len(present)-1))
			}
			cs.Mean, cs.Std, cs.Min, cs.Max = &mean, &std, &lo, &hi
		}
		out[j] = cs
	}
	return out
}

func levelName(c dataset.Column, v float64) string {
	for _, l := range c.Levels {
		if l.Value == v && l.Label != "" {
			return l.Label
		}
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Diff is how dataset B differs from dataset A.
type Diff struct {
	RowsA int `json:"rowsA"`
	RowsB int `json:"rowsB"`
	// OnlyInA and OnlyInB are the columns one side lacks.
	OnlyInA []string `json:"onlyInA"`
	OnlyInB []string `json:"onlyInB"`
	// Columns pairs the summaries of the columns both have.
	Columns []ColumnPair `json:"columns"`
	// Drift tests B against a reference profile of A's features, with the
	// project's drift options; nil when the two share no feature.
	Drift *drift.Report `json:"drift,omitempty"`
}

// ColumnPair is one column's summary on both sides.
type ColumnPair struct {
	Name string        `json:"name"`
	A    ColumnSummary `json:"a"`
	B    ColumnSummary `json:"b"`
}

// Compare returns the Diff of b against a. Both are frames of the same
// schema s (the target is not a feature and is not drift-tested); seed
// fixes the reference profile's sampling, as a training run's seed does;
// features, when not empty, limits the drift test to those features, as
// the project's drift.features does for a drift check.
func Compare(a, b *dataset.Frame, s *dataset.Schema, opts drift.Options, seed int64, features []string) (*Diff, error) {
	d := &Diff{RowsA: a.Rows, RowsB: b.Rows, OnlyInA: []string{}, OnlyInB: []string{}}
	sa, sb := Summarize(a, s), Summarize(b, s)
	for _, ca := range sa {
		j := slices.IndexFunc(sb, func(c ColumnSummary) bool { return c.Name == ca.Name })
		if j < 0 {
			d.OnlyInA = append(d.OnlyInA, ca.Name)
			continue
		}
		d.Columns = append(d.Columns, ColumnPair{Name: ca.Name, A: ca, B: sb[j]})
	}
	for _, cb := range sb {
		if !slices.Contains(a.Names, cb.Name) {
			d.OnlyInB = append(d.OnlyInB, cb.Name)
		}
	}
	ref, err := Profile(a, s, seed, features)
	if err != nil {
		return nil, err
	}
	if ref == nil {
		return d, nil
	}
	w := drift.Window{Columns: map[string][]float64{}}
	for _, f := range ref.Features {
		col, err := b.Column(f.Name)
		if err != nil {
			return d, nil // b lacks a feature: the schema change says so
		}
		w.Columns[f.Name] = col
	}
	rep, err := drift.Check(ref, w, opts)
	if err != nil {
		return nil, fmt.Errorf("datasets: drift: %w", err)
	}
	d.Drift = rep
	return d, nil
}

// Profile builds the drift reference profile of f's features (those of s
// that f has, limited to features when it is not empty), as a training run
// builds it for its rows, without predictions. It returns nil when f has
// none of the features.
func Profile(f *dataset.Frame, s *dataset.Schema, seed int64, features []string) (*drift.Profile, error) {
	var cols []drift.Column
	for _, c := range s.Features() {
		if len(features) > 0 && !slices.Contains(features, c.Name) {
			continue
		}
		vals, err := f.Column(c.Name)
		if err != nil {
			continue
		}
		cols = append(cols, drift.Column{Name: c.Name, Kind: DriftKind(c.Kind), Values: vals})
	}
	if len(cols) == 0 {
		return nil, nil
	}
	opts := drift.DefaultProfileOptions()
	opts.Seed = uint64(seed)
	p, err := drift.BuildProfile(drift.ProfileInput{Features: cols}, opts)
	if err != nil {
		return nil, fmt.Errorf("datasets: profile: %w", err)
	}
	return p, nil
}

// DriftKind is the drift statistics' kind of a schema column kind.
func DriftKind(k dataset.Kind) drift.Kind {
	switch k {
	case dataset.Categorical:
		return drift.KindCategorical
	case dataset.Binary:
		return drift.KindBinary
	}
	return drift.KindNumeric
}

// Candidate is one file considered for training.
type Candidate struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
	Rows   int    `json:"rows"`
	// MissingShare is the share of feature cells that are missing.
	MissingShare float64            `json:"missingShare"`
	Validation   validation.Summary `json:"validation"`
	// Drift is the candidate against the champion's reference profile;
	// nil when there is no champion to compare with.
	Drift *drift.Report `json:"drift,omitempty"`
	// Usable is false when the candidate fails validation; Reasons say why
	// it ranks where it does.
	Usable  bool     `json:"usable"`
	Reasons []string `json:"reasons"`
}

// ErrNoUsable reports that every candidate failed validation.
var ErrNoUsable = errors.New("datasets: no candidate passes validation")

// Rank orders the candidates best first and says why: a file that fails
// the suite is never picked; among the others the one with the smaller
// share of drifted features against the champion's reference wins, then
// the one with more rows, then the one with fewer missing cells. It
// returns ErrNoUsable (with the ranking) when none passes.
func Rank(cands []Candidate) ([]Candidate, error) {
	out := slices.Clone(cands)
	for i := range out {
		c := &out[i]
		c.Usable = c.Validation.Success
		c.Reasons = nil
		if !c.Usable {
			c.Reasons = append(c.Reasons, "fails validation: "+c.Validation.String())
		} else {
			c.Reasons = append(c.Reasons, fmt.Sprintf("passes the suite (%d expectations)", c.Validation.Evaluated))
		}
		if c.Drift != nil {
			c.Reasons = append(c.Reasons, fmt.Sprintf("%d of %d features drift from the champion's training data", c.Drift.Drifted, c.Drift.Tested))
		}
		c.Reasons = append(c.Reasons, fmt.Sprintf("%d rows, %.1f%% of feature cells missing", c.Rows, 100*c.MissingShare))
	}
	share := func(c Candidate) float64 {
		if c.Drift == nil || c.Drift.Tested == 0 {
			return 0
		}
		return float64(c.Drift.Drifted) / float64(c.Drift.Tested)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Usable != b.Usable {
			return a.Usable
		}
		if sa, sb := share(a), share(b); sa != sb {
			return sa < sb
		}
		if a.Rows != b.Rows {
			return a.Rows > b.Rows
		}
		return a.MissingShare < b.MissingShare
	})
	if len(out) == 0 || !out[0].Usable {
		return out, ErrNoUsable
	}
	return out, nil
}

// MissingShare returns the share of missing cells over the features of s
// that f has.
func MissingShare(f *dataset.Frame, s *dataset.Schema) float64 {
	cells, missing := 0, 0
	for _, c := range s.Features() {
		col, err := f.Column(c.Name)
		if err != nil {
			continue
		}
		for _, v := range col {
			cells++
			if math.IsNaN(v) {
				missing++
			}
		}
	}
	if cells == 0 {
		return 0
	}
	return float64(missing) / float64(cells)
}
