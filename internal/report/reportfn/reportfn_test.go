package reportfn_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/report"
	"github.com/stewardml/steward/internal/report/reportfn"
	"github.com/stewardml/steward/internal/report/reporttest"
)

const events = "../../../testdata/events/report"

// fakePublisher records what it was asked and answers with err.
type fakePublisher struct {
	ref     report.Ref
	formats []report.Format
	err     error
}

func (f *fakePublisher) Publish(ctx context.Context, ref report.Ref, formats ...report.Format) ([]report.Published, error) {
	f.ref, f.formats = ref, formats
	if f.err != nil {
		return nil, f.err
	}
	var out []report.Published
	for _, fm := range formats {
		out = append(out, report.Published{Format: fm, Key: ref.Key(fm)})
	}
	return out, nil
}

func invoke(t *testing.T, h *reportfn.Handler, payload string) ([]byte, error) {
	t.Helper()
	return lambda.NewHandler(h).Invoke(context.Background(), []byte(payload))
}

func TestSampleEventsDecode(t *testing.T) {
	want := map[string]string{
		"training.json":          "training RUN_ID [html pdf]",
		"drift.json":             "drift heart/20260303T110000Z [html pdf]",
		"deployment.json":        "deployment heart:1 [pdf]",
		"deployment-latest.json": "deployment heart [html pdf]",
	}
	for file, w := range want {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(events, file))
			if err != nil {
				t.Fatal(err)
			}
			f := &fakePublisher{}
			out, err := invoke(t, &reportfn.Handler{Reports: f}, string(b))
			if err != nil {
				t.Fatal(err)
			}
			got := string(f.ref.Kind) + " " + f.ref.String() + " " + strings.Trim(strings.ReplaceAll(strings.Trim(jsonOf(f.formats), "[]"), `"`, ""), "")
			got = strings.ReplaceAll(got, ",", " ")
			if got != strings.ReplaceAll(strings.ReplaceAll(w, "[", ""), "]", "") {
				t.Errorf("decoded %q, want %q", got, w)
			}
			var o reportfn.Output
			if err := json.Unmarshal(out, &o); err != nil || len(o.Reports) != len(f.formats) {
				t.Errorf("output %s: %v", out, err)
			}
		})
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestErrorsHaveStableNames(t *testing.T) {
	tests := []struct {
		name, payload string
		pubErr        error
		want          string
		msg           string
	}{
		{"not json", `{`, nil, lambdaerr.InvalidInput, "unexpected EOF"},
		{"unknown field", `{"kind":"training","id":"r","colour":"red"}`, nil, lambdaerr.InvalidInput, "colour"},
		{"bad kind", `{"kind":"weekly","id":"r"}`, nil, lambdaerr.InvalidInput, `field "kind"`},
		{"drift id without model", `{"kind":"drift","id":"abc"}`, nil, lambdaerr.InvalidInput, `field "id"`},
		{"path in id", `{"kind":"training","id":"../x"}`, nil, lambdaerr.InvalidInput, `field "id"`},
		{"bad format", `{"kind":"training","id":"r","formats":["docx"]}`, nil, lambdaerr.InvalidInput, `formats[0]`},
		{"format twice", `{"kind":"training","id":"r","formats":["pdf","pdf"]}`, nil, lambdaerr.InvalidInput, `formats[1]`},
		{"trailing data", `{"kind":"training","id":"r"} {}`, nil, lambdaerr.InvalidInput, "after the event"},
		{"missing source", `{"kind":"training","id":"r"}`, report.ErrNotFound, lambdaerr.InvalidInput, "not found"},
		{"store down", `{"kind":"training","id":"r"}`, errors.New("disk on fire"), lambdaerr.Internal, "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := invoke(t, &reportfn.Handler{Reports: &fakePublisher{err: tt.pubErr}}, tt.payload)
			if got := lambdaerr.Name(err); got != tt.want {
				t.Errorf("error name %q (%v), want %q", got, err, tt.want)
			}
			var named messages.InvokeResponse_Error
			if !errors.As(err, &named) || !strings.Contains(named.Message, tt.msg) {
				t.Errorf("error %q does not say %q", named.Message, tt.msg)
			}
		})
	}
}

// TestRendersFromTheStores runs the function over a platform trained on
// the bundled data, as the state machine invokes it after training.
func TestRendersFromTheStores(t *testing.T) {
	p := reporttest.New(t)
	ctx := context.Background()
	rec, err := p.Train(ctx, reporttest.SmallSearch(1))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := p.App.Reports()
	if err != nil {
		t.Fatal(err)
	}
	out, err := invoke(t, &reportfn.Handler{Reports: svc}, `{"kind":"training","id":"`+rec.ID+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	var o reportfn.Output
	if err := json.Unmarshal(out, &o); err != nil {
		t.Fatal(err)
	}
	if len(o.Reports) != 2 {
		t.Fatalf("%d reports, want 2: %s", len(o.Reports), out)
	}
	for _, r := range o.Reports {
		b, info, err := p.App.Artifacts.Get(ctx, r.Key)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != r.Size || info.ContentType != r.Format.ContentType() || !strings.HasPrefix(r.URL, "http://127.0.0.1:8080/view/reports/rendered/training/") {
			t.Errorf("%+v: stored %d bytes as %q", r, len(b), info.ContentType)
		}
	}
	// The deployment report of the first champion has no previous version.
	if _, err := invoke(t, &reportfn.Handler{Reports: svc}, `{"kind":"deployment","id":"heart"}`); err != nil {
		t.Errorf("deployment report of the first champion: %v", err)
	}
}

// FuzzDecode: whatever the event, Decode returns a ref or an error
// wrapping ErrInvalidEvent, never a panic; an accepted ref's keys stay
// under reports/rendered/ without "..".
func FuzzDecode(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(events, "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		ref, formats, err := reportfn.Decode(payload)
		if err != nil {
			if !errors.Is(err, reportfn.ErrInvalidEvent) {
				t.Fatalf("error %v does not wrap ErrInvalidEvent", err)
			}
			return
		}
		for _, fm := range formats {
			k := ref.Key(fm)
			if !strings.HasPrefix(k, "reports/rendered/") || strings.Contains(k, "..") {
				t.Fatalf("key %q escapes reports/rendered/", k)
			}
		}
	})
}
