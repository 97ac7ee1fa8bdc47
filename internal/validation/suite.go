package validation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strings"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrSuite reports a suite that cannot be used: malformed JSON, an
	// unknown expectation type, a bad keyword argument. Its message names
	// the expectation's index and type.
	ErrSuite = errors.New("validation: invalid expectation suite")
	// ErrResult reports a result document that cannot be read.
	ErrResult = errors.New("validation: invalid validation result")
)

// MaxSuiteBytes bounds the size of a suite file.
const MaxSuiteBytes = 8 << 20

// Suite is a Great Expectations expectation suite.
type Suite struct {
	Name                 string
	Expectations         []Expectation
	Meta                 Object
	DataAssetType        any // string or nil, kept as read
	GECloudID            any // string or nil, kept as read
	EvaluationParameters Object
}

// Expectation is one entry of a suite: its type, keyword arguments as
// written (kept in order, echoed in results), meta, and the arguments
// checked and decoded by ParseSuite.
type Expectation struct {
	Type   string
	Kwargs Object
	Meta   Object

	args args
}

// Column returns the column the expectation is about, or "" for table
// expectations.
func (e Expectation) Column() string { return e.args.column }

// args are the decoded keyword arguments of one expectation.
type args struct {
	column        string
	columnIndex   *int
	min, max      *float64
	strictMin     bool
	strictMax     bool
	mostly        float64
	valueSet      []any // float64 and string members
	regex         *regexp.Regexp
	typeNames     []string
	columnList    []string
	exactMatch    bool
	value         *float64
	tiesOkay      bool
	resultFormat  string // "" means the run's default
	partialCount  int    // -1 means the default (20)
	includeConfig bool
}

// kind of keyword argument.
type argKind int

const (
	kColumn argKind = iota
	kNumber
	kInt
	kBool
	kMostly
	kValueSet
	kRegex
	kType
	kTypeList
	kColumnList
	kResultFormat
	kObject
	kAny         // accepted and ignored when null or false (row_condition and friends)
	kUnsupported // accepted only when null or false
)

// spec describes one expectation type.
type spec struct {
	class    string // "map", "aggregate" or "table"
	args     map[string]argKind
	required []string
	between  bool // min_value/max_value: one of them is required, min <= max
}

var common = map[string]argKind{
	"result_format":    kResultFormat,
	"include_config":   kBool,
	"catch_exceptions": kBool,
	"meta":             kObject,
}

var mapCommon = map[string]argKind{
	"column":           kColumn,
	"mostly":           kMostly,
	"row_condition":    kUnsupported,
	"condition_parser": kAny,
}

var betweenArgs = map[string]argKind{"min_value": kNumber, "max_value": kNumber, "strict_min": kBool, "strict_max": kBool}

func mapSpec(extra map[string]argKind, required ...string) spec {
	return spec{class: "map", args: extra, required: append([]string{"column"}, required...)}
}

func aggSpec(extra map[string]argKind, required ...string) spec {
	a := map[string]argKind{"column": kColumn}
	for k, v := range extra {
		a[k] = v
	}
	return spec{class: "aggregate", args: a, required: append([]string{"column"}, required...)}
}

var aggBetween = func() spec {
	s := aggSpec(betweenArgs)
	s.args["parse_strings_as_datetimes"] = kUnsupported
	s.between = true
	return s
}

