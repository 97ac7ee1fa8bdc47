package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
)

func ptr(v float64) *float64 { return &v }

// heartSchema is the UCI heart-disease layout (the project config holds the
// canonical copy; this one keeps the package's tests self-contained).
func heartSchema() *Schema {
	cat := func(vs ...float64) []Level {
		out := make([]Level, len(vs))
		for i, v := range vs {
			out[i] = Level{Value: v}
		}
		return out
	}
	return &Schema{
		Columns: []Column{
			{Name: "age", Kind: Numeric, Unit: "years", Min: ptr(0), Max: ptr(120)},
			{Name: "sex", Kind: Binary},
			{Name: "cp", Kind: Categorical, Levels: cat(1, 2, 3, 4)},
			{Name: "trestbps", Kind: Numeric, Unit: "mm Hg"},
			{Name: "chol", Kind: Numeric, Unit: "mg/dl"},
			{Name: "fbs", Kind: Binary},
			{Name: "restecg", Kind: Categorical, Levels: cat(0, 1, 2)},
			{Name: "thalach", Kind: Numeric, Unit: "bpm"},
			{Name: "exang", Kind: Binary},
			{Name: "oldpeak", Kind: Numeric, Unit: "mm"},
			{Name: "slope", Kind: Categorical, Levels: cat(1, 2, 3)},
			{Name: "ca", Kind: Categorical, Levels: cat(0, 1, 2, 3)},
			{Name: "thal", Kind: Categorical, Levels: cat(3, 6, 7)},
			{Name: "num", Kind: Categorical, Levels: cat(0, 1, 2, 3, 4)},
		},
		Target: Target{Column: "num", Op: ">", Value: 0},
	}
}

