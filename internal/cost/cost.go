package cost

import (
	"errors"
	"fmt"
	"math"
)

// Front doors the model prices.
const (
	REST = "rest" // API Gateway REST API with API keys and usage plans (what the stack builds)
	HTTP = "http" // API Gateway HTTP API with a caching Lambda authorizer (not built)
)

// Prices are the unit prices the model uses (us-east-1 list prices as
// docs/cost.md dates them).
type Prices struct {
	LambdaGBSecond, LambdaRequest                   float64
	RESTRequest, HTTPRequest                        float64
	LogIngestGB, LogStoreGBMonth                    float64
	S3Put, S3Get, S3StandardGBMonth, S3IAGBMonth    float64
	S3IATransition                                  float64 // per object moved to Standard-IA
	CustomMetricMonth, AlarmMonth, SecretMonth      float64
	EventBridgeEvent                                float64
	IAMinObjectKB                                   float64 // Standard-IA bills each object as at least this size
	CloudWatchLogsKBPerGB, SecondsPerMonth, DaysPer float64
}

// ListPrices are the prices of docs/cost.md.
var ListPrices = Prices{
	LambdaGBSecond: 0.0000133334, LambdaRequest: 0.20e-6,
	RESTRequest: 3.50e-6, HTTPRequest: 1.00e-6,
	LogIngestGB: 0.50, LogStoreGBMonth: 0.03,
	S3Put: 0.005e-3, S3Get: 0.0004e-3, S3StandardGBMonth: 0.023, S3IAGBMonth: 0.0125,
	S3IATransition:    0.01e-3,
	CustomMetricMonth: 0.30, AlarmMonth: 0.10, SecretMonth: 0.40,
	EventBridgeEvent:      1.00e-6,
	IAMinObjectKB:         128,
	CloudWatchLogsKBPerGB: 1e6, SecondsPerMonth: 2_592_000, DaysPer: 30,
}

// Params are the traffic and the deployment's settings. Defaults fills
// what is zero.
type Params struct {
	PredictionsPerMonth float64
	API                 string  // REST or HTTP
	CaptureRate         float64 // share of predictions captured, 0..1 (serving.capture_rate)
	RowsPerRequest      float64 // instances per predict request; default 1

	// BatchLines is how many capture lines one log-subscription batch
	// carries, so one capture invocation and one S3 object: about 100 at
	// steady high traffic, a few at low traffic (unmeasured: a parameter).
	BatchLines float64
	// CaptureMonths is how many months of captures are kept (retention
	// 365 days: 12); the first month is Standard, older months IA.
	CaptureMonths float64

	PredictMemoryGB, PredictSeconds float64 // billed per request: 0.5 GB, 10 ms
	CaptureMemoryGB, CaptureSeconds float64 // per batch: 0.25 GB, 100 ms
	DriftMemoryGB, DriftSeconds     float64 // per check: 1 GB, 5 s
	DriftChecksPerMonth             float64 // drift.every 24h: 30
	DriftWindowDays                 float64 // drift.window: 7

	CaptureLineKB, AccessLogKB, EMFLineKB, RuntimeLinesKB float64 // bytes logged per request

	// EMFSeries is the number of custom metrics the predict function's
	// Embedded Metric Format lines create: Requests and Latency per
	// (route, status) seen, and Probability, ModelVersion and Predictions
	// per model. Default 2 × 4 routes × 4 statuses + 3 = 35.
	EMFSeries float64
	// Alarms and Secrets are what the stack creates: 34 and 2.
	Alarms, Secrets float64
	// AuthorizerTTLSeconds and APIKeys size the HTTP API's authorizer
	// invocations: one per key per cache period.
	AuthorizerTTLSeconds, APIKeys float64
}

