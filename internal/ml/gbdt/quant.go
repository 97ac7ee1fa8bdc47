package gbdt

import (
	"cmp"
	"math"
	"slices"

	"github.com/stewardml/steward/internal/ml/core"
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

// histUnit is one column that quantized histograms are built on: a
// feature, or a group of features with few bins each, whose joint bin
// (one digit per feature) fits a byte. A joint histogram costs one update
// per row for the whole group, and each member's histogram is the sum of
// the joint bins with its digit; integer sums make those exactly the
// member's own histogram.
type histUnit struct {
	col   []uint8 // per row: the feature's bin, or the joint bin
	feats []int
	// bins[k][j] is feature feats[k]'s bin in joint bin j (groups only)
	bins [][256]uint8
}

// jointCardinality bounds the joint bins of a group.
const jointCardinality = 256

// jointUnits groups the features whose bins (with the missing bin when a
// row uses it) multiply to at most jointCardinality, smallest first, and
// returns the groups and the remaining features as histogram units.
func jointUnits(bins *tree.Bins, cols [][]uint8, workers int) []histUnit {
	nf := len(cols)
	card := make([]int, nf) // bins in use, the missing bin counting as one more
	miss := make([]bool, nf)
	core.ParallelDo(nf, workers, func(f int) {
		card[f] = bins.NumBins(f)
		if slices.Contains(cols[f], tree.MissingBin) {
			miss[f] = true
			card[f]++
		}
	})
	order := make([]int, nf)
	for f := range order {
		order[f] = f
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(card[a], card[b]) })
	var units []histUnit
	var group []int
	product := 1
	flush := func() {
		switch len(group) {
		case 0:
		case 1:
			units = append(units, histUnit{col: cols[group[0]], feats: group})
		default:
			units = append(units, newJointUnit(group, card, miss, cols, workers))
		}
		group, product = nil, 1
	}
	for _, f := range order {
		if product*card[f] > jointCardinality {
			flush()
		}
		group = append(group, f)
		product *= card[f]
	}
	flush()
	slices.SortFunc(units, func(a, b histUnit) int { return cmp.Compare(a.feats[0], b.feats[0]) })
	return units
}

// newJointUnit builds the joint column of a group: in base card, the
// digit of feature feats[k] is its bin, the missing bin being the last
// digit.
func newJointUnit(feats, card []int, miss []bool, cols [][]uint8, workers int) histUnit {
	u := histUnit{col: make([]uint8, len(cols[0])), feats: slices.Clone(feats), bins: make([][256]uint8, len(feats))}
	var digits [][256]uint8 // per feature of the group, the digit of each bin
	stride := 1
	for k, f := range feats {
		var dg [256]uint8
		for bin := range dg {
			dg[bin] = uint8(min(bin, card[f]-1))
		}
		if miss[f] {
			dg[tree.MissingBin] = uint8(card[f] - 1)
		}
		digits = append(digits, dg)
		for j := range jointCardinality {
			d := j / stride % card[f]
			u.bins[k][j] = uint8(d)
			if miss[f] && d == card[f]-1 {
				u.bins[k][j] = tree.MissingBin
			}
		}
		stride *= card[f]
	}
	core.ParallelRows(len(u.col), workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			j, stride := 0, 1
			for k, f := range feats {
				j += int(digits[k][cols[f][i]]) * stride
				stride *= card[f]
			}
			u.col[i] = uint8(j)
		}
	})
	return u
}

// histChunk is the most rows one histogram task sums: a larger leaf is
// cut into parts summed apart and then added, so that the tasks of the
// first levels, few and long, share out evenly over the workers.
const histChunk = 1 << 15

