package validation

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/stewardml/steward/internal/dataset"
)

// DefaultPartialUnexpectedCount is how many unexpected values a BASIC or
// SUMMARY result lists, as in Great Expectations.
const DefaultPartialUnexpectedCount = 20

// Options tune a validation run. The zero value is ready to use.
type Options struct {
	// ResultFormat applies to expectations that do not set their own
	// result_format: BOOLEAN_ONLY, BASIC (the default), SUMMARY or COMPLETE.
	ResultFormat string
	// RunName is written as meta.run_id.run_name (null when empty).
	RunName string
	// BatchKwargs describe the data (path, digest, ...), written as
	// meta.batch_kwargs.
	BatchKwargs Object
	// Now gives the run time; nil means time.Now.
	Now func() time.Time
	// Parallel bounds the expectations evaluated at once; 0 means
	// GOMAXPROCS. It does not change the result.
	Parallel int
}

// Validate runs every expectation of s over f and returns the result. It
// does not fail: an expectation that cannot be evaluated (a missing column,
// say) is reported as unsuccessful with its exception_info set.
func Validate(s *Suite, f *dataset.Frame, opt Options) *SuiteResult {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	start := now().UTC()
	defFormat := opt.ResultFormat
	if !validFormat(defFormat) {
		defFormat = "BASIC"
	}
	t := newTable(f)
	results := make([]ExpectationResult, len(s.Expectations))
	workers := opt.Parallel
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(s.Expectations)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = evaluate(&s.Expectations[i], t, defFormat)
			}
		}()
	}
	for i := range s.Expectations {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	stats := Statistics{EvaluatedExpectations: len(results)}
	for _, r := range results {
		if r.Success {
			stats.SuccessfulExpectations++
		}
	}
	stats.UnsuccessfulExpectations = stats.EvaluatedExpectations - stats.SuccessfulExpectations
	if stats.EvaluatedExpectations > 0 {
		p := float64(stats.SuccessfulExpectations) / float64(stats.EvaluatedExpectations) * 100
		stats.SuccessPercent = &p
	}
	var runName any
	if opt.RunName != "" {
		runName = opt.RunName
	}
	batch := opt.BatchKwargs
	if batch == nil {
		batch = Object{}
	}
	suiteMeta := s.Meta
	if suiteMeta == nil {
		suiteMeta = Object{}
	}
	return &SuiteResult{
		Success:              stats.UnsuccessfulExpectations == 0,
		Results:              results,
		EvaluationParameters: Object{},
		Statistics:           stats,
		Meta: Object{
			{"great_expectations_version", FormatVersion},
			{"expectation_suite_name", s.Name},
			{"run_id", Object{{"run_name", runName}, {"run_time", start.Format("2006-01-02T15:04:05.000000-07:00")}}},
			{"batch_kwargs", batch},
			{"batch_markers", Object{}},
			{"batch_parameters", Object{}},
			{"validation_time", start.Format("20060102T150405.000000Z")},
			{"expectation_suite_meta", suiteMeta},
		},
	}
}

// evalError is an expectation that could not be evaluated.
type evalError struct{ msg string }

func (e *evalError) Error() string { return e.msg }

func evaluate(e *Expectation, t *table, defFormat string) (r ExpectationResult) {
	format := e.args.resultFormat
	if format == "" {
		format = defFormat
	}
	partial := e.args.partialCount
	if partial < 0 {
		partial = DefaultPartialUnexpectedCount
	}
	if e.args.includeConfig {
		kw := e.Kwargs
		if kw == nil {
			kw = Object{}
		}
		meta := e.Meta
		if meta == nil {
			meta = Object{}
		}
		r.ExpectationConfig = &ExpectationConfig{ExpectationType: e.Type, Kwargs: kw, Meta: meta}
	}
	r.Meta = Object{}
	defer func() {
		// A panic here is a bug in an expectation, not a property of the
		// data; report it on this expectation rather than crash the run.
		if p := recover(); p != nil {
			msg := fmt.Sprintf("internal error evaluating %s: %v", e.Type, p)
			r.Success = false
			r.Result = Object{}
			r.ExceptionInfo = ExceptionInfo{RaisedException: true, ExceptionMessage: &msg}
		}
	}()
	ok, res, err := run(e, t, format, partial)
	if err != nil {
		msg := err.Error()
		r.Success = false
		r.Result = Object{}
		r.ExceptionInfo = ExceptionInfo{RaisedException: true, ExceptionMessage: &msg}
		return r
	}
	r.Success = ok
	if format == "BOOLEAN_ONLY" {
		res = Object{}
	}
	r.Result = res
	return r
}

