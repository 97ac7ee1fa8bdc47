package drift

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// relTol is the agreement the statistics must reach with SciPy/NumPy.
const relTol = 1e-9

// subnormal is the bound below which a float64 has lost relative precision
// (2^-1022): two p-values both under it agree to the last representable
// digit or not at all, so they count as equal.
const subnormal = 0x1p-1022

// num decodes a JSON number or the strings "NaN", "+Inf", "-Inf".
type num float64

func (n *num) UnmarshalJSON(b []byte) error {
	switch s := strings.Trim(string(b), `"`); s {
	case "NaN":
		*n = num(math.NaN())
	case "+Inf":
		*n = num(math.Inf(1))
	case "-Inf":
		*n = num(math.Inf(-1))
	default:
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		*n = num(f)
	}
	return nil
}

func agree(got, want float64) bool {
	switch {
	case math.IsNaN(want):
		return math.IsNaN(got)
	case math.IsInf(want, 0):
		return got == want
	case got == want:
		return true
	case math.Abs(got) < subnormal && math.Abs(want) < subnormal:
		return true
	}
	return math.Abs(got-want) <= relTol*math.Max(math.Abs(got), math.Abs(want))
}

func checkClose(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !agree(got, want) {
		t.Errorf("%s = %.17g, want %.17g (rel diff %.3g)", what, got, want, math.Abs(got-want)/math.Abs(want))
	}
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// spec describes a generated sample; scipy_cases.py generates the same.
type spec struct {
	Seed  uint64  `json:"seed"`
	N     int     `json:"n"`
	K     uint64  `json:"k"`
	Scale float64 `json:"scale"`
	Shift float64 `json:"shift"`
}

func (s spec) String() string {
	return fmt.Sprintf("gen(seed=%d,n=%d,k=%d)", s.Seed, s.N, s.K)
}

func (s spec) gen() []float64 {
	out := make([]float64, s.N)
	state := s.Seed
	for i := range out {
		state += 0x9E3779B97F4A7C15
		z := state
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		u := z ^ (z >> 31)
		if s.K > 0 {
			out[i] = float64(float64(u%s.K)*s.Scale) + s.Shift
		} else {
			out[i] = float64(float64(u>>11)*0x1p-53*s.Scale) + s.Shift
		}
	}
	return out
}

type scipyCases struct {
	KS []struct {
		X, Y              spec
		Statistic, PValue num
		Location          num
		Sign              int
		Wasserstein       num
		WassersteinNormed num `json:"wasserstein_normed"`
		StdX              num `json:"std_x"`
	} `json:"ks_2samp"`
	KSTwo []struct {
		N  int
		D  float64
		SF num
	} `json:"kstwo_sf"`
	Smirnov []struct {
		N  int
		D  float64
		SF num
	} `json:"smirnov"`
	OutsideSquare []struct {
		N, H int
		P    num
	} `json:"outside_square"`
	OutsideInside []struct {
		M, N, G, H int
		P          num
	} `json:"outside_inside"`
	ChiSF []struct {
		DOF int
		X   float64
		SF  num
	} `json:"chi2_sf"`
	ChiSquare []struct {
		Obs, Exp          []float64
		Statistic, PValue num
	} `json:"chisquare"`
	Contingency []struct {
		Table             [][]float64
		Yates             bool
		Statistic, PValue num
		DOF               int
	} `json:"chi2_contingency"`
	Ndtr []struct {
		X   float64
		CDF num
	} `json:"ndtr"`
	Evidently []struct {
		X, Y              spec
		ZPValue           num   `json:"z_pvalue"`
		ChiStatistic      num   `json:"chi_statistic"`
		ChiPValue         num   `json:"chi_pvalue"`
		PSINumerical      num   `json:"psi_numerical"`
		PSICategorical    num   `json:"psi_categorical"`
		JSNumerical       num   `json:"js_numerical"`
		JSCategorical     num   `json:"js_categorical"`
		SturgesEdges      []num `json:"sturges_edges"`
		HistX             []int `json:"hist_x"`
		HistY             []int `json:"hist_y"`
		DecilesX          []num `json:"deciles_x"`
		WassersteinNormed num   `json:"wasserstein_normed"`
	} `json:"evidently"`
	Sturges []struct {
		Values []float64
		Edges  []num
	} `json:"sturges"`
}

func loadCases(t *testing.T) scipyCases {
	t.Helper()
	var c scipyCases
	readJSON(t, "scipy_cases.json", &c)
	if len(c.KS) == 0 || len(c.Evidently) == 0 {
		t.Fatal("scipy_cases.json holds no cases")
	}
	return c
}

func mustSorted(t testing.TB, x []float64) Sorted {
	t.Helper()
	s, err := NewSorted(x)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestKolmogorovSmirnovMatchesScipy(t *testing.T) {
	c := loadCases(t)
	for _, tc := range c.KS {
		name := tc.X.String() + "_vs_" + tc.Y.String()
		t.Run(name, func(t *testing.T) {
			x, y := tc.X.gen(), tc.Y.gen()
			r, err := KolmogorovSmirnov(x, y)
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, "statistic", r.Statistic, float64(tc.Statistic))
			checkClose(t, "p-value", r.PValue, float64(tc.PValue))
			checkClose(t, "location", r.Location, float64(tc.Location))
			if r.Sign != tc.Sign {
				t.Errorf("sign = %d, want %d", r.Sign, tc.Sign)
			}
			w, err := Wasserstein(x, y)
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, "wasserstein", w, float64(tc.Wasserstein))
			wn, err := WassersteinNormed(x, y)
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, "wasserstein normed", wn, float64(tc.WassersteinNormed))
			checkClose(t, "population std", PopulationStd(mustSorted(t, x)), float64(tc.StdX))
		})
	}
}

