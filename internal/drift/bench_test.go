package drift

import (
	"math/rand/v2"
	"testing"
)

// heartLike draws n rows shaped like the heart data's integer columns.
func heartLike(seed uint64, n int, shift float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 3))
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(int(54 + shift + 9*r.NormFloat64()))
	}
	return out
}

func BenchmarkKolmogorovSmirnov1M(b *testing.B) {
	ref, cur := heartLike(1, 1_000_000, 0), heartLike(2, 1_000_000, 0.3)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := KolmogorovSmirnov(ref, cur); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWassersteinContinuous1M(b *testing.B) {
	ref, cur := continuous(1, 1_000_000, 0), continuous(2, 1_000_000, 0.1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Wasserstein(ref, cur); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExactKS1000x10000(b *testing.B) {
	ref, cur := continuous(1, 1000, 0), continuous(2, 10000, 0.05)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := KolmogorovSmirnov(ref, cur); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckHeart(b *testing.B) {
	cle := readUCI(b, "processed.cleveland.data")
	hun := readUCI(b, "processed.hungarian.data")
	p := heartProfile(b, cle, nil)
	w := hun.window()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Check(p, w, DefaultOptions()); err != nil {
			b.Fatal(err)
		}
	}
}
