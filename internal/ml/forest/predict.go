package forest

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/stewardml/steward/internal/ml/core"
	"github.com/stewardml/steward/internal/ml/tree"
)

// Prediction works on binned rows. Every threshold of the forest is one of
// a short sorted list per feature (the training bins' bounds, or the
// distinct thresholds of a decoded forest), so a row is mapped once to the
// index of its value among those cuts, one byte per feature, and a node's
// test "x <= threshold" becomes "bin <= the threshold's index", exactly.
//
// A tree is compiled into one uint64 per node in depth-first order, every
// left child right after its parent. A leaf is the float64 bits of its
// probability (sign bit clear); an internal node has the sign bit set, the
// feature in bits 0-15, the threshold's bin in bits 16-23 and the index of
// its right child in bits 24-62. Eight bytes a node halve the memory a walk
// touches compared with raw thresholds, and a block of rows walks one tree
// at a time on several rows at once, so that the cache misses of one walk
// overlap with the others'.
//
// Rows with a NaN, and forests whose cuts do not fit a byte, are scored by
// walking the trees on raw values; the sum is the same, tree by tree in
// order, either way.

const (
	internalBit = 1 << 63
	rightShift  = 24
	// maxCuts is the most distinct thresholds a feature may have for binned
	// prediction: bins 0..maxCuts, and 255 is left for NaN.
	maxCuts = 254
	// maxBinnedFeatures bounds the feature index held in a node.
	maxBinnedFeatures = 1 << 16
)

// compiled is the binned evaluator of a forest.
type compiled struct {
	nf    int
	cuts  *cutTable
	trees [][]uint64
	block int // rows per block of sumRows
}

// compileTree encodes t; bin(i) is the index of node i's threshold among
// its feature's cuts. It also returns the tree's depth (internal nodes on
// the longest root-to-leaf path).
func compileTree(t *tree.Tree, bin func(i int) uint8) ([]uint64, int) {
	out := make([]uint64, 0, 2*len(t.Nodes)+1)
	leaf := func(v float64) uint64 {
		if v == 0 {
			v = 0 // -0 would look like an internal node
		}
		return math.Float64bits(v)
	}
	if len(t.Nodes) == 0 {
		return append(out, leaf(t.LeafValue[0])), 0
	}
	type frame struct {
		c     int32
		at    int // index of the parent's entry when this is a right child, else -1
		depth int
	}
	maxDepth := 0
	stack := []frame{{c: 0, at: -1}}
	for len(stack) > 0 {
		fr := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if fr.at >= 0 {
			out[fr.at] |= uint64(len(out)) << rightShift
		}
		if fr.c < 0 {
			out = append(out, leaf(t.LeafValue[^fr.c]))
			maxDepth = max(maxDepth, fr.depth)
			continue
		}
		nd := t.Nodes[fr.c]
		at := len(out)
		out = append(out, internalBit|uint64(bin(int(fr.c)))<<16|uint64(nd.Feature))
		stack = append(stack, frame{c: nd.Right, at: at, depth: fr.depth + 1}, frame{c: nd.Left, at: -1, depth: fr.depth + 1})
	}
	return out, maxDepth
}

// collectCuts returns the sorted distinct thresholds per feature, or nil
// when some feature has more than maxCuts of them.
func collectCuts(trees []*tree.Tree, nf int) [][]float64 {
	cuts := make([][]float64, nf)
	for _, t := range trees {
		for _, nd := range t.Nodes {
			cuts[nd.Feature] = append(cuts[nd.Feature], nd.Threshold)
		}
	}
	for f, c := range cuts {
		slices.Sort(c)
		c = slices.Compact(c)
		if len(c) > maxCuts {
			return nil
		}
		cuts[f] = slices.Clip(c)
	}
	return cuts
}

// binRow writes the bins of row to out and reports whether row has a NaN.
func (c *compiled) binRow(row []float64, out []uint8) bool {
	nan := false
	for f, x := range row[:c.nf] {
		b := c.cuts.bin(f, x)
		nan = nan || b == tree.MissingBin
		out[f] = b
	}
	return nan
}