// buildHistsQ sets the quantized histograms of the active features of each
// leaf; all tells the leaves of all rows, which are read in place.
func (b *booster) buildHistsQ(ls []*leaf, all func(*leaf) bool) {
	type task struct {
		l      *leaf
		u      *histUnit
		lo, hi int         // positions within the leaf's rows
		part   *[256]int64 // the part's sums, or nil: the whole leaf
	}
	var tasks []task
	nparts := 0
	for _, l := range ls {
		if n := l.hi - l.lo; n > histChunk {
			nparts += (n + histChunk - 1) / histChunk * len(b.active)
		}
	}
	parts := make([][256]int64, nparts)
	for _, l := range ls {
		n := l.hi - l.lo
		for _, ui := range b.active {
			if n <= histChunk {
				tasks = append(tasks, task{l: l, u: &b.units[ui], hi: n})
				continue
			}
			for lo := 0; lo < n; lo += histChunk {
				tasks = append(tasks, task{l: l, u: &b.units[ui], lo: lo, hi: min(lo+histChunk, n), part: &parts[0]})
				parts = parts[1:]
			}
		}
	}
	core.ParallelDo(len(tasks), b.workers, func(i int) {
		t := &tasks[i]
		rows, oq := []int32(nil), b.qgh[t.lo:t.hi]
		if !all(t.l) {
			at := t.l.lo
			rows, oq = b.bufs[t.l.buf][at+t.lo:at+t.hi], b.oq[t.l.buf][at+t.lo:at+t.hi]
		}
		col := t.u.col
		if rows == nil {
			col = col[t.lo:t.hi]
		}
		if t.part != nil {
			accumulateQ(t.part, col, rows, oq)
			return
		}
		b.accumulateUnit(t.l.hist, t.u, col, rows, oq)
	})
	// add up the parts of each large leaf and unit, in order
	for i := 0; i < len(tasks); {
		t := tasks[i]
		if t.part == nil {
			i++
			continue
		}
		var sum [256]int64
		for ; i < len(tasks) && tasks[i].l == t.l && tasks[i].u == t.u; i++ {
			for j, v := range tasks[i].part {
				sum[j] += v
			}
		}
		t.u.spread(t.l.hist, &sum)
	}
}

// accumulateUnit sets the quantized histograms of the unit's features from
// the rows, their bins in col, and their gathered packed pairs oq (rows
// nil: col and oq hold the rows in order).
func (b *booster) accumulateUnit(h *hist, u *histUnit, col []uint8, rows []int32, oq []int64) {
	if u.bins == nil {
		accumulateQ(&h.q[u.feats[0]], col, rows, oq)
		return
	}
	var joint [256]int64
	accumulateQ(&joint, col, rows, oq)
	u.spread(h, &joint)
}

// spread sets the histograms of the unit's features from its sums: its
// joint histogram, or its feature's own.
func (u *histUnit) spread(h *hist, sums *[256]int64) {
	if u.bins == nil {
		h.q[u.feats[0]] = *sums
		return
	}
	for k, f := range u.feats {
		hf, bins := &h.q[f], &u.bins[k]
		clear(hf[:])
		for j, v := range sums {
			hf[bins[j]] += v
		}
	}
}

// accumulateQ sets the quantized histogram hf of a column from the rows
// and their gathered packed pairs oq (rows nil: all rows, in order); large
// leaves are summed in four interleaved histograms (see accumulate).
func accumulateQ(hf *[256]int64, col []uint8, rows []int32, oq []int64) {
	clear(hf[:])
	if rows == nil {
		accumulateAllQ(hf, col, oq)
		return
	}
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

// accumulateAllQ adds every row's packed pair oq[i] to the bin col[i] of
// the cleared histogram hf, in four interleaved histograms.
func accumulateAllQ(hf *[256]int64, col []uint8, oq []int64) {
	col = col[:len(oq)]
	var h1, h2, h3 [256]int64
	k := 3
	for ; k < len(col); k += 4 {
		hf[col[k-3]] += oq[k-3]
		h1[col[k-2]] += oq[k-2]
		h2[col[k-1]] += oq[k-1]
		h3[col[k]] += oq[k]
	}
	for k -= 3; k < len(col); k++ {
		hf[col[k]] += oq[k]
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
