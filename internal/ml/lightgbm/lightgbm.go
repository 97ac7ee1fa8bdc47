package lightgbm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dmitryikh/leaves"
)

// Errors. Every error Read returns wraps one of them and is one line that
// starts with "lightgbm:".
var (
	// ErrFormat marks a file that is not a LightGBM text model.
	ErrFormat = errors.New("lightgbm: not a LightGBM text model")
	// ErrUnsupported marks a LightGBM model that uses something the reader
	// does not predict.
	ErrUnsupported = errors.New("lightgbm: unsupported model")
	// ErrMalformed marks a LightGBM model the reader could not decode.
	ErrMalformed = errors.New("lightgbm: malformed model")
)

// Model is a LightGBM model. It is immutable and safe for concurrent use.
type Model struct {
	// Version is the format version in the file ("v2", "v3").
	Version string
	// Objective is the objective line, e.g. "binary sigmoid:1".
	Objective string
	// Boosting is "gbdt", "dart" or "rf" (as far as the file tells: a
	// DART model is saved like a gbdt one).
	Boosting string
	// FeatureNames are the names stored in the file.
	FeatureNames []string
	// Categorical marks the features the model splits on as categories.
	Categorical []bool

	raw, transformed *leaves.Ensemble
}

// supportedObjectives are the objectives whose output transformation the
// reader applies (the first word of the objective line).
var supportedObjectives = map[string]bool{
	"binary": true, "multiclass": true, "regression": true, "regression_l1": true,
	"huber": true, "fair": true, "quantile": true, "mape": true,
	"poisson": true, "gamma": true, "tweedie": true,
}

// Detect reports whether data looks like a LightGBM text model.
func Detect(data []byte) bool {
	d := bytes.TrimLeft(data, " \t\r\n")
	return bytes.HasPrefix(d, []byte("tree\n")) || bytes.HasPrefix(d, []byte("tree\r\n"))
}

// Read decodes a LightGBM text model.
func Read(data []byte) (*Model, error) {
	if !Detect(data) {
		return nil, fmt.Errorf("%w: it does not start with the line \"tree\"", ErrFormat)
	}
	head := header(data)
	m := &Model{Version: head["version"], Objective: head["objective"], Boosting: "gbdt"}
	switch m.Version {
	case "v2", "v3":
	case "v4":
		return nil, fmt.Errorf("%w: format version v4 (LightGBM 4) is not read by github.com/dmitryikh/leaves, which reads v2 and v3; save the model with LightGBM 3", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: format version %q (want v2 or v3)", ErrUnsupported, m.Version)
	}
	if _, ok := head["average_output"]; ok {
		m.Boosting = "rf"
	}
	obj, _, _ := strings.Cut(m.Objective, " ")
	if !supportedObjectives[obj] && m.Boosting != "rf" {
		return nil, fmt.Errorf("%w: objective %q (supported: binary, multiclass, regression, poisson, gamma, tweedie)", ErrUnsupported, m.Objective)
	}
	if !bytes.Contains(data, []byte("\nend of trees")) {
		return nil, fmt.Errorf("%w: no \"end of trees\" line (truncated file?)", ErrMalformed)
	}
	if bytes.Contains(data, []byte("\nis_linear=1")) {
		return nil, fmt.Errorf("%w: linear trees (linear_tree=true) are not read by github.com/dmitryikh/leaves", ErrUnsupported)
	}
	if names := head["feature_names"]; names != "" {
		m.FeatureNames = strings.Fields(names)
	}
	for _, info := range strings.Fields(head["feature_infos"]) {
		// numerical features show their range [lo:hi] (or none), categorical
		// ones the list of their categories a:b:c
		m.Categorical = append(m.Categorical, info != "none" && !strings.HasPrefix(info, "["))
	}
	e, err := decode(data)
	if err != nil {
		return nil, err
	}
	m.transformed = e
	m.raw = e.EnsembleWithRawPredictions()
	if n := len(m.FeatureNames); n != 0 && n != e.NFeatures() {
		return nil, fmt.Errorf("%w: %d feature names for %d features", ErrMalformed, n, e.NFeatures())
	}
	if err := m.probe(data); err != nil {
		return nil, err
	}
	return m, nil
}

// probe checks what leaves takes on trust: that every split is on a
// feature the model has, and that the trees can be walked (a row of zeros,
// one of missing values and one of large values each reach leaves without
// a panic).
func (m *Model) probe(data []byte) (err error) {
	n := m.NumFeature()
	if n < 1 {
		return fmt.Errorf("%w: no features", ErrMalformed)
	}
	for _, line := range strings.Split(string(data), "\n") {
		list, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "split_feature=")
		if !ok {
			continue
		}
		for _, f := range strings.Fields(list) {
			if j, err := strconv.Atoi(f); err != nil || j < 0 || j >= n {
				return fmt.Errorf("%w: a split on feature %q of %d", ErrMalformed, f, n)
			}
		}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: the trees cannot be walked (%v)", ErrMalformed, r)
		}
	}()
	out := make([]float64, max(m.NumOutputs(), m.transformed.NOutputGroups()))
	for _, v := range []float64{0, math.NaN(), 1e300, -1e300} {
		row := make([]float64, n)
		for j := range row {
			row[j] = v
		}
		m.Raw(row, out)
		m.Predict(row, out)
	}
	return nil
}

// decode runs leaves' reader, which panics on some inconsistent files.
func decode(data []byte) (e *leaves.Ensemble, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("%w: inconsistent trees (%v)", ErrMalformed, r)
		}
	}()
	e, err = leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(data)), true)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, oneLine(err.Error()))
	}
	return e, nil
}

// header returns the key=value lines (and bare flags) before the first
// blank line.
func header(data []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(data[:min(len(data), 1<<20)]), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" && len(out) > 0 {
			break
		}
		k, v, _ := strings.Cut(line, "=")
		out[k] = v // a flag such as average_output has no value
	}
	return out
}

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// NumFeature returns the number of input columns.
func (m *Model) NumFeature() int { return m.raw.NFeatures() }

// NumOutputs returns the number of raw scores per row (the number of
// classes of a multiclass model, else 1).
func (m *Model) NumOutputs() int { return m.raw.NRawOutputGroups() }

// NumTrees returns the number of trees.
func (m *Model) NumTrees() int { return m.raw.NEstimators() * m.raw.NRawOutputGroups() }

// Raw writes the raw scores of row (LightGBM's raw_score=True) to out.
func (m *Model) Raw(row, out []float64) {
	m.check(row)
	if err := m.raw.Predict(row, 0, out); err != nil {
		panic("lightgbm: " + err.Error())
	}
}

// Predict writes LightGBM's predict() output for row to out: raw scores
// through the objective's transformation (sigmoid, softmax, exp).
func (m *Model) Predict(row, out []float64) {
	m.check(row)
	if err := m.transformed.Predict(row, 0, out); err != nil {
		panic("lightgbm: " + err.Error())
	}
}

// check panics on a row of the wrong width: a programmer error, as the
// caller checks rows against the schema first.
func (m *Model) check(row []float64) {
	if len(row) != m.NumFeature() {
		panic("lightgbm: row of " + strconv.Itoa(len(row)) + " values for " + strconv.Itoa(m.NumFeature()) + " features")
	}
}
