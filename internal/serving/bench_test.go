package serving

import (
	"context"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/httpedge"
	"github.com/stewardml/steward/internal/metrics"
)

// BenchmarkPredictOneRow is the in-process hot path: a one-row JSON body
// in, the JSON response out, with capture and metrics on.
func BenchmarkPredictOneRow(b *testing.B) {
	src := newFakeSource()
	src.add(newLinear("heart", 1))
	src.set("heart", "champion", 1)
	st := newMemArtifacts()
	w := capture.NewBatchWriter(st, capture.BatchWriterConfig{FlushInterval: 10 * time.Millisecond})
	defer w.Close(context.Background())
	h := NewHandler(DefaultConfig(), Deps{Models: NewCache(src, CacheConfig{}), Capturer: w, Metrics: metrics.NewPromRecorder()})
	req := &httpedge.Request{Method: "POST", Path: "/v1/models/heart/predict", Header: jsonHeader, Body: []byte(`{"instances":[` + heartRow + `]}`)}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r, _ := h.Serve(ctx, req); r.Status != 200 {
			b.Fatalf("status %d: %s", r.Status, r.Body)
		}
	}
}

// BenchmarkDecodePredict decodes and checks a 100-instance body.
func BenchmarkDecodePredict(b *testing.B) {
	fs := heartSet(b)
	body := []byte(`{"instances":[`)
	for i := range 100 {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, heartRow...)
	}
	body = append(body, "]}"...)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodePredict(body, fs, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
