package capturefn

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzDecode: any text is a payload Decode reads, and then one it writes
// back identically, or an ErrPayload; never a panic.
func FuzzDecode(f *testing.F) {
	events, err := filepath.Glob(filepath.Join(eventsDir, "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range events {
		if strings.HasSuffix(path, ".decoded.json") {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		var ev struct{ AWSLogs struct{ Data string } }
		if json.Unmarshal(b, &ev) == nil && ev.AWSLogs.Data != "" {
			f.Add(ev.AWSLogs.Data)
		}
	}
	f.Fuzz(func(t *testing.T, data string) {
		d, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrPayload) {
				t.Fatalf("error does not wrap ErrPayload: %v", err)
			}
			return
		}
		again, err := Encode(d)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := Decode(again)
		if err != nil || !reflect.DeepEqual(d, d2) {
			t.Fatalf("round trip of %+v: %+v, %v", d, d2, err)
		}
	})
}

// FuzzParseLine: any line is a capture line with a valid model and a
// time, or an ErrLine.
func FuzzParseLine(f *testing.F) {
	var d events.CloudwatchLogsData
	for _, name := range []string{"batch.decoded.json", "mixed.decoded.json"} {
		b, err := os.ReadFile(filepath.Join(eventsDir, name))
		if err != nil {
			f.Fatal(err)
		}
		if err := json.Unmarshal(b, &d); err != nil {
			f.Fatal(err)
		}
		for _, e := range d.LogEvents {
			f.Add([]byte(e.Message))
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		c, err := ParseLine(line)
		if err != nil {
			if !errors.Is(err, ErrLine) {
				t.Fatalf("error does not wrap ErrLine: %v", err)
			}
			return
		}
		if c.Kind != "capture" || c.ID == "" || c.Time.IsZero() || c.Model == "" || strings.ContainsAny(c.Model, "/\\") {
			t.Fatalf("accepted %+v", c)
		}
		// What ParseLine accepts, Handle files under the model's prefix.
		data, err := Encode(events.CloudwatchLogsData{MessageType: DataMessage, LogGroup: "g", LogStream: "s",
			LogEvents: []events.CloudwatchLogsLogEvent{{ID: "1", Message: string(line)}}})
		if err != nil {
			t.Fatal(err)
		}
		w := &failing{n: 1 << 30}
		out, err := (&Handler{Artifacts: w}).Handle(context.Background(), events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: data}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Files) != 1 || !strings.HasPrefix(out.Files[0], "captures/"+c.Model+"/dt=") {
			t.Fatalf("line %q filed as %v", line, out.Files)
		}
	})
}
