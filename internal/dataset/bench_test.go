package dataset

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"
)

// syntheticHeart writes n rows shaped like the benchmark's heart CSV: a
// header, 13 integer or one-decimal features and a 0/1 target.
func syntheticHeart(n int) []byte {
	rng := rand.New(rand.NewSource(42))
	var b bytes.Buffer
	b.WriteString("age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,slope,ca,thal,target\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d,%d,%d,%d,%d,%d,%d,%d,%d,%.1f,%d,%d,%d,%d\n",
			29+rng.Intn(49), rng.Intn(2), rng.Intn(4), 94+rng.Intn(107), 126+rng.Intn(439), rng.Intn(2), rng.Intn(3),
			71+rng.Intn(132), rng.Intn(2), float64(rng.Intn(63))/10, rng.Intn(3), rng.Intn(5), rng.Intn(4), rng.Intn(2))
	}
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	raw := syntheticHeart(200_000)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for i := 0; i < b.N; i++ {
				if _, err := Parse(raw, nil, Options{Workers: workers}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkText(b *testing.B) {
	f, err := Parse(syntheticHeart(200_000), nil, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.Text("oldpeak"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDigest(b *testing.B) {
	raw := syntheticHeart(200_000)
	b.SetBytes(int64(len(raw)))
	for i := 0; i < b.N; i++ {
		Digest(raw)
	}
}
