package validation

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/dataset"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var fixedNow = func() time.Time { return time.Date(2026, 11, 25, 13, 42, 41, 0, time.UTC) }

var heartNames = []string{"age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak", "slope", "ca", "thal", "num"}

func heartSchema() *dataset.Schema {
	s := &dataset.Schema{}
	for _, n := range heartNames {
		s.Columns = append(s.Columns, dataset.Column{Name: n, Kind: dataset.Numeric})
	}
	return s
}

func loadSuite(t testing.TB, path string) *Suite {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSuite(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func loadHeart(t testing.TB, name string) *dataset.Frame {
	t.Helper()
	f, _, err := dataset.ReadFile("../../testdata/heart/"+name, heartSchema(), dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got %s\nwant %s\n(run go test -update after checking the change)", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: got %d lines, want %d", name, len(gl), len(wl))
	}
}

func marshal(t *testing.T, r *SuiteResult) []byte {
	t.Helper()
	b, err := r.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHeartSuite(t *testing.T) {
	suite := loadSuite(t, "../../testdata/suites/heart.json")
	t.Run("cleveland passes", func(t *testing.T) {
		r := Validate(suite, loadHeart(t, "processed.cleveland.data"), Options{ResultFormat: "SUMMARY", Now: fixedNow})
		if !r.Success {
			for _, f := range r.Failed() {
				t.Errorf("failed: %s %s %v", f.Type(), f.Column(), f.Result)
			}
		}
		golden(t, "heart_cleveland.json", marshal(t, r))
	})
	t.Run("hungarian fails on its missing and implausible columns", func(t *testing.T) {
		r := Validate(suite, loadHeart(t, "processed.hungarian.data"), Options{ResultFormat: "SUMMARY", Now: fixedNow})
		if r.Success {
			t.Fatal("Hungarian data passed")
		}
		type fail struct {
			typ, column string
			unexpected  int
		}
		var got []fail
		for _, f := range r.Failed() {
			n, _ := f.UnexpectedCount()
			got = append(got, fail{f.Type(), f.Column(), n})
		}
		want := []fail{
			{"expect_column_values_to_not_be_null", "chol", 23},
			{"expect_column_values_to_not_be_null", "fbs", 8},
			{"expect_column_values_to_not_be_null", "slope", 190},
			{"expect_column_values_to_not_be_null", "ca", 291},
			{"expect_column_values_to_not_be_null", "thal", 266},
			{"expect_column_values_to_be_between", "chol", 2},
		}
		if len(got) != len(want) {
			t.Fatalf("failures = %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("failure %d = %+v, want %+v", i, got[i], want[i])
			}
		}
		if r.Statistics.EvaluatedExpectations != 40 || r.Statistics.UnsuccessfulExpectations != 6 {
			t.Errorf("statistics = %+v", r.Statistics)
		}
		golden(t, "heart_hungarian.json", marshal(t, r))
	})
}

// frame is a small table with nulls, duplicates and text for the unit tests.
func frame(t *testing.T) *dataset.Frame {
	t.Helper()
	raw := "id,x,code,name\n" +
		"1,1.5,1,10\n" +
		"2,2.5,2,11\n" +
		"3,?,2,12\n" +
		"4,4,3,100\n" +
		"5,5,,13\n" +
		"6,?,9,14\n" +
		"7,7,1,10\n" +
		"8,8,1,15\n"
	f, err := dataset.Parse([]byte(raw), nil, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func suiteOf(t *testing.T, expectations string) *Suite {
	t.Helper()
	s, err := ParseSuite([]byte(`{"expectation_suite_name": "t", "expectations": [` + expectations + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func one(t *testing.T, f *dataset.Frame, expectation string) ExpectationResult {
	t.Helper()
	r := Validate(suiteOf(t, expectation), f, Options{ResultFormat: "COMPLETE", Now: fixedNow})
	return r.Results[0]
}

func TestMostlyAndPercents(t *testing.T) {
	f := frame(t) // x: 8 rows, 2 null, 6 non-null: 1.5 2.5 4 5 7 8
	tests := []struct {
		name       string
		kwargs     string
		success    bool
		unexpected int
	}{
		// 2 of 6 non-null values are above 5: 4/6 = 0.667 pass.
		{"mostly below the share", `"min_value": 0, "max_value": 5, "mostly": 0.66`, true, 2},
		{"mostly at the share exactly", `"min_value": 0, "max_value": 5, "mostly": 0.5`, true, 2},
		{"mostly above the share", `"min_value": 0, "max_value": 5, "mostly": 0.67`, false, 2},
		{"no mostly means all", `"min_value": 0, "max_value": 8`, true, 0},
		{"strict max excludes the bound", `"min_value": 0, "max_value": 8, "strict_max": true`, false, 1},
		{"strict min excludes the bound", `"min_value": 1.5, "max_value": null, "strict_min": true`, false, 1},
		{"null min is unbounded", `"min_value": null, "max_value": 8`, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := one(t, f, `{"expectation_type": "expect_column_values_to_be_between", "kwargs": {"column": "x", `+tt.kwargs+`}}`)
			n, _ := r.UnexpectedCount()
			if r.Success != tt.success || n != tt.unexpected {
				t.Errorf("success %v unexpected %d, want %v %d (%v)", r.Success, n, tt.success, tt.unexpected, r.Result)
			}
			el, _ := r.Result.Int("element_count")
			miss, _ := r.Result.Int("missing_count")
			pct, _ := r.Result.Float("unexpected_percent")
			tot, _ := r.Result.Float("unexpected_percent_total")
			if el != 8 || miss != 2 || math.Abs(pct-float64(tt.unexpected)/6*100) > 1e-12 || math.Abs(tot-float64(tt.unexpected)/8*100) > 1e-12 {
				t.Errorf("element_count %d missing %d unexpected_percent %v total %v", el, miss, pct, tot)
			}
		})
	}
}

func TestNullChecksCountAllRows(t *testing.T) {
	f := frame(t)
	r := one(t, f, `{"expectation_type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x", "mostly": 0.75}}`)
	// 6 of 8 present: 0.75 >= 0.75.
	if !r.Success {
		t.Errorf("not_be_null mostly 0.75 failed: %v", r.Result)
	}
	if _, has := r.Result.Get("missing_count"); has {
		t.Error("not_be_null result has missing_count; Great Expectations leaves it out")
	}
	if p, _ := r.Result.Float("unexpected_percent"); p != 25 {
		t.Errorf("unexpected_percent = %v, want 25 (of all rows)", p)
	}
	list, _ := r.Result.Get("unexpected_index_list")
	if got, _ := json.Marshal(list); string(got) != "[2,5]" {
		t.Errorf("unexpected_index_list = %s, want [2,5]", got)
	}
	r = one(t, f, `{"expectation_type": "expect_column_values_to_be_null", "kwargs": {"column": "x"}}`)
	if n, _ := r.UnexpectedCount(); r.Success || n != 6 {
		t.Errorf("be_null: success %v unexpected %d, want false 6", r.Success, n)
	}
}

func TestUniqueCountsEveryCopy(t *testing.T) {
	r := one(t, frame(t), `{"expectation_type": "expect_column_values_to_be_unique", "kwargs": {"column": "code"}}`)
	// code: 1 2 2 3 _ 9 1 1 -> the three 1s and two 2s are unexpected.
	list, _ := r.Result.Get("unexpected_list")
	got, _ := json.Marshal(list)
	if n, _ := r.UnexpectedCount(); r.Success || n != 5 || string(got) != "[1,2,2,1,1]" {
		t.Errorf("unique: success %v unexpected %d list %s", r.Success, n, got)
	}
	counts, _ := r.Result.Get("partial_unexpected_counts")
	if got, _ := json.Marshal(counts); string(got) != `[{"value":1.0,"count":3},{"value":2.0,"count":2}]` {
		t.Errorf("partial_unexpected_counts = %s", got)
	}
}

func TestVacuousSuccess(t *testing.T) {
	empty, err := dataset.Parse([]byte("x\n"), nil, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	allNull, err := dataset.Parse([]byte("x\n?\n?\n"), nil, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*dataset.Frame{"no rows": empty, "all null": allNull} {
		r := one(t, f, `{"expectation_type": "expect_column_values_to_be_in_set", "kwargs": {"column": "x", "value_set": [1]}}`)
		if !r.Success {
			t.Errorf("%s: in_set failed: %v", name, r.Result)
		}
		if p, has := r.Result.Get("unexpected_percent"); !has || p != nil {
			t.Errorf("%s: unexpected_percent = %v, want null", name, p)
		}
		r = one(t, f, `{"expectation_type": "expect_column_mean_to_be_between", "kwargs": {"column": "x", "min_value": 0}}`)
		if v, has := r.Observed(); r.Success || !has || v != nil {
			t.Errorf("%s: mean of nothing: success %v observed %v, want false null", name, r.Success, v)
		}
	}
}

func TestAggregates(t *testing.T) {
	f := frame(t) // x non-null: 1.5 2.5 4 5 7 8
	tests := []struct {
		typ  string
		want float64
	}{
		{"expect_column_mean_to_be_between", 28.0 / 6},
		{"expect_column_median_to_be_between", 4.5},
		{"expect_column_stdev_to_be_between", 2.5232254490367416},
		{"expect_column_sum_to_be_between", 28},
		{"expect_column_min_to_be_between", 1.5},
		{"expect_column_max_to_be_between", 8},
		{"expect_column_proportion_of_unique_values_to_be_between", 1},
	}
	for _, tt := range tests {
		r := one(t, f, `{"expectation_type": "`+tt.typ+`", "kwargs": {"column": "x", "min_value": 0, "max_value": 100}}`)
		v, _ := r.Observed()
		got, _ := toFloat(v)
		if !r.Success || math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("%s: success %v observed %v, want %v", tt.typ, r.Success, v, tt.want)
		}
	}
	r := one(t, f, `{"expectation_type": "expect_column_median_to_be_between", "kwargs": {"column": "code", "min_value": 0, "max_value": 1.9}}`)
	if v, _ := r.Observed(); r.Success || v != 2.0 {
		t.Errorf("median of code (1 1 1 2 2 3 9) = %v, success %v; want 2 and failure", v, r.Success)
	}
}

func TestTableExpectations(t *testing.T) {
	f := frame(t)
	r := one(t, f, `{"expectation_type": "expect_table_columns_to_match_ordered_list", "kwargs": {"column_list": ["id", "code", "x", "name"]}}`)
	details, _ := r.Result.Get("details")
	got, _ := json.Marshal(details)
	want := `{"mismatched":[{"Expected Column Position":1,"Expected":"code","Found":"x"},{"Expected Column Position":2,"Expected":"x","Found":"code"}]}`
	if r.Success || string(got) != want {
		t.Errorf("ordered list: success %v details %s, want %s", r.Success, got, want)
	}
	r = one(t, f, `{"expectation_type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 8, "max_value": 8}}`)
	if v, _ := r.Result.Int("observed_value"); !r.Success || v != 8 {
		t.Errorf("row count: %v %v", r.Success, v)
	}
	r = one(t, f, `{"expectation_type": "expect_column_to_exist", "kwargs": {"column": "code", "column_index": 2}}`)
	if !r.Success {
		t.Error("code at index 2 not found")
	}
	r = one(t, f, `{"expectation_type": "expect_table_columns_to_match_set", "kwargs": {"column_set": ["id", "x"], "exact_match": false}}`)
	if !r.Success {
		t.Error("subset match failed")
	}
}

func TestMissingColumnIsAnException(t *testing.T) {
	r := one(t, frame(t), `{"expectation_type": "expect_column_values_to_not_be_null", "kwargs": {"column": "chol"}}`)
	if r.Success || !r.ExceptionInfo.RaisedException || r.ExceptionInfo.ExceptionMessage == nil ||
		*r.ExceptionInfo.ExceptionMessage != `The column "chol" in BatchData does not exist.` {
		t.Errorf("result = %+v", r)
	}
}

func TestTextExpectations(t *testing.T) {
	f := frame(t) // name texts: 10 11 12 100 13 14 10 15
	r := one(t, f, `{"expectation_type": "expect_column_values_to_match_regex", "kwargs": {"column": "name", "regex": "^1[0-9]$"}}`)
	if n, _ := r.UnexpectedCount(); r.Success || n != 1 {
		t.Errorf("regex: %v %d", r.Success, n)
	}
	r = one(t, f, `{"expectation_type": "expect_column_value_lengths_to_equal", "kwargs": {"column": "name", "value": 2, "mostly": 0.8}}`)
	if n, _ := r.UnexpectedCount(); !r.Success || n != 1 {
		t.Errorf("lengths: %v %d", r.Success, n)
	}
	r = one(t, f, `{"expectation_type": "expect_column_values_to_be_in_set", "kwargs": {"column": "x", "value_set": ["1.5", 2.5, 4, 5, 7, 8]}}`)
	if !r.Success {
		t.Errorf("mixed set: %v", r.Result)
	}
}

func TestTypes(t *testing.T) {
	f := frame(t) // id int64, x float64 (missing), code float64 (missing), name int64
	for _, tt := range []struct {
		kwargs string
		ok     bool
		dtype  string
	}{
		{`"column": "id", "type_": "int64"`, true, "int64"},
		{`"column": "id", "type_": "float"`, false, "int64"},
		{`"column": "x", "type_": "float64"`, true, "float64"},
		{`"column": "x", "type_": "str"`, false, "float64"},
	} {
		r := one(t, f, `{"expectation_type": "expect_column_values_to_be_of_type", "kwargs": {`+tt.kwargs+`}}`)
		if v, _ := r.Result.String("observed_value"); r.Success != tt.ok || v != tt.dtype {
			t.Errorf("%s: success %v observed %q, want %v %q", tt.kwargs, r.Success, v, tt.ok, tt.dtype)
		}
	}
}

func TestDistinctSets(t *testing.T) {
	f := frame(t) // code distinct: 1 2 3 9
	for _, tt := range []struct {
		typ, set string
		ok       bool
	}{
		{"expect_column_distinct_values_to_be_in_set", "[1, 2, 3]", false},
		{"expect_column_distinct_values_to_be_in_set", "[1, 2, 3, 9, 10]", true},
		{"expect_column_distinct_values_to_contain_set", "[1, 9]", true},
		{"expect_column_distinct_values_to_contain_set", "[1, 4]", false},
		{"expect_column_distinct_values_to_equal_set", "[9, 3, 2, 1]", true},
		{"expect_column_distinct_values_to_equal_set", "[9, 3, 2, 1, 0]", false},
		{"expect_column_most_common_value_to_be_in_set", "[1]", true},
		{"expect_column_most_common_value_to_be_in_set", "[2]", false},
	} {
		r := one(t, f, `{"expectation_type": "`+tt.typ+`", "kwargs": {"column": "code", "value_set": `+tt.set+`}}`)
		if r.Success != tt.ok {
			t.Errorf("%s %s: success %v, want %v (%v)", tt.typ, tt.set, r.Success, tt.ok, r.Result)
		}
	}
}

// TestResultFormats pins the layout of each result format in a golden file.
func TestResultFormats(t *testing.T) {
	f := frame(t)
	var all []*SuiteResult
	for _, format := range []string{"BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE"} {
		s := suiteOf(t, `
			{"expectation_type": "expect_column_values_to_be_between", "kwargs": {"column": "code", "min_value": 1, "max_value": 2, "mostly": 0.5}, "meta": {"notes": "map"}},
			{"expectation_type": "expect_column_values_to_not_be_null", "kwargs": {"column": "code"}},
			{"expectation_type": "expect_column_distinct_values_to_be_in_set", "kwargs": {"column": "code", "value_set": [1, 2, 3]}},
			{"expectation_type": "expect_column_values_to_be_in_set", "kwargs": {"column": "code", "value_set": [1], "result_format": {"result_format": "SUMMARY", "partial_unexpected_count": 1}, "include_config": false}}`)
		all = append(all, Validate(s, f, Options{ResultFormat: format, RunName: "formats-" + strings.ToLower(format), Now: fixedNow,
			BatchKwargs: Object{{"path", "frame.csv"}}}))
	}
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "result_formats.json", append(b, '\n'))
}

func TestResultRoundTrip(t *testing.T) {
	r := Validate(loadSuite(t, "../../testdata/suites/heart.json"), loadHeart(t, "processed.hungarian.data"), Options{ResultFormat: "SUMMARY", Now: fixedNow})
	first := marshal(t, r)
	back, err := ParseResult(first)
	if err != nil {
		t.Fatal(err)
	}
	if second := marshal(t, back); !bytes.Equal(first, second) {
		t.Error("result changed in a JSON round trip")
	}
	if len(back.Failed()) != 6 || back.Failed()[0].Column() != "chol" {
		t.Errorf("decoded failures: %d", len(back.Failed()))
	}
	if n, ok := back.Failed()[2].UnexpectedCount(); !ok || n != 190 {
		t.Errorf("decoded unexpected_count = %d, %v", n, ok)
	}
}

func TestMetaAndStatistics(t *testing.T) {
	r := Validate(suiteOf(t, ""), frame(t), Options{Now: fixedNow})
	if !r.Success || r.Statistics.SuccessPercent != nil || r.Statistics.EvaluatedExpectations != 0 {
		t.Errorf("empty suite: %+v", r.Statistics)
	}
	b, _ := json.Marshal(r.Meta)
	want := `{"great_expectations_version":"0.18.21","expectation_suite_name":"t","run_id":{"run_name":null,"run_time":"2026-11-25T13:42:41.000000+00:00"},"batch_kwargs":{},"batch_markers":{},"batch_parameters":{},"validation_time":"20261125T134241.000000Z","expectation_suite_meta":{}}`
	if string(b) != want {
		t.Errorf("meta\n got %s\nwant %s", b, want)
	}
}

func TestSummary(t *testing.T) {
	r := Validate(loadSuite(t, "../../testdata/suites/heart.json"), loadHeart(t, "processed.hungarian.data"), Options{Now: fixedNow})
	s := Summarize(r)
	want := "suite heart: 6 of 40 expectations failed: chol: values_to_not_be_null, 23 of 294 unexpected; " +
		"fbs: values_to_not_be_null, 8 of 294 unexpected; slope: values_to_not_be_null, 190 of 294 unexpected; " +
		"ca: values_to_not_be_null, 291 of 294 unexpected; thal: values_to_not_be_null, 266 of 294 unexpected; " +
		"chol: values_to_be_between, 2 of 294 unexpected"
	if got := s.String(); got != want {
		t.Errorf("summary\n got %s\nwant %s", got, want)
	}
	if len(s.Failures) != 6 || s.Failures[5].Examples[0] != "85" || s.Failures[5].Examples[1] != "603" {
		t.Errorf("failures = %+v", s.Failures)
	}
	ok := Summarize(Validate(loadSuite(t, "../../testdata/suites/heart.json"), loadHeart(t, "processed.cleveland.data"), Options{Now: fixedNow}))
	if ok.String() != "suite heart: all 40 expectations passed" || len(ok.Failures) != 0 {
		t.Errorf("passing summary = %s", ok)
	}
}

func TestPyFloatMatchesPythonRepr(t *testing.T) {
	// Expected strings are Python 3's repr() of the same floats.
	tenth := 0.1
	for v, want := range map[float64]string{
		0: "0.0", 1: "1.0", 63: "63.0", 0.7: "0.7", -2.5: "-2.5", tenth + 0.2: "0.30000000000000004",
		1e16: "1e+16", 1.5e16: "1.5e+16", 1e15: "1000000000000000.0", 123456.789: "123456.789",
		0.0001: "0.0001", 0.00001: "1e-05", -1.25e-7: "-1.25e-07", 1e300: "1e+300", 2.5e-300: "2.5e-300",
	} {
		if got := pyFloat(v); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", v, got, want)
		}
	}
	if got := pyFloat(math.Copysign(0, -1)); got != "-0.0" {
		t.Errorf("pyFloat(-0) = %q", got)
	}
}

func TestTextIsAsPandasPrints(t *testing.T) {
	f := frame(t) // x is float64 (it has missing cells): 1.5 2.5 4 5 7 8
	r := one(t, f, `{"expectation_type": "expect_column_values_to_match_regex", "kwargs": {"column": "x", "regex": "\\.[05]$"}}`)
	if !r.Success {
		t.Errorf("float64 texts should end in .0 or .5: %v", r.Result)
	}
	r = one(t, f, `{"expectation_type": "expect_column_values_to_match_regex", "kwargs": {"column": "id", "regex": "^[0-9]$"}}`)
	if !r.Success {
		t.Errorf("int64 texts should be bare digits: %v", r.Result)
	}
}
