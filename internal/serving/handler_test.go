package serving

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/httpedge"
	"github.com/stewardml/steward/internal/metrics"
	"github.com/stewardml/steward/internal/uuidv7"
)

type testEnv struct {
	h       *Handler
	src     *fakeSource
	sink    *captureSink
	records *memRecords
	prom    *metrics.PromRecorder
	now     time.Time
}

func newTestEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	src := newFakeSource()
	src.add(newLinear("heart", 1))
	src.add(newLinear("heart", 2))
	src.set("heart", "champion", 1)
	src.set("heart", "challenger", 2)
	env := &testEnv{src: src, sink: &captureSink{}, records: newMemRecords(), prom: metrics.NewPromRecorder(),
		now: time.Date(2026, 11, 25, 13, 4, 5, 0, time.UTC)}
	clock := func() time.Time { return env.now }
	env.h = NewHandler(cfg, Deps{
		Models:   NewCache(src, CacheConfig{Now: clock}),
		Catalog:  fakeCatalog{},
		Feedback: env.records,
		Capturer: env.sink,
		Metrics:  env.prom,
		Now:      clock,
		IDSigner: uuidv7.NewSigner([]byte("the data directory's signing key")),
	})
	return env
}

func (env *testEnv) do(method, path, ct, body string) *httpedge.Response {
	p, rawQuery, _ := strings.Cut(path, "?")
	q := map[string][]string{}
	if rawQuery != "" {
		for _, kv := range strings.Split(rawQuery, "&") {
			k, v, _ := strings.Cut(kv, "=")
			q[k] = append(q[k], v)
		}
	}
	var hd httpedge.Header
	if ct != "" {
		hd = httpedge.Header{"Content-Type": {ct}}
	}
	r, err := env.h.Serve(context.Background(), &httpedge.Request{Method: method, Path: p, Query: q, Header: hd, Body: []byte(body), RequestID: "req-1"})
	if err != nil {
		panic("serving: Serve returned an error: " + err.Error())
	}
	return r
}

type predictResponse struct {
	Model struct {
		Name    string
		Version int
		Alias   string
	}
	Predictions []struct {
		ID            string
		Probability   float64
		Label         int
		BaseValue     *float64
		Margin        float64
		Contributions map[string]float64
	}
}

func decodeResp(t *testing.T, r *httpedge.Response, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
}

func TestPredictScoresWithTheChampion(t *testing.T) {
	env := newTestEnv(t, DefaultConfig())
	r := env.do("POST", "/v1/models/heart/predict", "application/json", `{"instances":[`+heartRow+`,`+heartRow+`]}`)
	if r.Status != 200 || r.ContentType != ContentTypeJSON {
		t.Fatalf("status %d %s: %s", r.Status, r.ContentType, r.Body)
	}
	var got predictResponse
	decodeResp(t, r, &got)
	if got.Model.Name != "heart" || got.Model.Version != 1 || got.Model.Alias != "champion" {
		t.Errorf("model = %+v, want heart version 1 champion", got.Model)
	}
	if len(got.Predictions) != 2 {
		t.Fatalf("%d predictions, want 2", len(got.Predictions))
	}
	m := newLinear("heart", 1)
	row := []float64{63, 1, 3, 145, 233, 1, 0, 150, 0, 2.3, 0, 0, 1}
	want := 1 / (1 + math.Exp(-m.margin(row)))
	seen := map[string]bool{}
	for i, p := range got.Predictions {
		if math.Abs(p.Probability-want) > 1e-12 {
			t.Errorf("prediction %d probability = %v, want %v", i, p.Probability, want)
		}
		if wantLabel := 0; p.Label != wantLabel { // p = 0.28 < threshold 0.5
			t.Errorf("prediction %d label = %d, want %d (p=%v)", i, p.Label, wantLabel, p.Probability)
		}
		u, err := uuidv7.Parse(p.ID)
		if err != nil || u.Version() != 7 || !u.Time().Equal(env.now.Truncate(time.Millisecond)) {
			t.Errorf("prediction %d id %q: version %d time %v, err %v; want a UUIDv7 of %v", i, p.ID, u.Version(), u.Time(), err, env.now)
		}
		if seen[p.ID] {
			t.Errorf("id %s issued twice", p.ID)
		}
		seen[p.ID] = true
		if p.BaseValue != nil || p.Contributions != nil {
			t.Errorf("prediction %d explains without being asked", i)
		}
	}
}

