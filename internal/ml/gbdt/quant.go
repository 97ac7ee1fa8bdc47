package gbdt

import (
	"math"

	"github.com/stewardml/steward/internal/ml/tree"
)

// setScales sets the quantization scales of this tree from its number of
// in-bag rows n and the largest weight wmax: a log-loss gradient is at most
// wmax in magnitude and a hessian at most wmax/4, so with each rounded
// gradient at most (2^31-1-n)/n and each rounded hessian at most
// (2^32-1-n)/n, sums over any set of in-bag rows fit their halves. At a
// million rows a unit gradient still has over 2,000 steps.
func (b *booster) setScales() {
	n := float64(len(b.idx))
	b.sg, b.sh = 1, 1
	if n > 0 {
		b.sg = (math.MaxInt32 - n) / (n * b.wmax)
		b.sh = (math.MaxUint32 - n) / (n * b.wmax / 4)
	}
}

// quantize packs a gradient pair with this tree's scales, rounding half
// away from zero.
func (b *booster) quantize(g, h float64) int64 {
	g, h = g*b.sg, h*b.sh
	return pack(int64(g+math.Copysign(0.5, g)), int64(h+0.5))
}

// pack returns the packed pair of a gradient sum g and a hessian sum
// 0 <= h < 2^32.
func pack(g, h int64) int64 { return g<<32 + h }

// unpack splits a packed pair; the hessian half never borrows, so the
// gradient half is the arithmetic shift.
func unpack(v int64) (g, h int64) { return v >> 32, int64(uint32(v)) }

// decode returns the gradient and hessian sums of a packed pair.
func (b *booster) decode(v int64) (float64, float64) {
	g, h := unpack(v)
	return float64(g) / b.sg, float64(h) / b.sh
}

// accumulateQ sets the quantized histogram of feature f from the rows and
// their gathered packed pairs oq; large leaves are summed in four
// interleaved histograms (see accumulate).
func (b *booster) accumulateQ(h *hist, f int, rows []int32, oq []int64) {
	col := b.cols[f]
	hf := &h.q[f]
	clear(hf[:])
	oq = oq[:len(rows)]
	if len(rows) < 512 {
		for k, r := range rows {
			hf[col[r]] += oq[k]
		}
		return
	}
	// four interleaved histograms: four independent chains of additions
	// per bin
	var h1, h2, h3 [256]int64
	k := 3
	for ; k < len(rows); k += 4 {
		hf[col[rows[k-3]]] += oq[k-3]
		h1[col[rows[k-2]]] += oq[k-2]
		h2[col[rows[k-1]]] += oq[k-1]
		h3[col[rows[k]]] += oq[k]
	}
	for k -= 3; k < len(rows); k++ {
		hf[col[rows[k]]] += oq[k]
	}
	for i := range hf {
		hf[i] += h1[i] + h2[i] + h3[i]
	}
}

// bestSplitQ is bestSplit on a quantized histogram. A bin is empty when
// its packed sums are zero.
func (b *booster) bestSplitQ(l *leaf) splitInfo {
	p := b.p
	lam := p.Lambda
	parent := l.g * l.g / (l.h + lam)
	best := splitInfo{gain: math.Max(p.MinSplitGain, minGain)}
	mcw := p.MinChildWeight
	G, H := l.g, l.h
	for _, f := range b.feats {
		hf := &l.hist.q[f]
		nb := b.bins.NumBins(f)
		miss := hf[tree.MissingBin]
		var cum int64
		for bin := 0; bin < nb-1; bin++ {
			if hf[bin] == 0 {
				continue
			}
			cum += hf[bin]
			lg, lh := b.decode(cum)
			// missing values to the right; MinChildWeight > 0 also keeps
			// both children non-empty
			if lh >= mcw && H-lh >= mcw {
				rg, rh := G-lg, H-lh
				gain := lg*lg/(lh+lam) + rg*rg/(rh+lam) - parent
				if gain > best.gain {
					// with no missing value here, NaN follows the child of
					// larger hessian sum
					best = splitInfo{ok: true, gain: gain, feature: f, bin: uint8(bin), lg: lg, lh: lh, lsum: cum,
						defaultLeft: miss == 0 && lh >= H-lh}
				}
			}
			if miss == 0 {
				continue
			}
			// missing values to the left
			lg, lh = b.decode(cum + miss)
			if lh >= mcw && H-lh >= mcw {
				rg, rh := G-lg, H-lh
				gain := lg*lg/(lh+lam) + rg*rg/(rh+lam) - parent
				if gain > best.gain {
					best = splitInfo{ok: true, gain: gain, feature: f, bin: uint8(bin), defaultLeft: true, lg: lg, lh: lh, lsum: cum + miss}
				}
			}
		}
	}
	return best
}