// check evaluates one expectation type: the table, the column the
// expectation names (nil for table expectations), the result format and
// the partial-unexpected-list size.
type check func(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error)

// tableChecks are the expectations about the whole table.
var tableChecks = map[string]check{
	"expect_table_columns_to_match_ordered_list": checkTableColumnsToMatchOrderedList,
	"expect_table_columns_to_match_set":          checkTableColumnsToMatchSet,
	"expect_table_row_count_to_be_between":       checkTableRowCountToBeBetween,
	"expect_table_row_count_to_equal":            checkTableRowCountToEqual,
	"expect_table_column_count_to_equal":         checkTableColumnCountToEqual,
	"expect_table_column_count_to_be_between":    checkTableColumnCountToBeBetween,
	"expect_column_to_exist":                     checkColumnToExist,
}

// columnChecks are the expectations about one column, which must exist.
var columnChecks = map[string]check{
	"expect_column_values_to_not_be_null":                     checkColumnValuesToNotBeNull,
	"expect_column_values_to_be_null":                         checkColumnValuesToNotBeNull,
	"expect_column_values_to_be_between":                      checkColumnValuesToBeBetween,
	"expect_column_values_to_be_in_set":                       checkColumnValuesToBeInSet,
	"expect_column_values_to_not_be_in_set":                   checkColumnValuesToBeInSet,
	"expect_column_values_to_be_unique":                       checkColumnValuesToBeUnique,
	"expect_column_values_to_match_regex":                     checkColumnValuesToMatchRegex,
	"expect_column_values_to_not_match_regex":                 checkColumnValuesToMatchRegex,
	"expect_column_value_lengths_to_be_between":               checkColumnValueLengthsToBeBetween,
	"expect_column_value_lengths_to_equal":                    checkColumnValueLengthsToBeBetween,
	"expect_column_values_to_be_of_type":                      checkColumnValuesToBeOfType,
	"expect_column_values_to_be_in_type_list":                 checkColumnValuesToBeOfType,
	"expect_column_mean_to_be_between":                        checkColumnMeanToBeBetween,
	"expect_column_median_to_be_between":                      checkColumnMedianToBeBetween,
	"expect_column_stdev_to_be_between":                       checkColumnStdevToBeBetween,
	"expect_column_sum_to_be_between":                         checkColumnSumToBeBetween,
	"expect_column_min_to_be_between":                         checkColumnMinToBeBetween,
	"expect_column_max_to_be_between":                         checkColumnMaxToBeBetween,
	"expect_column_proportion_of_unique_values_to_be_between": checkColumnProportionOfUniqueValuesToBeBetween,
	"expect_column_unique_value_count_to_be_between":          checkColumnUniqueValueCountToBeBetween,
	"expect_column_distinct_values_to_be_in_set":              checkColumnDistinctValuesToBeInSet,
	"expect_column_distinct_values_to_contain_set":            checkColumnDistinctValuesToBeInSet,
	"expect_column_distinct_values_to_equal_set":              checkColumnDistinctValuesToBeInSet,
	"expect_column_most_common_value_to_be_in_set":            checkColumnMostCommonValueToBeInSet,
}

func run(e *Expectation, t *table, format string, partial int) (bool, Object, error) {
	if c, ok := tableChecks[e.Type]; ok {
		return c(e, t, nil, format, partial)
	}
	c, ok := columnChecks[e.Type]
	if !ok {
		return false, nil, &evalError{fmt.Sprintf("expectation type %s has no evaluator", e.Type)}
	}
	col, err := t.column(e.args.column)
	if err != nil {
		return false, nil, err
	}
	return c(e, t, col, format, partial)
}

