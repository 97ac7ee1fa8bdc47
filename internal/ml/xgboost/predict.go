package xgboost

import (
	"fmt"
	"slices"
)

// maxCat is XGBoost's bound on category values: a category at or above it,
// or below zero, is invalid and goes left like an unlisted one.
const maxCat = 1 << 24

// leaf returns the index of the leaf row falls in: a node sends a missing
// value (NaN) its default way, a value below its condition left, and, for a
// categorical node, a listed category right.
func (t *xtree) leaf(row []float32) int32 {
	n := int32(0)
	for t.left[n] != -1 {
		x := row[t.feature[n]]
		var left bool
		switch {
		case x != x:
			left = t.defaultLeft[n]
		case t.cats != nil && t.cats[n] != nil:
			left = !catRight(t.cats[n], x)
		default:
			left = x < t.cond[n]
		}
		if left {
			n = t.left[n]
		} else {
			n = t.right[n]
		}
	}
	return n
}

// catRight reports whether category x is in the sorted set.
func catRight(set []int32, x float32) bool {
	if x < 0 || x >= maxCat {
		return false
	}
	_, found := slices.BinarySearch(set, int32(x))
	return found
}

// checkRow panics on a row of the wrong width: a programmer error, as the
// caller checks rows against the schema first.
func (m *Model) checkRow(n int) {
	if n != m.NumFeature {
		panic(fmt.Sprintf("xgboost: row of %d values for %d features", n, m.NumFeature))
	}
}

// Margins writes the raw scores of row (XGBoost's output_margin=True) to
// out, one per output: the base margin plus every tree's leaf value, added
// in float32 in tree order. row is rounded to float32 first; NaN is
// missing.
func (m *Model) Margins(row []float64, out []float32) {
	m.checkRow(len(row))
	var buf [64]float32
	x := buf[:0]
	if len(row) > len(buf) {
		x = make([]float32, len(row))
	}
	x = x[:len(row)]
	for j, v := range row {
		x[j] = float32(v)
	}
	m.margins32(x, out)
}

// margins32 is Margins for a row already in float32.
func (m *Model) margins32(x, out []float32) {
	copy(out[:m.groups], m.baseMargin)
	for i, t := range m.trees {
		out[m.treeGroup[i]] += t.cond[t.leaf(x)]
	}
}

// Transform turns margins into XGBoost's predict() output in place and
// returns it: probabilities for the logistic and softprob objectives, the
// margin for logitraw and squared error, and for multi:softmax one value,
// the index of the largest margin.
func (m *Model) Transform(margins []float32) []float32 {
	switch m.Objective {
	case "binary:logistic", "reg:logistic":
		margins[0] = m.sigmoid(margins[0])
	case "multi:softprob":
		softmax(margins[:m.groups])
	case "multi:softmax":
		best := 0
		for k, v := range margins[:m.groups] {
			if v > margins[best] {
				best = k
			}
		}
		margins[0] = float32(best)
		return margins[:1]
	}
	return margins[:m.groups]
}

// NumPredictions returns the number of values Transform returns.
func (m *Model) NumPredictions() int {
	if m.Objective == "multi:softmax" {
		return 1
	}
	return m.groups
}

// sigmoid is XGBoost's float32 sigmoid; from 2.0 on it clamps the exponent
// at 88.7 and adds 1e-16 to the denominator.
func (m *Model) sigmoid(x float32) float32 {
	if m.Version[0] < 2 {
		return 1 / (1 + expf(-x))
	}
	const eps = float32(1e-16)
	return 1 / (expf(min(-x, 88.7)) + 1 + eps)
}

// softmax is XGBoost's: exp of each value less the largest in float32, the
// sum in float64, each divided by the sum rounded to float32.
func softmax(v []float32) {
	wmax := v[0]
	for _, x := range v[1:] {
		wmax = fmaxf(x, wmax)
	}
	var sum float64
	for i, x := range v {
		v[i] = expf(x - wmax)
		sum += float64(v[i])
	}
	s := float32(sum)
	for i := range v {
		v[i] /= s
	}
}

// fmaxf is C's fmaxf: the larger value, ignoring a NaN operand.
func fmaxf(x, y float32) float32 {
	switch {
	case x != x:
		return y
	case y != y:
		return x
	case x > y:
		return x
	}
	return y
}
