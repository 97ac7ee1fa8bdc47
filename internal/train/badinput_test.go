package train

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/ml/eval"
)

type evalStat = eval.Stat

// withColumn returns d with column name replaced by edit's output.
func withColumn(t *testing.T, d Data, name string, edit func([]float64)) Data {
	t.Helper()
	cols := make([][]float64, len(d.Frame.Cols))
	for j := range cols {
		cols[j] = append([]float64(nil), d.Frame.Cols[j]...)
	}
	edit(cols[d.Frame.Index(name)])
	f, err := dataset.NewFrame(d.Frame.Names, cols)
	if err != nil {
		t.Fatal(err)
	}
	return Data{Schema: d.Schema, Frame: f, Digest: "edited"}
}

// firstRows returns d cut to its first n rows.
func firstRows(t *testing.T, d Data, n int) Data {
	t.Helper()
	cols := make([][]float64, len(d.Frame.Cols))
	for j := range cols {
		cols[j] = append([]float64(nil), d.Frame.Cols[j][:n]...)
	}
	f, err := dataset.NewFrame(d.Frame.Names, cols)
	if err != nil {
		t.Fatal(err)
	}
	return Data{Schema: d.Schema, Frame: f, Digest: "cut"}
}

func TestBadInputGivesClearErrors(t *testing.T) {
	d := cleveland(t)
	quick := Config{Folds: 3, Repeats: 1, Families: []FamilySearch{{Family: "logreg", Params: map[string]any{"C": 1}}}}
	with := func(edit func(*Config)) Config {
		c := quick
		c.Families = append([]FamilySearch(nil), quick.Families...)
		edit(&c)
		return c
	}
	tests := []struct {
		name string
		data Data
		cfg  Config
		is   error
		says string
	}{
		{
			name: "target with one class",
			data: withColumn(t, d, "num", func(c []float64) {
				for i := range c {
					c[i] = 0
				}
			}),
			cfg: quick, is: ErrInvalidData,
			says: `column "num": target "num > 0" has a single class: all 303 rows are class 0`,
		},
		{
			name: "all-missing feature",
			data: withColumn(t, d, "chol", func(c []float64) {
				for i := range c {
					c[i] = math.NaN()
				}
			}),
			cfg: quick, is: ErrInvalidData,
			says: `column "chol": feature is missing in all 303 rows`,
		},
		{
			name: "infinite value",
			data: withColumn(t, d, "oldpeak", func(c []float64) { c[41] = math.Inf(-1) }),
			cfg:  quick, is: ErrInvalidData,
			says: `row 42, column "oldpeak": value -Inf, want a finite number or a missing cell`,
		},
		{
			name: "missing target value",
			data: withColumn(t, d, "num", func(c []float64) { c[9] = math.NaN() }),
			cfg:  quick, is: ErrInvalidData,
			says: `row 10, column "num": the target value is missing`,
		},
		{
			name: "fewer rows than folds",
			data: firstRows(t, d, 8),
			cfg:  with(func(c *Config) { c.Folds = 5 }), is: ErrInvalidData,
			says: "fewer than the 5 folds",
		},
		{
			name: "unknown family",
			data: d,
			cfg:  with(func(c *Config) { c.Families = []FamilySearch{{Family: "xgboost"}} }), is: ErrInvalidConfig,
			says: `training.families[0].family "xgboost" is unknown, want one of logreg, forest, gbdt`,
		},
		{
			name: "unknown parameter",
			data: d,
			cfg:  with(func(c *Config) { c.Families[0].Params = map[string]any{"penalty": "l1"} }), is: ErrInvalidConfig,
			says: `unknown field "penalty"`,
		},
		{
			name: "bad parameter value",
			data: d,
			cfg:  with(func(c *Config) { c.Families[0].Params = map[string]any{"C": []any{1, -2}} }), is: ErrInvalidConfig,
			says: "C = -2, want a finite value > 0",
		},
		{
			name: "unknown metric",
			data: d,
			cfg:  with(func(c *Config) { c.Metric = "auc" }), is: ErrInvalidConfig,
			says: `training.metric "auc" is unknown`,
		},
		{
			name: "one fold",
			data: d,
			cfg:  with(func(c *Config) { c.Folds = 1 }), is: ErrInvalidConfig,
			says: "training.folds = 1, want at least 2",
		},
		{
			name: "unknown search",
			data: d,
			cfg:  with(func(c *Config) { c.Families[0].Search = "bayes" }), is: ErrInvalidConfig,
			says: `training.families[0].search "bayes", want grid or random`,
		},
		{
			name: "family twice",
			data: d,
			cfg:  with(func(c *Config) { c.Families = append(c.Families, c.Families[0]) }), is: ErrInvalidConfig,
			says: "listed twice",
		},
		{
			name: "empty value list",
			data: d,
			cfg:  with(func(c *Config) { c.Families[0].Params = map[string]any{"C": []any{}} }), is: ErrInvalidConfig,
			says: `parameter "C" has an empty list of values`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.data, tc.cfg, Options{})
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %q, want it to say %q", err, tc.says)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	c := Config{Seed: 3, Families: []FamilySearch{
		{Family: "forest", Params: map[string]any{"n_trees": []any{10, 20}, "max_depth": []any{2, 4, 0}}},
		{Family: "gbdt", Search: SearchRandom, Samples: 3, Params: map[string]any{
			"learning_rate": []any{0.05, 0.1, 0.2}, "max_depth": []any{2, 3, 4}}},
	}}
	cands, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 9 {
		t.Fatalf("%d candidates, want 6 + 3", len(cands))
	}
	// Keys in lexical order, the last varying fastest.
	if cands[0].ID != "forest-1" || cands[0].Params["max_depth"] != 2 || cands[0].Params["n_trees"] != 10 ||
		cands[1].Params["n_trees"] != 20 || cands[2].Params["max_depth"] != 4 {
		t.Errorf("grid order: %v %v %v", cands[0].Params, cands[1].Params, cands[2].Params)
	}
	again, _ := c.Plan()
	for i := range cands {
		if string(cands[i].Effective) != string(again[i].Effective) {
			t.Errorf("random search is not fixed by the seed: %s vs %s", cands[i].Effective, again[i].Effective)
		}
	}
	if !strings.Contains(string(cands[6].Effective), `"n_trees":100`) {
		t.Errorf("effective parameters lack the defaults: %s", cands[6].Effective)
	}
	def, err := Config{}.Plan()
	if err != nil {
		t.Fatal(err)
	}
	fams := map[string]int{}
	for _, c := range def {
		fams[c.Family]++
	}
	if len(fams) != 3 {
		t.Errorf("the default search covers %v, want all three families", fams)
	}
}

