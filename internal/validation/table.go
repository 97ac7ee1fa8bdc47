package validation

import (
	"fmt"
	"math"
	"sort"
	"strconv"
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
	c := &column{index: j, name: name, values: t.f.Cols[j], f: t.f}
	t.cols[name] = c
	return c, nil
}

type column struct {
	index  int
	name   string
	values []float64
	f      *dataset.Frame

	countsOnce sync.Once
	counts     *counts
	momOnce    sync.Once
	mom        moments
	textOnce   sync.Once
	text       []string
	textErr    error
}

func (c *column) texts() ([]string, error) {
	c.textOnce.Do(func() { c.text, c.textErr = c.f.Text(c.name) })
	return c.text, c.textErr
}

// hasText reports whether some non-null cell reads s.
func (c *column) hasText(t *table, s string) bool {
	text, err := c.texts()
	if err != nil {
		return false
	}
	for i, x := range text {
		if x == s && !math.IsNaN(c.values[i]) {
			return true
		}
	}
	return false
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
			m.min = math.Min(m.min, v)
			m.max = math.Max(m.max, v)
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
// with the cell's value, strings with the cell's text (with the number's
// shortest decimal form when no row is given, i < 0).
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
	var text []string
	if len(strs) > 0 {
		var err error
		if text, err = c.texts(); err != nil {
			return nil, err
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
		var cell string
		if i >= 0 {
			cell = text[i]
		} else {
			cell = strconv.FormatFloat(v, 'g', -1, 64)
		}
		for _, s := range strs {
			if cell == s {
				return true
			}
		}
		return false
	}, nil
}