// walk returns the leaf value of one binned row in tree nodes.
func walk(nodes []uint64, rb []uint8) float64 {
	i := uint64(0)
	for {
		e := nodes[i]
		if e&internalBit == 0 {
			return math.Float64frombits(e)
		}
		next := i + 1
		if rb[uint16(e)] > uint8(e>>16) {
			next = e &^ internalBit >> rightShift
		}
		i = next
	}
}

// walkRaw is walk on a row of raw values without NaN, a node's threshold
// being its feature's cut at the node's bin. Serving scores single rows,
// which this serves better than binning the row first.
func walkRaw(nodes []uint64, row []float64, vals [][256]float64) float64 {
	i := uint64(0)
	for {
		e := nodes[i]
		if e&internalBit == 0 {
			return math.Float64frombits(e)
		}
		f := uint16(e)
		if row[f] <= vals[f][uint8(e>>16)] {
			i++
		} else {
			i = e &^ internalBit >> rightShift
		}
	}
}

// lanes is how many rows walk a tree together.
const lanes = 16

// addTree adds the leaf value of tree nodes to out[r] for every row r of the
// block rb (nf bytes a row).
func addTree(nodes []uint64, rb []uint8, nf int, out []float64) {
	n := len(out)
	if n < lanes {
		for r := 0; r < n; r++ {
			out[r] += walk(nodes, rb[r*nf:(r+1)*nf])
		}
		return
	}
	var idx [lanes]uint64
	var row [lanes]int // row index
	var off [lanes]int // its offset in rb
	for l := range row {
		row[l], off[l] = l, l*nf
	}
	next := lanes
	for {
		for l := 0; l < lanes; l++ {
			e := nodes[idx[l]]
			if e&internalBit == 0 {
				out[row[l]] += math.Float64frombits(e)
				if next == n {
					// finish the other lanes one by one
					for m := 0; m < lanes; m++ {
						if m == l {
							continue
						}
						i := idx[m]
						rm := rb[off[m] : off[m]+nf]
						for {
							e := nodes[i]
							if e&internalBit == 0 {
								out[row[m]] += math.Float64frombits(e)
								break
							}
							nx := i + 1
							if rm[uint16(e)] > uint8(e>>16) {
								nx = e &^ internalBit >> rightShift
							}
							i = nx
						}
					}
					return
				}
				row[l], off[l] = next, next*nf
				next++
				idx[l] = 0
				continue
			}
			nx := idx[l] + 1
			if rb[off[l]+int(uint16(e))] > uint8(e>>16) {
				nx = e &^ internalBit >> rightShift
			}
			idx[l] = nx
		}
	}
}

// blockRows returns how many rows are binned and walked through every tree
// together: enough for a tree's nodes to be reused many times while they
// are cached, few enough for the rows' bins to stay in the second-level
// cache when the trees are small.
func (c *compiled) blockRows() int {
	var entries int
	for _, t := range c.trees {
		entries += len(t)
	}
	if 8*entries/max(len(c.trees), 1) > 256<<10 {
		return 65536
	}
	return 8192
}

// sumRows writes the sum of the trees' values for rows [0,X.Rows) of X to
// out, using all cores. slow scores one row on raw values.
func (c *compiled) sumRows(X core.Matrix, out []float64, slow func(row []float64) float64) {
	block := c.block
	nblocks := (X.Rows + block - 1) / block
	workers := min(runtime.GOMAXPROCS(0), nblocks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rb := make([]uint8, min(block, X.Rows)*c.nf)
			var nanRows []int
			for {
				blk := int(next.Add(1)) - 1
				if blk >= nblocks {
					return
				}
				lo := blk * block
				hi := min(lo+block, X.Rows)
				nanRows = nanRows[:0]
				for i := lo; i < hi; i++ {
					if c.binRow(X.Data[i*X.Cols:(i+1)*X.Cols], rb[(i-lo)*c.nf:]) {
						nanRows = append(nanRows, i)
					}
				}
				o := out[lo:hi]
				clear(o)
				for _, nodes := range c.trees {
					addTree(nodes, rb, c.nf, o)
				}
				for _, i := range nanRows {
					out[i] = slow(X.Data[i*X.Cols : (i+1)*X.Cols])
				}
			}
		}()
	}
	wg.Wait()
}
