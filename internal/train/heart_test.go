package train

import (
	"strings"
	"testing"

	"github.com/stewardml/steward/internal/dataset"
)

var heartNames = strings.Fields("age sex cp trestbps chol fbs restecg thalach exang oldpeak slope ca thal num")

// heartSchema is the schema of the UCI processed files, as the project
// configuration describes it.
func heartSchema() *dataset.Schema {
	kinds := map[string]dataset.Kind{
		"sex": dataset.Binary, "fbs": dataset.Binary, "exang": dataset.Binary,
		"cp": dataset.Categorical, "restecg": dataset.Categorical, "slope": dataset.Categorical, "thal": dataset.Categorical,
	}
	levels := map[string][]float64{"cp": {1, 2, 3, 4}, "restecg": {0, 1, 2}, "slope": {1, 2, 3}, "thal": {3, 6, 7}}
	s := &dataset.Schema{Target: dataset.Target{Column: "num", Op: ">", Value: 0}}
	for _, n := range heartNames {
		c := dataset.Column{Name: n, Kind: dataset.Numeric}
		if k, ok := kinds[n]; ok {
			c.Kind = k
		}
		for _, v := range levels[n] {
			c.Levels = append(c.Levels, dataset.Level{Value: v})
		}
		s.Columns = append(s.Columns, c)
	}
	return s
}

func cleveland(t testing.TB) Data {
	t.Helper()
	s := heartSchema()
	f, raw, err := dataset.ReadFile("../../testdata/heart/processed.cleveland.data", s, dataset.Options{Format: dataset.FormatRaw})
	if err != nil {
		t.Fatal(err)
	}
	return Data{Schema: s, Frame: f, Digest: "sha256:" + sha(raw)}
}
