package drift

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// heartColumns are the 13 features of the UCI files, in file order; the
// 14th field (num) is the diagnosis.
var heartColumns = []string{"age", "sex", "cp", "trestbps", "chol", "fbs", "restecg",
	"thalach", "exang", "oldpeak", "slope", "ca", "thal"}

var heartKinds = map[string]Kind{
	"age": KindNumeric, "trestbps": KindNumeric, "chol": KindNumeric, "thalach": KindNumeric, "oldpeak": KindNumeric,
	"sex": KindBinary, "fbs": KindBinary, "exang": KindBinary,
	"cp": KindCategorical, "restecg": KindCategorical, "slope": KindCategorical, "ca": KindCategorical, "thal": KindCategorical,
}

// heart is a parsed UCI file: the feature columns (NaN for "?") and the
// 0/1 label (num > 0).
type heart struct {
	cols  map[string][]float64
	label []float64
}

func (h heart) rows() int { return len(h.label) }

// readUCI parses a processed UCI heart file: no header, 14 comma-separated
// fields, "?" for a missing value.
func readUCI(t testing.TB, name string) heart {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "heart", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := heart{cols: map[string][]float64{}}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Split(strings.TrimSpace(sc.Text()), ",")
		if len(fields) != 14 {
			t.Fatalf("%s:%d: %d fields, want 14", name, line, len(fields))
		}
		for i, s := range fields {
			v := math.NaN()
			if s != "?" {
				if v, err = strconv.ParseFloat(s, 64); err != nil {
					t.Fatalf("%s:%d field %d: %v", name, line, i+1, err)
				}
			}
			if i == 13 {
				h.label = append(h.label, math.Min(v, 1))
				continue
			}
			h.cols[heartColumns[i]] = append(h.cols[heartColumns[i]], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return h
}

func heartProfile(t testing.TB, h heart, preds []float64) *Profile {
	t.Helper()
	in := ProfileInput{Predictions: preds}
	for _, name := range heartColumns {
		in.Features = append(in.Features, Column{Name: name, Kind: heartKinds[name], Values: h.cols[name]})
	}
	p, err := BuildProfile(in, ProfileOptions{SampleCap: DefaultSampleCap, MaxDistinct: DefaultMaxDistinct, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// resample draws n rows of h with replacement.
func (h heart) resample(r *rand.Rand, n int) heart {
	out := heart{cols: map[string][]float64{}}
	for k := 0; k < n; k++ {
		i := r.IntN(h.rows())
		for _, c := range heartColumns {
			out.cols[c] = append(out.cols[c], h.cols[c][i])
		}
		out.label = append(out.label, h.label[i])
	}
	return out
}

func (h heart) head(n int) heart {
	out := heart{cols: map[string][]float64{}, label: h.label[:n]}
	for _, c := range heartColumns {
		out.cols[c] = h.cols[c][:n]
	}
	return out
}

func (h heart) window() Window { return Window{Columns: h.cols} }
