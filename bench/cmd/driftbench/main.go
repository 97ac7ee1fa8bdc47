// Command driftbench times Steward's drift statistics on the synthetic heart
// data that the Python baseline's data.py writes (heart_<N>.csv as reference,
// heart_drift_<N>.csv as current), computing what the baseline's
// drift_bench.py computes in compute_values, so the two can be compared in
// one run (bench/drift_compare.sh):
//
//	all_stats_13_features  per feature: KS statistic, p-value and location,
//	                       the kstwo.sf check value, Wasserstein, category or
//	                       decile bins, decile bins, chi² with and without
//	                       Yates, JS distance (base e and 2), PSI on both
//	                       binnings, means; features in parallel, each sample
//	                       sorted once
//	build_profile          drift.BuildProfile on the reference
//	check_defaults         drift.Check with Steward's defaults (Evidently's
//	                       test choice, BH, guards, effect sizes, histograms)
//
// It writes one JSON line per timing to stdout and, with -values, the
// computed values in drift_values.json's layout for comparison.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stewardml/steward/internal/drift"
)

var features = []string{"age", "sex", "cp", "trestbps", "chol", "fbs", "restecg",
	"thalach", "exang", "oldpeak", "slope", "ca", "thal"}

var categorical = map[string]bool{"sex": true, "cp": true, "fbs": true, "restecg": true,
	"exang": true, "slope": true, "ca": true, "thal": true}

