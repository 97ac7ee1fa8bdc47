package validation

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/stewardml/steward/internal/dataset"
)

// syntheticHeart writes n rows that pass bench/csv_suite.json.
func syntheticHeart(n int) []byte {
	rng := rand.New(rand.NewSource(42))
	var b bytes.Buffer
	b.WriteString("age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,slope,ca,thal,target\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d,%d,%d,%d,%d,%d,%d,%d,%d,%.1f,%d,%d,%d,%d\n",
			40+rng.Intn(30), rng.Intn(2), rng.Intn(4), 110+rng.Intn(40), 180+rng.Intn(130), rng.Intn(2), rng.Intn(3),
			120+rng.Intn(60), rng.Intn(2), float64(rng.Intn(63))/10, rng.Intn(3), rng.Intn(5), rng.Intn(4), rng.Intn(2))
	}
	return b.Bytes()
}

func BenchmarkValidate(b *testing.B) {
	f, err := dataset.Parse(syntheticHeart(200_000), nil, dataset.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := loadSuite(b, "../../bench/csv_suite.json")
	for _, par := range []int{1, 2} {
		b.Run(fmt.Sprintf("parallel=%d", par), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if r := Validate(s, f, Options{ResultFormat: "SUMMARY", Parallel: par}); !r.Success {
					b.Fatal(Summarize(r))
				}
			}
		})
	}
}
