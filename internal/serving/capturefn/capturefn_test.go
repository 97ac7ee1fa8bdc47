package capturefn

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/store"
)

const eventsDir = "../../../testdata/events/capture"

var update = flag.Bool("update", false, "rewrite testdata/events/capture/<name>.json from <name>.decoded.json")

// TestEventsMatchTheirDecodedForm keeps each sample event in step with its
// readable form (<name>.decoded.json, the CloudWatch Logs data it
// carries); -update rewrites the events from the readable forms.
func TestEventsMatchTheirDecodedForm(t *testing.T) {
	decoded, err := filepath.Glob(filepath.Join(eventsDir, "*.decoded.json"))
	if err != nil || len(decoded) == 0 {
		t.Fatalf("no decoded events in %s (%v)", eventsDir, err)
	}
	for _, path := range decoded {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var want events.CloudwatchLogsData
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		eventPath := strings.TrimSuffix(path, ".decoded.json") + ".json"
		if *update {
			data, err := Encode(want)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.MarshalIndent(events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: data}}, "", "  ")
			if err := os.WriteFile(eventPath, append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var ev events.CloudwatchLogsEvent
		b, err := os.ReadFile(eventPath)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		got, err := Decode(ev.AWSLogs.Data)
		if err != nil {
			t.Fatalf("%s: %v", eventPath, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s does not carry %s (run go test -update)", eventPath, path)
		}
	}
}

// invoke sends a sample event through the Lambda runtime's JSON path.
func invoke(t *testing.T, h *Handler, name string) (Output, error) {
	t.Helper()
	payload, err := os.ReadFile(filepath.Join(eventsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	res, err := lambda.NewHandler(h).Invoke(context.Background(), payload)
	if err != nil {
		return Output{}, err
	}
	var out Output
	if err := json.Unmarshal(res, &out); err != nil {
		t.Fatalf("output %s: %v", res, err)
	}
	return out, nil
}

func newStore(t *testing.T) *files.Store {
	t.Helper()
	st, err := files.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestBatchBecomesOneFilePerModelAndHour: four capture lines, of two
// models and two hours, become three files under the key layout drift
// checks read, each line as it was logged.
func TestBatchBecomesOneFilePerModelAndHour(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	h := &Handler{Artifacts: st}
	out, err := invoke(t, h, "batch.json")
	if err != nil {
		t.Fatal(err)
	}
	if out.Captured != 4 || len(out.Files) != 3 || len(out.Skipped) != 0 {
		t.Fatalf("output %+v, want 4 captures in 3 files, none skipped", out)
	}
	want := []string{
		"captures/heart/dt=2026-03-14/hour=08/",
		"captures/heart/dt=2026-03-14/hour=09/",
		"captures/heart-v2/dt=2026-03-14/hour=08/",
	}
	var data events.CloudwatchLogsData
	raw, _ := os.ReadFile(filepath.Join(eventsDir, "batch.decoded.json"))
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	lines := func(ids ...int) string {
		var b strings.Builder
		for _, i := range ids {
			b.WriteString(data.LogEvents[i].Message + "\n")
		}
		return b.String()
	}
	bodies := []string{lines(0, 1), lines(2), lines(3)}
	for i, key := range out.Files {
		if !strings.HasPrefix(key, want[i]) || !strings.HasSuffix(key, ".jsonl") || !strings.Contains(key, "/logs-") {
			t.Errorf("file %d is %s, want it under %s named logs-<digest>.jsonl", i, key, want[i])
			continue
		}
		body, info, err := st.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != bodies[i] {
			t.Errorf("%s holds\n%s\nwant\n%s", key, body, bodies[i])
		}
		if info.ContentType != ContentType {
			t.Errorf("%s content type %q", key, info.ContentType)
		}
	}
}

// TestRedeliveryRewritesTheSameObjects: Lambda retries an asynchronous
// invocation with the same event; the capture files must not double.
func TestRedeliveryRewritesTheSameObjects(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	h := &Handler{Artifacts: st}
	first, err := invoke(t, h, "batch.json")
	if err != nil {
		t.Fatal(err)
	}
	second, err := invoke(t, h, "batch.json")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first.Files, second.Files) {
		t.Errorf("keys of the redelivery %v, want the first delivery's %v", second.Files, first.Files)
	}
	objs, err := st.List(ctx, "captures/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != len(first.Files) {
		t.Errorf("%d capture files after two deliveries of one batch, want %d", len(objs), len(first.Files))
	}
	// Another batch (another stream) with the same lines is other events:
	// other keys.
	if k := batchID("g", "s2", []string{"1"}); k == batchID("g", "s1", []string{"1"}) || k == batchID("g", "s2", []string{"1", "2"}) {
		t.Error("batchID does not depend on the stream and every event id")
	}
}

func TestLinesThatAreNotCapturesAreSkippedAndSaid(t *testing.T) {
	st := newStore(t)
	out, err := invoke(t, &Handler{Artifacts: st}, "mixed.json")
	if err != nil {
		t.Fatal(err)
	}
	if out.Captured != 1 || len(out.Files) != 1 {
		t.Errorf("output %+v, want the one capture line written", out)
	}
	reasons := map[string]string{}
	for _, s := range out.Skipped {
		reasons[s.EventID[len(s.EventID)-2:]] = s.Reason
	}
	for id, want := range map[string]string{
		"12": `kind "": expected "capture"`,
		"13": `model "../models": expected a model name`,
		"14": "JSON: unexpected EOF",
	} {
		if !strings.Contains(reasons[id], want) {
			t.Errorf("event …%s skipped for %q, want %q", id, reasons[id], want)
		}
	}
	if len(out.Skipped) != 3 {
		t.Errorf("skipped %+v, want 3", out.Skipped)
	}
}

func TestControlMessageWritesNothing(t *testing.T) {
	st := newStore(t)
	out, err := invoke(t, &Handler{Artifacts: st}, "control.json")
	if err != nil {
		t.Fatal(err)
	}
	if !out.Control || len(out.Files) != 0 {
		t.Errorf("output %+v, want a control message and no file", out)
	}
}

func TestBadEventsAreInvalidInput(t *testing.T) {
	for name, want := range map[string]string{
		"malformed.json":  "event: unexpected end of JSON input",
		"no-awslogs.json": "no awslogs.data: expected a CloudWatch Logs subscription event",
		"not-base64.json": "awslogs.data: base64: illegal base64 data",
		"not-gzip.json":   "awslogs.data: gzip: gzip: invalid header",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := invoke(t, &Handler{Artifacts: newStore(t)}, name)
			if lambdaerr.Name(err) != lambdaerr.InvalidInput || !strings.Contains(err.Error(), want) {
				t.Errorf("got %v (%s), want InvalidInput saying %q", err, lambdaerr.Name(err), want)
			}
		})
	}
}

// failing fails every put after the first n.
type failing struct {
	mu   sync.Mutex
	n    int
	puts []string
}

func (f *failing) Put(ctx context.Context, key string, body []byte, ct string) (store.ObjectInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts = append(f.puts, key)
	if len(f.puts) > f.n {
		return store.ObjectInfo{}, errors.New("s3: put: throttled")
	}
	return store.ObjectInfo{Key: key}, nil
}

// TestAFailedWriteFailsTheBatchForARetry: the error is InternalError, so
// that Lambda retries the event, and it names the file.
func TestAFailedWriteFailsTheBatchForARetry(t *testing.T) {
	w := &failing{n: 1}
	_, err := invoke(t, &Handler{Artifacts: w}, "batch.json")
	if lambdaerr.Name(err) != lambdaerr.Internal || !strings.Contains(err.Error(), "throttled") || !strings.Contains(err.Error(), "captures/heart/dt=2026-03-14/hour=09/") {
		t.Errorf("got %v (%s), want InternalError naming the file", err, lambdaerr.Name(err))
	}
	if len(w.puts) != 2 {
		t.Errorf("%d puts, want the batch to stop at the failed one", len(w.puts))
	}
}

func TestDecodeRefusesWhatIsNotAPayload(t *testing.T) {
	ok := events.CloudwatchLogsData{MessageType: DataMessage, LogGroup: "g", LogStream: "s",
		LogEvents: []events.CloudwatchLogsLogEvent{{ID: "1", Message: "x"}}}
	enc := func(d events.CloudwatchLogsData) string {
		s, err := Encode(d)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	noID := ok
	noID.LogEvents = []events.CloudwatchLogsLogEvent{{Message: "x"}}
	noStream := ok
	noStream.LogStream = ""
	other := ok
	other.MessageType = "SOMETHING"
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "", "awslogs.data is empty"},
		{"too long", strings.Repeat("A", MaxEncodedBytes+4), "more than"},
		{"event without id", enc(noID), "logEvents[0]: no id"},
		{"no stream", enc(noStream), `logStream ""`},
		{"unknown type", enc(other), `messageType "SOMETHING"`},
		{"gzip bomb", bomb(t), "expands to more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.data)
			if !errors.Is(err, ErrPayload) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode: %v, want ErrPayload saying %q", err, tc.want)
			}
		})
	}
	if got, err := Decode(enc(ok)); err != nil || !reflect.DeepEqual(got, ok) {
		t.Errorf("round trip: %+v, %v", got, err)
	}
}

// bomb is a small payload that expands past MaxDecodedBytes.
func bomb(t *testing.T) string {
	t.Helper()
	d := events.CloudwatchLogsData{MessageType: DataMessage, LogGroup: "g", LogStream: "s",
		LogEvents: []events.CloudwatchLogsLogEvent{{ID: "1", Message: strings.Repeat("x", MaxDecodedBytes)}}}
	s, err := Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) > MaxEncodedBytes {
		t.Fatalf("bomb is %d bytes encoded", len(s))
	}
	return s
}
