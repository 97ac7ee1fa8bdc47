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
// load+validate, and the CPU time each took (cpu_s). It fails if the suite does not pass, so a benchmark never
// times a validation that went wrong.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
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
	// CPU is the process's user+system CPU time over the phase, which
	// a busy machine disturbs less than the wall time.
	CPU   float64 `json:"cpu_s"`
	Procs int     `json:"gomaxprocs"`
}

// cpuTime returns the process's user+system CPU time so far.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
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
		c0, t0 := cpuTime(), time.Now()
		body, err := os.ReadFile(*data)
		if err != nil {
			return err
		}
		c1, t1 := cpuTime(), time.Now()
		frame, err := dataset.Parse(body, nil, dataset.Options{})
		if err != nil {
			return err
		}
		c2, t2 := cpuTime(), time.Now()
		res := validation.Validate(suite, frame, validation.Options{ResultFormat: "SUMMARY"})
		c3, t3 := cpuTime(), time.Now()
		if !res.Success {
			return fmt.Errorf("the data failed the suite: %s", validation.Summarize(res))
		}
		for _, p := range []struct {
			phase string
			d     time.Duration
			cpu   float64
		}{
			{"read", t1.Sub(t0), c1 - c0}, {"parse", t2.Sub(t1), c2 - c1}, {"validate", t3.Sub(t2), c3 - c2},
			{"load", t2.Sub(t0), c2 - c0}, {"load+validate", t3.Sub(t0), c3 - c0},
		} {
			if err := enc.Encode(line{"csv", "steward", p.phase, frame.Rows, len(body), rep, p.d.Seconds(), p.cpu, runtime.GOMAXPROCS(0)}); err != nil {
				return err
			}
		}
	}
	return nil
}
