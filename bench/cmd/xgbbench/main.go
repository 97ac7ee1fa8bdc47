// Command xgbbench is Steward's side of the imported-model benchmark: it
// loads the XGBoost JSON model that bench/python/xgb_bench.py trained,
// scores the same rows, checks every probability against XGBoost's bit for
// bit, and prints its timings beside XGBoost's with the ratios.
//
// Usage: xgbbench -dir OUTDIR
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/stewardml/steward/internal/ml"
	"github.com/stewardml/steward/internal/ml/xgboost"
)

func main() {
	dir := flag.String("dir", "", "folder written by xgb_bench.py")
	repeats := flag.Int("repeats", 20000, "one-row calls timed")
	flag.Parse()
	if err := run(*dir, *repeats); err != nil {
		fmt.Fprintln(os.Stderr, "xgbbench:", err)
		os.Exit(1)
	}
}

func readF32(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}

func run(dir string, repeats int) error {
	var py struct {
		Trees, Depth, Rows int
		LoadS              float64 `json:"load_s"`
		BatchS             float64 `json:"batch_s"`
		OneRowMedianUs     float64 `json:"one_row_median_us"`
		Xgboost            string
	}
	raw, err := os.ReadFile(filepath.Join(dir, "python.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &py); err != nil {
		return err
	}
	file, err := os.ReadFile(filepath.Join(dir, "model.json"))
	if err != nil {
		return err
	}
	t := time.Now()
	m, err := xgboost.Read(file)
	if err != nil {
		return err
	}
	c, err := xgboost.NewClassifier(m, file)
	if err != nil {
		return err
	}
	load := time.Since(t).Seconds()
	rows32, err := readF32(filepath.Join(dir, "rows.f32"))
	if err != nil {
		return err
	}
	want, err := readF32(filepath.Join(dir, "probs.f32"))
	if err != nil {
		return err
	}
	cols := m.NumFeature
	X := ml.NewMatrix(len(rows32)/cols, cols)
	for i, v := range rows32 {
		X.Data[i] = float64(v)
	}
	out := make([]float64, X.Rows)
	warm := min(1000, X.Rows)
	c.PredictProba(ml.Matrix{Rows: warm, Cols: cols, Data: X.Data[:warm*cols]}, out[:warm])
	t = time.Now()
	c.PredictProba(X, out)
	batch := time.Since(t).Seconds()
	for i, p := range out {
		if float32(p) != want[i] {
			return fmt.Errorf("row %d: %v, XGBoost %v", i, p, want[i])
		}
	}
	lat := make([]float64, repeats)
	for i := range lat {
		row := X.Row(i % X.Rows)
		t := time.Now()
		c.Prob(row)
		lat[i] = float64(time.Since(t).Nanoseconds())
	}
	slices.Sort(lat)
	one := lat[len(lat)/2] / 1000
	fmt.Printf("imported XGBoost model: %d trees of depth %d, %d rows, every probability equal to XGBoost %s's bit for bit\n", m.NumTrees(), py.Depth, X.Rows, py.Xgboost)
	fmt.Printf("| | XGBoost | Steward | XGBoost / Steward |\n|---|---|---|---|\n")
	fmt.Printf("| load the JSON model | %.3f s | %.3f s | %.2fx |\n", py.LoadS, load, py.LoadS/load)
	fmt.Printf("| score %d rows | %.3f s | %.3f s | %.2fx |\n", X.Rows, py.BatchS, batch, py.BatchS/batch)
	fmt.Printf("| one row, median | %.1f µs | %.1f µs | %.1fx |\n", py.OneRowMedianUs, one, py.OneRowMedianUs/one)
	return nil
}
