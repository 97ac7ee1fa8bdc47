// Command csvbench times loading and validating a headered CSV the way
// `steward validate --header` does: read the file, parse it into a
// dataset.Frame, run an expectation suite over it. bench/csv_compare.sh runs
// it next to pandas.read_csv on the same file.
//
// It writes one JSON line per repetition and phase to stdout:
//
//	{"bench":"csv","impl":"steward","phase":"load+validate","rows":1000000,"rep":0,"s":0.41}
//
// with phases read (os.ReadFile), parse, validate, load (read+parse) and
// load+validate. It fails if the suite does not pass, so a benchmark never
// times a validation that went wrong.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/validation"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "csvbench:", err)
		os.Exit(1)
	}
}

type line struct {
	Bench   string  `json:"bench"`
	Impl    string  `json:"impl"`
	Phase   string  `json:"phase"`
	Rows    int     `json:"rows"`
	Bytes   int     `json:"bytes"`
	Rep     int     `json:"rep"`
	Seconds float64 `json:"s"`
	Procs   int     `json:"gomaxprocs"`
}

func run(args []string) error {
	fs := flag.NewFlagSet("csvbench", flag.ContinueOnError)
	data := fs.String("data", "", "headered CSV file (heart_1000000.csv)")
	suitePath := fs.String("suite", "bench/csv_suite.json", "expectation suite")
	reps := fs.Int("reps", 5, "repetitions")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("-data is required")
	}
	raw, err := os.ReadFile(*suitePath)
	if err != nil {
		return err
	}
	suite, err := validation.ParseSuite(raw)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for rep := 0; rep < *reps; rep++ {
		runtime.GC()
		t0 := time.Now()
		body, err := os.ReadFile(*data)
		if err != nil {
			return err
		}
		t1 := time.Now()
		frame, err := dataset.Parse(body, nil, dataset.Options{})
		if err != nil {
			return err
		}
		t2 := time.Now()
		res := validation.Validate(suite, frame, validation.Options{ResultFormat: "SUMMARY"})
		t3 := time.Now()
		if !res.Success {
			return fmt.Errorf("the data failed the suite: %s", validation.Summarize(res))
		}
		for _, p := range []struct {
			phase string
			d     time.Duration
		}{
			{"read", t1.Sub(t0)}, {"parse", t2.Sub(t1)}, {"validate", t3.Sub(t2)},
			{"load", t2.Sub(t0)}, {"load+validate", t3.Sub(t0)},
		} {
			if err := enc.Encode(line{"csv", "steward", p.phase, frame.Rows, len(body), rep, p.d.Seconds(), runtime.GOMAXPROCS(0)}); err != nil {
				return err
			}
		}
	}
	return nil
}
