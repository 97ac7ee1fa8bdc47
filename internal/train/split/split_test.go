package split

import (
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

func labels(n0, n1 int) []float64 {
	n := n0 + n1
	y := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		// Interleave so that classes are not contiguous.
		if i%2 == 1 && n1 > 0 || n0 == 0 {
			y = append(y, 1)
			n1--
		} else {
			y = append(y, 0)
			n0--
		}
	}
	return y
}

func count(y []float64, idx []int) (n0, n1 int) {
	for _, i := range idx {
		if y[i] == 1 {
			n1++
		} else {
			n0++
		}
	}
	return
}

func TestStratifiedKFoldPartitionsAndKeepsBalance(t *testing.T) {
	y := labels(164, 139) // Cleveland's balance
	folds, err := StratifiedKFold(y, 5, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	seen := make([]int, len(y))
	for _, f := range folds {
		if len(f.Train)+len(f.Test) != len(y) {
			t.Errorf("fold %d: %d train + %d test != %d", f.Index, len(f.Train), len(f.Test), len(y))
		}
		inTest := map[int]bool{}
		for _, i := range f.Test {
			seen[i]++
			inTest[i] = true
		}
		for _, i := range f.Train {
			if inTest[i] {
				t.Fatalf("fold %d: row %d in train and test", f.Index, i)
			}
		}
		n0, n1 := count(y, f.Test)
		// 164/5 = 32.8 and 139/5 = 27.8: each class within one of its share.
		if n0 < 32 || n0 > 33 || n1 < 27 || n1 > 28 {
			t.Errorf("fold %d test holds %d/%d, want 32-33 negatives and 27-28 positives", f.Index, n0, n1)
		}
		if d := len(f.Test) - 60; d < 0 || d > 1 {
			t.Errorf("fold %d test size %d, want 60 or 61", f.Index, len(f.Test))
		}
	}
	for i, s := range seen {
		if s != 1 {
			t.Fatalf("row %d is in %d test folds, want 1", i, s)
		}
	}
}

func TestSplitsAreFixedBySeed(t *testing.T) {
	y := labels(50, 40)
	a, _ := RepeatedStratifiedKFold(y, 5, 3, rand.New(rand.NewSource(7)))
	b, _ := RepeatedStratifiedKFold(y, 5, 3, rand.New(rand.NewSource(7)))
	c, _ := RepeatedStratifiedKFold(y, 5, 3, rand.New(rand.NewSource(8)))
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed gave different folds")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds gave the same folds")
	}
	if len(a) != 15 || a[14].Repeat != 2 || a[14].Index != 4 {
		t.Errorf("got %d folds, last %d/%d", len(a), a[len(a)-1].Repeat, a[len(a)-1].Index)
	}
	if reflect.DeepEqual(a[0].Test, a[5].Test) {
		t.Error("repeats 0 and 1 drew the same first fold")
	}
}

// TestSplitIsStableAcrossReleases pins the rows of one fold: bundle digests
// depend on the splits, so a change here must be deliberate.
func TestSplitIsStableAcrossReleases(t *testing.T) {
	y := labels(10, 10)
	folds, err := StratifiedKFold(y, 5, rand.New(rand.NewSource(42)))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(folds[0].Test)
	const want = "[2 5 7 14]"
	if got != want {
		t.Errorf("fold 0 test rows = %s, want %s", got, want)
	}
}

func TestTooFewRowsPerClass(t *testing.T) {
	y := labels(20, 4)
	_, err := StratifiedKFold(y, 5, rand.New(rand.NewSource(1)))
	if !errors.Is(err, ErrTooFewRows) {
		t.Fatalf("err = %v, want ErrTooFewRows", err)
	}
	if want := "class 1 has 4 rows, fewer than the 5 folds"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want it to say %q", err, want)
	}
}

func TestBadParams(t *testing.T) {
	y := labels(10, 10)
	rng := rand.New(rand.NewSource(1))
	if _, err := StratifiedKFold(y, 1, rng); !errors.Is(err, ErrBadParam) {
		t.Errorf("k=1: %v", err)
	}
	if _, err := RepeatedStratifiedKFold(y, 5, 0, rng); !errors.Is(err, ErrBadParam) {
		t.Errorf("repeats=0: %v", err)
	}
	for _, f := range []float64{-0.1, 1, 2} {
		if _, _, err := StratifiedHoldout(y, f, rng); !errors.Is(err, ErrBadParam) {
			t.Errorf("frac=%v: %v", f, err)
		}
	}
}

func TestStratifiedHoldout(t *testing.T) {
	y := labels(164, 139)
	train, test, err := StratifiedHoldout(y, 0.2, rand.New(rand.NewSource(3)))
	if err != nil {
		t.Fatal(err)
	}
	n0, n1 := count(y, test)
	if n0 != 33 || n1 != 28 { // round(32.8), round(27.8)
		t.Errorf("hold-out holds %d/%d, want 33/28", n0, n1)
	}
	if len(train)+len(test) != len(y) {
		t.Errorf("%d + %d rows != %d", len(train), len(test), len(y))
	}
	tr, te, err := StratifiedHoldout(y, 0, rand.New(rand.NewSource(3)))
	if err != nil || len(te) != 0 || len(tr) != len(y) {
		t.Errorf("frac 0: %d train, %d test, %v", len(tr), len(te), err)
	}
	if _, _, err := StratifiedHoldout(labels(10, 1), 0.2, rand.New(rand.NewSource(3))); !errors.Is(err, ErrTooFewRows) {
		t.Errorf("one positive: err = %v, want ErrTooFewRows", err)
	}
}