// specs lists every supported expectation type.
var specs = map[string]spec{
	// Table-level.
	"expect_table_columns_to_match_ordered_list": {class: "table", args: map[string]argKind{"column_list": kColumnList}, required: []string{"column_list"}},
	"expect_table_columns_to_match_set":          {class: "table", args: map[string]argKind{"column_set": kColumnList, "exact_match": kBool}, required: []string{"column_set"}},
	"expect_table_row_count_to_be_between":       {class: "table", args: map[string]argKind{"min_value": kNumber, "max_value": kNumber, "strict_min": kBool, "strict_max": kBool}, between: true},
	"expect_table_row_count_to_equal":            {class: "table", args: map[string]argKind{"value": kInt}, required: []string{"value"}},
	"expect_table_column_count_to_equal":         {class: "table", args: map[string]argKind{"value": kInt}, required: []string{"value"}},
	"expect_table_column_count_to_be_between":    {class: "table", args: map[string]argKind{"min_value": kNumber, "max_value": kNumber, "strict_min": kBool, "strict_max": kBool}, between: true},
	"expect_column_to_exist":                     {class: "table", args: map[string]argKind{"column": kColumn, "column_index": kInt}, required: []string{"column"}},

	// Column map: one verdict per non-null value, `mostly` applies.
	"expect_column_values_to_not_be_null": mapSpec(nil),
	"expect_column_values_to_be_null":     mapSpec(nil),
	"expect_column_values_to_be_between": func() spec {
		s := mapSpec(map[string]argKind{"min_value": kNumber, "max_value": kNumber, "strict_min": kBool, "strict_max": kBool,
			"parse_strings_as_datetimes": kUnsupported, "allow_cross_type_comparisons": kUnsupported, "output_strftime_format": kAny})
		s.between = true
		return s
	}(),
	"expect_column_values_to_be_in_set":                       mapSpec(map[string]argKind{"value_set": kValueSet, "parse_strings_as_datetimes": kUnsupported}, "value_set"),
	"expect_column_values_to_not_be_in_set":                   mapSpec(map[string]argKind{"value_set": kValueSet, "parse_strings_as_datetimes": kUnsupported}, "value_set"),
	"expect_column_values_to_be_unique":                       mapSpec(nil),
	"expect_column_values_to_match_regex":                     mapSpec(map[string]argKind{"regex": kRegex}, "regex"),
	"expect_column_values_to_not_match_regex":                 mapSpec(map[string]argKind{"regex": kRegex}, "regex"),
	"expect_column_value_lengths_to_be_between":               func() spec { s := mapSpec(betweenArgs); s.between = true; return s }(),
	"expect_column_value_lengths_to_equal":                    mapSpec(map[string]argKind{"value": kInt}, "value"),
	"expect_column_values_to_be_of_type":                      mapSpec(map[string]argKind{"type_": kType}, "type_"),
	"expect_column_values_to_be_in_type_list":                 mapSpec(map[string]argKind{"type_list": kTypeList}, "type_list"),
	"expect_column_mean_to_be_between":                        aggBetween(),
	"expect_column_median_to_be_between":                      aggBetween(),
	"expect_column_stdev_to_be_between":                       aggBetween(),
	"expect_column_sum_to_be_between":                         aggBetween(),
	"expect_column_min_to_be_between":                         aggBetween(),
	"expect_column_max_to_be_between":                         aggBetween(),
	"expect_column_proportion_of_unique_values_to_be_between": aggBetween(),
	"expect_column_unique_value_count_to_be_between":          aggBetween(),
	"expect_column_distinct_values_to_be_in_set":              aggSpec(map[string]argKind{"value_set": kValueSet, "parse_strings_as_datetimes": kUnsupported}, "value_set"),
	"expect_column_distinct_values_to_contain_set":            aggSpec(map[string]argKind{"value_set": kValueSet, "parse_strings_as_datetimes": kUnsupported}, "value_set"),
	"expect_column_distinct_values_to_equal_set":              aggSpec(map[string]argKind{"value_set": kValueSet, "parse_strings_as_datetimes": kUnsupported}, "value_set"),
	"expect_column_most_common_value_to_be_in_set":            aggSpec(map[string]argKind{"value_set": kValueSet, "ties_okay": kBool}, "value_set"),
}

