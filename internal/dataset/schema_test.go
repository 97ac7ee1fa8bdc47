package dataset

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want Target
		err  string
	}{
		{in: "num > 0", want: Target{Column: "num", Op: ">", Value: 0}},
		{in: "num>=1", want: Target{Column: "num", Op: ">=", Value: 1}},
		{in: " target != 0 ", want: Target{Column: "target", Op: "!=", Value: 0}},
		{in: "y == 2.5", want: Target{Column: "y", Op: "==", Value: 2.5}},
		{in: "target", want: Target{Column: "target"}},
		{in: "", err: "empty target expression"},
		{in: "num > abc", err: `expected a finite number after ">", got "abc"`},
		{in: "> 0", err: `expected a column name before ">"`},
		{in: "num is big", err: `expected "column OP number"`},
		{in: "num > NaN", err: "expected a finite number"},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrSchema) {
				t.Errorf("ParseTarget(%q) err = %v, want ErrSchema containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, %v, want %+v", tt.in, got, err, tt.want)
		}
		if back, err := ParseTarget(got.String()); err != nil || back != got {
			t.Errorf("round trip of %q: %+v, %v", got.String(), back, err)
		}
	}
}

func TestTargetLabels(t *testing.T) {
	f, _ := NewFrame([]string{"num", "y"}, [][]float64{{0, 1, 4, math.NaN()}, {0, 1, 2, 1}})
	_, err := Target{Column: "num", Op: ">", Value: 0}.Labels(f)
	if err == nil || err.Error() != `dataset: row 4, column "num": the target value is missing` {
		t.Errorf("missing target: err = %v", err)
	}
	_, err = Target{Column: "y"}.Labels(f)
	if err == nil || err.Error() != `dataset: row 3, column "y": a label column holds 0 or 1, got 2` {
		t.Errorf("bad label: err = %v", err)
	}
	g, _ := NewFrame([]string{"num"}, [][]float64{{0, 1, 4}})
	y, err := Target{Column: "num", Op: ">", Value: 0}.Labels(g)
	if err != nil || y[0] != 0 || y[1] != 1 || y[2] != 1 {
		t.Errorf("Labels = %v, %v, want [0 1 1]", y, err)
	}
}

func TestSchemaValidate(t *testing.T) {
	if err := heartSchema().Validate(); err != nil {
		t.Fatalf("heart schema: %v", err)
	}
	tests := []struct {
		name   string
		modify func(s *Schema)
		want   string
	}{
		{"duplicate", func(s *Schema) { s.Columns[1].Name = "age" }, `column 2 ("age"): duplicate column name`},
		{"bad kind", func(s *Schema) { s.Columns[0].Kind = "number" }, `kind must be numeric, categorical or binary, got "number"`},
		{"min over max", func(s *Schema) { s.Columns[0].Min = ptr(200) }, `min 200 is greater than max 120`},
		{"categorical without levels", func(s *Schema) { s.Columns[2].Levels = nil }, `a categorical column needs levels`},
		{"binary level", func(s *Schema) { s.Columns[1].Levels = []Level{{Value: 2}} }, `a binary level must be 0 or 1, got 2`},
		{"bounds on categorical", func(s *Schema) { s.Columns[2].Max = ptr(3) }, `min and max are for numeric columns`},
		{"unknown target", func(s *Schema) { s.Target.Column = "disease" }, `target column "disease" is not among the columns`},
		{"comma in name", func(s *Schema) { s.Columns[0].Name = "a,b" }, `may not contain a comma`},
		{"no columns", func(s *Schema) { s.Columns = nil }, `no columns`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := heartSchema()
			tt.modify(s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrSchema) {
				t.Errorf("err = %v, want ErrSchema containing %q", err, tt.want)
			}
		})
	}
}

func TestSchemaFeatures(t *testing.T) {
	s := heartSchema()
	names := s.FeatureNames()
	if len(names) != 13 || names[0] != "age" || names[12] != "thal" {
		t.Errorf("FeatureNames = %v, want the 13 columns before num", names)
	}
	if got := s.Columns[1].Allowed(); len(got) != 2 || got[1] != 1 {
		t.Errorf("binary Allowed = %v, want [0 1]", got)
	}
	if got := s.Columns[0].Allowed(); got != nil {
		t.Errorf("numeric Allowed = %v, want nil", got)
	}
}
