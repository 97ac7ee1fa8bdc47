package split

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"sort"
)

// ErrTooFewRows reports that a class has fewer rows than the split needs
// (each validation fold must hold at least one row of each class).
var ErrTooFewRows = errors.New("split: too few rows")

// ErrBadParam reports an invalid number of folds or repeats or an invalid
// hold-out fraction.
var ErrBadParam = errors.New("split: invalid parameter")

// Fold is one cross-validation split: row indices, ascending, into the
// labels it was drawn from.
type Fold struct {
	Repeat int   `json:"repeat"` // 0-based repeat
	Index  int   `json:"index"`  // 0-based fold within the repeat
	Train  []int `json:"train"`
	Test   []int `json:"test"`
}

// classes returns the row indices of class 0 and class 1. Labels must be 0
// or 1; others panic (a programmer error: labels are checked on load).
func classes(y []float64) [2][]int {
	var c [2][]int
	for i, v := range y {
		switch v {
		case 0:
			c[0] = append(c[0], i)
		case 1:
			c[1] = append(c[1], i)
		default:
			panic(fmt.Sprintf("split: label %v at row %d, want 0 or 1", v, i))
		}
	}
	return c
}

// StratifiedKFold splits the rows into k folds whose class balance matches
// y's. Each class is shuffled and dealt round-robin over the folds,
// continuing where the previous class stopped, so fold sizes differ by at
// most one. It returns ErrTooFewRows when a class has fewer than k rows.
func StratifiedKFold(y []float64, k int, rng *rand.Rand) ([]Fold, error) {
	if k < 2 {
		return nil, fmt.Errorf("split: %d folds, want at least 2: %w", k, ErrBadParam)
	}
	cls := classes(y)
	for c, idx := range cls {
		if len(idx) < k {
			return nil, fmt.Errorf("split: class %d has %d rows, fewer than the %d folds (each fold needs both classes): %w", c, len(idx), k, ErrTooFewRows)
		}
	}
	fold := make([]int, len(y))
	next := 0
	for _, idx := range cls {
		perm := rng.Perm(len(idx))
		for _, p := range perm {
			fold[idx[p]] = next
			next = (next + 1) % k
		}
	}
	folds := make([]Fold, k)
	for f := range folds {
		folds[f].Index = f
	}
	for i, f := range fold {
		folds[f].Test = append(folds[f].Test, i)
		for g := range folds {
			if g != f {
				folds[g].Train = append(folds[g].Train, i)
			}
		}
	}
	return folds, nil
}

// RepeatedStratifiedKFold draws repeats independent stratified k-fold splits
// from rng, repeat after repeat.
func RepeatedStratifiedKFold(y []float64, k, repeats int, rng *rand.Rand) ([]Fold, error) {
	if repeats < 1 {
		return nil, fmt.Errorf("split: %d repeats, want at least 1: %w", repeats, ErrBadParam)
	}
	var all []Fold
	for r := 0; r < repeats; r++ {
		folds, err := StratifiedKFold(y, k, rng)
		if err != nil {
			return nil, err
		}
		for i := range folds {
			folds[i].Repeat = r
		}
		all = append(all, folds...)
	}
	return all, nil
}

// StratifiedHoldout sets aside round(frac·n_c) rows of each class c as the
// test part (at least one per class when frac > 0) and returns both parts as
// ascending row indices. frac must be in [0, 1); with 0 the test part is
// empty. It returns ErrTooFewRows when a class would be left with no
// training row.
func StratifiedHoldout(y []float64, frac float64, rng *rand.Rand) (train, test []int, err error) {
	if !(frac >= 0 && frac < 1) {
		return nil, nil, fmt.Errorf("split: hold-out fraction %v, want 0 <= f < 1: %w", frac, ErrBadParam)
	}
	for c, idx := range classes(y) {
		n := int(math.Round(frac * float64(len(idx))))
		if frac > 0 && n == 0 {
			n = 1
		}
		if n >= len(idx) {
			return nil, nil, fmt.Errorf("split: class %d has %d rows, too few for a %.0f%% hold-out: %w", c, len(idx), frac*100, ErrTooFewRows)
		}
		perm := rng.Perm(len(idx))
		for k, p := range perm {
			if k < n {
				test = append(test, idx[p])
			} else {
				train = append(train, idx[p])
			}
		}
	}
	sort.Ints(train)
	sort.Ints(test)
	return train, test, nil
}

// Take returns the elements of v at the given indices.
func Take(v []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for k, i := range idx {
		out[k] = v[i]
	}
	return out
}
