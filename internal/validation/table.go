package validation

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/stewardml/steward/internal/dataset"
)

// table wraps a frame with per-column caches, so that expectations on the
// same column share one pass for counts, moments and cell texts. It is
// safe for concurrent use.
type table struct {
	f    *dataset.Frame
	mu   sync.Mutex
	cols map[string]*column
}

func newTable(f *dataset.Frame) *table { return &table{f: f, cols: map[string]*column{}} }

// column returns the cached view of a column, or an error naming the
// missing column as Great Expectations does.
func (t *table) column(name string) (*column, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.cols[name]; ok {
		return c, nil
	}
	j := t.f.Index(name)
	if j < 0 {
		return nil, &evalError{fmt.Sprintf("The column %q in BatchData does not exist.", name)}
	}
	c := &column{index: j, name: name, values: t.f.Cols[j], dtype: t.f.Types[j]}
	t.cols[name] = c
	return c, nil
}

type column struct {
	index  int
	name   string
	values []float64
	dtype  string

	countsOnce sync.Once
	counts     *counts
	momOnce    sync.Once
	mom        moments
}

// text returns a value as pandas prints it in a column of this dtype
// (str(value)): "12" in an int64 column, "12.0" or "0.7" in a float64 one.
// Text expectations (regex, lengths, string members of a value_set) see
// these texts, as they do in Great Expectations.
func (c *column) text(v float64) string {
	if c.dtype == dataset.TypeInt64 && v == math.Trunc(v) && math.Abs(v) < 1<<63 {
		return strconv.FormatInt(int64(v), 10)
	}
	return pyFloat(v)
}

// textTest returns test applied to the text of a value, remembering the
// verdict per value (up to a bound): columns repeat a few values a lot.
func (c *column) textTest(test func(string) bool) func(v float64) bool {
	const limit = 4096
	seen := make(map[float64]bool)
	return func(v float64) bool {
		if r, ok := seen[v]; ok {
			return r
		}
		r := test(c.text(v))
		if len(seen) < limit {
			seen[v] = r
		}
		return r
	}
}

// hasText reports whether some non-null value reads s.
func (c *column) hasText(s string) bool {
	for _, v := range c.valueCounts().values {
		if c.text(v) == s {
			return true
		}
	}
	return false
}

// pyFloat formats v as Python's repr(float) does: the shortest digits that
// read back, in fixed notation with at least one decimal when the exponent
// is in [-4, 16), otherwise as d.ddde±XX.
func pyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(math.Abs(v), 'e', -1, 64)
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	sign := ""
	if math.Signbit(v) {
		sign = "-"
	}
	if exp >= -4 && exp < 16 {
		var whole, frac string
		if exp >= 0 {
			if len(digits) <= exp+1 {
				whole, frac = digits+strings.Repeat("0", exp+1-len(digits)), "0"
			} else {
				whole, frac = digits[:exp+1], digits[exp+1:]
			}
		} else {
			whole, frac = "0", strings.Repeat("0", -exp-1)+digits
		}
		return sign + whole + "." + frac
	}
	m := digits[:1]
	if len(digits) > 1 {
		m += "." + digits[1:]
	}
	esign := "+"
	if exp < 0 {
		esign, exp = "-", -exp
	}
	return fmt.Sprintf("%s%se%s%02d", sign, m, esign, exp)
}

// counts are the distinct non-null values of a column, ascending, with how
// often each occurs.
type counts struct {
	values  []float64
	counts  []int
	nonnull int
}

func (c *column) valueCounts() *counts {
	c.countsOnce.Do(func() { c.counts = countValues(c.values) })
	return c.counts
}

// smallInts bounds the array used to count columns of small non-negative
// integer codes, the common case, without a map.
const smallInts = 4096

func countValues(values []float64) *counts {
	var arr [smallInts]int
	var m map[float64]int
	nonnull := 0
	for _, v := range values {
		if math.IsNaN(v) {
			continue
		}
		nonnull++
		if m == nil {
			if v >= 0 && v < smallInts && v == math.Trunc(v) {
				arr[int(v)]++
				continue
			}
			m = make(map[float64]int)
			for k, n := range arr {
				if n > 0 {
					m[float64(k)] = n
				}
			}
		}
		m[v]++
	}
	out := &counts{nonnull: nonnull}
	if m == nil {
		for k, n := range arr {
			if n > 0 {
				out.values = append(out.values, float64(k))
				out.counts = append(out.counts, n)
			}
		}
		return out
	}
	out.values = make([]float64, 0, len(m))
	for v := range m {
		out.values = append(out.values, v)
	}
	sort.Float64s(out.values)
	out.counts = make([]int, len(out.values))
	for k, v := range out.values {
		out.counts[k] = m[v]
	}
	return out
}

// count returns how often v occurs.
func (c *counts) count(v float64) int {
	k := sort.SearchFloat64s(c.values, v)
	if k < len(c.values) && c.values[k] == v {
		return c.counts[k]
	}
	return 0
}

// median is the middle value, or the mean of the two middle values; NaN
// without values.
func (c *counts) median() float64 {
	if c.nonnull == 0 {
		return math.NaN()
	}
	lo, hi := (c.nonnull-1)/2, c.nonnull/2
	var a, b float64
	seen := 0
	for k, v := range c.values {
		next := seen + c.counts[k]
		if lo >= seen && lo < next {
			a = v
		}
		if hi >= seen && hi < next {
			b = v
			break
		}
		seen = next
	}
	return (a + b) / 2
}

// moments of the non-null values; NaN where undefined (stdev needs two
// values). The sum of no values is 0, as in pandas.
type moments struct {
	n                int
	sum, mean, stdev float64
	min, max         float64
}

func (c *column) moments() moments {
	c.momOnce.Do(func() {
		m := moments{min: math.Inf(1), max: math.Inf(-1)}
		for _, v := range c.values {
			if math.IsNaN(v) {
				continue
			}
			m.n++
			m.sum += v
			if v < m.min {
				m.min = v
			}
			if v > m.max {
				m.max = v
			}
		}
		m.mean, m.stdev = math.NaN(), math.NaN()
		if m.n == 0 {
			m.min, m.max = math.NaN(), math.NaN()
		} else {
			m.mean = m.sum / float64(m.n)
		}
		if m.n >= 2 {
			var ss float64
			for _, v := range c.values {
				if !math.IsNaN(v) {
					d := v - m.mean
					ss += d * d
				}
			}
			m.stdev = math.Sqrt(ss / float64(m.n-1))
		}
		c.mom = m
	})
	return c.mom
}

// setMatcher returns a membership test for a value_set: numbers compare
// with the value, strings with its text (see column.text).
func (t *table) setMatcher(c *column, set []any) (func(i int, v float64) bool, error) {
	var nums []float64
	var strs []string
	for _, s := range set {
		switch x := s.(type) {
		case float64:
			nums = append(nums, x)
		case string:
			strs = append(strs, x)
		}
	}
	var numSet map[float64]bool
	if len(nums) > 16 {
		numSet = make(map[float64]bool, len(nums))
		for _, x := range nums {
			numSet[x] = true
		}
	}
	return func(i int, v float64) bool {
		if numSet != nil {
			if numSet[v] {
				return true
			}
		} else {
			for _, x := range nums {
				if v == x {
					return true
				}
			}
		}
		if len(strs) == 0 {
			return false
		}
		cell := c.text(v)
		for _, s := range strs {
			if cell == s {
				return true
			}
		}
		return false
	}, nil
}
