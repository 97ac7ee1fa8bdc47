package drift

import (
	"math"
	"testing"
)

// The drift benchmark's reference values (drift_values.json, written by the
// Python baseline's drift_bench.py with SciPy 1.10.1 / NumPy 1.24.2) on the
// synthetic heart data: reference heart_<N>.csv against the drifted
// heart_drift_<N>.csv. The samples are rebuilt from heart_value_counts.json
// (each feature's exact value counts; see testdata/heart_counts.py).

var categoricalBench = map[string]bool{
	"sex": true, "cp": true, "fbs": true, "restecg": true,
	"exang": true, "slope": true, "ca": true, "thal": true,
}

type benchValues struct {
	Meta struct {
		SciPy  string  `json:"scipy"`
		PSIEps float64 `json:"psi_eps"`
	} `json:"meta"`
	Sizes map[string]map[string]struct {
		KSStatistic  num    `json:"ks_statistic"`
		KSPValue     num    `json:"ks_pvalue"`
		KSLocation   num    `json:"ks_statistic_location"`
		KSSign       int    `json:"ks_statistic_sign"`
		KSPValueChk  num    `json:"ks_pvalue_check"`
		KSFormula    string `json:"ks_pvalue_formula"`
		Wasserstein  num    `json:"wasserstein"`
		RefMean      num    `json:"ref_mean"`
		CurMean      num    `json:"cur_mean"`
		Chi2         num    `json:"chi2_statistic"`
		Chi2P        num    `json:"chi2_pvalue"`
		Chi2DOF      int    `json:"chi2_dof"`
		Chi2NoCorr   num    `json:"chi2_statistic_no_correction"`
		Chi2PNoCorr  num    `json:"chi2_pvalue_no_correction"`
		JS           num    `json:"js_distance"`
		JSBase2      num    `json:"js_distance_base2"`
		PSI          num    `json:"psi"`
		PSIDecile    num    `json:"psi_decile_bins"`
		Bins         binsJS `json:"bins"`
		DecileBinsJS binsJS `json:"decile_bins"`
	} `json:"sizes"`
}

type binsJS struct {
	Values    []num `json:"values"`
	Edges     []num `json:"edges"`
	RefCounts []int `json:"ref_counts"`
	CurCounts []int `json:"cur_counts"`
}

type valueCounts map[string]map[string]struct {
	Ref [][2]float64 `json:"ref"`
	Cur [][2]float64 `json:"cur"`
}

func sortedFromPairs(pairs [][2]float64) Sorted {
	vals := make([]float64, len(pairs))
	counts := make([]int, len(pairs))
	for i, p := range pairs {
		vals[i], counts[i] = p[0], int(p[1])
	}
	return SortedFromCounts(vals, counts)
}

// benchPSI is drift_bench.py's psi_from_counts: proportions of the counts,
// an exact 0 replaced by psi_eps.
func benchPSI(rc, cc []int, eps float64) float64 {
	p := Proportions(rc, sumInts(rc))
	q := Proportions(cc, sumInts(cc))
	terms := make([]float64, len(p))
	for i := range p {
		if p[i] == 0 {
			p[i] = eps
		}
		if q[i] == 0 {
			q[i] = eps
		}
		terms[i] = (q[i] - p[i]) * math.Log(q[i]/p[i])
	}
	return pairwiseSum(terms)
}

func sumInts(a []int) int {
	s := 0
	for _, v := range a {
		s += v
	}
	return s
}

// chiTable is drift_bench.py's chi2 table: the two count rows without the
// bins that are empty in both.
func chiTable(rc, cc []int) [][]float64 {
	t := [][]float64{{}, {}}
	for i := range rc {
		if rc[i]+cc[i] > 0 {
			t[0] = append(t[0], float64(rc[i]))
			t[1] = append(t[1], float64(cc[i]))
		}
	}
	return t
}

