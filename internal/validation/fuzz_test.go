package validation

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stewardml/steward/internal/dataset"
)

// FuzzParseSuite feeds arbitrary bytes to the suite reader: it must never
// panic and fail only with ErrSuite; a suite it accepts must run over a
// small frame without raising (beyond missing columns) and give a result
// that is valid JSON.
func FuzzParseSuite(f *testing.F) {
	for _, seed := range []string{
		`{"expectation_suite_name": "s", "expectations": []}`,
		`{"expectation_suite_name": "s", "expectations": [{"expectation_type": "expect_column_values_to_be_between", "kwargs": {"column": "x", "min_value": 0, "max_value": 5, "mostly": 0.5}}]}`,
		`{"expectation_suite_name": "s", "expectations": [{"expectation_type": "expect_column_values_to_be_in_set", "kwargs": {"column": "code", "value_set": [1, "2", true], "result_format": {"result_format": "COMPLETE", "partial_unexpected_count": 2}}}]}`,
		`{"expectation_suite_name": "s", "expectations": [{"expectation_type": "expect_column_values_to_match_regex", "kwargs": {"column": "name", "regex": "^1"}}]}`,
		`{"expectation_suite_name": "s", "expectations": [{"expectation_type": "expect_table_columns_to_match_ordered_list", "kwargs": {"column_list": ["id"]}}], "meta": {}}`,
		`{"expectation_suite_name": "s", "expectations": [{"expectation_type": "expect_column_median_to_be_between", "kwargs": {"column": "x", "min_value": null, "max_value": 1e308}}]}`,
		`{"name": "s"}`,
		`[[[[`,
		`{"expectation_suite_name": "s", "expectations": [{"expectation_type": "nope"}]}`,
	} {
		f.Add([]byte(seed))
	}
	fr, err := dataset.Parse([]byte("id,x,code,name\n1,1.5,1,10\n2,?,2,11\n3,4,,12\n4,4,9,100\n"), nil, dataset.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Large inputs make the fuzzer minimise slowly and find nothing
		// that small ones do not; the size limit has its own test.
		if len(data) > 4096 {
			return
		}
		s, err := ParseSuite(data)
		if err != nil {
			if !errors.Is(err, ErrSuite) {
				t.Fatalf("error does not wrap ErrSuite: %v", err)
			}
			return
		}
		r := Validate(s, fr, Options{Now: fixedNow, Parallel: 1})
		for i, res := range r.Results {
			if res.ExceptionInfo.RaisedException {
				if col := s.Expectations[i].Column(); col == "" || fr.Index(col) >= 0 {
					t.Fatalf("expectation %d (%s) raised: %s", i, s.Expectations[i].Type, *res.ExceptionInfo.ExceptionMessage)
				}
			}
		}
		out, err := r.MarshalIndent()
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON result: %s", out)
		}
	})
}
