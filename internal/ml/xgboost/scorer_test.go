package xgboost

import (
	"math"
	"testing"
)

func TestScorerEqualsXGBoostBitForBit(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			want := loadOutputs(t, name)
			m := loadModel(t, name+".ubj")
			s := m.Compile()
			g := m.NumOutputs()
			cols := m.NumFeature
			data := make([]float64, 0, len(want.Rows)*cols)
			for _, r := range want.Rows {
				data = append(data, r...)
			}
			batch := make([]float32, len(want.Rows)*g)
			s.MarginsRows(data, 0, len(want.Rows), batch)
			one := make([]float32, g)
			for i, row := range want.Rows {
				s.Margins(row, one)
				if !sameBits(one, want.Margins[i]) {
					t.Fatalf("row %d: Margins %v, XGBoost %v", i, one, want.Margins[i])
				}
				if got := batch[i*g : (i+1)*g]; !sameBits(got, want.Margins[i]) {
					t.Fatalf("row %d: MarginsRows %v, XGBoost %v", i, got, want.Margins[i])
				}
			}
		})
	}
}

func TestScorerSplitsOnSignedZeroAsFloat32(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	for _, c := range []struct{ x, cond float32 }{{negZero, 0}, {0, negZero}, {negZero, negZero}, {-1e-45, 0}, {1e-45, 0}} {
		if got, want := key32(c.x) < key32(c.cond), c.x < c.cond; got != want {
			t.Errorf("%v < %v: keys say %v, float32 says %v", c.x, c.cond, got, want)
		}
	}
}

// BenchmarkScoreOneRow measures one heart row through the compiled trees
// (60 trees of depth 4), as a serving request scores it.
func BenchmarkScoreOneRow(b *testing.B) {
	m := loadModel(b, "heart_logistic.json")
	s := m.Compile()
	row := loadOutputs(b, "heart_logistic").Rows[0]
	out := make([]float32, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.Margins(row, out)
		m.Transform(out)
	}
}

// BenchmarkScoreRows measures the batch path over the heart rows.
func BenchmarkScoreRows(b *testing.B) {
	m := loadModel(b, "heart_logistic.json")
	s := m.Compile()
	o := loadOutputs(b, "heart_logistic")
	var data []float64
	for _, r := range o.Rows[:300] {
		data = append(data, r...)
	}
	out := make([]float32, 300)
	b.ResetTimer()
	for range b.N {
		s.MarginsRows(data, 0, 300, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/300, "ns/row")
}

// BenchmarkScoreRowsDeep measures the batch path with the diabetes model
// (150 trees of depth 6) over its rows.
func BenchmarkScoreRowsDeep(b *testing.B) {
	m := loadModel(b, "diabetes_squarederror.json")
	s := m.Compile()
	o := loadOutputs(b, "diabetes_squarederror")
	var data []float64
	for _, r := range o.Rows {
		data = append(data, r...)
	}
	n := len(o.Rows)
	out := make([]float32, n)
	b.ResetTimer()
	for range b.N {
		s.MarginsRows(data, 0, n, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
}

// BenchmarkReadJSON measures reading the diabetes model (150 trees of
// depth 6, 630 kB of JSON).
func BenchmarkReadJSON(b *testing.B) {
	raw := readFixture(b, "diabetes_squarederror.json")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for range b.N {
		if _, err := Read(raw); err != nil {
			b.Fatal(err)
		}
	}
}
