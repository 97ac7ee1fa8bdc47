package metrics

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A sample line of the text format: name, optional labels, a value.
var promLine = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN)$`)

func TestPrometheusExposition(t *testing.T) {
	p := NewPromRecorder()
	p.Observe(&Observation{Route: RoutePredict, Status: 200, Latency: 300 * time.Microsecond, Model: "heart", Version: 3, Alias: "champion", Probs: []float64{0.05, 0.5, 0.95}})
	p.Observe(&Observation{Route: RoutePredict, Status: 422, Latency: 2 * time.Millisecond})
	p.Observe(&Observation{Route: `we"ird\`, Status: 404, Latency: time.Second})
	p.AddGaugeFunc("steward_capture_pending", "Predictions waiting to be written.", func() float64 { return 7 })
	out := string(p.AppendPrometheus(nil))
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		if !promLine.MatchString(line) {
			t.Errorf("not a valid sample line: %q", line)
		}
	}
	for _, want := range []string{
		`steward_http_requests_total{route="/v1/models/{name}/predict",status="200"} 1`,
		`steward_http_requests_total{route="/v1/models/{name}/predict",status="422"} 1`,
		`steward_http_requests_total{route="we\"ird\\",status="404"} 1`,
		`steward_http_request_duration_seconds_bucket{route="/v1/models/{name}/predict",le="0.00025"} 0`,
		`steward_http_request_duration_seconds_bucket{route="/v1/models/{name}/predict",le="0.0005"} 1`,
		`steward_http_request_duration_seconds_bucket{route="/v1/models/{name}/predict",le="0.0025"} 2`,
		`steward_http_request_duration_seconds_bucket{route="/v1/models/{name}/predict",le="+Inf"} 2`,
		`steward_http_request_duration_seconds_sum{route="/v1/models/{name}/predict"} 0.0023`,
		`steward_http_request_duration_seconds_count{route="/v1/models/{name}/predict"} 2`,
		`steward_prediction_probability_bucket{model="heart",le="0.1"} 1`,
		`steward_prediction_probability_bucket{model="heart",le="0.5"} 2`,
		`steward_prediction_probability_bucket{model="heart",le="1"} 3`,
		`steward_prediction_probability_count{model="heart"} 3`,
		`steward_predictions_total{model="heart",version="3"} 3`,
		`steward_model_version{model="heart",alias="champion"} 3`,
		"# TYPE steward_http_request_duration_seconds histogram",
		"steward_capture_pending 7",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("exposition lacks %s", want)
		}
	}
}

func TestEMFLines(t *testing.T) {
	var buf bytes.Buffer
	now := time.UnixMilli(1764000000000)
	e := NewEMFRecorder(&buf, "Steward/Serving", func() time.Time { return now })
	probs := make([]float64, 250)
	for i := range probs {
		probs[i] = float64(i) / 250
	}
	e.Observe(&Observation{Route: RoutePredict, Status: 200, Latency: 1500 * time.Microsecond, Model: "heart", Version: 2, Probs: probs})
	e.Observe(&Observation{Route: RouteHealth, Status: 200, Latency: 10 * time.Microsecond})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 { // 100 + 100 + 50 probabilities, then the health line
		t.Fatalf("%d lines, want 4:\n%s", len(lines), buf.String())
	}
	type directive struct {
		Namespace  string
		Dimensions [][]string
		Metrics    []struct{ Name, Unit string }
	}
	var total int
	for i, line := range lines {
		var doc map[string]any
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		var meta struct {
			AWS struct {
				Timestamp         int64
				CloudWatchMetrics []directive
			} `json:"_aws"`
		}
		json.Unmarshal([]byte(line), &meta)
		if meta.AWS.Timestamp != now.UnixMilli() || len(meta.AWS.CloudWatchMetrics) == 0 {
			t.Errorf("line %d lacks the _aws metadata: %s", i, line)
		}
		// Every metric and dimension named in a directive is a root member.
		for _, d := range meta.AWS.CloudWatchMetrics {
			if d.Namespace != "Steward/Serving" {
				t.Errorf("namespace %q", d.Namespace)
			}
			for _, m := range d.Metrics {
				if _, ok := doc[m.Name]; !ok {
					t.Errorf("line %d: metric %s has no value", i, m.Name)
				}
			}
			for _, ds := range d.Dimensions {
				for _, dim := range ds {
					if _, ok := doc[dim].(string); !ok {
						t.Errorf("line %d: dimension %s is not a string member", i, dim)
					}
				}
			}
		}
		if ps, ok := doc["Probability"].([]any); ok {
			if len(ps) > 100 {
				t.Errorf("line %d carries %d values, EMF allows 100", i, len(ps))
			}
			total += len(ps)
		}
	}
	if total != 250 {
		t.Errorf("%d probabilities across lines, want 250", total)
	}
	if !strings.Contains(lines[0], `"Latency":1.5`) || !strings.Contains(lines[0], `"ModelVersion":2`) || !strings.Contains(lines[0], `"Status":"200"`) {
		t.Errorf("first line = %s", lines[0])
	}
}