func TestStatisticsMatchDriftBenchValues(t *testing.T) {
	var want benchValues
	readJSON(t, "drift_values.json", &want)
	var counts valueCounts
	readJSON(t, "heart_value_counts.json", &counts)
	if want.Meta.SciPy != "1.10.1" {
		t.Fatalf("drift_values.json was made with SciPy %s, want 1.10.1", want.Meta.SciPy)
	}
	if len(want.Sizes) != 4 {
		t.Fatalf("drift_values.json has %d sizes, want 4", len(want.Sizes))
	}
	checked := 0
	for size, feats := range want.Sizes {
		for name, w := range feats {
			t.Run(size+"/"+name, func(t *testing.T) {
				c, ok := counts[size][name]
				if !ok {
					t.Fatalf("no value counts for %s at %s rows", name, size)
				}
				ref, cur := sortedFromPairs(c.Ref), sortedFromPairs(c.Cur)

				ks, err := KolmogorovSmirnovSorted(ref, cur, KSAuto)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "ks statistic", ks.Statistic, float64(w.KSStatistic))
				checkClose(t, "ks p-value", ks.PValue, float64(w.KSPValue))
				checkClose(t, "ks location", ks.Location, float64(w.KSLocation))
				if ks.Sign != w.KSSign {
					t.Errorf("ks sign = %d, want %d", ks.Sign, w.KSSign)
				}
				m, n := float64(max(ref.N(), cur.N())), float64(min(ref.N(), cur.N()))
				en := int(math.RoundToEven(m * n / (m + n)))
				checkClose(t, w.KSFormula, KSTwoSidedSF(en, ks.Statistic), float64(w.KSPValueChk))

				wd, err := WassersteinSorted(ref, cur)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "wasserstein", wd, float64(w.Wasserstein))

				var rc, cc []int
				if categoricalBench[name] {
					vals, r, c := CategoryCounts(ref, cur)
					checkSlice(t, "categories", vals, w.Bins.Values)
					rc, cc = r, c
				} else {
					edges := DecileEdges(ref)
					checkSlice(t, "decile edges", edges, w.Bins.Edges)
					rc, cc = CountsRight(ref, edges), CountsRight(cur, edges)
				}
				checkInts(t, "ref counts", rc, w.Bins.RefCounts)
				checkInts(t, "cur counts", cc, w.Bins.CurCounts)

				dEdges := DecileEdges(ref)
				checkSlice(t, "decile edges (all features)", dEdges, w.DecileBinsJS.Edges)
				drc, dcc := CountsRight(ref, dEdges), CountsRight(cur, dEdges)
				checkInts(t, "decile ref counts", drc, w.DecileBinsJS.RefCounts)
				checkInts(t, "decile cur counts", dcc, w.DecileBinsJS.CurCounts)

				yates, err := ChiSquareContingency(chiTable(rc, cc), true)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "chi2 statistic", yates.Statistic, float64(w.Chi2))
				checkClose(t, "chi2 p-value", yates.PValue, float64(w.Chi2P))
				if yates.DOF != w.Chi2DOF {
					t.Errorf("chi2 dof = %d, want %d", yates.DOF, w.Chi2DOF)
				}
				plain, err := ChiSquareContingency(chiTable(rc, cc), false)
				if err != nil {
					t.Fatal(err)
				}
				checkClose(t, "chi2 statistic (no correction)", plain.Statistic, float64(w.Chi2NoCorr))
				checkClose(t, "chi2 p-value (no correction)", plain.PValue, float64(w.Chi2PNoCorr))

				rp, cp := Proportions(rc, ref.N()), Proportions(cc, cur.N())
				checkClose(t, "js distance", JensenShannon(rp, cp, 0), float64(w.JS))
				checkClose(t, "js distance base 2", JensenShannon(rp, cp, 2), float64(w.JSBase2))
				checkClose(t, "psi", benchPSI(rc, cc, want.Meta.PSIEps), float64(w.PSI))
				checkClose(t, "psi decile bins", benchPSI(drc, dcc, want.Meta.PSIEps), float64(w.PSIDecile))
				// Evidently's zero fill equals the flat 1e-4 whenever the
				// smallest non-zero proportion exceeds 1e-4, as it does here.
				checkClose(t, "psi (Evidently zero fill)", PSI(rp, cp), float64(w.PSI))
				checked++
			})
		}
	}
	if checked != 4*13 {
		t.Errorf("checked %d size/feature pairs, want 52", checked)
	}
}
