package xgboost

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestExpfAndLogfEqualGlibc(t *testing.T) {
	f, err := os.Open(filepath.Join(fixtureDir, "libm.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fns := map[string]func(float32) float32{"expf": expf, "logf": logf}
	sc := bufio.NewScanner(f)
	n, bad := 0, 0
	for sc.Scan() {
		parts := strings.Fields(sc.Text())
		x, err1 := strconv.ParseUint(parts[1], 16, 32)
		y, err2 := strconv.ParseUint(parts[2], 16, 32)
		if len(parts) != 3 || err1 != nil || err2 != nil || fns[parts[0]] == nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		n++
		in := math.Float32frombits(uint32(x))
		if got := fns[parts[0]](in); math.Float32bits(got) != uint32(y) {
			if bad++; bad <= 5 {
				t.Errorf("%s(%v) = %v (%08x), glibc %v (%08x)", parts[0], in, got, math.Float32bits(got), math.Float32frombits(uint32(y)), y)
			}
		}
	}
	if n < 10000 || bad > 0 {
		t.Errorf("%d of %d values differ", bad, n)
	}
}

func TestExpfAndLogfSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, c := range []struct {
		name    string
		got     float32
		want    float32
		wantNaN bool
	}{
		{"exp of -inf is 0", expf(-inf), 0, false},
		{"exp of +inf is +inf", expf(inf), inf, false},
		{"exp overflows to +inf", expf(89), inf, false},
		{"exp underflows to 0", expf(-105), 0, false},
		{"exp of 0 is 1", expf(0), 1, false},
		{"log of 1 is 0", logf(1), 0, false},
		{"log of 0 is -inf", logf(0), -inf, false},
		{"log of +inf is +inf", logf(inf), inf, false},
		{"log of a negative is NaN", logf(-1), 0, true},
		{"log of a subnormal as glibc", logf(1e-40), math.Float32frombits(0xc2b834f2), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.wantNaN {
				if c.got == c.got {
					t.Errorf("got %v, want NaN", c.got)
				}
				return
			}
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}
