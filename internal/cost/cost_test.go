package cost

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func lineOf(t *testing.T, e Estimate, item string) float64 {
	t.Helper()
	for _, l := range e.Lines {
		if l.Item == item {
			return l.Dollars
		}
	}
	t.Fatalf("no line %q in %v", item, e.Lines)
	return 0
}

// The figures docs/cost.md works out at 100M one-row predictions a month,
// every one captured, with a year of captures kept.
func TestHundredMillionPredictionsAMonth(t *testing.T) {
	rest, err := Compute(Params{PredictionsPerMonth: 100e6, API: REST, CaptureRate: 1, CaptureMonths: 12}, ListPrices)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		item string
		want float64
	}{
		{"API Gateway REST requests", 350},
		{"Predict function requests", 20},
		{"Predict function compute", 6.6667},
		{"Log ingestion: access, EMF, runtime lines", 42.5},
		{"Log ingestion: capture lines", 50},
		{"EMF custom metrics", 10.5},
		{"Capture PUTs", 5},
		{"IA transitions", 10},
		{"Capture storage, older months (IA)", 11 * 1e6 * 128 / 1e6 * 0.0125},
		{"Drift reads", 30 * 1e6 * 7 / 30 * 0.0004e-3},
		{"CloudWatch alarms", 3.4},
	} {
		if got := lineOf(t, rest, tc.item); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("%s = %.4f, want %.4f", tc.item, got, tc.want)
		}
	}
	if got := rest.PerMillion(); got < 5.0 || got > 5.4 {
		t.Errorf("REST: $%.2f per million, want about $5.2", got)
	}
	http, err := Compute(Params{PredictionsPerMonth: 100e6, API: HTTP, CaptureRate: 1, CaptureMonths: 12}, ListPrices)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lineOf(t, http, "API Gateway HTTP requests"), 100.0; got != want {
		t.Errorf("HTTP requests = %v, want %v", got, want)
	}
	if d := rest.Total() - http.Total(); math.Abs(d-250) > 1 {
		t.Errorf("HTTP saves $%.2f a month, want about $250 (the request price) less the authorizer", d)
	}
	// Honest about the target: even the HTTP front door misses $1.50/M,
	// because log ingestion alone is $0.925/M.
	if got := http.PerMillion(); got <= 1.50 {
		t.Errorf("HTTP: $%.2f per million; the model claims the target it does not meet", got)
	}
}

// Small batches multiply the capture path: at 3 lines a batch a capture
// object and invocation per 3 predictions.
func TestBatchSizeDrivesCaptureRequests(t *testing.T) {
	big, _ := Compute(Params{PredictionsPerMonth: 1e6, CaptureRate: 1}, ListPrices)
	small, _ := Compute(Params{PredictionsPerMonth: 1e6, CaptureRate: 1, BatchLines: 3}, ListPrices)
	if r := lineOf(t, small, "Capture PUTs") / lineOf(t, big, "Capture PUTs"); math.Abs(r-100.0/3) > 0.1 {
		t.Errorf("PUTs at 3 lines a batch are %.1f× those at 100, want 33.3×", r)
	}
}

func TestCaptureRateScalesCaptureLinesOnly(t *testing.T) {
	full, _ := Compute(Params{PredictionsPerMonth: 1e6, CaptureRate: 1}, ListPrices)
	tenth, _ := Compute(Params{PredictionsPerMonth: 1e6, CaptureRate: 0.1}, ListPrices)
	if a, b := lineOf(t, full, "Log ingestion: capture lines"), lineOf(t, tenth, "Log ingestion: capture lines"); math.Abs(a/b-10) > 1e-9 {
		t.Errorf("capture ingestion %v at 100%%, %v at 10%%", a, b)
	}
	if a, b := lineOf(t, full, "API Gateway REST requests"), lineOf(t, tenth, "API Gateway REST requests"); a != b {
		t.Errorf("the capture rate changed the request line")
	}
}

func TestEveryLineShowsItsFormula(t *testing.T) {
	e, _ := Compute(Params{PredictionsPerMonth: 1e6, API: HTTP, CaptureRate: 1, CaptureMonths: 12}, ListPrices)
	for _, l := range e.Lines {
		if l.Formula == "" || strings.Contains(l.Formula, "%!") || l.Dollars < 0 || math.IsNaN(l.Dollars) {
			t.Errorf("line %+v", l)
		}
	}
}

func TestBadParametersAreRefused(t *testing.T) {
	for _, p := range []Params{
		{PredictionsPerMonth: 1, API: "graphql"},
		{PredictionsPerMonth: -1},
		{PredictionsPerMonth: 1, CaptureRate: 1.5},
		{PredictionsPerMonth: math.NaN()},
	} {
		if _, err := Compute(p, ListPrices); !errors.Is(err, ErrParams) {
			t.Errorf("%+v: error %v, want ErrParams", p, err)
		}
	}
}

// docs/cost.md's worked example is Compute's, line by line.
func TestTheDocumentShowsTheModelsFigures(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "cost.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	rest, _ := Compute(Params{PredictionsPerMonth: 100e6, API: REST, CaptureRate: 1, CaptureMonths: 12}, ListPrices)
	for _, l := range rest.Lines {
		item := l.Item
		if item == "Drift function" {
			item = "Drift function (as modelled)"
		}
		if row := fmt.Sprintf("| %s | %.2f |", item, l.Dollars); !strings.Contains(doc, row) {
			t.Errorf("docs/cost.md lacks the row %q", row)
		}
	}
	http, _ := Compute(Params{PredictionsPerMonth: 100e6, API: HTTP, CaptureRate: 1, CaptureMonths: 12}, ListPrices)
	first, _ := Compute(Params{PredictionsPerMonth: 100e6, API: REST, CaptureRate: 1}, ListPrices)
	sampled, _ := Compute(Params{PredictionsPerMonth: 100e6, API: HTTP, CaptureRate: 0.1, CaptureMonths: 12}, ListPrices)
	for _, want := range []string{
		fmt.Sprintf("**%.2f ($%.2f per million)**", rest.Total(), rest.PerMillion()),
		fmt.Sprintf("$%.2f\n($%.2f per million)**", http.Total(), http.PerMillion()),
		fmt.Sprintf("$%.2f ($%.2f per\nmillion)", first.Total(), first.PerMillion()),
		fmt.Sprintf("$%.2f per million", sampled.PerMillion()),
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs/cost.md lacks %q", want)
		}
	}
}
