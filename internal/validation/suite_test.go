package validation

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseShippedSuite(t *testing.T) {
	s := loadSuite(t, "../../testdata/suites/heart.json")
	if s.Name != "heart" || len(s.Expectations) != 40 {
		t.Errorf("suite %q with %d expectations", s.Name, len(s.Expectations))
	}
	if s.Expectations[2].Column() != "age" {
		t.Errorf("expectation 2 column = %q", s.Expectations[2].Column())
	}
}

func TestParseSuiteErrors(t *testing.T) {
	wrap := func(e string) string { return `{"expectation_suite_name": "s", "expectations": [` + e + `]}` }
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty document"},
		{"not JSON", "{\n  \"expectation_suite_name\": \"s\",\n  oops\n}", "malformed JSON at line 3, column 3"},
		{"truncated", `{"expectation_suite_name": "s", "expectations": [`, "malformed JSON: the document ends early"},
		{"not an object", `[1, 2]`, "expected a JSON object, got a list"},
		{"no name", `{"expectations": []}`, "expectation_suite_name is required"},
		{"no list", `{"expectation_suite_name": "s"}`, "expectations is required"},
		{"unknown top-level field", `{"expectation_suite_name": "s", "expectations": [], "owner": "x"}`, `unknown field "owner"`},
		{"GX 1.x suite", `{"name": "s", "expectations": []}`, `field "name" belongs to the Great Expectations 1.x suite format`},
		{"duplicate key", `{"expectation_suite_name": "s", "expectation_suite_name": "t", "expectations": []}`, `key "expectation_suite_name" appears twice`},
		{"unknown type", wrap(`{"expectation_type": "expect_column_values_to_be_valid_email", "kwargs": {"column": "a"}}`),
			`expectations[0] (expect_column_values_to_be_valid_email): unknown expectation type "expect_column_values_to_be_valid_email"`},
		{"typo in type", wrap(`{"expectation_type": "expect_column_values_to_not_be_nul", "kwargs": {"column": "a"}}`),
			`(did you mean "expect_column_values_to_not_be_null"?)`},
		{"second expectation bad", wrap(`{"expectation_type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}, {"expectation_type": "nope"}`),
			`expectations[1] (nope): unknown expectation type "nope"`},
		{"GX 1.x expectation", wrap(`{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}`),
			`expectations[0]: "type" is the Great Expectations 1.x spelling`},
		{"missing type", wrap(`{"kwargs": {"column": "a"}}`), `expectations[0]: expectation_type is required`},
		{"type not a string", wrap(`{"expectation_type": 7}`), `expectation_type: expected a non-empty string, got a number`},
		{"missing column", wrap(`{"expectation_type": "expect_column_values_to_be_unique", "kwargs": {}}`), `kwarg "column" is required`},
		{"column not a string", wrap(`{"expectation_type": "expect_column_values_to_be_unique", "kwargs": {"column": 3}}`),
			`expectations[0] (expect_column_values_to_be_unique): kwarg "column": expected a column name (a non-empty string), got a number`},
		{"mostly as text", wrap(`{"expectation_type": "expect_column_values_to_be_unique", "kwargs": {"column": "a", "mostly": "most"}}`),
			`kwarg "mostly": expected a number between 0 and 1, got "most"`},
		{"mostly out of range", wrap(`{"expectation_type": "expect_column_values_to_be_unique", "kwargs": {"column": "a", "mostly": 1.5}}`),
			`kwarg "mostly": expected a number between 0 and 1, got 1.5`},
		{"mostly on aggregate", wrap(`{"expectation_type": "expect_column_mean_to_be_between", "kwargs": {"column": "a", "min_value": 1, "mostly": 0.5}}`),
			`kwarg "mostly" is not an argument of this expectation`},
		{"unknown kwarg", wrap(`{"expectation_type": "expect_column_values_to_be_in_set", "kwargs": {"column": "a", "values": [1]}}`),
			`kwarg "values" is not an argument of this expectation (accepted: `},
		{"value_set not a list", wrap(`{"expectation_type": "expect_column_values_to_be_in_set", "kwargs": {"column": "a", "value_set": 1}}`),
			`kwarg "value_set": expected a list of values, got a number`},
		{"value_set with object", wrap(`{"expectation_type": "expect_column_values_to_be_in_set", "kwargs": {"column": "a", "value_set": [1, {}]}}`),
			`kwarg "value_set": value_set[1]: expected a number or a string, got an object`},
		{"min over max", wrap(`{"expectation_type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "min_value": 5, "max_value": 1}}`),
			`min_value 5 is greater than max_value 1`},
		{"no bounds", wrap(`{"expectation_type": "expect_column_values_to_be_between", "kwargs": {"column": "a"}}`),
			`min_value and max_value cannot both be null`},
		{"bound as text", wrap(`{"expectation_type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "min_value": "5"}}`),
			`kwarg "min_value": expected a number or null, got "5"`},
		{"strict as text", wrap(`{"expectation_type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "min_value": 1, "strict_min": "yes"}}`),
			`kwarg "strict_min": expected true or false, got "yes"`},
		{"bad regex", wrap(`{"expectation_type": "expect_column_values_to_match_regex", "kwargs": {"column": "a", "regex": "(?<=x)y"}}`),
			`kwarg "regex": "(?<=x)y" is not a regular expression this validator supports`},
		{"evaluation parameter", wrap(`{"expectation_type": "expect_table_row_count_to_equal", "kwargs": {"value": {"$PARAMETER": "n"}}}`),
			`kwarg "value": evaluation parameters ($PARAMETER) are not supported`},
		{"row condition", wrap(`{"expectation_type": "expect_column_values_to_be_unique", "kwargs": {"column": "a", "row_condition": "b > 1"}}`),
			`kwarg "row_condition": is not supported by this validator`},
		{"bad result format", wrap(`{"expectation_type": "expect_column_values_to_be_unique", "kwargs": {"column": "a", "result_format": "FULL"}}`),
			`kwarg "result_format": expected one of BOOLEAN_ONLY, BASIC, SUMMARY, COMPLETE, got "FULL"`},
		{"row count not integer", wrap(`{"expectation_type": "expect_table_row_count_to_equal", "kwargs": {"value": 2.5}}`),
			`kwarg "value": expected a non-negative integer, got 2.5`},
		{"column list with number", wrap(`{"expectation_type": "expect_table_columns_to_match_ordered_list", "kwargs": {"column_list": ["a", 1]}}`),
			`kwarg "column_list": [1]: expected a column name, got 1`},
		{"kwargs not an object", wrap(`{"expectation_type": "expect_column_values_to_be_unique", "kwargs": []}`),
			`kwargs: expected an object, got a list`},
		{"unknown expectation field", wrap(`{"expectation_type": "expect_column_values_to_be_unique", "kwargs": {"column": "a"}, "severity": "high"}`),
			`unknown field "severity" (known: expectation_type, kwargs, meta)`},
		{"too deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), "nested deeper than 64 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSuite([]byte(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrSuite) {
				t.Errorf("%v does not wrap ErrSuite", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n got %s\nwant it to contain %s", err, tt.want)
			}
		})
	}
}