// Defaults returns p with every zero setting at the deployment's default.
func (p Params) Defaults() Params {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if p.API == "" {
		p.API = REST
	}
	def(&p.RowsPerRequest, 1)
	def(&p.BatchLines, 100)
	def(&p.CaptureMonths, 1)
	def(&p.PredictMemoryGB, 0.5)
	def(&p.PredictSeconds, 0.010)
	def(&p.CaptureMemoryGB, 0.25)
	def(&p.CaptureSeconds, 0.1)
	def(&p.DriftMemoryGB, 1)
	def(&p.DriftSeconds, 5)
	def(&p.DriftChecksPerMonth, 30)
	def(&p.DriftWindowDays, 7)
	def(&p.CaptureLineKB, 1.0)
	def(&p.AccessLogKB, 0.25)
	def(&p.EMFLineKB, 0.3)
	def(&p.RuntimeLinesKB, 0.3)
	def(&p.EMFSeries, 35)
	def(&p.Alarms, 34)
	def(&p.Secrets, 2)
	def(&p.AuthorizerTTLSeconds, 300)
	def(&p.APIKeys, 10)
	return p
}

// ErrParams reports parameters the model cannot price.
var ErrParams = errors.New("cost: bad parameters")

// Line is one item of the monthly bill.
type Line struct {
	Item    string  // what is billed
	Formula string  // how, with the numbers
	Dollars float64 // per month
}

// Estimate is the monthly bill of one deployment at one traffic.
type Estimate struct {
	Params Params
	Lines  []Line
}

// Total is the sum of the lines.
func (e Estimate) Total() float64 {
	t := 0.0
	for _, l := range e.Lines {
		t += l.Dollars
	}
	return t
}

// PerMillion is the total per million predictions (NaN without traffic).
func (e Estimate) PerMillion() float64 {
	if e.Params.PredictionsPerMonth == 0 {
		return math.NaN()
	}
	return e.Total() / (e.Params.PredictionsPerMonth / 1e6)
}

