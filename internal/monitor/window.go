package monitor

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/uuidv7"
)

// Window is a current window with what was learnt reading it.
type Window struct {
	drift.Window
	// Rows counts the window's rows; VersionRows those scored by the
	// checked version; Labelled those of them with a label.
	Rows, VersionRows, Labelled int
	// Files counts the capture files read.
	Files      int
	Skipped    int
	FirstSkip  string
	Duplicates int
}

// captureLine is the part of a capture.Line a check reads.
type captureLine struct {
	ID          string              `json:"id"`
	Time        time.Time           `json:"time"`
	Version     int                 `json:"version"`
	Inputs      map[string]*float64 `json:"inputs"`
	Probability *float64            `json:"probability"`
}

// ReadCaptures reads the predictions of model captured in [from, to),
// joins them with the feedback labels in rs, and returns the columns of
// features (in that order). Predictions and labels are kept for the rows
// that version scored (every row when version is 0), NaN for the others.
func ReadCaptures(ctx context.Context, arts store.ArtifactStore, rs store.RecordStore, model string, version int, features []string, from, to time.Time) (*Window, error) {
	if !from.Before(to) {
		return nil, fmt.Errorf("%w: empty window [%s, %s)", ErrInvalid, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	from, to = from.UTC(), to.UTC()
	w := &Window{Window: drift.Window{Columns: make(map[string][]float64, len(features))}}
	for _, f := range features {
		w.Columns[f] = []float64{}
	}
	want := make(map[string]int, len(features))
	for j, f := range features {
		want[f] = j
	}
	seen := map[string]bool{}
	var ids []string
	var versionRow []int // row index of each version row, for labels
	firstHour := from.Truncate(time.Hour)
	for day := from.Truncate(24 * time.Hour); day.Before(to); day = day.Add(24 * time.Hour) {
		prefix := "captures/" + model + "/dt=" + day.Format(time.DateOnly) + "/"
		objs, err := arts.List(ctx, prefix)
		if err != nil {
			return nil, fmt.Errorf("monitor: list %s: %w", prefix, err)
		}
		for _, o := range objs {
			hour, ok := hourOf(o.Key, prefix, day)
			if !ok || hour.Before(firstHour) || !hour.Before(to) || !strings.HasSuffix(o.Key, ".jsonl") {
				continue
			}
			body, _, err := arts.Get(ctx, o.Key)
			if err != nil {
				return nil, fmt.Errorf("monitor: read %s: %w", o.Key, err)
			}
			w.Files++
			sc := bufio.NewScanner(bytes.NewReader(body))
			sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
			line := 0
			for sc.Scan() {
				line++
				raw := bytes.TrimSpace(sc.Bytes())
				if len(raw) == 0 {
					continue
				}
				var c captureLine
				if err := json.Unmarshal(raw, &c); err != nil || c.ID == "" || c.Time.IsZero() || c.Inputs == nil {
					why := "not a capture (id, time and inputs are required)"
					if err != nil {
						why = err.Error()
					}
					w.skip(fmt.Sprintf("%s:%d: %s", o.Key, line, why))
					continue
				}
				if c.Time.Before(from) || !c.Time.Before(to) {
					continue
				}
				if seen[c.ID] {
					w.Duplicates++
					continue
				}
				if err := checkInputs(c.Inputs, want, features); err != nil {
					return nil, fmt.Errorf("%w: %s:%d: %s", drift.ErrSchema, o.Key, line, err)
				}
				seen[c.ID] = true
				for _, f := range features {
					v := math.NaN()
					if p := c.Inputs[f]; p != nil {
						v = *p
					}
					w.Columns[f] = append(w.Columns[f], v)
				}
				p := math.NaN()
				if (version <= 0 || c.Version == version) && c.Probability != nil && *c.Probability >= 0 && *c.Probability <= 1 {
					p = *c.Probability
					w.VersionRows++
					versionRow = append(versionRow, w.Rows)
					ids = append(ids, c.ID)
				}
				w.Predictions = append(w.Predictions, p)
				w.Rows++
			}
			if err := sc.Err(); err != nil {
				w.skip(fmt.Sprintf("%s:%d: %v", o.Key, line+1, err))
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	labels, err := readLabels(ctx, rs, ids)
	if err != nil {
		return nil, err
	}
	if len(labels) > 0 {
		w.Labels = make([]float64, w.Rows)
		for i := range w.Labels {
			w.Labels[i] = math.NaN()
		}
		for k, id := range ids {
			if l, ok := labels[id]; ok {
				w.Labels[versionRow[k]] = l
				w.Labelled++
			}
		}
	}
	if w.VersionRows == 0 {
		w.Predictions = nil
	}
	return w, nil
}

func (w *Window) skip(msg string) {
	if w.Skipped == 0 {
		w.FirstSkip = msg
	}
	w.Skipped++
}

// hourOf reads the hour=HH segment of a capture key under prefix.
func hourOf(key, prefix string, day time.Time) (time.Time, bool) {
	rest := strings.TrimPrefix(key, prefix)
	h, ok := strings.CutPrefix(rest, "hour=")
	if !ok || len(h) < 3 || h[2] != '/' {
		return time.Time{}, false
	}
	n := int(h[0]-'0')*10 + int(h[1]-'0')
	if h[0] < '0' || h[0] > '9' || h[1] < '0' || h[1] > '9' || n > 23 {
		return time.Time{}, false
	}
	return day.Add(time.Duration(n) * time.Hour), true
}

// checkInputs reports inputs that are not exactly the features.
func checkInputs(in map[string]*float64, want map[string]int, features []string) error {
	if len(in) == len(want) {
		ok := true
		for k := range in {
			if _, found := want[k]; !found {
				ok = false
				break
			}
		}
		if ok {
			return nil
		}
	}
	var missing, unexpected []string
	for _, f := range features {
		if _, ok := in[f]; !ok {
			missing = append(missing, fmt.Sprintf("%q", f))
		}
	}
	for k := range in {
		if _, ok := want[k]; !ok {
			unexpected = append(unexpected, fmt.Sprintf("%q", k))
		}
	}
	sort.Strings(unexpected)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "inputs missing "+strings.Join(missing, ", "))
	}
	if len(unexpected) > 0 {
		parts = append(parts, "unexpected inputs "+strings.Join(unexpected, ", "))
	}
	return fmt.Errorf("%s (the profile has %d features)", strings.Join(parts, "; "), len(features))
}

// readLabels returns the feedback label of each id that has one. Feedback
// is partitioned by the UTC day of the prediction id's timestamp.
func readLabels(ctx context.Context, rs store.RecordStore, ids []string) (map[string]float64, error) {
	if rs == nil || len(ids) == 0 {
		return nil, nil
	}
	wanted := make(map[string]bool, len(ids))
	days := map[string]bool{}
	for _, id := range ids {
		u, err := uuidv7.Parse(id)
		if err != nil {
			continue
		}
		pk, _ := capture.FeedbackKey(u)
		days[pk] = true
		wanted[id] = true
	}
	parts := make([]string, 0, len(days))
	for pk := range days {
		parts = append(parts, pk)
	}
	sort.Strings(parts)
	out := map[string]float64{}
	for _, pk := range parts {
		recs, err := rs.Query(ctx, pk, store.Query{})
		if err != nil {
			return nil, fmt.Errorf("monitor: read feedback %s: %w", pk, err)
		}
		for _, r := range recs {
			if !wanted[r.SK] {
				continue
			}
			var fb capture.Feedback
			if err := json.Unmarshal(r.Body, &fb); err != nil || (fb.Label != 0 && fb.Label != 1) {
				continue // not a label this check can use
			}
			out[r.SK] = float64(fb.Label)
		}
	}
	return out, nil
}

// ReadFile reads a current window from a data file laid out like the
// training data: with a header naming its columns (the features, and
// optionally the target column), or without one, in the training file's
// column order (with or without the target column). When the target
// column is there its values give labels; when every feature is there, the
// predictor (if any) scores the rows, for prediction drift and realised
// performance. A row the predictor's schema refuses (an unknown category,
// a value out of range) is left unscored, as serving would have refused it.
func ReadFile(raw []byte, s *bundle.Schema, pred *bundle.Predictor) (*Window, error) {
	frame, err := parseFile(raw, s)
	if err != nil {
		return nil, err
	}
	w := &Window{Window: drift.Window{Columns: map[string][]float64{}}}
	target := s.Target.Column
	var labels []float64
	for _, name := range frame.Names {
		col, err := frame.Column(name)
		if err != nil {
			return nil, err
		}
		if name == target {
			labels = make([]float64, len(col))
			for i, v := range col {
				switch {
				case math.IsNaN(v):
					labels[i] = math.NaN()
				case s.Target.Positive(v):
					labels[i] = 1
				}
			}
			continue
		}
		w.Columns[name] = col
	}
	w.Rows = frame.Rows
	if pred == nil || len(w.Columns) != len(s.Features) {
		return w, nil
	}
	feats := pred.Features()
	row := make([]float64, len(feats))
	probs := make([]float64, frame.Rows)
	for i := range probs {
		probs[i] = math.NaN()
		ok := true
		for j, f := range feats {
			col, found := w.Columns[f.Name]
			if !found {
				ok = false
				break
			}
			row[j] = col[i]
		}
		if !ok {
			return w, nil // the columns do not match; Check says which
		}
		if pred.Check(i, row) != nil {
			continue
		}
		probs[i] = pred.Prob(row)
		w.VersionRows++
	}
	w.Predictions = probs
	if labels != nil {
		for i, l := range labels {
			if math.IsNaN(probs[i]) {
				labels[i] = math.NaN()
			} else if !math.IsNaN(l) {
				w.Labelled++
			}
		}
		w.Labels = labels
	}
	return w, nil
}

// parseFile parses raw with the columns its header names, or (without a
// header) with the training file's columns, with or without the target.
func parseFile(raw []byte, s *bundle.Schema) (*dataset.Frame, error) {
	full := s.Dataset(true)
	header, fields, err := firstLine(raw)
	if err != nil {
		return nil, err
	}
	if header {
		byName := map[string]dataset.Column{}
		for _, c := range full.Columns {
			byName[c.Name] = c
		}
		hs := &dataset.Schema{Missing: full.Missing}
		seen := map[string]bool{}
		for i, name := range fields {
			if name == "" {
				return nil, &dataset.ParseError{Line: 1, Msg: fmt.Sprintf("column %d has an empty name", i+1)}
			}
			if seen[name] {
				return nil, &dataset.ParseError{Line: 1, Msg: fmt.Sprintf("column %q appears twice", name)}
			}
			seen[name] = true
			c, ok := byName[name]
			if !ok {
				c = dataset.Column{Name: name, Kind: dataset.Numeric}
			}
			c.Min, c.Max = nil, nil // the data file may hold anything; drift says how far it moved
			hs.Columns = append(hs.Columns, c)
		}
		return dataset.Parse(raw, hs, dataset.Options{Format: dataset.FormatHeader})
	}
	switch len(fields) {
	case len(full.Columns):
		return dataset.Parse(raw, full, dataset.Options{Format: dataset.FormatRaw})
	case len(s.Features):
		return dataset.Parse(raw, s.Dataset(false), dataset.Options{Format: dataset.FormatRaw})
	}
	return nil, fmt.Errorf("%w: the file has no header and %d fields per line; expected %d (%s) or %d without the target column",
		drift.ErrSchema, len(fields), len(full.Columns), strings.Join(full.Names(), ", "), len(s.Features))
}

// firstLine splits the first non-blank line and says whether it is a
// header: no field reads as a number (NaN and Inf included, so that a data
// line holding them is parsed as data and refused with its row and column).
func firstLine(raw []byte) (header bool, fields []string, err error) {
	b := bytes.TrimPrefix(raw, []byte{0xEF, 0xBB, 0xBF})
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b
		if i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		header = true
		for _, f := range strings.Split(string(line), ",") {
			f = strings.Trim(strings.TrimSpace(f), `"`)
			fields = append(fields, f)
			if _, err := strconv.ParseFloat(f, 64); err == nil || errors.Is(err, strconv.ErrRange) {
				header = false
			}
		}
		return header, fields, nil
	}
	return false, nil, dataset.ErrEmpty
}
