package ml_test

import (
	"fmt"
	"math/rand"

	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/gbdt"
	"github.com/stewardml/steward/internal/ml/linear"
)

// Fit a family, store its payload, load it back and explain a prediction.
func Example() {
	// one feature; the label is 1 when it is large
	X := ml.Matrix{Rows: 8, Cols: 1, Data: []float64{-3, -2, -1, -0.5, 0.5, 1, 2, 3}}
	y := []float64{0, 0, 0, 1, 0, 1, 1, 1}

	m, err := linear.Trainer{Params: linear.Params{C: 10}}.Fit(X, y, nil, nil)
	if err != nil {
		panic(err)
	}
	payload, _ := m.MarshalBinary()
	back, err := ml.Unmarshal(m.Family(), payload)
	if err != nil {
		panic(err)
	}
	row := []float64{2.5}
	contrib := make([]float64, 1)
	base := back.Contributions(row, contrib)
	fmt.Printf("%s P(y=1|x=2.5) = %.3f\n", back.Family(), back.Prob(row))
	fmt.Printf("base %.3f + contribution %.3f = margin %.3f\n", base, contrib[0], back.Margin(row))
	// Output:
	// logreg P(y=1|x=2.5) = 0.965
	// base 0.000 + contribution 3.317 = margin 3.317
}

// Boosted trees are stored as a LightGBM text model.
func ExampleUnmarshal_gbdt() {
	rng := rand.New(rand.NewSource(1))
	X := ml.NewMatrix(200, 2)
	y := make([]float64, 200)
	for i := range y {
		X.Data[2*i], X.Data[2*i+1] = rng.Float64(), rng.Float64()
		if X.Data[2*i] > 0.5 {
			y[i] = 1
		}
	}
	m, err := gbdt.Trainer{Params: gbdt.Params{NTrees: 20}}.Fit(X, y, nil, rng)
	if err != nil {
		panic(err)
	}
	text, _ := m.MarshalBinary()
	fmt.Println(string(text[:27]))
	back, _ := ml.Unmarshal(ml.FamilyGBDT, text)
	fmt.Printf("P(y=1|0.9, 0.5) > 0.5: %v\n", back.Prob([]float64{0.9, 0.5}) > 0.5)
	// Output:
	// tree
	// version=v3
	// num_class=1
	// P(y=1|0.9, 0.5) > 0.5: true
}