func TestTiesGoToTheSimplerModel(t *testing.T) {
	c := Config{Families: []FamilySearch{
		{Family: "logreg", Params: map[string]any{"C": []any{1.0, 0.1}}},
		{Family: "forest", Params: map[string]any{"n_trees": []any{50, 10}, "max_depth": []any{0, 3}}},
	}}
	cands, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	scored := func(f1 map[string]float64) []Scored {
		var out []Scored
		for _, cd := range cands {
			out = append(out, Scored{Candidate: cd, CV: map[string]evalStat{"f1": {Mean: f1[cd.ID]}}})
		}
		return out
	}
	tests := []struct {
		name string
		f1   map[string]float64
		want string
	}{
		{"clear winner", map[string]float64{"logreg-1": 0.8, "logreg-2": 0.8, "forest-3": 0.9}, "forest-3"},
		{"logreg before forest", map[string]float64{"logreg-1": 0.9, "forest-1": 0.9}, "logreg-1"},
		{"smaller C", map[string]float64{"logreg-1": 0.9, "logreg-2": 0.9}, "logreg-2"},
		// forest-1 (unlimited depth, 50 trees), forest-2 (unlimited, 10),
		// forest-3 (depth 3, 50), forest-4 (depth 3, 10).
		{"fewer trees, then shallower", map[string]float64{"forest-1": 0.9, "forest-2": 0.9, "forest-3": 0.9, "forest-4": 0.9}, "forest-4"},
		{"within tolerance", map[string]float64{"forest-2": 0.9, "forest-4": 0.9 - 1e-12}, "forest-4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := scored(tc.f1)
			i, ok := selectWinner(s, "f1", DefaultTieTolerance)
			if !ok || s[i].ID != tc.want {
				t.Errorf("winner %s, want %s", s[i].ID, tc.want)
			}
		})
	}
	// Lower is better for log loss.
	s := scored(nil)
	for i := range s {
		s[i].CV = map[string]evalStat{"log_loss": {Mean: 0.5}}
	}
	s[3].CV["log_loss"] = evalStat{Mean: 0.4}
	if i, _ := selectWinner(s, "log_loss", DefaultTieTolerance); i != 3 {
		t.Errorf("log loss winner %s, want %s", s[i].ID, s[3].ID)
	}
	// Failed candidates take no part.
	s[3].Error = "boom"
	if i, _ := selectWinner(s, "log_loss", DefaultTieTolerance); i == 3 {
		t.Error("a failed candidate won")
	}
}