// SupportedTypes returns the supported expectation types, sorted.
func SupportedTypes() []string {
	out := make([]string, 0, len(specs))
	for t := range specs {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// ParseSuite reads a suite in Great Expectations' classic JSON format
// (expectation_suite_name, expectations[{expectation_type, kwargs, meta}],
// meta). It is strict: unknown fields, unknown expectation types, unknown
// or mistyped keyword arguments and evaluation parameters are errors that
// wrap ErrSuite and name the expectation by index and type.
func ParseSuite(data []byte) (*Suite, error) {
	if len(data) > MaxSuiteBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d-byte limit", ErrSuite, len(data), MaxSuiteBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: empty document", ErrSuite)
	}
	var root Object
	if err := root.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrSuite, jsonError(data, err))
	}
	s := &Suite{}
	var sawName, sawList bool
	for _, m := range root {
		switch m.Key {
		case "expectation_suite_name":
			name, ok := m.Value.(string)
			if !ok || name == "" {
				return nil, fmt.Errorf("%w: expectation_suite_name: expected a non-empty string, got %s", ErrSuite, jsonKind(m.Value))
			}
			s.Name, sawName = name, true
		case "expectations":
			list, ok := m.Value.([]any)
			if !ok {
				return nil, fmt.Errorf("%w: expectations: expected a list, got %s", ErrSuite, jsonKind(m.Value))
			}
			sawList = true
			for i, item := range list {
				e, err := parseExpectation(i, item)
				if err != nil {
					return nil, err
				}
				s.Expectations = append(s.Expectations, e)
			}
		case "meta":
			obj, ok := m.Value.(Object)
			if !ok && m.Value != nil {
				return nil, fmt.Errorf("%w: meta: expected an object, got %s", ErrSuite, jsonKind(m.Value))
			}
			s.Meta = obj
		case "data_asset_type":
			if _, ok := m.Value.(string); !ok && m.Value != nil {
				return nil, fmt.Errorf("%w: data_asset_type: expected a string or null, got %s", ErrSuite, jsonKind(m.Value))
			}
			s.DataAssetType = m.Value
		case "ge_cloud_id":
			if _, ok := m.Value.(string); !ok && m.Value != nil {
				return nil, fmt.Errorf("%w: ge_cloud_id: expected a string or null, got %s", ErrSuite, jsonKind(m.Value))
			}
			s.GECloudID = m.Value
		case "evaluation_parameters":
			obj, ok := m.Value.(Object)
			if !ok && m.Value != nil {
				return nil, fmt.Errorf("%w: evaluation_parameters: expected an object, got %s", ErrSuite, jsonKind(m.Value))
			}
			s.EvaluationParameters = obj
		case "name", "suite_parameters", "id", "notes":
			return nil, fmt.Errorf("%w: field %q belongs to the Great Expectations 1.x suite format; this reader takes the classic 0.x format (expectation_suite_name, expectations[].expectation_type)", ErrSuite, m.Key)
		default:
			return nil, fmt.Errorf("%w: unknown field %q (known: expectation_suite_name, expectations, meta, data_asset_type, ge_cloud_id, evaluation_parameters)", ErrSuite, m.Key)
		}
	}
	if !sawName {
		return nil, fmt.Errorf("%w: expectation_suite_name is required", ErrSuite)
	}
	if !sawList {
		return nil, fmt.Errorf("%w: expectations is required (a list, possibly empty)", ErrSuite)
	}
	return s, nil
}

// jsonError renders a decoding error with the line and column it happened at.
func jsonError(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, int(se.Offset))
		return fmt.Sprintf("malformed JSON at line %d, column %d: %v", line, col, se)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "malformed JSON: the document ends early"
	}
	return "malformed JSON: " + strings.TrimPrefix(err.Error(), "validation: ")
}