func checkTableColumnsToMatchOrderedList(e *Expectation, t *table, _ *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	f := t.f
	names := stringsToAny(f.Names)
	ok := equalStrings(f.Names, a.columnList)
	res := Object{{"observed_value", names}}
	if !ok {
		var mism []any
		for i := 0; i < max(len(f.Names), len(a.columnList)); i++ {
			var want, got any
			if i < len(a.columnList) {
				want = a.columnList[i]
			}
			if i < len(f.Names) {
				got = f.Names[i]
			}
			if want != got {
				mism = append(mism, Object{{"Expected Column Position", i}, {"Expected", want}, {"Found", got}})
			}
		}
		res = append(res, Member{"details", Object{{"mismatched", mism}}})
	}
	return ok, res, nil
}

func checkTableColumnsToMatchSet(e *Expectation, t *table, _ *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	f := t.f
	var missing, unexpected []any
	for _, c := range a.columnList {
		if f.Index(c) < 0 {
			missing = append(missing, c)
		}
	}
	for _, c := range f.Names {
		if !containsString(a.columnList, c) {
			unexpected = append(unexpected, c)
		}
	}
	ok := len(missing) == 0 && (!a.exactMatch || len(unexpected) == 0)
	res := Object{{"observed_value", stringsToAny(f.Names)}}
	if !ok {
		mism := Object{}
		if len(unexpected) > 0 {
			mism = append(mism, Member{"unexpected", unexpected})
		}
		if len(missing) > 0 {
			mism = append(mism, Member{"missing", missing})
		}
		res = append(res, Member{"details", Object{{"mismatched", mism}}})
	}
	return ok, res, nil
}

func checkTableRowCountToBeBetween(e *Expectation, t *table, _ *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	f := t.f
	return between(float64(f.Rows), a), Object{{"observed_value", f.Rows}}, nil
}

func checkTableRowCountToEqual(e *Expectation, t *table, _ *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	f := t.f
	return float64(f.Rows) == *a.value, Object{{"observed_value", f.Rows}}, nil
}

func checkTableColumnCountToEqual(e *Expectation, t *table, _ *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	f := t.f
	return float64(len(f.Names)) == *a.value, Object{{"observed_value", len(f.Names)}}, nil
}

func checkTableColumnCountToBeBetween(e *Expectation, t *table, _ *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	f := t.f
	return between(float64(len(f.Names)), a), Object{{"observed_value", len(f.Names)}}, nil
}

func checkColumnToExist(e *Expectation, t *table, _ *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	f := t.f
	j := f.Index(a.column)
	ok := j >= 0 && (a.columnIndex == nil || *a.columnIndex == j)
	return ok, Object{}, nil
}

func checkColumnValuesToNotBeNull(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	wantNull := e.Type == "expect_column_values_to_be_null"
	return nullMap(col.values, wantNull, a.mostly, format, partial)
}

func checkColumnValuesToBeBetween(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	lo, hi := inclusiveBounds(a)
	bad := 0
	for _, v := range col.values {
		if v < lo || v > hi { // false for NaN
			bad++
		}
	}
	return countedMap(col.values, bad, a.mostly, format, partial, func(v float64) bool { return v < lo || v > hi })
}

func checkColumnValuesToBeInSet(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	want := e.Type == "expect_column_values_to_be_in_set"
	if nums, ok := numericSet(a.valueSet); ok {
		bad := 0
		for _, v := range col.values {
			if v != v {
				continue
			}
			found := false
			for _, x := range nums {
				if v == x {
					found = true
					break
				}
			}
			if found != want {
				bad++
			}
		}
		return countedMap(col.values, bad, a.mostly, format, partial, func(v float64) bool {
			for _, x := range nums {
				if v == x {
					return !want
				}
			}
			return want
		})
	}
	in, err := t.setMatcher(col, a.valueSet)
	if err != nil {
		return false, nil, err
	}
	return valueMap(col.values, a.mostly, format, partial, func(i int, v float64) bool { return in(i, v) != want })
}