func TestSuiteSizeLimit(t *testing.T) {
	big := `{"expectation_suite_name": "s", "expectations": [], "meta": {"pad": "` + strings.Repeat("x", MaxSuiteBytes) + `"}}`
	_, err := ParseSuite([]byte(big))
	if !errors.Is(err, ErrSuite) || !strings.Contains(err.Error(), "-byte limit") {
		t.Errorf("err = %v", err)
	}
}

func TestSupportedTypesIncludeTheRequiredOnes(t *testing.T) {
	have := map[string]bool{}
	for _, typ := range SupportedTypes() {
		have[typ] = true
	}
	for _, typ := range []string{
		"expect_table_columns_to_match_ordered_list", "expect_table_row_count_to_be_between",
		"expect_column_values_to_not_be_null", "expect_column_values_to_be_between", "expect_column_values_to_be_in_set",
		"expect_column_values_to_be_of_type", "expect_column_values_to_be_unique", "expect_column_values_to_match_regex",
		"expect_column_mean_to_be_between", "expect_column_median_to_be_between", "expect_column_stdev_to_be_between",
		"expect_column_proportion_of_unique_values_to_be_between", "expect_column_distinct_values_to_be_in_set",
	} {
		if !have[typ] {
			t.Errorf("%s is not supported", typ)
		}
	}
}

// TestEveryTypeHasAnEvaluator runs one minimal expectation of every
// supported type, so that a type added to the table without an evaluator
// cannot pass unnoticed.
func TestEveryTypeHasAnEvaluator(t *testing.T) {
	f := frame(t)
	for _, typ := range SupportedTypes() {
		sp := specs[typ]
		kw := Object{}
		for _, r := range sp.required {
			switch sp.args[r] {
			case kColumn:
				kw = append(kw, Member{r, "code"})
			case kInt:
				kw = append(kw, Member{r, 1.0})
			case kValueSet:
				kw = append(kw, Member{r, []any{1.0}})
			case kRegex:
				kw = append(kw, Member{r, "1"})
			case kType:
				kw = append(kw, Member{r, "float64"})
			case kTypeList, kColumnList:
				kw = append(kw, Member{r, []any{"float64"}})
			}
			if r == "column" {
				kw.Set("column", "code")
			}
		}
		if sp.between {
			kw = append(kw, Member{"min_value", 0.0})
		}
		b, _ := kw.MarshalJSON()
		s, err := ParseSuite([]byte(`{"expectation_suite_name": "t", "expectations": [{"expectation_type": "` + typ + `", "kwargs": ` + string(b) + `}]}`))
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		r := Validate(s, f, Options{Now: fixedNow}).Results[0]
		if r.ExceptionInfo.RaisedException {
			t.Errorf("%s: %s", typ, *r.ExceptionInfo.ExceptionMessage)
		}
	}
}

func TestSuiteFileErrorsNameTheFileLine(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/suites/heart.json")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(raw), `"mostly": 0.98`, `"mostly": 98`, 1)
	_, err = ParseSuite([]byte(bad))
	if err == nil || !strings.Contains(err.Error(), `expectations[6] (expect_column_values_to_not_be_null): kwarg "mostly": expected a number between 0 and 1, got 98`) {
		t.Errorf("err = %v", err)
	}
}
