package monitor

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/serving/servingtest"
)

func heartSchema() *bundle.Schema {
	s := servingtest.HeartSchema()
	return &bundle.Schema{Features: s.Features(), Columns: s.Names(), Target: s.Target, Missing: s.Missing}
}

// FuzzReadFile: any bytes give a window whose columns all have its row
// count, or a dataset or schema error — never a panic.
func FuzzReadFile(f *testing.F) {
	raw, err := os.ReadFile("../../testdata/heart/processed.hungarian.data")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw[:2000])
	f.Add([]byte("age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,slope,ca,thal\n63,1,1,145,233,1,2,150,0,2.3,3,0,6\n"))
	f.Add([]byte("63,1,1,145,NaN,1,2,150,0,2.3,3,0,6,0\n"))
	s := heartSchema()
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ReadFile(b, s, nil)
		if err != nil {
			var pe *dataset.ParseError
			if !errors.As(err, &pe) && !errors.Is(err, dataset.ErrEmpty) && !errors.Is(err, drift.ErrSchema) && !errors.Is(err, dataset.ErrSchema) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		for name, col := range w.Columns {
			if len(col) != w.Rows {
				t.Fatalf("column %s has %d values for %d rows", name, len(col), w.Rows)
			}
		}
	})
}

// FuzzCaptureFile: any capture file gives a window or a schema error.
func FuzzCaptureFile(f *testing.F) {
	f.Add([]byte(`{"kind":"capture","id":"01a21500-51f2-7aaa-a2d0-b8c463ecd5e8","time":"2026-03-14T08:30:00Z","version":1,"inputs":{"age":63,"sex":1,"cp":1,"trestbps":145,"chol":233,"fbs":1,"restecg":2,"thalach":150,"exang":0,"oldpeak":2.3,"slope":3,"ca":null,"thal":6},"probability":0.7,"label":1}` + "\n"))
	f.Add([]byte("{not json\n\n{}\n"))
	f.Add([]byte(`{"id":"x","time":"2026-03-14T08:30:00Z","inputs":{"age":1e999}}`))
	st, err := files.New(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	features := heartSchema().Features
	names := make([]string, len(features))
	for i, c := range features {
		names[i] = c.Name
	}
	from := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx := context.Background()
		if _, err := st.Put(ctx, "captures/heart/dt=2026-03-14/hour=08/f.jsonl", b, "application/x-ndjson"); err != nil {
			t.Fatal(err)
		}
		w, err := ReadCaptures(ctx, st, nil, "heart", 1, names, from, from.Add(time.Hour))
		if err != nil {
			if !errors.Is(err, drift.ErrSchema) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		for _, n := range names {
			if len(w.Columns[n]) != w.Rows {
				t.Fatalf("column %s: %d values for %d rows", n, len(w.Columns[n]), w.Rows)
			}
		}
		if w.Predictions != nil && len(w.Predictions) != w.Rows {
			t.Fatalf("%d predictions for %d rows", len(w.Predictions), w.Rows)
		}
	})
}