func readHeart(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/heart/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func countNaN(col []float64) int {
	n := 0
	for _, v := range col {
		if math.IsNaN(v) {
			n++
		}
	}
	return n
}

func TestParseUCIFiles(t *testing.T) {
	tests := []struct {
		file    string
		rows    int
		missing map[string]int
		labels  [2]int // negatives, positives
	}{
		{"processed.cleveland.data", 303, map[string]int{"ca": 4, "thal": 2, "chol": 0}, [2]int{164, 139}},
		{"processed.hungarian.data", 294, map[string]int{"slope": 190, "ca": 291, "thal": 266, "chol": 23, "fbs": 8, "trestbps": 1, "restecg": 1, "thalach": 1, "exang": 1, "age": 0}, [2]int{188, 106}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s := heartSchema()
			f, err := Parse(readHeart(t, tt.file), s, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if f.Rows != tt.rows {
				t.Errorf("rows = %d, want %d", f.Rows, tt.rows)
			}
			for col, want := range tt.missing {
				c, err := f.Column(col)
				if err != nil {
					t.Fatal(err)
				}
				if got := countNaN(c); got != want {
					t.Errorf("missing %s = %d, want %d", col, got, want)
				}
			}
			y, err := s.Target.Labels(f)
			if err != nil {
				t.Fatal(err)
			}
			var got [2]int
			for _, v := range y {
				got[int(v)]++
			}
			if got != tt.labels {
				t.Errorf("labels = %v, want %v", got, tt.labels)
			}
		})
	}
}

func TestParseClevelandValues(t *testing.T) {
	f, err := Parse(readHeart(t, "processed.cleveland.data"), heartSchema(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// First line: 63.0,1.0,1.0,145.0,233.0,1.0,2.0,150.0,0.0,2.3,3.0,0.0,6.0,0
	want := []float64{63, 1, 1, 145, 233, 1, 2, 150, 0, 2.3, 3, 0, 6, 0}
	for j, w := range want {
		if got := f.Cols[j][0]; got != w {
			t.Errorf("%s[0] = %v, want %v", f.Names[j], got, w)
		}
	}
	if f.Types[0] != TypeFloat64 || f.Types[13] != TypeInt64 {
		t.Errorf("types = %v, want age float64 (written 63.0) and num int64", f.Types)
	}
	text, err := f.Text("oldpeak")
	if err != nil {
		t.Fatal(err)
	}
	if text[0] != "2.3" || len(text) != 303 {
		t.Errorf("Text(oldpeak)[0] = %q (len %d), want \"2.3\" (303)", text[0], len(text))
	}
	ca, _ := f.Text("ca")
	if ca[166] != "?" { // line 167 holds a '?' in ca
		t.Errorf("Text(ca)[166] = %q, want \"?\"", ca[166])
	}
}

func TestParseHeaderedCSV(t *testing.T) {
	s := heartSchema()
	raw := readHeart(t, "processed.cleveland.data")
	withHeader := append([]byte(strings.Join(s.Names(), ",")+"\n"), raw...)
	for _, format := range []Format{FormatAuto, FormatHeader} {
		f, err := Parse(withHeader, s, Options{Format: format})
		if err != nil {
			t.Fatalf("format %d: %v", format, err)
		}
		if f.Rows != 303 {
			t.Errorf("format %d: rows = %d, want 303", format, f.Rows)
		}
	}
	// Without a schema the header names the columns.
	f, err := Parse(withHeader, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Names, ","); got != strings.Join(s.Names(), ",") || f.Rows != 303 {
		t.Errorf("schemaless: names %s rows %d", got, f.Rows)
	}
	// FormatRaw on a headered file reads the header as data and fails on it.
	_, err = Parse(withHeader, s, Options{Format: FormatRaw})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Row != 1 || pe.Column != "age" {
		t.Errorf("raw format on a header: err = %v, want row 1 column age", err)
	}
}

func TestParseTolerates(t *testing.T) {
	s := &Schema{Columns: []Column{{Name: "a", Kind: Numeric}, {Name: "b", Kind: Numeric}}}
	tests := []struct {
		name string
		in   string
		want [][2]float64 // NaN compares by IsNaN
	}{
		{"crlf", "a,b\r\n1,2\r\n3,4\r\n", [][2]float64{{1, 2}, {3, 4}}},
		{"bom", "\xEF\xBB\xBFa,b\n1,2\n", [][2]float64{{1, 2}}},
		{"no final newline", "a,b\n1,2\n3,4", [][2]float64{{1, 2}, {3, 4}}},
		{"blank lines", "\na,b\n\n1,2\n\n\n3,4\n\n", [][2]float64{{1, 2}, {3, 4}}},
		{"quoted", "\"a\",\"b\"\n\"1\",\"2.5\"\n", [][2]float64{{1, 2.5}}},
		{"padded", "a,b\n 1 ,\t2\n", [][2]float64{{1, 2}}},
		{"missing", "a,b\n?,\n,?\n", [][2]float64{{math.NaN(), math.NaN()}, {math.NaN(), math.NaN()}}},
		{"exponent and sign", "a,b\n1e3,+2\n-0.5,-1E-2\n", [][2]float64{{1000, 2}, {-0.5, -0.01}}},
		{"leading point", "1,.7\n7.,-.25\n", [][2]float64{{1, 0.7}, {7, -0.25}}},
		{"header only", "a,b\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in), s, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if f.Rows != len(tt.want) {
				t.Fatalf("rows = %d, want %d", f.Rows, len(tt.want))
			}
			for i, w := range tt.want {
				for j := range w {
					got := f.Cols[j][i]
					if !(got == w[j] || math.IsNaN(got) && math.IsNaN(w[j])) {
						t.Errorf("cell (%d,%d) = %v, want %v", i, j, got, w[j])
					}
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	s := &Schema{Columns: []Column{{Name: "age", Kind: Numeric}, {Name: "chol", Kind: Numeric}, {Name: "num", Kind: Numeric}}}
	bigLine := "1," + strings.Repeat("9", 10<<20) + ",0\n"
	manyFields := strings.Repeat("1,", 5<<20) + "1\n"
	tests := []struct {
		name string
		in   string
		want string // the full message
	}{
		{"text in numeric column", "1,2,3\n4,abc,6\n", `dataset: row 2, column "chol": expected a number, got "abc"`},
		{"text with header", "age,chol,num\n1,2,3\n4,5,x7\n", `dataset: row 2 (line 3), column "num": expected a number, got "x7"`},
		{"too few fields", "1,2,3\n4,5\n", `dataset: row 2, column "num": expected 3 fields, got 2 (the line ends early)`},
		{"too many fields", "1,2,3,4\n", `dataset: row 1: expected 3 fields, got 4`},
		{"NaN text", "1,NaN,3\n", `dataset: row 1, column "chol": expected a finite number, got "NaN"`},
		{"Inf text", "1,2,-Inf\n", `dataset: row 1, column "num": expected a finite number, got "-Inf"`},
		{"overflow", "1,1e400,3\n", `dataset: row 1, column "chol": number "1e400" is out of the float64 range`},
		{"hex float", "1,0x1p3,3\n", `dataset: row 1, column "chol": expected a number, got "0x1p3"`},
		{"10 MB field", bigLine, `dataset: row 1, column "chol": field is 10485760 bytes long, over the 1024-byte limit`},
		{"10 MB line of fields", manyFields, fmt.Sprintf(`dataset: row 1: expected 3 fields, got %d`, 5<<20+1)},
		{"header mismatch", "age,cholesterol,num\n1,2,3\n", `dataset: header: does not match the schema: missing column "chol", unexpected column "cholesterol" (expected age,chol,num)`},
		{"header order", "age,num,chol\n1,2,3\n", `dataset: header: does not match the schema: column 2 is "num", expected "chol" (columns out of order) (expected age,chol,num)`},
		{"header extra", "age,chol,num,id\n1,2,3,4\n", `dataset: header: does not match the schema: unexpected column "id" (expected age,chol,num)`},
		{"unterminated quote", "1,\"2,3\n", `dataset: row 1, column "chol": unterminated quoted field (line breaks inside quotes are not supported)`},
		{"text after quote", "1,\"2\"x,3\n", `dataset: row 1, column "chol": unexpected text after a closing quote`},
		{"blank lines before error", "1,2,3\n\n\n1,2,?x\n", `dataset: row 2 (line 4), column "num": expected a number, got "?x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), s, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got %s\nwant %s", got, tt.want)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "\n", "\r\n\n", "\xEF\xBB\xBF"} {
		if _, err := Parse([]byte(in), heartSchema(), Options{}); !errors.Is(err, ErrEmpty) {
			t.Errorf("Parse(%q) err = %v, want ErrEmpty", in, err)
		}
	}
}

func TestParseSchemaless(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"1,2\n3,4\n", `dataset: header: expected a header line naming the columns, got a row of numbers (pass a schema to read headerless files)`},
		{"a,a\n1,2\n", `dataset: header: column "a" appears twice`},
		{"a,\n1,2\n", `dataset: header: column 2 has an empty name`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in), nil, Options{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) err = %v, want %s", tt.in, err, tt.want)
		}
	}
	if _, err := Parse([]byte("a\n1\n"), nil, Options{Format: FormatRaw}); !errors.Is(err, ErrSchema) {
		t.Errorf("raw format without a schema: err = %v, want ErrSchema", err)
	}
}

// TestParseChunksAgree parses the same multi-megabyte input with one and
// with several workers, with blank lines and errors placed near chunk edges.
func TestParseChunksAgree(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	var b bytes.Buffer
	b.WriteString("x,y,z\n")
	rows := 0
	for b.Len() < 3<<20 {
		if rng.Intn(50) == 0 {
			b.WriteString("\n")
			continue
		}
		fmt.Fprintf(&b, "%d,%.3f,%s\n", rng.Intn(1000), rng.NormFloat64()*100, []string{"?", "1.5", "-2", "3e2"}[rng.Intn(4)])
		rows++
	}
	raw := b.Bytes()
	one, err := Parse(raw, nil, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if one.Rows != rows {
		t.Fatalf("rows = %d, want %d", one.Rows, rows)
	}
	for _, w := range []int{2, 3, 7} {
		many, err := Parse(raw, nil, Options{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if many.Rows != one.Rows {
			t.Fatalf("workers %d: rows = %d, want %d", w, many.Rows, one.Rows)
		}
		for j := range one.Cols {
			for i := range one.Cols[j] {
				a, c := one.Cols[j][i], many.Cols[j][i]
				if a != c && !(math.IsNaN(a) && math.IsNaN(c)) {
					t.Fatalf("workers %d: cell (%d,%d) = %v, want %v", w, i, j, c, a)
				}
			}
			if one.Types[j] != many.Types[j] {
				t.Errorf("workers %d: type of %s = %s, want %s", w, one.Names[j], many.Types[j], one.Types[j])
			}
		}
	}
	// An error in the last chunk reports its true row and line.
	bad := append(append([]byte{}, raw...), []byte("1,2,oops\n")...)
	for _, w := range []int{1, 4} {
		_, err := Parse(bad, nil, Options{Workers: w})
		want := fmt.Sprintf(`dataset: row %d (line %d), column "z": expected a number, got "oops"`, rows+1, bytes.Count(raw, []byte{'\n'})+1)
		if err == nil || err.Error() != want {
			t.Errorf("workers %d: err = %v, want %s", w, err, want)
		}
	}
}

func TestFastNumberMatchesParseFloat(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	cases := []string{"0", "-0", "00012", "1.", ".5", "123456789012345", "0.1", "0.3", "9007199254740993", "1234567.891"}
	for i := 0; i < 20000; i++ {
		digits := rng.Intn(15) + 1
		s := strconv.FormatInt(rng.Int63n(int64(math.Pow10(digits))), 10)
		if p := rng.Intn(len(s) + 1); p < len(s) {
			s = s[:p] + "." + s[p:]
		}
		if rng.Intn(2) == 0 {
			s = "-" + s
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		b := []byte(s + ",")
		v, k, _, ok := fastNumber(b, 0)
		want, err := strconv.ParseFloat(s, 64)
		if !ok {
			if err == nil && len(strings.Trim(s, "-.")) <= 15 {
				t.Errorf("fastNumber(%q) refused a plain number", s)
			}
			continue
		}
		if err != nil || math.Float64bits(v) != math.Float64bits(want) || k != len(s) {
			t.Errorf("fastNumber(%q) = %v (k=%d), ParseFloat = %v, %v", s, v, k, want, err)
		}
	}
}

func TestMatrixAndColumn(t *testing.T) {
	f, err := NewFrame([]string{"a", "b", "c"}, [][]float64{{1, 2}, {3, 4}, {5, math.NaN()}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Matrix([]string{"c", "a"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != 2 || m.Cols != 2 || m.Data[0] != 5 || m.Data[1] != 1 || !math.IsNaN(m.Data[2]) || m.Data[3] != 2 {
		t.Errorf("Matrix = %+v, want rows [5 1] [NaN 2]", m)
	}
	if _, err := f.Matrix([]string{"a", "zz"}); !errors.Is(err, ErrUnknownColumn) {
		t.Errorf("Matrix with unknown column: err = %v, want ErrUnknownColumn", err)
	}
	text, _ := f.Text("c")
	if text[0] != "5" || text[1] != "" {
		t.Errorf("Text(c) = %q, want [5 \"\"]", text)
	}
	if _, err := NewFrame([]string{"a", "b"}, [][]float64{{1}, {1, 2}}); !errors.Is(err, ErrSchema) {
		t.Errorf("ragged NewFrame: err = %v, want ErrSchema", err)
	}
}

func TestValuesOutsideTheSchemaAreLoaded(t *testing.T) {
	s := &Schema{Columns: []Column{
		{Name: "age", Kind: Numeric, Min: ptr(18), Max: ptr(100)},
		{Name: "cp", Kind: Categorical, Levels: []Level{{Value: 1}, {Value: 2}}},
		{Name: "sex", Kind: Binary},
	}}
	f, err := Parse([]byte("150,7,2\n"), s, Options{})
	if err != nil {
		t.Fatalf("out-of-schema values refused: %v (ranges and sets are for validation)", err)
	}
	if f.Cols[0][0] != 150 || f.Cols[1][0] != 7 || f.Cols[2][0] != 2 {
		t.Errorf("row = %v %v %v", f.Cols[0][0], f.Cols[1][0], f.Cols[2][0])
	}
}
