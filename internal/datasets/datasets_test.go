package datasets

import (
	"errors"
	"math"
	"testing"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/validation"
)

func TestRankPrefersValidThenLessDriftThenMoreRows(t *testing.T) {
	pass := validation.Summary{Success: true, Evaluated: 3}
	fail := validation.Summary{Success: false, Evaluated: 3, Unsuccessful: 1}
	got, err := Rank([]Candidate{
		{Name: "invalid but big", Rows: 1000, Validation: fail},
		{Name: "valid, drifting", Rows: 500, Validation: pass, Drift: &drift.Report{Tested: 4, Drifted: 2}},
		{Name: "valid, small", Rows: 100, Validation: pass, Drift: &drift.Report{Tested: 4}},
		{Name: "valid, large", Rows: 200, Validation: pass, Drift: &drift.Report{Tested: 4}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range got {
		order = append(order, c.Name)
	}
	want := []string{"valid, large", "valid, small", "valid, drifting", "invalid but big"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %q, want %q", order, want)
		}
	}
	if got[3].Usable || len(got[0].Reasons) != 3 {
		t.Errorf("reasons %+v", got)
	}
	if _, err := Rank([]Candidate{{Name: "x", Validation: fail}}); !errors.Is(err, ErrNoUsable) {
		t.Errorf("all invalid: %v", err)
	}
}

func TestSummarizeSkipsMissingValues(t *testing.T) {
	nan := math.NaN()
	f, err := dataset.NewFrame([]string{"x", "c"}, [][]float64{{1, 2, nan, 3}, {0, 1, 1, nan}})
	if err != nil {
		t.Fatal(err)
	}
	s := &dataset.Schema{Columns: []dataset.Column{{Name: "x", Kind: dataset.Numeric}, {Name: "c", Kind: dataset.Binary, Levels: []dataset.Level{{Value: 1, Label: "yes"}}}}}
	got := Summarize(f, s)
	x, c := got[0], got[1]
	if x.Missing != 1 || *x.Mean != 2 || *x.Std != 1 || *x.Min != 1 || *x.Max != 3 {
		t.Errorf("x %+v", x)
	}
	if c.Missing != 1 || c.Levels["yes"] != 2 || c.Levels["0"] != 1 || c.Mean != nil {
		t.Errorf("c %+v", c)
	}
	if got := MissingShare(f, &dataset.Schema{Columns: s.Columns}); got != 0.25 {
		t.Errorf("missing share %v, want 2 of 8", got)
	}
}