func checkColumnValuesToBeUnique(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	counts := col.valueCounts()
	return valueMap(col.values, a.mostly, format, partial, func(i int, v float64) bool { return counts.count(v) > 1 })
}

func checkColumnValuesToMatchRegex(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	want := e.Type == "expect_column_values_to_match_regex"
	match := col.textTest(a.regex.MatchString)
	return valueMap(col.values, a.mostly, format, partial, func(i int, v float64) bool { return match(v) != want })
}

func checkColumnValueLengthsToBeBetween(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	bad := col.textTest(func(s string) bool {
		n := float64(utf8.RuneCountInString(s))
		if a.value != nil {
			return n != *a.value
		}
		return !between(n, a)
	})
	return valueMap(col.values, a.mostly, format, partial, func(i int, v float64) bool { return bad(v) })
}

func checkColumnValuesToBeOfType(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	f := t.f
	// Columns are typed (never pandas "object"), so this is the
	// column-level check: the dtype is one of the named types.
	dtype := f.Types[col.index]
	ok := false
	for _, n := range a.typeNames {
		ok = ok || typeMatches(dtype, n)
	}
	return ok, Object{{"observed_value", dtype}}, nil
}

func checkColumnMeanToBeBetween(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	return aggregate(col.moments().mean, a)
}

func checkColumnMedianToBeBetween(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	return aggregate(col.valueCounts().median(), a)
}

func checkColumnStdevToBeBetween(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	return aggregate(col.moments().stdev, a)
}

func checkColumnSumToBeBetween(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	return aggregate(col.moments().sum, a)
}

func checkColumnMinToBeBetween(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	return aggregate(col.moments().min, a)
}

func checkColumnMaxToBeBetween(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	return aggregate(col.moments().max, a)
}

func checkColumnProportionOfUniqueValuesToBeBetween(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	vc := col.valueCounts()
	p := 0.0
	if vc.nonnull > 0 {
		p = float64(len(vc.values)) / float64(vc.nonnull)
	}
	return aggregate(p, a)
}

func checkColumnUniqueValueCountToBeBetween(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	n := len(col.valueCounts().values)
	return between(float64(n), a), Object{{"observed_value", n}}, nil
}

func checkColumnDistinctValuesToBeInSet(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	return distinctSet(e.Type, t, col, a.valueSet)
}

func checkColumnMostCommonValueToBeInSet(e *Expectation, t *table, col *column, format string, partial int) (bool, Object, error) {
	a := &e.args
	vc := col.valueCounts()
	var modes []float64
	best := 0
	for k, v := range vc.values {
		switch c := vc.counts[k]; {
		case c > best:
			best, modes = c, []float64{v}
		case c == best:
			modes = append(modes, v)
		}
	}
	in, err := t.setMatcher(col, a.valueSet)
	if err != nil {
		return false, nil, err
	}
	ok := len(modes) > 0 && (a.tiesOkay || len(modes) == 1)
	for _, m := range modes {
		ok = ok && in(-1, m)
	}
	return ok, Object{{"observed_value", floatsToAny(modes)}}, nil
}

// between applies min_value/max_value with strict_min/strict_max; a null
// bound is no bound.
func between(v float64, a *args) bool {
	if a.min != nil {
		if a.strictMin && !(v > *a.min) || !a.strictMin && !(v >= *a.min) {
			return false
		}
	}
	if a.max != nil {
		if a.strictMax && !(v < *a.max) || !a.strictMax && !(v <= *a.max) {
			return false
		}
	}
	return true
}

// aggregate checks a metric against the bounds; a NaN metric (no values)
// fails with a null observed_value.
func aggregate(v float64, a *args) (bool, Object, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false, Object{{"observed_value", nil}}, nil
	}
	return between(v, a), Object{{"observed_value", v}}, nil
}