func TestPredictSelectsVersionOrAlias(t *testing.T) {
	env := newTestEnv(t, DefaultConfig())
	for _, tt := range []struct {
		query       string
		wantVersion int
		wantAlias   string
	}{{"?version=2", 2, ""}, {"?alias=challenger", 2, "challenger"}, {"?alias=champion", 1, "champion"}, {"", 1, "champion"}} {
		r := env.do("POST", "/v1/models/heart/predict"+tt.query, "application/json", `{"instances":[`+heartRow+`]}`)
		var got predictResponse
		decodeResp(t, r, &got)
		if r.Status != 200 || got.Model.Version != tt.wantVersion || got.Model.Alias != tt.wantAlias {
			t.Errorf("%q: status %d, model %+v; want version %d alias %q", tt.query, r.Status, got.Model, tt.wantVersion, tt.wantAlias)
		}
	}
}

func TestPredictExplainsWithContributionsThatAddUpToTheMargin(t *testing.T) {
	env := newTestEnv(t, DefaultConfig())
	r := env.do("POST", "/v1/models/heart/predict", "application/json", `{"explain":true,"instances":[`+heartRow+`]}`)
	var got predictResponse
	decodeResp(t, r, &got)
	if r.Status != 200 || len(got.Predictions) != 1 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	p := got.Predictions[0]
	if p.BaseValue == nil || len(p.Contributions) != 13 {
		t.Fatalf("explanation missing: %s", r.Body)
	}
	sum := *p.BaseValue
	for _, c := range p.Contributions {
		sum += c
	}
	if math.Abs(sum-p.Margin) > 1e-9 || math.Abs(1/(1+math.Exp(-p.Margin))-p.Probability) > 1e-9 {
		t.Errorf("base %v + contributions = %v, margin %v, probability %v", *p.BaseValue, sum, p.Margin, p.Probability)
	}
	if want := 0.001 * 1 * 63; math.Abs(p.Contributions["age"]-want) > 1e-12 {
		t.Errorf("age contribution = %v, want %v", p.Contributions["age"], want)
	}
}

