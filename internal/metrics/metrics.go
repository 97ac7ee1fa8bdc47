package metrics

import (
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stewardml/steward/internal/jsonappend"
)

// Route templates, the "route" label of the request metrics.
const (
	RouteModels   = "/v1/models"
	RouteModel    = "/v1/models/{name}"
	RoutePredict  = "/v1/models/{name}/predict"
	RouteFeedback = "/v1/feedback"
	RouteHealth   = "/health"
	RouteMetrics  = "/metrics"
	RouteOther    = "other"
	// RouteGateway labels the answers the local gateway gives itself: a
	// refused API key, a body over its limit, a malformed request, a
	// handler that failed.
	RouteGateway = "gateway"
)

// Observation is what one request contributes to the metrics.
type Observation struct {
	Route   string
	Status  int
	Latency time.Duration
	// Model, Version and Alias name the model that served a prediction
	// request (empty otherwise); Probs are its predicted probabilities.
	Model   string
	Version int
	Alias   string
	Probs   []float64
}

// Recorder receives one Observation per request. Observe must be fast and
// must not retain o or its slices.
//
// Implementations are safe for concurrent use.
type Recorder interface {
	Observe(o *Observation)
}

// Exposer is a Recorder that can render its figures in the Prometheus
// text exposition format (version 0.0.4); the handler serves GET /metrics
// only when its Recorder is one.
type Exposer interface {
	AppendPrometheus(b []byte) []byte
}

// LatencyBuckets are the upper bounds, in seconds, of the request latency
// histogram: 50 µs to 10 s.
var LatencyBuckets = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// ProbabilityBuckets are the upper bounds of the prediction-probability
// histogram.
var ProbabilityBuckets = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}

