package gbdt

import (
	"math"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/tree"
)

// quantize sets the scales of this tree and packs every row's gradient
// pair into qgh (see booster.qgh). With n in-bag rows, each rounded
// gradient is at most (2^31-1-n)/n in magnitude and each rounded hessian at
// most (2^32-1-n)/n, so sums over any set of in-bag rows fit their halves:
// at a million rows a gradient still has over 2,000 steps each way.
func (b *booster) quantize() {
	n := len(b.idx)
	const chunk = 65536
	parts := make([][2]float64, (n+chunk-1)/chunk)
	parallelDo(len(parts), b.workers, func(c int) {
		var mg, mh float64
		for _, r := range b.idx[c*chunk : min((c+1)*chunk, n)] {
			gh := b.gh[r]
			mg = max(mg, math.Abs(gh.G))
			mh = max(mh, gh.H)
		}
		parts[c] = [2]float64{mg, mh}
	})
	var maxG, maxH float64
	for _, m := range parts {
		maxG, maxH = max(maxG, m[0]), max(maxH, m[1])
	}
	b.sg, b.sh = 1, 1
	if maxG > 0 {
		b.sg = (math.MaxInt32 - float64(n)) / (float64(n) * maxG)
	}
	if maxH > 0 {
		b.sh = (math.MaxUint32 - float64(n)) / (float64(n) * maxH)
	}
	sg, sh := b.sg, b.sh
	core.ParallelRows(b.n, b.workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			// round half away from zero: add a signed half, truncate
			gh := b.gh[i]
			g, h := gh.G*sg, gh.H*sh
			b.qgh[i] = pack(int64(g+math.Copysign(0.5, g)), int64(h+0.5))
		}
	})
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
// their gathered packed pairs oq, even and odd rows apart (see accumulate).
func (b *booster) accumulateQ(h *hist, f int, rows []int32, oq []int64) {
	col := b.cols[f]
	hf := &h.q[f]
	clear(hf[:])
	oq = oq[:len(rows)]
	var odd [256]int64
	k := 1
	for ; k < len(rows); k += 2 {
		hf[col[rows[k-1]]] += oq[k-1]
		odd[col[rows[k]]] += oq[k]
	}
	if k == len(rows) {
		hf[col[rows[k-1]]] += oq[k-1]
	}
	for i := range hf {
		hf[i] += odd[i]
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