func TestBadRequestsAnswer4xxWithUsefulBodies(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxBodyBytes = 4096
	env := newTestEnv(t, cfg)
	big := `{"instances":[` + strings.Repeat(heartRow+",", 40) + heartRow + `]}`
	tests := []struct {
		name, method, path, ct, body string
		status                       int
		code                         string
		field                        string // a problem must name it ("" when no problem list)
	}{
		{"wrong content type", "POST", "/v1/models/heart/predict", "text/plain", `{}`, 415, CodeUnsupportedMedia, "Content-Type"},
		{"no content type", "POST", "/v1/models/heart/predict", "", `{}`, 415, CodeUnsupportedMedia, "Content-Type"},
		{"other charset", "POST", "/v1/models/heart/predict", "application/json; charset=latin1", `{}`, 415, CodeUnsupportedMedia, "Content-Type"},
		{"too large", "POST", "/v1/models/heart/predict", "application/json", big, 413, CodeTooLarge, "body"},
		{"malformed", "POST", "/v1/models/heart/predict", "application/json", `{"instances": [}`, 400, CodeMalformedJSON, "body"},
		{"schema", "POST", "/v1/models/heart/predict", "application/json", `{"instances": [{"age": "old"}]}`, 422, CodeInvalidInput, "age"},
		{"bad version", "POST", "/v1/models/heart/predict?version=abc", "application/json", `{}`, 400, CodeInvalidQuery, "version"},
		{"zero version", "POST", "/v1/models/heart/predict?version=0", "application/json", `{}`, 400, CodeInvalidQuery, "version"},
		{"version twice", "POST", "/v1/models/heart/predict?version=1&version=2", "application/json", `{}`, 400, CodeInvalidQuery, "version"},
		{"version and alias", "POST", "/v1/models/heart/predict?version=1&alias=champion", "application/json", `{}`, 400, CodeInvalidQuery, "version"},
		{"bad alias", "POST", "/v1/models/heart/predict?alias=a/b", "application/json", `{}`, 400, CodeInvalidQuery, "alias"},
		{"alias that cannot exist", "POST", "/v1/models/heart/predict?alias=Champion", "application/json", `{}`, 400, CodeInvalidQuery, "alias"},
		{"alias too long", "POST", "/v1/models/heart/predict?alias=" + strings.Repeat("a", 41), "application/json", `{}`, 400, CodeInvalidQuery, "alias"},
		{"unknown parameter", "POST", "/v1/models/heart/predict?verison=1", "application/json", `{}`, 400, CodeInvalidQuery, "verison"},
		{"unknown model", "POST", "/v1/models/lungs/predict", "application/json", `{"instances":[` + heartRow + `]}`, 404, CodeNotFound, ""},
		{"bad model name", "POST", "/v1/models/..%2f/predict", "application/json", `{}`, 404, CodeNotFound, ""},
		{"unknown version", "POST", "/v1/models/heart/predict?version=9", "application/json", `{"instances":[` + heartRow + `]}`, 404, CodeNotFound, ""},
		{"unknown alias", "POST", "/v1/models/heart/predict?alias=shadow", "application/json", `{"instances":[` + heartRow + `]}`, 404, CodeNotFound, ""},
		{"GET predict", "GET", "/v1/models/heart/predict", "", ``, 405, CodeMethodNotAllowed, ""},
		{"DELETE model", "DELETE", "/v1/models/heart", "", ``, 405, CodeMethodNotAllowed, ""},
		{"unknown route", "GET", "/v2/anything", "", ``, 404, CodeNotFound, ""},
		{"trailing slash", "GET", "/v1/models/heart/", "", ``, 404, CodeNotFound, ""},
		{"unknown model detail", "GET", "/v1/models/lungs", "", ``, 404, CodeNotFound, ""},
		{"query on list", "GET", "/v1/models?page=2", "", ``, 400, CodeInvalidQuery, "page"},
		{"feedback malformed", "POST", "/v1/feedback", "application/json", `{"id":`, 400, CodeMalformedJSON, "body"},
		{"feedback wrong type", "POST", "/v1/feedback", "text/csv", `id,label`, 415, CodeUnsupportedMedia, "Content-Type"},
		{"feedback bad label", "POST", "/v1/feedback", "application/json", `{"id":"019abc00-0000-7000-8000-000000000000","label":2}`, 422, CodeInvalidInput, "label"},
		{"feedback bad id", "POST", "/v1/feedback", "application/json", `{"id":"nope","label":1}`, 422, CodeInvalidInput, "id"},
		{"feedback v4 id", "POST", "/v1/feedback", "application/json", `{"id":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","label":1}`, 422, CodeInvalidInput, "id"},
		{"feedback future id", "POST", "/v1/feedback", "application/json", `{"id":"ffffffff-ffff-7fff-bfff-ffffffffffff","label":1}`, 422, CodeInvalidInput, "id"},
		{"feedback missing", "POST", "/v1/feedback", "application/json", `{"extra":true}`, 422, CodeInvalidInput, "label"},
		{"feedback GET", "GET", "/v1/feedback", "", ``, 405, CodeMethodNotAllowed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.do(tt.method, tt.path, tt.ct, tt.body)
			if r.Status != tt.status {
				t.Errorf("status = %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			var body struct {
				Error struct {
					Code      string
					Message   string
					RequestID string
					Problems  []Problem
				}
			}
			decodeResp(t, r, &body)
			if body.Error.Code != tt.code || body.Error.Message == "" || body.Error.RequestID != "req-1" {
				t.Errorf("error = %+v, want code %s with a message and the request id", body.Error, tt.code)
			}
			if tt.field != "" {
				found := false
				for _, p := range body.Error.Problems {
					found = found || p.Field == tt.field && p.Expected != ""
				}
				if !found {
					t.Errorf("no problem names %q: %s", tt.field, r.Body)
				}
			}
			if tt.status == 405 && r.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}

func TestSourceOutageIs503NotTheClientsFault(t *testing.T) {
	env := newTestEnv(t, DefaultConfig())
	env.src.resolve = func(name, alias string) (int, error) { return 0, errors.New("registry: connection refused") }
	r := env.do("POST", "/v1/models/heart/predict", "application/json", `{"instances":[`+heartRow+`]}`)
	if r.Status != 503 || strings.Contains(string(r.Body), "connection refused") {
		t.Errorf("status %d body %s; want 503 without internals", r.Status, r.Body)
	}
}

func TestFeedbackIsStoredByPredictionID(t *testing.T) {
	env := newTestEnv(t, DefaultConfig())
	r := env.do("POST", "/v1/models/heart/predict", "application/json", `{"instances":[`+heartRow+`]}`)
	var pr predictResponse
	decodeResp(t, r, &pr)
	id := pr.Predictions[0].ID
	r = env.do("POST", "/v1/feedback", "application/json", `{"id":"`+id+`","label":0}`)
	if r.Status != 200 {
		t.Fatalf("feedback status %d: %s", r.Status, r.Body)
	}
	u, _ := uuidv7.Parse(id)
	pk, sk := capture.FeedbackKey(u)
	if pk != "FEEDBACK#2026-11-25" || sk != id {
		t.Errorf("key = %s/%s, want FEEDBACK#2026-11-25/%s", pk, sk, id)
	}
	rec, err := env.records.Get(context.Background(), pk, sk)
	if err != nil {
		t.Fatal(err)
	}
	var fb capture.Feedback
	if err := json.Unmarshal(rec.Body, &fb); err != nil || fb.ID != id || fb.Label != 0 || !fb.ReceivedAt.Equal(env.now) {
		t.Errorf("stored %s (%v), want id %s label 0 at %v", rec.Body, err, id, env.now)
	}
	// A correction replaces the label.
	env.do("POST", "/v1/feedback", "application/json", `{"label":1,"id":"`+id+`"}`)
	rec, _ = env.records.Get(context.Background(), pk, sk)
	if err := json.Unmarshal(rec.Body, &fb); err != nil || fb.Label != 1 {
		t.Errorf("after correction stored %s, want label 1", rec.Body)
	}
}

func TestFeedbackOnlyForIssuedIDs(t *testing.T) {
	env := newTestEnv(t, DefaultConfig())
	r := env.do("POST", "/v1/models/heart/predict", "application/json", `{"instances":[`+heartRow+`]}`)
	var pr predictResponse
	decodeResp(t, r, &pr)
	issued, _ := uuidv7.Parse(pr.Predictions[0].ID)
	madeUp := issued
	madeUp[15] ^= 0x55
	otherGen := make([]uuidv7.UUID, 1)
	if err := uuidv7.NewGen(func() time.Time { return env.now.Add(-time.Hour) }, nil).Fill(otherGen); err != nil {
		t.Fatal(err)
	}
	uuidv7.NewSigner([]byte("another data directory's key....")).Seal(&otherGen[0])
	tests := []struct {
		name   string
		id     uuidv7.UUID
		status int
	}{
		{"issued", issued, 200},
		{"issued id with a byte changed", madeUp, 404},
		{"a past UUIDv7 never issued", otherGen[0], 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.do("POST", "/v1/feedback", "application/json", `{"id":"`+tt.id.String()+`","label":1}`)
			if r.Status != tt.status {
				t.Fatalf("feedback = %d %s, want %d", r.Status, r.Body, tt.status)
			}
			pk, sk := capture.FeedbackKey(tt.id)
			_, err := env.records.Get(context.Background(), pk, sk)
			if stored := err == nil; stored != (tt.status == 200) {
				t.Errorf("stored = %v (%v), want %v", stored, err, tt.status == 200)
			}
		})
	}
}

func TestReadRoutes(t *testing.T) {
	env := newTestEnv(t, DefaultConfig())
	env.do("POST", "/v1/models/heart/predict", "application/json", `{"instances":[`+heartRow+`]}`)
	tests := []struct {
		path, want string
	}{
		{"/health", `{"status":"ok","models":[{"model":"heart","alias":"champion","version":1}]}`},
		{"/v1/models", `"aliases":{"challenger":2,"champion":1}`},
		{"/v1/models/heart", `"metrics":{"auc":0.9}`},
	}
	for _, tt := range tests {
		r := env.do("GET", tt.path, "", "")
		if r.Status != 200 || !strings.Contains(string(r.Body), tt.want) {
			t.Errorf("GET %s = %d %s, want 200 containing %s", tt.path, r.Status, r.Body, tt.want)
		}
	}
	r := env.do("GET", "/metrics", "", "")
	if r.Status != 200 || r.ContentType != ContentTypePrometheus {
		t.Fatalf("GET /metrics = %d %s", r.Status, r.ContentType)
	}
	for _, want := range []string{
		`steward_http_requests_total{route="/v1/models/{name}/predict",status="200"} 1`,
		`steward_model_version{model="heart",alias="champion"} 1`,
		`steward_prediction_probability_count{model="heart"} 1`,
		`steward_predictions_total{model="heart",version="1"} 1`,
		`steward_http_requests_total{route="/health",status="200"} 1`,
	} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("/metrics lacks %s:\n%s", want, r.Body)
		}
	}
}