func position(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

func parseExpectation(i int, item any) (Expectation, error) {
	obj, ok := item.(Object)
	if !ok {
		return Expectation{}, fmt.Errorf("%w: expectations[%d]: expected an object, got %s", ErrSuite, i, jsonKind(item))
	}
	var e Expectation
	typ, hasType := obj.Get("expectation_type")
	name, _ := typ.(string)
	where := fmt.Sprintf("expectations[%d]", i)
	if name != "" {
		where = fmt.Sprintf("expectations[%d] (%s)", i, name)
	}
	if !hasType {
		if _, v1 := obj.Get("type"); v1 {
			return e, fmt.Errorf("%w: %s: \"type\" is the Great Expectations 1.x spelling; the classic format says \"expectation_type\"", ErrSuite, where)
		}
		return e, fmt.Errorf("%w: %s: expectation_type is required", ErrSuite, where)
	}
	if name == "" {
		return e, fmt.Errorf("%w: %s: expectation_type: expected a non-empty string, got %s", ErrSuite, where, jsonKind(typ))
	}
	sp, known := specs[name]
	if !known {
		return e, fmt.Errorf("%w: %s: unknown expectation type %q%s", ErrSuite, where, name, suggest(name))
	}
	e.Type = name
	for _, m := range obj {
		switch m.Key {
		case "expectation_type":
		case "kwargs":
			kw, ok := m.Value.(Object)
			if !ok && m.Value != nil {
				return e, fmt.Errorf("%w: %s: kwargs: expected an object, got %s", ErrSuite, where, jsonKind(m.Value))
			}
			e.Kwargs = kw
		case "meta":
			mo, ok := m.Value.(Object)
			if !ok && m.Value != nil {
				return e, fmt.Errorf("%w: %s: meta: expected an object, got %s", ErrSuite, where, jsonKind(m.Value))
			}
			e.Meta = mo
		case "ge_cloud_id", "expectation_context", "rendered_content", "description", "id", "notes":
			// Written by Great Expectations, carries nothing to check.
		default:
			return e, fmt.Errorf("%w: %s: unknown field %q (known: expectation_type, kwargs, meta)", ErrSuite, where, m.Key)
		}
	}
	a, err := parseArgs(sp, e.Kwargs)
	if err != nil {
		return e, fmt.Errorf("%w: %s: %v", ErrSuite, where, err)
	}
	e.args = a
	return e, nil
}

// suggest proposes a supported type close to an unknown one.
func suggest(name string) string {
	best, bestD := "", 1<<30
	for t := range specs {
		if d := editDistance(name, t); d < bestD || d == bestD && t < best {
			best, bestD = t, d
		}
	}
	if bestD <= len(name)/4+2 {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (run `steward validate --list` for the supported types)"
}

func editDistance(a, b string) int {
	if len(a) > 200 || len(b) > 200 {
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func parseArgs(sp spec, kw Object) (args, error) {
	a := args{mostly: 1, partialCount: -1, includeConfig: true, exactMatch: true}
	allowed := func(k string) (argKind, bool) {
		if t, ok := sp.args[k]; ok {
			return t, true
		}
		if t, ok := common[k]; ok {
			return t, true
		}
		if sp.class == "map" {
			t, ok := mapCommon[k]
			return t, ok
		}
		return 0, false
	}
	for _, m := range kw {
		kind, ok := allowed(m.Key)
		if !ok {
			return a, fmt.Errorf("kwarg %q is not an argument of this expectation (accepted: %s)", m.Key, strings.Join(acceptedArgs(sp), ", "))
		}
		if o, isObj := m.Value.(Object); isObj && kind != kObject && kind != kResultFormat {
			if _, param := o.Get("$PARAMETER"); param {
				return a, fmt.Errorf("kwarg %q: evaluation parameters ($PARAMETER) are not supported; write the value", m.Key)
			}
		}
		if err := a.set(m.Key, kind, m.Value); err != nil {
			return a, fmt.Errorf("kwarg %q: %v", m.Key, err)
		}
	}
	for _, r := range sp.required {
		if _, ok := kw.Get(r); !ok {
			return a, fmt.Errorf("kwarg %q is required", r)
		}
	}
	if sp.between {
		if a.min == nil && a.max == nil {
			return a, errors.New("min_value and max_value cannot both be null")
		}
		if a.min != nil && a.max != nil && *a.min > *a.max {
			return a, fmt.Errorf("min_value %g is greater than max_value %g", *a.min, *a.max)
		}
	}
	return a, nil
}

func acceptedArgs(sp spec) []string {
	var out []string
	for k := range sp.args {
		out = append(out, k)
	}
	if sp.class == "map" {
		for k := range mapCommon {
			out = append(out, k)
		}
	}
	for k := range common {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (a *args) set(key string, kind argKind, v any) error {
	switch kind {
	case kColumn:
		s, ok := v.(string)
		if !ok || s == "" {
			return fmt.Errorf("expected a column name (a non-empty string), got %s", jsonKind(v))
		}
		a.column = s
	case kNumber:
		if v == nil {
			return nil
		}
		f, ok := finite(v)
		if !ok {
			return fmt.Errorf("expected a number or null, got %s", describe(v))
		}
		switch key {
		case "min_value":
			a.min = &f
		case "max_value":
			a.max = &f
		}
	case kInt:
		if v == nil && key == "column_index" {
			return nil
		}
		f, ok := finite(v)
		if !ok || f != math.Trunc(f) || f < 0 || f > 1e15 {
			return fmt.Errorf("expected a non-negative integer, got %s", describe(v))
		}
		n := int(f)
		if key == "column_index" {
			a.columnIndex = &n
		} else {
			a.value = &f
		}
	case kBool:
		if v == nil {
			return nil
		}
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("expected true or false, got %s", describe(v))
		}
		switch key {
		case "strict_min":
			a.strictMin = b
		case "strict_max":
			a.strictMax = b
		case "exact_match":
			a.exactMatch = b
		case "ties_okay":
			a.tiesOkay = b
		case "include_config":
			a.includeConfig = b
		}
	case kMostly:
		if v == nil {
			return nil
		}
		f, ok := finite(v)
		if !ok || f < 0 || f > 1 {
			return fmt.Errorf("expected a number between 0 and 1, got %s", describe(v))
		}
		a.mostly = f
	case kValueSet:
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("expected a list of values, got %s", jsonKind(v))
		}
		set := make([]any, 0, len(list))
		for i, item := range list {
			switch x := item.(type) {
			case string:
				set = append(set, x)
			case bool:
				// Python compares True == 1 and False == 0.
				if x {
					set = append(set, 1.0)
				} else {
					set = append(set, 0.0)
				}
			default:
				f, ok := finite(item)
				if !ok {
					return fmt.Errorf("value_set[%d]: expected a number or a string, got %s", i, describe(item))
				}
				set = append(set, f)
			}
		}
		a.valueSet = set
	case kRegex:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("expected a regular expression string, got %s", jsonKind(v))
		}
		re, err := regexp.Compile(s)
		if err != nil {
			return fmt.Errorf("%q is not a regular expression this validator supports (RE2 syntax: no look-around or back-references): %v", s, err)
		}
		a.regex = re
	case kType:
		s, ok := v.(string)
		if !ok || s == "" {
			return fmt.Errorf("expected a type name such as \"int64\" or \"float64\", got %s", describe(v))
		}
		a.typeNames = []string{s}
	case kTypeList:
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("expected a list of type names, got %s", jsonKind(v))
		}
		for i, item := range list {
			s, ok := item.(string)
			if !ok || s == "" {
				return fmt.Errorf("type_list[%d]: expected a type name, got %s", i, describe(item))
			}
			a.typeNames = append(a.typeNames, s)
		}
	case kColumnList:
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("expected a list of column names, got %s", jsonKind(v))
		}
		a.columnList = make([]string, 0, len(list))
		for i, item := range list {
			s, ok := item.(string)
			if !ok {
				return fmt.Errorf("[%d]: expected a column name, got %s", i, describe(item))
			}
			a.columnList = append(a.columnList, s)
		}
	case kResultFormat:
		return a.setResultFormat(v)
	case kObject:
		if _, ok := v.(Object); !ok && v != nil {
			return fmt.Errorf("expected an object, got %s", jsonKind(v))
		}
	case kAny:
	case kUnsupported:
		if v == nil || v == false || v == "" {
			return nil
		}
		return fmt.Errorf("is not supported by this validator (set it to null or leave it out)")
	}
	return nil
}

var resultFormats = []string{"BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE"}

func validFormat(s string) bool {
	for _, f := range resultFormats {
		if s == f {
			return true
		}
	}
	return false
}

func (a *args) setResultFormat(v any) error {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if !validFormat(x) {
			return fmt.Errorf("expected one of %s, got %q", strings.Join(resultFormats, ", "), x)
		}
		a.resultFormat = x
	case Object:
		for _, m := range x {
			switch m.Key {
			case "result_format":
				s, ok := m.Value.(string)
				if !ok || !validFormat(s) {
					return fmt.Errorf("result_format: expected one of %s, got %s", strings.Join(resultFormats, ", "), describe(m.Value))
				}
				a.resultFormat = s
			case "partial_unexpected_count":
				f, ok := finite(m.Value)
				if !ok || f != math.Trunc(f) || f < 0 || f > 1e6 {
					return fmt.Errorf("partial_unexpected_count: expected a non-negative integer, got %s", describe(m.Value))
				}
				a.partialCount = int(f)
			case "include_unexpected_rows", "unexpected_index_column_names", "return_unexpected_index_query", "exclude_unexpected_values":
				if m.Value != nil && m.Value != false {
					return fmt.Errorf("%s is not supported by this validator", m.Key)
				}
			default:
				return fmt.Errorf("unknown field %q (known: result_format, partial_unexpected_count)", m.Key)
			}
		}
	default:
		return fmt.Errorf("expected a string or an object, got %s", jsonKind(v))
	}
	return nil
}

// finite returns v as a finite float64 if it is a JSON number.
func finite(v any) (float64, bool) {
	f, ok := toFloat(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// describe names a value for a message: its kind, and itself when short.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		return fmt.Sprintf("%q", x)
	case json.Number:
		s := string(x)
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return s
	case bool:
		return fmt.Sprint(x)
	}
	return jsonKind(v)
}
