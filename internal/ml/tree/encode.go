package tree

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrInvalid reports a tree whose structure is not a proper binary tree or
// whose values are out of range.
var ErrInvalid = errors.New("tree: invalid tree")

// Validate checks that t is a proper binary tree over nFeatures features:
// every node but the root and every leaf referenced exactly once, children
// after their parents (so there is no cycle), array lengths consistent,
// covers positive and values finite.
func (t *Tree) Validate(nFeatures int) error {
	nn, nl := len(t.Nodes), len(t.LeafValue)
	if nl != nn+1 {
		return fmt.Errorf("%w: %d internal nodes need %d leaves, have %d", ErrInvalid, nn, nn+1, nl)
	}
	if len(t.NodeGain) != nn || len(t.NodeCover) != nn || len(t.LeafCover) != nl {
		return fmt.Errorf("%w: gain/cover arrays do not match the node counts", ErrInvalid)
	}
	seenNode := make([]bool, nn)
	seenLeaf := make([]bool, nl)
	for i, nd := range t.Nodes {
		if nd.Feature < 0 || int(nd.Feature) >= nFeatures {
			return fmt.Errorf("%w: node %d splits on feature %d of %d", ErrInvalid, i, nd.Feature, nFeatures)
		}
		if math.IsNaN(nd.Threshold) {
			return fmt.Errorf("%w: node %d has a NaN threshold", ErrInvalid, i)
		}
		for _, c := range [2]int32{nd.Left, nd.Right} {
			if c >= 0 {
				if int(c) >= nn || int(c) <= i || seenNode[c] {
					return fmt.Errorf("%w: node %d has bad child node %d", ErrInvalid, i, c)
				}
				seenNode[c] = true
			} else {
				l := ^c
				if int(l) >= nl || seenLeaf[l] {
					return fmt.Errorf("%w: node %d has bad child leaf %d", ErrInvalid, i, l)
				}
				seenLeaf[l] = true
			}
		}
		if !(t.NodeCover[i] > 0) || math.IsInf(t.NodeCover[i], 0) {
			return fmt.Errorf("%w: node %d has cover %v", ErrInvalid, i, t.NodeCover[i])
		}
	}
	for i, v := range t.LeafValue {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: leaf %d has value %v", ErrInvalid, i, v)
		}
		if !(t.LeafCover[i] > 0) || math.IsInf(t.LeafCover[i], 0) {
			return fmt.Errorf("%w: leaf %d has cover %v", ErrInvalid, i, t.LeafCover[i])
		}
	}
	if nn > 0 && nl > 1 {
		for l := range seenLeaf {
			if !seenLeaf[l] {
				return fmt.Errorf("%w: leaf %d is unreachable", ErrInvalid, l)
			}
		}
	}
	return nil
}

// AppendBinary appends a compact little-endian encoding of t to buf.
func (t *Tree) AppendBinary(buf []byte) []byte {
	le := binary.LittleEndian
	buf = le.AppendUint32(buf, uint32(len(t.Nodes)))
	for i, nd := range t.Nodes {
		buf = le.AppendUint64(buf, math.Float64bits(nd.Threshold))
		buf = le.AppendUint32(buf, uint32(nd.Feature))
		buf = le.AppendUint32(buf, uint32(nd.Left))
		buf = le.AppendUint32(buf, uint32(nd.Right))
		var dl byte
		if nd.DefaultLeft {
			dl = 1
		}
		buf = append(buf, dl)
		buf = le.AppendUint64(buf, math.Float64bits(t.NodeGain[i]))
		buf = le.AppendUint64(buf, math.Float64bits(t.NodeCover[i]))
	}
	for i, v := range t.LeafValue {
		buf = le.AppendUint64(buf, math.Float64bits(v))
		buf = le.AppendUint64(buf, math.Float64bits(t.LeafCover[i]))
	}
	return buf
}

const nodeBytes = 8 + 4 + 4 + 4 + 1 + 8 + 8

// DecodeBinary decodes one tree written by AppendBinary from the front of
// buf, validates it against nFeatures, and returns it with the rest of buf.
func DecodeBinary(buf []byte, nFeatures int) (*Tree, []byte, error) {
	le := binary.LittleEndian
	if len(buf) < 4 {
		return nil, nil, fmt.Errorf("%w: truncated", ErrInvalid)
	}
	nn := int(le.Uint32(buf))
	buf = buf[4:]
	if nn < 0 || nn > len(buf)/nodeBytes {
		return nil, nil, fmt.Errorf("%w: %d nodes do not fit in %d bytes", ErrInvalid, nn, len(buf))
	}
	t := &Tree{
		Nodes: make([]Node, nn), NodeGain: make([]float64, nn), NodeCover: make([]float64, nn),
	}
	for i := range t.Nodes {
		t.Nodes[i] = Node{
			Threshold:   math.Float64frombits(le.Uint64(buf)),
			Feature:     int32(le.Uint32(buf[8:])),
			Left:        int32(le.Uint32(buf[12:])),
			Right:       int32(le.Uint32(buf[16:])),
			DefaultLeft: buf[20] != 0,
		}
		t.NodeGain[i] = math.Float64frombits(le.Uint64(buf[21:]))
		t.NodeCover[i] = math.Float64frombits(le.Uint64(buf[29:]))
		buf = buf[nodeBytes:]
	}
	nl := nn + 1
	if len(buf) < 16*nl {
		return nil, nil, fmt.Errorf("%w: truncated leaves", ErrInvalid)
	}
	t.LeafValue = make([]float64, nl)
	t.LeafCover = make([]float64, nl)
	for i := 0; i < nl; i++ {
		t.LeafValue[i] = math.Float64frombits(le.Uint64(buf))
		t.LeafCover[i] = math.Float64frombits(le.Uint64(buf[8:]))
		buf = buf[16:]
	}
	if err := t.Validate(nFeatures); err != nil {
		return nil, nil, err
	}
	return t, buf, nil
}