// histogram is a lock-free Prometheus histogram.
type histogram struct {
	bounds []float64
	counts []atomic.Uint64 // per bucket, not cumulative; last is +Inf
	count  atomic.Uint64
	sum    atomic.Uint64 // float64 bits
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v: "le" semantics
	h.counts[i].Add(1)
	h.count.Add(1)
	for {
		old := h.sum.Load()
		if h.sum.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// PromRecorder keeps request, latency, probability and model-version
// figures in memory for GET /metrics. Counters are hand-written atomics
// rather than prometheus/client_golang: the exposition format is a few
// lines of text, the hot path stays allocation-free, and the Lambda
// bootstrap carries no metrics library (EMFRecorder covers Lambda).
//
// It is safe for concurrent use.
type PromRecorder struct {
	requests sync.Map // reqKey -> *atomic.Uint64
	latency  sync.Map // route -> *histogram
	probs    sync.Map // model -> *histogram
	versions sync.Map // modelAlias -> *atomic.Int64
	preds    sync.Map // modelVersion -> *atomic.Uint64

	mu     sync.Mutex
	extras []extraMetric
}

type reqKey struct {
	route  string
	status int
}

type modelAlias struct{ model, alias string }

type modelVersion struct {
	model   string
	version int
}

type extraMetric struct {
	name, help, typ string
	value           func() float64
}

// NewPromRecorder returns an empty recorder.
func NewPromRecorder() *PromRecorder { return &PromRecorder{} }

// Observe adds one request.
func (p *PromRecorder) Observe(o *Observation) {
	k := reqKey{o.Route, o.Status}
	c, ok := p.requests.Load(k)
	if !ok {
		c, _ = p.requests.LoadOrStore(k, new(atomic.Uint64))
	}
	c.(*atomic.Uint64).Add(1)
	h, ok := p.latency.Load(o.Route)
	if !ok {
		h, _ = p.latency.LoadOrStore(o.Route, newHistogram(LatencyBuckets))
	}
	h.(*histogram).observe(o.Latency.Seconds())
	if o.Model == "" || len(o.Probs) == 0 {
		return
	}
	ph, ok := p.probs.Load(o.Model)
	if !ok {
		ph, _ = p.probs.LoadOrStore(o.Model, newHistogram(ProbabilityBuckets))
	}
	for _, v := range o.Probs {
		ph.(*histogram).observe(v)
	}
	mv := modelVersion{o.Model, o.Version}
	pc, ok := p.preds.Load(mv)
	if !ok {
		pc, _ = p.preds.LoadOrStore(mv, new(atomic.Uint64))
	}
	pc.(*atomic.Uint64).Add(uint64(len(o.Probs)))
	if o.Alias != "" {
		ma := modelAlias{o.Model, o.Alias}
		g, ok := p.versions.Load(ma)
		if !ok {
			g, _ = p.versions.LoadOrStore(ma, new(atomic.Int64))
		}
		g.(*atomic.Int64).Store(int64(o.Version))
	}
}

// AddCounterFunc adds a counter read from f at each exposition (for
// example the capture writer's counts). name must be a valid metric name.
func (p *PromRecorder) AddCounterFunc(name, help string, f func() float64) {
	p.mu.Lock()
	p.extras = append(p.extras, extraMetric{name, help, "counter", f})
	p.mu.Unlock()
}

// AddGaugeFunc adds a gauge read from f at each exposition.
func (p *PromRecorder) AddGaugeFunc(name, help string, f func() float64) {
	p.mu.Lock()
	p.extras = append(p.extras, extraMetric{name, help, "gauge", f})
	p.mu.Unlock()
}

// AppendPrometheus appends the text exposition (format 0.0.4), families
// and series in a stable order.
func (p *PromRecorder) AppendPrometheus(b []byte) []byte {
	// Requests by route and status.
	var reqs []reqKey
	p.requests.Range(func(k, _ any) bool { reqs = append(reqs, k.(reqKey)); return true })
	sort.Slice(reqs, func(i, j int) bool {
		if reqs[i].route != reqs[j].route {
			return reqs[i].route < reqs[j].route
		}
		return reqs[i].status < reqs[j].status
	})
	b = header(b, "steward_http_requests_total", "Requests answered, by route template and HTTP status.", "counter")
	for _, k := range reqs {
		c, _ := p.requests.Load(k)
		b = append(b, "steward_http_requests_total{route="...)
		b = appendLabel(b, k.route)
		b = append(b, ",status=\""...)
		b = strconv.AppendInt(b, int64(k.status), 10)
		b = append(b, "\"} "...)
		b = strconv.AppendUint(b, c.(*atomic.Uint64).Load(), 10)
		b = append(b, '\n')
	}

	b = header(b, "steward_http_request_duration_seconds", "Time from request to response inside the handler, by route template.", "histogram")
	for _, route := range sortedKeys(&p.latency) {
		h, _ := p.latency.Load(route)
		b = appendHistogram(b, "steward_http_request_duration_seconds", "route", route, h.(*histogram))
	}

	b = header(b, "steward_prediction_probability", "Predicted probabilities of the positive class, by model.", "histogram")
	for _, model := range sortedKeys(&p.probs) {
		h, _ := p.probs.Load(model)
		b = appendHistogram(b, "steward_prediction_probability", "model", model, h.(*histogram))
	}

	var mvs []modelVersion
	p.preds.Range(func(k, _ any) bool { mvs = append(mvs, k.(modelVersion)); return true })
	sort.Slice(mvs, func(i, j int) bool {
		if mvs[i].model != mvs[j].model {
			return mvs[i].model < mvs[j].model
		}
		return mvs[i].version < mvs[j].version
	})
	b = header(b, "steward_predictions_total", "Predictions made, by model and version.", "counter")
	for _, k := range mvs {
		c, _ := p.preds.Load(k)
		b = append(b, "steward_predictions_total{model="...)
		b = appendLabel(b, k.model)
		b = append(b, ",version=\""...)
		b = strconv.AppendInt(b, int64(k.version), 10)
		b = append(b, "\"} "...)
		b = strconv.AppendUint(b, c.(*atomic.Uint64).Load(), 10)
		b = append(b, '\n')
	}

	var mas []modelAlias
	p.versions.Range(func(k, _ any) bool { mas = append(mas, k.(modelAlias)); return true })
	sort.Slice(mas, func(i, j int) bool {
		if mas[i].model != mas[j].model {
			return mas[i].model < mas[j].model
		}
		return mas[i].alias < mas[j].alias
	})
	b = header(b, "steward_model_version", "Version that served the latest prediction through each alias.", "gauge")
	for _, k := range mas {
		g, _ := p.versions.Load(k)
		b = append(b, "steward_model_version{model="...)
		b = appendLabel(b, k.model)
		b = append(b, ",alias="...)
		b = appendLabel(b, k.alias)
		b = append(b, "} "...)
		b = strconv.AppendInt(b, g.(*atomic.Int64).Load(), 10)
		b = append(b, '\n')
	}

	p.mu.Lock()
	extras := append([]extraMetric(nil), p.extras...)
	p.mu.Unlock()
	for _, e := range extras {
		b = header(b, e.name, e.help, e.typ)
		b = append(b, e.name...)
		b = append(b, ' ')
		b = appendPromFloat(b, e.value())
		b = append(b, '\n')
	}
	return b
}

func sortedKeys(m *sync.Map) []string {
	var out []string
	m.Range(func(k, _ any) bool { out = append(out, k.(string)); return true })
	sort.Strings(out)
	return out
}

func header(b []byte, name, help, typ string) []byte {
	b = append(b, "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, help...)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, typ...)
	return append(b, '\n')
}

func appendHistogram(b []byte, name, label, value string, h *histogram) []byte {
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		b = append(b, name...)
		b = append(b, "_bucket{"...)
		b = append(b, label...)
		b = append(b, '=')
		b = appendLabel(b, value)
		b = append(b, ",le=\""...)
		if i < len(h.bounds) {
			b = appendPromFloat(b, h.bounds[i])
		} else {
			b = append(b, "+Inf"...)
		}
		b = append(b, "\"} "...)
		b = strconv.AppendUint(b, cum, 10)
		b = append(b, '\n')
	}
	for _, part := range [...]string{"_sum", "_count"} {
		b = append(b, name...)
		b = append(b, part...)
		b = append(b, '{')
		b = append(b, label...)
		b = append(b, '=')
		b = appendLabel(b, value)
		b = append(b, "} "...)
		if part == "_sum" {
			b = appendPromFloat(b, math.Float64frombits(h.sum.Load()))
		} else {
			// The +Inf bucket is the count; reading it keeps the two equal.
			b = strconv.AppendUint(b, cum, 10)
		}
		b = append(b, '\n')
	}
	return b
}

func appendPromFloat(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendLabel appends a quoted label value, escaped as the format asks.
func appendLabel(b []byte, v string) []byte {
	b = append(b, '"')
	b = append(b, strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)...)
	return append(b, '"')
}

// EMFRecorder writes each Observation as a CloudWatch Embedded Metric
// Format log line, so that on Lambda CloudWatch extracts the same figures
// the local /metrics shows: Requests and Latency by Route and Status,
// Probability (as value arrays, at most 100 per line) and ModelVersion by
// Model.
//
// It is safe for concurrent use.
type EMFRecorder struct {
	Namespace string
	now       func() time.Time
	mu        sync.Mutex
	w         io.Writer
	buf       []byte
}

// NewEMFRecorder returns a recorder writing to w (stdout on Lambda) under
// namespace; now nil means time.Now.
func NewEMFRecorder(w io.Writer, namespace string, now func() time.Time) *EMFRecorder {
	if now == nil {
		now = time.Now
	}
	return &EMFRecorder{Namespace: namespace, now: now, w: w}
}

// emfMaxValues is the most values one EMF metric may carry in one line.
const emfMaxValues = 100

// Observe writes the observation's lines. Write errors are dropped: a
// metric line is not worth failing a request for.
func (e *EMFRecorder) Observe(o *Observation) {
	ts := e.now().UnixMilli()
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.buf[:0]
	b = append(b, `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, `,"CloudWatchMetrics":[{"Namespace":`...)
	b = jsonappend.String(b, e.Namespace)
	b = append(b, `,"Dimensions":[["Route","Status"]],"Metrics":[{"Name":"Requests","Unit":"Count"},{"Name":"Latency","Unit":"Milliseconds"}]}`...)
	probs := o.Probs
	first := probs
	if len(first) > emfMaxValues {
		first = first[:emfMaxValues]
	}
	withModel := o.Model != "" && len(probs) > 0
	if withModel {
		b = append(b, `,{"Namespace":`...)
		b = jsonappend.String(b, e.Namespace)
		b = append(b, `,"Dimensions":[["Model"]],"Metrics":[{"Name":"Probability","Unit":"None"},{"Name":"ModelVersion","Unit":"None"},{"Name":"Predictions","Unit":"Count"}]}`...)
	}
	b = append(b, `]},"Route":`...)
	b = jsonappend.String(b, o.Route)
	b = append(b, `,"Status":"`...)
	b = strconv.AppendInt(b, int64(o.Status), 10)
	b = append(b, `","Requests":1,"Latency":`...)
	b = strconv.AppendFloat(b, float64(o.Latency.Microseconds())/1000, 'f', -1, 64)
	if withModel {
		b = append(b, `,"Model":`...)
		b = jsonappend.String(b, o.Model)
		b = append(b, `,"ModelVersion":`...)
		b = strconv.AppendInt(b, int64(o.Version), 10)
		b = append(b, `,"Predictions":`...)
		b = strconv.AppendInt(b, int64(len(probs)), 10)
		b = appendProbArray(b, first)
	}
	b = append(b, "}\n"...)
	// Further probabilities go on lines of their own, 100 at a time.
	for rest := probs[len(first):]; withModel && len(rest) > 0; {
		chunk := rest[:min(len(rest), emfMaxValues)]
		rest = rest[len(chunk):]
		b = append(b, `{"_aws":{"Timestamp":`...)
		b = strconv.AppendInt(b, ts, 10)
		b = append(b, `,"CloudWatchMetrics":[{"Namespace":`...)
		b = jsonappend.String(b, e.Namespace)
		b = append(b, `,"Dimensions":[["Model"]],"Metrics":[{"Name":"Probability","Unit":"None"}]}]},"Model":`...)
		b = jsonappend.String(b, o.Model)
		b = appendProbArray(b, chunk)
		b = append(b, "}\n"...)
	}
	e.buf = b
	_, _ = e.w.Write(b)
}

func appendProbArray(b []byte, probs []float64) []byte {
	b = append(b, `,"Probability":[`...)
	for i, v := range probs {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonappend.Float(b, v)
	}
	return append(b, ']')
}