// longCases runs every case at n >= heavyN; by default only a deterministic
// eighth of them run, since each costs up to three seconds (an exact sum over
// up to n terms in double-double, as in SciPy). The approximation used above
// n = 10^6 is cheap and always runs.
var longCases = flag.Bool("drift.long", false, "check every large-n Kolmogorov case against SciPy")

const heavyN = 100000

func skipHeavy(n, i int) bool {
	return n >= heavyN && n <= smirnovMaxComputeN && !*longCases && i%8 != 0
}

func TestKSTwoSidedSFMatchesScipy(t *testing.T) {
	c := loadCases(t)
	for i, tc := range c.KSTwo {
		if skipHeavy(tc.N, i) {
			continue
		}
		checkClose(t, fmt.Sprintf("kstwo.sf(%v, %d)", tc.D, tc.N), KSTwoSidedSF(tc.N, tc.D), float64(tc.SF))
	}
}

func TestSmirnovSFMatchesScipy(t *testing.T) {
	c := loadCases(t)
	for i, tc := range c.Smirnov {
		if skipHeavy(tc.N, i) {
			continue
		}
		checkClose(t, fmt.Sprintf("smirnov(%d, %v)", tc.N, tc.D), SmirnovSF(tc.N, tc.D), float64(tc.SF))
	}
}

func TestExactKSPathCountsMatchScipy(t *testing.T) {
	c := loadCases(t)
	for _, tc := range c.OutsideSquare {
		checkClose(t, fmt.Sprintf("outside_square(%d, %d)", tc.N, tc.H), probOutsideSquare(tc.N, tc.H), float64(tc.P))
	}
	for _, tc := range c.OutsideInside {
		checkClose(t, fmt.Sprintf("outer_prob_inside(%d, %d, %d, %d)", tc.M, tc.N, tc.G, tc.H),
			outerProbInside(tc.M, tc.N, tc.G, tc.H), float64(tc.P))
	}
}

