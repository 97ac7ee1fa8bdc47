package dataset

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the loader with and without a schema,
// in one chunk and in many: it must never panic, must fail only with its
// documented errors, and on success the chunked and single parses agree and
// every non-missing cell's text parses back to the stored number.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"age,chol,num\n63.0,233.0,0\n67,?,2\n",
		"63.0,233.0,0\n67.0,286.0,2\n",
		"\"age\",\"chol\",\"num\"\r\n\"1\",\"2\",\"3\"\r\n",
		"1,,3\n\n\n4,5,6",
		"a,b\n1e3,-.5\n",
		"1,NaN,3\n",
		"1,2\n",
		"1,2,3,4\n",
		"\xEF\xBB\xBF1,2,3\n",
		"1,\"2,3\n",
	} {
		f.Add([]byte(seed))
	}
	s := &Schema{Columns: []Column{{Name: "age", Kind: Numeric}, {Name: "chol", Kind: Numeric}, {Name: "num", Kind: Numeric}}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, sc := range []*Schema{s, nil} {
			one, err := Parse(raw, sc, Options{Workers: 1})
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) && !errors.Is(err, ErrEmpty) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				if len(err.Error()) > 2000 {
					t.Fatalf("error message of %d bytes", len(err.Error()))
				}
				continue
			}
			many, err := Parse(raw, sc, Options{Workers: 3, minChunk: 1})
			if err != nil {
				t.Fatalf("chunked parse failed where a single chunk passed: %v", err)
			}
			if one.Rows != many.Rows || len(one.Cols) != len(many.Cols) {
				t.Fatalf("rows %d vs %d", one.Rows, many.Rows)
			}
			for j := range one.Cols {
				if len(one.Cols[j]) != one.Rows {
					t.Fatalf("column %d has %d values for %d rows", j, len(one.Cols[j]), one.Rows)
				}
				text, err := one.Text(one.Names[j])
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range one.Cols[j] {
					w := many.Cols[j][i]
					if math.Float64bits(v) != math.Float64bits(w) && !(math.IsNaN(v) && math.IsNaN(w)) {
						t.Fatalf("cell (%d,%d): %v vs %v", i, j, v, w)
					}
					if math.IsNaN(v) {
						continue
					}
					back, err := strconv.ParseFloat(strings.TrimSpace(text[i]), 64)
					if err != nil || back != v {
						t.Fatalf("cell (%d,%d) = %v but its text is %q", i, j, v, text[i])
					}
				}
			}
		}
	})
}