var kinds = map[string]drift.Kind{
	"age": drift.KindNumeric, "trestbps": drift.KindNumeric, "chol": drift.KindNumeric,
	"thalach": drift.KindNumeric, "oldpeak": drift.KindNumeric,
	"sex": drift.KindBinary, "fbs": drift.KindBinary, "exang": drift.KindBinary,
	"cp": drift.KindCategorical, "restecg": drift.KindCategorical, "slope": drift.KindCategorical,
	"ca": drift.KindCategorical, "thal": drift.KindCategorical,
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "driftbench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("driftbench", flag.ContinueOnError)
	refPath := fs.String("ref", "", "reference CSV (heart_<N>.csv)")
	curPath := fs.String("cur", "", "current CSV (heart_drift_<N>.csv)")
	reps := fs.Int("reps", 5, "repetitions of each timing (the median is reported)")
	valuesOut := fs.String("values", "", "write the computed values as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *refPath == "" || *curPath == "" {
		return errors.New("both -ref and -cur are required")
	}
	if *reps < 1 {
		return errors.New("-reps must be >= 1")
	}
	t0 := time.Now()
	ref, err := readCSV(*refPath)
	if err != nil {
		return err
	}
	cur, err := readCSV(*curPath)
	if err != nil {
		return err
	}
	load := time.Since(t0).Seconds()
	n := len(ref["age"])
	env := map[string]any{"go": runtime.Version(), "gomaxprocs": runtime.GOMAXPROCS(0), "csv_load_s_ref_plus_cur": load}
	emit := func(name string, times []float64) error {
		slices.Sort(times)
		rec := map[string]any{
			"kind": "drift", "impl": "go", "size_ref": n, "size_cur": len(cur["age"]), "n_features": len(features),
			"statistic":        name,
			"time_13_features": map[string]any{"median_s": median(times), "min_s": times[0], "reps": len(times)},
			"env":              env,
		}
		fmt.Fprintf(stderr, "[N=%d] go %-24s 13 features: median %9.3f ms (min %.3f, x%d)\n", n, name, median(times)*1e3, times[0]*1e3, len(times))
		return json.NewEncoder(stdout).Encode(rec)
	}

	var values map[string]any
	times := timeIt(*reps, func() {
		var err2 error
		values, err2 = allStats(ref, cur)
		if err2 != nil {
			err = err2
		}
	})
	if err != nil {
		return err
	}
	if err := emit("all_stats_13_features", times); err != nil {
		return err
	}

	in := drift.ProfileInput{}
	for _, f := range features {
		in.Features = append(in.Features, drift.Column{Name: f, Kind: kinds[f], Values: ref[f]})
	}
	var prof *drift.Profile
	times = timeIt(*reps, func() {
		prof, err = drift.BuildProfile(in, drift.DefaultProfileOptions())
	})
	if err != nil {
		return err
	}
	if err := emit("build_profile", times); err != nil {
		return err
	}
	w := drift.Window{Columns: cur}
	var rep *drift.Report
	times = timeIt(*reps, func() {
		rep, err = drift.Check(prof, w, drift.DefaultOptions())
	})
	if err != nil {
		return err
	}
	if err := emit("check_defaults", times); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "[N=%d] check verdict %s, drift score %.3f, drifted %v\n", n, rep.Verdict, rep.DriftScore, rep.DriftedFeatures)

	if *valuesOut != "" {
		b, err := json.MarshalIndent(map[string]any{"sizes": map[string]any{strconv.Itoa(n): values}}, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*valuesOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func timeIt(reps int, f func()) []float64 {
	out := make([]float64, reps)
	for i := range out {
		t := time.Now()
		f()
		out[i] = time.Since(t).Seconds()
	}
	return out
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// allStats computes drift_bench.py's compute_values for every feature, the
// features in parallel.
func allStats(ref, cur map[string][]float64) (map[string]any, error) {
	out := make([]map[string]any, len(features))
	errs := make([]error, len(features))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, name := range features {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = featureStats(name, ref[name], cur[name])
		}()
	}
	wg.Wait()
	res := map[string]any{}
	for i, name := range features {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s: %w", name, errs[i])
		}
		res[name] = out[i]
	}
	return res, nil
}

func featureStats(name string, r, c []float64) (map[string]any, error) {
	ref, err := drift.NewSorted(r)
	if err != nil {
		return nil, err
	}
	cur, err := drift.NewSorted(c)
	if err != nil {
		return nil, err
	}
	ks, err := drift.KolmogorovSmirnovSorted(ref, cur, drift.KSAuto)
	if err != nil {
		return nil, err
	}
	m, n := float64(max(ref.N(), cur.N())), float64(min(ref.N(), cur.N()))
	en := int(math.RoundToEven(m * n / (m + n)))
	w, err := drift.WassersteinSorted(ref, cur)
	if err != nil {
		return nil, err
	}
	var rc, cc []int
	bins := map[string]any{}
	dEdges := drift.DecileEdges(ref)
	if categorical[name] {
		vals, a, b := drift.CategoryCounts(ref, cur)
		rc, cc = a, b
		bins["type"], bins["values"] = "categories", vals
	} else {
		rc, cc = drift.CountsRight(ref, dEdges), drift.CountsRight(cur, dEdges)
		bins["type"], bins["edges"] = "decile_edges", dEdges
	}
	bins["ref_counts"], bins["cur_counts"] = rc, cc
	drc, dcc := drift.CountsRight(ref, dEdges), drift.CountsRight(cur, dEdges)
	yates, err := drift.ChiSquareContingency(chiTable(rc, cc), true)
	if err != nil {
		return nil, err
	}
	plain, err := drift.ChiSquareContingency(chiTable(rc, cc), false)
	if err != nil {
		return nil, err
	}
	rp, cp := drift.Proportions(rc, ref.N()), drift.Proportions(cc, cur.N())
	return map[string]any{
		"ref_mean":                     mean(ref),
		"cur_mean":                     mean(cur),
		"ks_statistic":                 ks.Statistic,
		"ks_pvalue":                    ks.PValue,
		"ks_statistic_location":        ks.Location,
		"ks_statistic_sign":            ks.Sign,
		"ks_pvalue_check":              drift.KSTwoSidedSF(en, ks.Statistic),
		"wasserstein":                  w,
		"bins":                         bins,
		"chi2_statistic":               yates.Statistic,
		"chi2_pvalue":                  yates.PValue,
		"chi2_dof":                     yates.DOF,
		"chi2_statistic_no_correction": plain.Statistic,
		"chi2_pvalue_no_correction":    plain.PValue,
		"js_distance":                  drift.JensenShannon(rp, cp, 0),
		"js_distance_base2":            drift.JensenShannon(rp, cp, 2),
		"psi":                          drift.PSI(rp, cp),
		"psi_decile_bins":              drift.PSI(drift.Proportions(drc, ref.N()), drift.Proportions(dcc, cur.N())),
		"decile_bins":                  map[string]any{"edges": dEdges, "ref_counts": drc, "cur_counts": dcc},
	}, nil
}

func mean(s drift.Sorted) float64 {
	var sum float64
	for i, v := range s.Values {
		sum += v * float64(s.Count(i))
	}
	return sum / float64(s.N())
}

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

// readCSV reads the 13 feature columns of a headed, comma-separated file.
func readCSV(path string) (map[string][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	header := strings.Split(sc.Text(), ",")
	idx := make([]int, len(features))
	for i, name := range features {
		idx[i] = slices.Index(header, name)
		if idx[i] < 0 {
			return nil, fmt.Errorf("%s: no column %q in the header", path, name)
		}
	}
	cols := map[string][]float64{}
	line := 1
	fields := make([]string, 0, len(header))
	for sc.Scan() {
		line++
		fields = splitInto(fields[:0], sc.Text())
		if len(fields) != len(header) {
			return nil, fmt.Errorf("%s:%d: %d fields, want %d", path, line, len(fields), len(header))
		}
		for i, name := range features {
			v, err := strconv.ParseFloat(fields[idx[i]], 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d column %q: %w", path, line, name, err)
			}
			cols[name] = append(cols[name], v)
		}
	}
	return cols, sc.Err()
}

func splitInto(dst []string, s string) []string {
	for {
		i := strings.IndexByte(s, ',')
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
}