func TestMetricsRouteNeedsAnExposer(t *testing.T) {
	h := NewHandler(DefaultConfig(), Deps{Models: NewCache(newFakeSource(), CacheConfig{}), Metrics: metrics.NewEMFRecorder(&strings.Builder{}, "X", nil)})
	r, _ := h.Serve(context.Background(), &httpedge.Request{Method: "GET", Path: "/metrics"})
	if r.Status != 404 {
		t.Errorf("GET /metrics with an EMF recorder = %d, want 404", r.Status)
	}
}

func TestCaptureReceivesEveryPrediction(t *testing.T) {
	env := newTestEnv(t, DefaultConfig())
	r := env.do("POST", "/v1/models/heart/predict?alias=challenger", "application/json", `{"instances":[`+heartRow+`,`+heartRow+`,`+heartRow+`]}`)
	var pr predictResponse
	decodeResp(t, r, &pr)
	if len(env.sink.caps) != 1 {
		t.Fatalf("%d captures, want 1", len(env.sink.caps))
	}
	c := env.sink.caps[0]
	if c.Model != "heart" || c.Version != 2 || c.Alias != "challenger" || c.RequestID != "req-1" || c.Len() != 3 || len(c.Rows) != 3*13 {
		t.Errorf("capture = %+v", c)
	}
	for i, p := range pr.Predictions {
		if c.IDs[i].String() != p.ID || c.Probs[i] != p.Probability {
			t.Errorf("capture %d = %s %v, response %s %v", i, c.IDs[i], c.Probs[i], p.ID, p.Probability)
		}
	}
}

