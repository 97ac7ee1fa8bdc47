package forest

import (
	"math"
	"math/bits"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/tree"
)

// cutTable maps values to bins: the bin of x for feature f is the number of
// cuts of f below x (so x <= cut[b] exactly when bin(x) <= b), and NaN is
// tree.MissingBin. It holds at most maxCuts cuts per feature.
type cutTable struct {
	pad  [][256]uint64  // orderKey of the cuts, padded with that of +Inf
	vals [][256]float64 // the cuts, padded with +Inf
}

// orderKey maps a non-NaN float64 to a uint64 of the same order (-0 and
// +0 both to the key of +0), so that comparisons compile to conditional
// moves.
func orderKey(x float64) uint64 {
	if x == 0 {
		x = 0
	}
	b := math.Float64bits(x)
	return b ^ (uint64(int64(b)>>63) | 1<<63)
}

func newCutTable(cuts [][]float64) *cutTable {
	t := &cutTable{pad: make([][256]uint64, len(cuts)), vals: make([][256]float64, len(cuts))}
	for f, c := range cuts {
		p, v := &t.pad[f], &t.vals[f]
		for i := range p {
			v[i] = math.Inf(1)
			if i < len(c) {
				v[i] = c[i]
			}
			p[i] = orderKey(v[i])
		}
	}
	return t
}

// bin returns the bin of x for feature f: a branch-free binary search
// over the padded cuts.
func (t *cutTable) bin(f int, x float64) uint8 {
	if x != x {
		return tree.MissingBin
	}
	p := &t.pad[f]
	k := orderKey(x)
	// the borrow of p[j]-k is 1 exactly when p[j] < k
	_, c := bits.Sub64(p[127], k, 0)
	i := uint(c) << 7
	_, c = bits.Sub64(p[(i+63)&255], k, 0)
	i |= uint(c) << 6
	_, c = bits.Sub64(p[(i+31)&255], k, 0)
	i |= uint(c) << 5
	_, c = bits.Sub64(p[(i+15)&255], k, 0)
	i |= uint(c) << 4
	_, c = bits.Sub64(p[(i+7)&255], k, 0)
	i |= uint(c) << 3
	_, c = bits.Sub64(p[(i+3)&255], k, 0)
	i |= uint(c) << 2
	_, c = bits.Sub64(p[(i+1)&255], k, 0)
	i |= uint(c) << 1
	_, c = bits.Sub64(p[i&255], k, 0)
	i |= uint(c)
	return uint8(i)
}

// packRows bins X with t and packs each row into wpr words, feature f in
// byte f%8 of word f/8, in parallel.
func (t *cutTable) packRows(X core.Matrix, wpr int) []uint64 {
	out := make([]uint64, X.Rows*wpr)
	nf := X.Cols
	core.ParallelRows(X.Rows, 0, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := X.Data[i*nf : (i+1)*nf]
			dst := out[i*wpr : (i+1)*wpr]
			for f, x := range row {
				dst[f>>3] |= uint64(t.bin(f, x)) << (8 * (f & 7))
			}
		}
	})
	return out
}
