package monitor

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/store"
)

// AppendLabelled returns base (a data file laid out as schema says, with
// or without a header) followed by one line per prediction of model
// captured in [from, to) that has a feedback label: the captured inputs in
// the file's column order and, in the target column, a value the target
// rule reads as that label (for "num > 0": 1 for positive, 0 for
// negative). Missing inputs are written as the schema's first missing
// marker. It returns the new file and the number of rows appended; the
// retraining workflow validates and trains on it like any dataset.
func AppendLabelled(ctx context.Context, arts store.ArtifactStore, rs store.RecordStore, model string, s *dataset.Schema, base []byte, from, to time.Time) ([]byte, int, error) {
	pos, err := targetValue(s.Target, 1)
	if err != nil {
		return nil, 0, err
	}
	neg, err := targetValue(s.Target, 0)
	if err != nil {
		return nil, 0, err
	}
	w, err := ReadCaptures(ctx, arts, rs, model, 0, s.FeatureNames(), from, to)
	if err != nil {
		return nil, 0, err
	}
	missing := ""
	if m := s.MissingMarkers(); len(m) > 0 {
		missing = m[0]
	}
	out := bytes.Clone(base)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	n := 0
	for i := 0; i < w.Rows && len(w.Labels) > 0; i++ {
		l := w.Labels[i]
		if math.IsNaN(l) {
			continue
		}
		for j, c := range s.Columns {
			if j > 0 {
				out = append(out, ',')
			}
			var v float64
			if c.Name == s.Target.Column {
				v = neg
				if l == 1 {
					v = pos
				}
			} else {
				v = w.Columns[c.Name][i]
			}
			if math.IsNaN(v) {
				out = append(out, missing...)
				continue
			}
			out = strconv.AppendFloat(out, v, 'f', -1, 64)
		}
		out = append(out, '\n')
		n++
	}
	return out, n, nil
}

// targetValue returns a target-column value that rule t reads as label.
func targetValue(t dataset.Target, label int) (float64, error) {
	v, yes := t.Value, label == 1
	var out float64
	switch t.Op {
	case "":
		out = float64(label)
	case ">":
		out = v + 1
		if !yes {
			out = v
		}
	case ">=", "<=", "==":
		out = v
		if !yes {
			out = v + 1
			if t.Op == ">=" {
				out = v - 1
			}
		}
	case "<":
		out = v - 1
		if !yes {
			out = v
		}
	case "!=":
		out = v + 1
		if !yes {
			out = v
		}
	default:
		return 0, fmt.Errorf("%w: target operator %q", ErrInvalid, t.Op)
	}
	if t.Positive(out) != yes {
		return 0, fmt.Errorf("%w: no value of %s reads as label %d", ErrInvalid, t, label)
	}
	return out, nil
}
