package driftfn

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/local/sqlite"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/monitor/monitortest"
	"github.com/stewardml/steward/internal/registry"
)

const events = "../../../testdata/events/drift"

// t0 is the time of the sample scheduled events.
var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// TestScheduledEventThroughTheLambdaJSONPath trains a champion on
// Cleveland, captures Hungarian traffic an hour before the schedule fires,
// and invokes the handler as the Lambda runtime does.
func TestScheduledEventThroughTheLambdaJSONPath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	arts, err := files.New(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := sqlite.Open(filepath.Join(dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	v, err := monitortest.Heart(ctx, arts, rs, monitortest.Spec{DataPath: "../../../testdata/heart/processed.cleveland.data", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	pred, err := monitortest.Predictor(ctx, arts, rs, v)
	if err != nil {
		t.Fatal(err)
	}
	feats, _, err := monitortest.Rows("../../../testdata/heart/processed.hungarian.data")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := monitortest.Captures(ctx, arts, pred, v, t0.Add(-time.Hour), feats); err != nil {
		t.Fatal(err)
	}
	local := &bus.Local{}
	var sent []bus.Event
	local.Subscribe(bus.DriftChecked, func(_ context.Context, e bus.Event) error { sent = append(sent, e); return nil })
	svc := &monitor.Service{Artifacts: arts, Records: rs, Registry: registry.New(rs), Events: local, Window: 7 * 24 * time.Hour,
		Now: func() time.Time { return t0.Add(30 * time.Second) }}
	h := &Handler{Service: svc, Model: "heart", ParseWindow: func(s string) (time.Duration, error) {
		d, err := config.ParseDuration(s)
		return d.D(), err
	}}
	lh := lambda.NewHandler(h)
	invoke := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(events, name))
		if err != nil {
			t.Fatal(err)
		}
		return lh.Invoke(ctx, b)
	}

	out, err := invoke("scheduled.json")
	if err != nil {
		t.Fatal(err)
	}
	var s monitor.Summary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	if s.Verdict != drift.VerdictDrift || s.Trigger != "schedule" || !s.WindowTo.Equal(t0) || !s.WindowFrom.Equal(t0.Add(-7*24*time.Hour)) || s.Rows < 250 {
		t.Errorf("summary %+v", s)
	}
	if len(sent) != 1 || sent[0].ID != s.CheckID {
		t.Errorf("events %+v", sent)
	}
	// A window from the rule's input: the captures are an hour old.
	out, err = invoke("scheduled-window.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &s); err != nil || !s.WindowFrom.Equal(t0.Add(-2*time.Hour)) || s.Rows < 250 {
		t.Errorf("window 2h: %+v %v", s, err)
	}

	for _, c := range []struct{ file, name, want string }{
		{"malformed.json", lambdaerr.InvalidInput, "invalid event"},
		{"no-time.json", lambdaerr.InvalidInput, "no time"},
		{"not-scheduled.json", lambdaerr.InvalidInput, `source "steward", detail-type "DriftChecked"`},
		{"bad-window.json", lambdaerr.InvalidInput, `detail.window "soon"`},
		{"unknown-detail.json", lambdaerr.InvalidInput, `unknown field "model"`},
		{"scheduled-version.json", lambdaerr.ModelNotFound, "heart v9"},
	} {
		_, err := invoke(c.file)
		var named messages.InvokeResponse_Error
		if !errors.As(err, &named) || named.Type != c.name || !strings.Contains(named.Message, c.want) {
			t.Errorf("%s: %v, want %s with %q", c.file, err, c.name, c.want)
		}
	}
	if len(sent) != 2 {
		t.Errorf("refused events sent DriftChecked: %d", len(sent))
	}
}