// valueMap evaluates a column-map expectation: nulls are skipped,
// unexpected(i, v) is asked of every other value, and success is
// (nonnull - unexpected) / nonnull >= mostly.
func valueMap(values []float64, mostly float64, format string, partial int, unexpected func(i int, v float64) bool) (bool, Object, error) {
	total := len(values)
	keep := partial
	if format == "COMPLETE" {
		keep = total
	}
	nonnull, bad := 0, 0
	var vals []any
	var idx []any
	for i, v := range values {
		if math.IsNaN(v) {
			continue
		}
		nonnull++
		if unexpected(i, v) {
			bad++
			if len(vals) < keep {
				vals = append(vals, v)
				idx = append(idx, i)
			}
		}
	}
	success := true
	if total > 0 && nonnull > 0 {
		success = float64(nonnull-bad)/float64(nonnull) >= mostly
	}
	return success, mapResult(format, partial, total, &nonnull, bad, vals, idx), nil
}

// countedMap finishes a map expectation whose unexpected values a tight
// loop has already counted (the common expectations on large columns): it
// counts the non-null values and, only if some value was unexpected and the
// format lists them, scans again with unexpected to collect them.
func countedMap(values []float64, bad int, mostly float64, format string, partial int, unexpected func(v float64) bool) (bool, Object, error) {
	total, nonnull := len(values), 0
	for _, v := range values {
		if v == v {
			nonnull++
		}
	}
	keep := partial
	if format == "COMPLETE" {
		keep = total
	}
	var vals, idx []any
	if bad > 0 && format != "BOOLEAN_ONLY" {
		for i, v := range values {
			if len(vals) >= keep {
				break
			}
			if v == v && unexpected(v) {
				vals = append(vals, v)
				idx = append(idx, i)
			}
		}
	}
	success := true
	if total > 0 && nonnull > 0 {
		success = float64(nonnull-bad)/float64(nonnull) >= mostly
	}
	return success, mapResult(format, partial, total, &nonnull, bad, vals, idx), nil
}

// inclusiveBounds turns min_value/max_value with strict_min/strict_max into
// inclusive bounds: x > lo is x >= the next float above lo. A null bound is
// infinite.
func inclusiveBounds(a *args) (lo, hi float64) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if a.min != nil {
		lo = *a.min
		if a.strictMin {
			lo = math.Nextafter(lo, math.Inf(1))
		}
	}
	if a.max != nil {
		hi = *a.max
		if a.strictMax {
			hi = math.Nextafter(hi, math.Inf(-1))
		}
	}
	return lo, hi
}

// numericSet returns a value_set's members when they are all numbers and
// few enough for a linear scan.
func numericSet(set []any) ([]float64, bool) {
	if len(set) > 16 {
		return nil, false
	}
	nums := make([]float64, 0, len(set))
	for _, s := range set {
		x, ok := s.(float64)
		if !ok {
			return nil, false
		}
		nums = append(nums, x)
	}
	return nums, true
}

// nullMap evaluates expect_column_values_to_(not_)be_null, which count
// over every row: for not_be_null the unexpected values are the nulls.
func nullMap(values []float64, wantNull bool, mostly float64, format string, partial int) (bool, Object, error) {
	total := len(values)
	keep := partial
	if format == "COMPLETE" {
		keep = total
	}
	bad := 0
	var vals, idx []any
	for i, v := range values {
		if math.IsNaN(v) != wantNull {
			bad++
			if len(vals) < keep {
				if wantNull {
					vals = append(vals, v)
				} else {
					vals = append(vals, nil)
				}
				idx = append(idx, i)
			}
		}
	}
	success := true
	if total > 0 {
		success = float64(total-bad)/float64(total) >= mostly
	}
	return success, mapResult(format, partial, total, nil, bad, vals, idx), nil
}