// Compute prices p (after Defaults) at prices pr. Errors wrap ErrParams.
func Compute(p Params, pr Prices) (Estimate, error) {
	p = p.Defaults()
	switch {
	case p.API != REST && p.API != HTTP:
		return Estimate{}, fmt.Errorf("%w: api %q, want %s or %s", ErrParams, p.API, REST, HTTP)
	case p.PredictionsPerMonth < 0 || math.IsNaN(p.PredictionsPerMonth) || math.IsInf(p.PredictionsPerMonth, 0):
		return Estimate{}, fmt.Errorf("%w: predictions per month %v, want a non-negative number", ErrParams, p.PredictionsPerMonth)
	case p.CaptureRate < 0 || p.CaptureRate > 1:
		return Estimate{}, fmt.Errorf("%w: capture rate %v, want 0 to 1", ErrParams, p.CaptureRate)
	case p.BatchLines < 1 || p.RowsPerRequest < 1 || p.CaptureMonths < 1:
		return Estimate{}, fmt.Errorf("%w: batch lines, rows per request and capture months must be at least 1", ErrParams)
	}
	e := Estimate{Params: p}
	add := func(item string, dollars float64, format string, args ...any) {
		e.Lines = append(e.Lines, Line{Item: item, Formula: fmt.Sprintf(format, args...), Dollars: dollars})
	}
	n := p.PredictionsPerMonth
	requests := n / p.RowsPerRequest
	captured := n * p.CaptureRate
	batches := math.Ceil(captured / p.BatchLines)

	if p.API == REST {
		add("API Gateway REST requests", requests*pr.RESTRequest, "%s requests × $%.2f/M", count(requests), pr.RESTRequest*1e6)
	} else {
		add("API Gateway HTTP requests", requests*pr.HTTPRequest, "%s requests × $%.2f/M", count(requests), pr.HTTPRequest*1e6)
		auth := math.Min(requests, p.APIKeys*pr.SecondsPerMonth/p.AuthorizerTTLSeconds)
		add("Key authorizer (Lambda, cached)", auth*(pr.LambdaRequest+0.128*0.005*pr.LambdaGBSecond),
			"≤ %g keys × one call per %g s cache period = %s calls × ($0.20/M + 5 ms at 128 MB)", p.APIKeys, p.AuthorizerTTLSeconds, count(auth))
	}
	add("Predict function requests", requests*pr.LambdaRequest, "%s × $0.20/M", count(requests))
	gbs := requests * p.PredictSeconds * p.PredictMemoryGB
	add("Predict function compute", gbs*pr.LambdaGBSecond, "%s × %g s × %g GB = %s GB-s × $%.10g", count(requests), p.PredictSeconds, p.PredictMemoryGB, count(gbs), pr.LambdaGBSecond)

	logKB := requests*(p.AccessLogKB+p.EMFLineKB+p.RuntimeLinesKB) + captured*p.CaptureLineKB
	logGB := logKB / pr.CloudWatchLogsKBPerGB
	add("Log ingestion: access, EMF, runtime lines", requests*(p.AccessLogKB+p.EMFLineKB+p.RuntimeLinesKB)/pr.CloudWatchLogsKBPerGB*pr.LogIngestGB,
		"%s × (%g + %g + %g) KB × $%.2f/GB", count(requests), p.AccessLogKB, p.EMFLineKB, p.RuntimeLinesKB, pr.LogIngestGB)
	add("Log ingestion: capture lines", captured*p.CaptureLineKB/pr.CloudWatchLogsKBPerGB*pr.LogIngestGB,
		"%s captured × %g KB × $%.2f/GB", count(captured), p.CaptureLineKB, pr.LogIngestGB)
	add("Log storage (30-day retention)", logGB*pr.LogStoreGBMonth, "%.1f GB × $%.2f/GB-month", logGB, pr.LogStoreGBMonth)
	add("EMF custom metrics", p.EMFSeries*pr.CustomMetricMonth, "%g metrics × $%.2f/metric-month (fixed once traffic reaches every route and status)", p.EMFSeries, pr.CustomMetricMonth)

	add("Capture function", batches*(pr.LambdaRequest+p.CaptureSeconds*p.CaptureMemoryGB*pr.LambdaGBSecond),
		"%s batches of %g lines × ($0.20/M + %g s × %g GB)", count(batches), p.BatchLines, p.CaptureSeconds, p.CaptureMemoryGB)
	add("Capture PUTs", batches*pr.S3Put, "%s objects × $%.3f/1,000", count(batches), pr.S3Put*1e3)
	monthGB := captured * p.CaptureLineKB / 1e6
	add("Capture storage, this month (Standard)", monthGB*pr.S3StandardGBMonth, "%.1f GB × $%.3f/GB-month", monthGB, pr.S3StandardGBMonth)
	objKB := math.Max(p.BatchLines*p.CaptureLineKB, pr.IAMinObjectKB)
	if p.CaptureMonths > 1 {
		add("IA transitions", batches*pr.S3IATransition, "%s objects × $%.2f/1,000 after 30 days", count(batches), pr.S3IATransition*1e3)
		iaGB := (p.CaptureMonths - 1) * batches * objKB / 1e6
		add("Capture storage, older months (IA)", iaGB*pr.S3IAGBMonth, "%g months × %s objects × max(%g KB, %g KB minimum) = %.1f GB × $%.4f/GB-month",
			p.CaptureMonths-1, count(batches), p.BatchLines*p.CaptureLineKB, pr.IAMinObjectKB, iaGB, pr.S3IAGBMonth)
	}

	windowObjects := batches * p.DriftWindowDays / pr.DaysPer
	add("Drift reads", p.DriftChecksPerMonth*windowObjects*pr.S3Get, "%g checks × %s objects in a %g-day window × $%.4f/1,000 GETs",
		p.DriftChecksPerMonth, count(windowObjects), p.DriftWindowDays, pr.S3Get*1e3)
	driftGBs := p.DriftChecksPerMonth * p.DriftSeconds * p.DriftMemoryGB
	add("Drift function", driftGBs*pr.LambdaGBSecond+p.DriftChecksPerMonth*(pr.LambdaRequest+pr.EventBridgeEvent),
		"%g checks × %g s × %g GB (the window's %s rows: today's check reads every one)", p.DriftChecksPerMonth, p.DriftSeconds, p.DriftMemoryGB, count(captured*p.DriftWindowDays/pr.DaysPer))

	add("CloudWatch alarms", p.Alarms*pr.AlarmMonth, "%g alarms × $%.2f", p.Alarms, pr.AlarmMonth)
	add("Secrets Manager", p.Secrets*pr.SecretMonth, "%g secrets × $%.2f", p.Secrets, pr.SecretMonth)
	return e, nil
}

// count writes a number of things compactly: 100M, 2.5k, 730.
func count(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return trim(v/1e9) + "G"
	case a >= 1e6:
		return trim(v/1e6) + "M"
	case a >= 1e4:
		return trim(v/1e3) + "k"
	}
	return trim(v)
}

func trim(v float64) string { return fmt.Sprintf("%.3g", v) }