func TestChiSquareMatchesScipy(t *testing.T) {
	c := loadCases(t)
	for _, tc := range c.ChiSF {
		checkClose(t, fmt.Sprintf("chi2.sf(%v, %d)", tc.X, tc.DOF), ChiSquareSF(tc.X, tc.DOF), float64(tc.SF))
	}
	for _, tc := range c.ChiSquare {
		obs := tc.Obs
		st, p, err := ChiSquare(obs, tc.Exp)
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, fmt.Sprintf("chisquare(%v, %v) statistic", obs, tc.Exp), st, float64(tc.Statistic))
		checkClose(t, fmt.Sprintf("chisquare(%v, %v) p", obs, tc.Exp), p, float64(tc.PValue))
	}
	for _, tc := range c.Contingency {
		r, err := ChiSquareContingency(tc.Table, tc.Yates)
		if err != nil {
			t.Fatal(err)
		}
		what := fmt.Sprintf("chi2_contingency(%v, correction=%v)", tc.Table, tc.Yates)
		checkClose(t, what+" statistic", r.Statistic, float64(tc.Statistic))
		checkClose(t, what+" p", r.PValue, float64(tc.PValue))
		if r.DOF != tc.DOF {
			t.Errorf("%s dof = %d, want %d", what, r.DOF, tc.DOF)
		}
	}
}

func TestNormalCDFMatchesScipy(t *testing.T) {
	c := loadCases(t)
	for _, tc := range c.Ndtr {
		checkClose(t, fmt.Sprintf("ndtr(%v)", tc.X), NormalCDF(tc.X), float64(tc.CDF))
	}
}

func TestSturgesEdgesMatchNumpy(t *testing.T) {
	c := loadCases(t)
	for _, tc := range c.Sturges {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range tc.Values {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		got, err := SturgesEdges(len(tc.Values), lo, hi)
		if err != nil {
			t.Fatal(err)
		}
		checkSlice(t, fmt.Sprintf("sturges(%d values)", len(tc.Values)), got, tc.Edges)
	}
}

func checkSlice(t *testing.T, what string, got []float64, want []num) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d (%v vs %v)", what, len(got), len(want), got, want)
		return
	}
	for i := range got {
		if !agree(got[i], float64(want[i])) {
			t.Errorf("%s[%d] = %.17g, want %.17g", what, i, got[i], float64(want[i]))
		}
	}
}

func TestEvidentlyStatisticsMatchTranscription(t *testing.T) {
	c := loadCases(t)
	for _, tc := range c.Evidently {
		t.Run(tc.X.String()+"_vs_"+tc.Y.String(), func(t *testing.T) {
			x, y := tc.X.gen(), tc.Y.gen()
			sx, sy := mustSorted(t, x), mustSorted(t, y)
			z, err := ZTestSorted(sx, sy)
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, "z-test p", z.PValue, float64(tc.ZPValue))

			st, p, err := evidentlyChiSquare(sx, sy)
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, "chi-square statistic", st, float64(tc.ChiStatistic))
			checkClose(t, "chi-square p", p, float64(tc.ChiPValue))

			for _, numerical := range []bool{true, false} {
				b, err := evidentlyBins(sx, sy, numerical)
				if err != nil {
					t.Fatal(err)
				}
				rp, cp := Proportions(b.Ref, sx.N()), Proportions(b.Cur, sy.N())
				wantPSI, wantJS := tc.PSICategorical, tc.JSCategorical
				if numerical {
					wantPSI, wantJS = tc.PSINumerical, tc.JSNumerical
				}
				checkClose(t, fmt.Sprintf("psi(numerical=%v)", numerical), PSI(rp, cp), float64(wantPSI))
				checkClose(t, fmt.Sprintf("js(numerical=%v)", numerical), JensenShannon(rp, cp, 0), float64(wantJS))
			}

			edges, err := SturgesEdges(sx.N()+sy.N(), math.Min(sx.Min(), sy.Min()), math.Max(sx.Max(), sy.Max()))
			if err != nil {
				t.Fatal(err)
			}
			checkSlice(t, "sturges edges", edges, tc.SturgesEdges)
			if len(edges) == len(tc.SturgesEdges) {
				checkInts(t, "histogram x", HistogramSorted(sx, edges), tc.HistX)
				checkInts(t, "histogram y", HistogramSorted(sy, edges), tc.HistY)
			}
			checkSlice(t, "deciles", DecileEdges(sx), tc.DecilesX)
			wn, err := WassersteinNormed(x, y)
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, "wasserstein normed", wn, float64(tc.WassersteinNormed))
		})
	}
}

func checkInts(t *testing.T, what string, got, want []int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
