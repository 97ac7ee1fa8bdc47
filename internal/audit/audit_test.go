package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/local/sqlite"
)

func newLog(t *testing.T) *audit.Store {
	t.Helper()
	rs, err := sqlite.Open(filepath.Join(t.TempDir(), "records.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	return audit.New(rs)
}

var t0 = time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)

func TestAppendFillsIDAndTime(t *testing.T) {
	l := newLog(t)
	l.Now = func() time.Time { return t0 }
	e, err := l.Append(context.Background(), audit.Event{Actor: "alice", Action: "alias.move", Subject: audit.Subject{Model: "heart", Version: 2}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := uuid.Parse(e.ID)
	if err != nil || id.Version() != 7 {
		t.Fatalf("id %q: version %d, %v; want a UUIDv7", e.ID, id.Version(), err)
	}
	if !e.Time.Equal(t0) {
		t.Fatalf("time = %v, want %v", e.Time, t0)
	}
}

func TestListIsTimeOrderedPerModelAndGlobally(t *testing.T) {
	l := newLog(t)
	ctx := context.Background()
	// Appended out of order, read back in time order.
	specs := []struct {
		min   int
		model string
	}{{30, "heart"}, {10, "heart"}, {20, "iris"}, {40, ""}, {0, "heart"}, {50, "iris"}}
	for i, sp := range specs {
		_, err := l.Append(ctx, audit.Event{
			ID: fmt.Sprintf("id-%d", i), Time: t0.Add(time.Duration(sp.min) * time.Minute),
			Actor: "agent", Action: "drift.check", Subject: audit.Subject{Model: sp.model},
			Reason: "scheduled", Evidence: []string{"reports/drift.json"}, CorrelationID: "chain-1",
			Details: json.RawMessage(`{"psi":0.3}`),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	minutes := func(es []audit.Event) []int {
		var out []int
		for _, e := range es {
			out = append(out, int(e.Time.Sub(t0).Minutes()))
		}
		return out
	}
	cases := []struct {
		name string
		f    audit.Filter
		want []int
	}{
		{"Model", audit.Filter{Model: "heart"}, []int{0, 10, 30}},
		{"All", audit.Filter{}, []int{0, 10, 20, 30, 40, 50}},
		{"Range", audit.Filter{From: t0.Add(10 * time.Minute), To: t0.Add(40 * time.Minute)}, []int{10, 20, 30, 40}},
		{"ModelRange", audit.Filter{Model: "heart", From: t0.Add(5 * time.Minute), To: t0.Add(30 * time.Minute)}, []int{10, 30}},
		{"NewestLimit", audit.Filter{Newest: true, Limit: 2}, []int{50, 40}},
		{"UnknownModel", audit.Filter{Model: "none"}, nil},
	}
	for _, c := range cases {
		got, err := l.List(ctx, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if g := minutes(got); !slices.Equal(g, c.want) {
			t.Errorf("%s: minutes = %v, want %v", c.name, g, c.want)
		}
	}
	got, _ := l.List(ctx, audit.Filter{Model: "heart", Limit: 1})
	e := got[0]
	if e.Actor != "agent" || e.Reason != "scheduled" || e.Evidence[0] != "reports/drift.json" || e.CorrelationID != "chain-1" || string(e.Details) != `{"psi":0.3}` {
		t.Errorf("event did not round-trip: %+v", e)
	}
}

func TestAppendNeverOverwrites(t *testing.T) {
	l := newLog(t)
	ctx := context.Background()
	e := audit.Event{ID: "same", Time: t0, Actor: "a", Action: "x", Subject: audit.Subject{Model: "heart"}}
	if _, err := l.Append(ctx, e); err != nil {
		t.Fatal(err)
	}
	e.Reason = "rewritten"
	if _, err := l.Append(ctx, e); err == nil {
		t.Fatal("second append with the same id and time succeeded, want an error")
	}
	got, _ := l.List(ctx, audit.Filter{Model: "heart"})
	if len(got) != 1 || got[0].Reason != "" {
		t.Fatalf("events = %+v, want the original only", got)
	}
}

func TestBadInputIsInvalid(t *testing.T) {
	l := newLog(t)
	ctx := context.Background()
	for _, e := range []audit.Event{
		{Action: "x"}, {Actor: "a"}, {Actor: "a", Action: "x", Details: json.RawMessage(`{`)},
	} {
		if _, err := l.Append(ctx, e); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("Append(%+v): err = %v, want ErrInvalid", e, err)
		}
	}
	for _, f := range []audit.Filter{{Limit: -1}, {From: t0.Add(time.Hour), To: t0}} {
		if _, err := l.List(ctx, f); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("List(%+v): err = %v, want ErrInvalid", f, err)
		}
	}
}

func TestEveryFieldIsSizeCapped(t *testing.T) {
	l := newLog(t)
	huge := strings.Repeat("é", 50_000) // two bytes a rune: a cut must not split one
	evidence := make([]string, 1000)
	for i := range evidence {
		evidence[i] = huge
	}
	details, _ := json.Marshal(map[string]string{"comment": huge + huge})
	e, err := l.Append(context.Background(), audit.Event{Actor: huge, Action: "approval.link_refused", Reason: huge,
		Subject: audit.Subject{Model: "heart", Execution: huge, Run: huge}, CorrelationID: huge, Evidence: evidence, Details: details})
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.List(context.Background(), audit.Filter{Model: "heart"})
	if err != nil || len(got) != 1 {
		t.Fatalf("List = %d events, %v", len(got), err)
	}
	stored, _ := json.Marshal(got[0])
	if len(stored) > 200<<10 {
		t.Errorf("stored event is %d bytes, want it capped", len(stored))
	}
	for name, v := range map[string]string{"actor": e.Actor, "execution": e.Execution, "run": e.Run, "correlation": e.CorrelationID, "evidence": e.Evidence[0]} {
		if len(v) > audit.MaxFieldBytes || !utf8.ValidString(v) || !strings.HasSuffix(v, "…") {
			t.Errorf("%s: %d bytes (valid UTF-8 %v), want at most %d ending in …", name, len(v), utf8.ValidString(v), audit.MaxFieldBytes)
		}
	}
	if len(e.Reason) > audit.MaxReasonBytes || len(e.Evidence) > audit.MaxEvidence || !json.Valid(e.Details) || len(e.Details) > audit.MaxDetailsBytes {
		t.Errorf("reason %d bytes, %d evidence, details %s", len(e.Reason), len(e.Evidence), e.Details)
	}
	if got[0].Actor != e.Actor {
		t.Errorf("stored actor differs from the returned one")
	}
}