// mapResult lays out a map expectation's result as Great Expectations'
// _format_map_output does. nonnull is nil for the null checks, whose
// results carry no missing counts.
func mapResult(format string, partial, total int, nonnull *int, bad int, vals, idx []any) Object {
	if format == "BOOLEAN_ONLY" {
		return Object{}
	}
	pct := func(num, den int) any {
		if den <= 0 {
			return nil
		}
		return float64(num) / float64(den) * 100
	}
	var percentTotal, percentNonmissing any = pct(bad, total), nil
	if nonnull == nil {
		percentNonmissing = percentTotal
	} else if total > 0 {
		percentNonmissing = pct(bad, *nonnull)
	}
	head := func(list []any) []any {
		if list == nil {
			list = []any{}
		}
		if len(list) > partial {
			return list[:partial]
		}
		return list
	}
	res := Object{
		{"element_count", total},
		{"unexpected_count", bad},
		{"unexpected_percent", percentNonmissing},
		{"partial_unexpected_list", head(vals)},
	}
	if nonnull != nil {
		var missingPercent any
		if total > 0 {
			missingPercent = pct(total-*nonnull, total)
		}
		res = append(res,
			Member{"missing_count", total - *nonnull},
			Member{"missing_percent", missingPercent},
			Member{"unexpected_percent_total", percentTotal},
			Member{"unexpected_percent_nonmissing", percentNonmissing},
		)
	}
	if format == "BASIC" {
		return res
	}
	res = append(res,
		Member{"partial_unexpected_index_list", head(idx)},
		Member{"partial_unexpected_counts", valueCountsOf(head(vals), partial)},
	)
	if format == "SUMMARY" {
		return res
	}
	if vals == nil {
		vals = []any{}
	}
	if idx == nil {
		idx = []any{}
	}
	return append(res, Member{"unexpected_list", vals}, Member{"unexpected_index_list", idx})
}

// valueCountsOf counts the values of list, most common first and equal
// counts by value (nulls first), keeping at most limit entries.
func valueCountsOf(list []any, limit int) []any {
	type vc struct {
		v any
		n int
	}
	var counts []vc
	for _, v := range list {
		found := false
		for k := range counts {
			if counts[k].v == v {
				counts[k].n++
				found = true
				break
			}
		}
		if !found {
			counts = append(counts, vc{v, 1})
		}
	}
	sort.SliceStable(counts, func(i, j int) bool {
		if counts[i].n != counts[j].n {
			return counts[i].n > counts[j].n
		}
		return lessValue(counts[i].v, counts[j].v)
	})
	if limit <= 0 {
		return []any{}
	}
	out := make([]any, 0, min(limit, len(counts)))
	for k := 0; k < len(counts) && k < limit; k++ {
		out = append(out, Object{{"value", counts[k].v}, {"count", counts[k].n}})
	}
	return out
}

func lessValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b != nil
	case float64:
		if y, ok := b.(float64); ok {
			return x < y
		}
		return false
	}
	return false
}

func distinctSet(typ string, t *table, col *column, set []any) (bool, Object, error) {
	vc := col.valueCounts()
	in, err := t.setMatcher(col, set)
	if err != nil {
		return false, nil, err
	}
	observed := floatsToAny(vc.values)
	var counts []any
	for k, v := range vc.values {
		counts = append(counts, Object{{"value", v}, {"count", vc.counts[k]}})
	}
	if counts == nil {
		counts = []any{}
	}
	allIn := true
	for _, v := range vc.values {
		allIn = allIn && in(-1, v)
	}
	// Every member of the set must be observed, for contain and equal.
	allSeen := true
	for _, s := range set {
		switch x := s.(type) {
		case float64:
			allSeen = allSeen && vc.count(x) > 0
		case string:
			allSeen = allSeen && col.hasText(x)
		}
	}
	ok := allIn
	switch typ {
	case "expect_column_distinct_values_to_contain_set":
		ok = allSeen
	case "expect_column_distinct_values_to_equal_set":
		ok = allIn && allSeen
	}
	return ok, Object{{"observed_value", observed}, {"details", Object{{"value_counts", counts}}}}, nil
}

// typeMatches reports whether a column of dtype (int64 or float64) is of
// the named type, as pandas and numpy name types.
func typeMatches(dtype, name string) bool {
	switch dtype {
	case dataset.TypeInt64:
		switch name {
		case "int", "int64", "int_", "long", "Int64", "integer":
			return true
		}
	case dataset.TypeFloat64:
		switch name {
		case "float", "float64", "float_", "double", "Float64", "floating":
			return true
		}
	}
	return false
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func floatsToAny(s []float64) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}