func TestCaptureFailureIsNotAcknowledged(t *testing.T) {
	env := newTestEnv(t, DefaultConfig())
	env.sink.err = capture.ErrClosed
	r := env.do("POST", "/v1/models/heart/predict", "application/json", `{"instances":[`+heartRow+`]}`)
	if r.Status != 503 {
		t.Errorf("status %d with a failing capturer, want 503", r.Status)
	}
}

func TestCaptureSampling(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CaptureRate = 0.5
	env := newTestEnv(t, cfg)
	draws := []float64{0.1, 0.9, 0.4, 0.6}
	i := 0
	env.h.d.Rand = func() float64 { v := draws[i%len(draws)]; i++; return v }
	body := `{"instances":[` + heartRow + `,` + heartRow + `,` + heartRow + `,` + heartRow + `]}`
	var pr predictResponse
	decodeResp(t, env.do("POST", "/v1/models/heart/predict", "application/json", body), &pr)
	if len(env.sink.caps) != 1 || env.sink.caps[0].Len() != 2 {
		t.Fatalf("captures = %v, want one of 2 predictions", env.sink.caps)
	}
	c := env.sink.caps[0]
	if c.IDs[0].String() != pr.Predictions[0].ID || c.IDs[1].String() != pr.Predictions[2].ID || len(c.Rows) != 26 {
		t.Errorf("sampled %v, want predictions 0 and 2", c.IDs)
	}
}

func TestCompressedBodiesAreRefused(t *testing.T) {
	env := newTestEnv(t, DefaultConfig())
	for _, ce := range []string{"gzip", "br", " deflate"} {
		r, _ := env.h.Serve(context.Background(), &httpedge.Request{Method: "POST", Path: "/v1/models/heart/predict", Header: httpedge.Header{"Content-Type": {"application/json"}, "Content-Encoding": {ce}},
			Body: []byte(`{"instances":[` + heartRow + `]}`), RequestID: "req-1"})
		if r.Status != 415 || !strings.Contains(string(r.Body), `"field":"Content-Encoding"`) {
			t.Errorf("Content-Encoding %q: %d %s", ce, r.Status, r.Body)
		}
	}
	r, _ := env.h.Serve(context.Background(), &httpedge.Request{Method: "POST", Path: "/v1/models/heart/predict", Header: httpedge.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"identity"}},
		Body: []byte(`{"instances":[` + heartRow + `]}`), RequestID: "req-1"})
	if r.Status != 200 {
		t.Errorf("Content-Encoding identity: %d %s", r.Status, r.Body)
	}
}
