package serving

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/stewardml/steward/internal/store"
)

// Capture is one request's captured predictions, as a Capturer receives
// them. The capturer takes ownership of the slices.
type Capture struct {
	Model     string
	Version   int
	Alias     string // empty when the request named a version
	RequestID string
	Time      time.Time     // when the predictions were made
	Latency   time.Duration // request start to scores ready
	Features  *FeatureSet
	Threshold float64
	Rows      []float64 // len(IDs) rows of Features.Len() values
	IDs       []UUID
	Probs     []float64
}

// Len returns the number of predictions.
func (c *Capture) Len() int { return len(c.IDs) }

// Capturer records predictions for drift checks, reports and performance
// monitoring. Capture must return quickly (it is on the request path) and
// must not lose what it accepted: an error means the predictions were not
// recorded, and the handler then answers 503 rather than acknowledge them.
//
// Implementations are safe for concurrent use.
type Capturer interface {
	Capture(c *Capture) error
}

// CaptureKey returns the artifact key of a capture file:
// captures/{model}/dt=YYYY-MM-DD/hour=HH/{file}.jsonl, with the date and
// hour of t in UTC.
func CaptureKey(model string, t time.Time, file string) string {
	return CapturePrefix(model, t) + file + ".jsonl"
}

// CapturePrefix returns captures/{model}/dt=YYYY-MM-DD/hour=HH/ for t in UTC.
func CapturePrefix(model string, t time.Time) string {
	t = t.UTC()
	return "captures/" + model + "/dt=" + t.Format(time.DateOnly) + "/hour=" + fmt.Sprintf("%02d", t.Hour()) + "/"
}

// CaptureLine is one line of a capture file, for readers (drift checks,
// reports); AppendCaptureLines writes the same fields.
type CaptureLine struct {
	Kind        string              `json:"kind"` // always "capture"
	ID          string              `json:"id"`
	Time        time.Time           `json:"time"`
	RequestID   string              `json:"requestId"`
	Model       string              `json:"model"`
	Version     int                 `json:"version"`
	Alias       string              `json:"alias,omitempty"`
	LatencyMs   float64             `json:"latencyMs"`
	Inputs      map[string]*float64 `json:"inputs"` // nil for a missing value
	Probability float64             `json:"probability"`
	Label       int                 `json:"label"`
}

// AppendCaptureLines appends one JSON line per prediction of c to b.
func AppendCaptureLines(b []byte, c *Capture) []byte {
	nf := c.Features.Len()
	ts := c.Time.UTC()
	for i := range c.IDs {
		b = append(b, `{"kind":"capture","id":"`...)
		b = c.IDs[i].Append(b)
		b = append(b, `","time":"`...)
		b = ts.AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
		b = append(b, `","requestId":`...)
		b = appendJSONString(b, c.RequestID)
		b = append(b, `,"model":`...)
		b = appendJSONString(b, c.Model)
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, int64(c.Version), 10)
		if c.Alias != "" {
			b = append(b, `,"alias":`...)
			b = appendJSONString(b, c.Alias)
		}
		b = append(b, `,"latencyMs":`...)
		b = strconv.AppendFloat(b, float64(c.Latency.Microseconds())/1000, 'f', -1, 64)
		b = append(b, `,"inputs":{`...)
		row := c.Rows[i*nf : (i+1)*nf]
		for j, v := range row {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, c.Features.keys[j]...)
			b = appendJSONFloat(b, v)
		}
		b = append(b, `},"probability":`...)
		b = appendJSONFloat(b, c.Probs[i])
		b = append(b, `,"label":`...)
		if c.Probs[i] >= c.Threshold {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
		b = append(b, "}\n"...)
	}
	return b
}

// appendJSONFloat appends v, or null when it is not finite (a missing input).
//
// Whole numbers under a million, most inputs of a tabular model, take a
// shortcut: strconv.AppendInt writes the very digits AppendFloat's 'g'
// format would (it switches to an exponent only from 1e6 on), several
// times faster.
func appendJSONFloat(b []byte, v float64) []byte {
	if v > -1e6 && v < 1e6 && v == math.Trunc(v) && (v != 0 || !math.Signbit(v)) {
		return strconv.AppendInt(b, int64(v), 10)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x80 {
			i++
			continue
		}
		if c >= 0x80 { // keep valid UTF-8, replace invalid bytes
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// LogCapturer writes capture lines to a log stream (on Lambda, stdout,
// which the runtime ships to CloudWatch Logs before the invocation ends;
// a subscription filter on "kind":"capture" forwards them to the artifact
// store). Capture writes synchronously, so an acknowledged prediction is
// already in the log.
type LogCapturer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewLogCapturer returns a capturer that writes to w.
func NewLogCapturer(w io.Writer) *LogCapturer { return &LogCapturer{w: w} }

// Capture writes c's lines with one Write call.
func (l *LogCapturer) Capture(c *Capture) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = AppendCaptureLines(l.buf[:0], c)
	if _, err := l.w.Write(l.buf); err != nil {
		return fmt.Errorf("serving: write captures to the log: %w", err)
	}
	return nil
}

// BatchWriterConfig configures a BatchWriter.
type BatchWriterConfig struct {
	// FlushInterval is the longest a capture waits before it is written;
	// 0 means 1 s.
	FlushInterval time.Duration
	// FlushRows triggers an early flush when that many predictions are
	// waiting; 0 means 5000.
	FlushRows int
	// MaxPendingRows bounds memory: Capture blocks (it never drops) while
	// that many predictions are not yet written; 0 means 200000.
	MaxPendingRows int
	// IDs names the capture files; nil means a fresh NewIDGen(Now, nil).
	IDs *IDGen
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives write failures; nil discards them.
	Logger *slog.Logger
}

// BatchWriter buffers captures in memory and writes them in batches, off
// the request path, to the artifact store: one JSON-lines file per model
// and hour per flush. Capture only appends to a slice under a mutex. A
// failed write is retried with backoff and its captures are kept until
// written; Close flushes everything, so a graceful shutdown loses nothing.
//
// It is safe for concurrent use.
type BatchWriter struct {
	st  store.ArtifactStore
	cfg BatchWriterConfig

	mu       sync.Mutex
	space    *sync.Cond // signalled when pending rows are written
	pending  []*Capture
	rows     int // predictions accepted and not yet written
	closed   bool
	flushMu  sync.Mutex // one flush at a time
	buf      []byte     // formatting buffer, under flushMu
	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	accepted atomic.Uint64
	written  atomic.Uint64
	files    atomic.Uint64
	failures atomic.Uint64
}

// NewBatchWriter starts a writer over st; call Close to stop it.
func NewBatchWriter(st store.ArtifactStore, cfg BatchWriterConfig) *BatchWriter {
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = time.Second
	}
	if cfg.FlushRows <= 0 {
		cfg.FlushRows = 5000
	}
	if cfg.MaxPendingRows <= 0 {
		cfg.MaxPendingRows = 200000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IDs == nil {
		cfg.IDs = NewIDGen(cfg.Now, nil)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := &BatchWriter{st: st, cfg: cfg, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	w.space = sync.NewCond(&w.mu)
	go w.loop()
	return w
}

// Capture queues c. It blocks only while MaxPendingRows predictions are
// waiting to be written, and returns ErrClosed after Close.
func (w *BatchWriter) Capture(c *Capture) error {
	n := c.Len()
	if n == 0 {
		return nil
	}
	w.mu.Lock()
	for !w.closed && w.rows > 0 && w.rows+n > w.cfg.MaxPendingRows {
		w.space.Wait()
	}
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.pending = append(w.pending, c)
	w.rows += n
	full := w.rows >= w.cfg.FlushRows
	w.mu.Unlock()
	w.accepted.Add(uint64(n))
	if full {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

func (w *BatchWriter) loop() {
	defer close(w.done)
	t := time.NewTicker(w.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		case <-w.kick:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 4*w.cfg.FlushInterval+10*time.Second)
		if err := w.Flush(ctx); err != nil {
			w.cfg.Logger.Warn("serving: capture flush failed; will retry", "err", err)
		}
		cancel()
	}
}

// Flush writes every queued capture now. On failure the captures that
// could not be written stay queued and the error is returned.
//
// Formatting a batch takes a while (a second of traffic at thousands of
// requests a second): Flush yields the processor every few hundred lines,
// so that requests waiting to run are not held up behind it, and reuses
// one buffer from flush to flush rather than growing a new one each time.
func (w *BatchWriter) Flush(ctx context.Context) error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	batch := w.pending
	w.pending = nil
	w.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	// Group by file (model and hour), keeping arrival order.
	type group struct {
		prefix string
		caps   []*Capture
		rows   int
	}
	var groups []*group
	var last *group
	var lastModel string
	var lastHour int64
	for _, c := range batch {
		hour := c.Time.Unix() / 3600
		if last == nil || c.Model != lastModel || hour != lastHour {
			p := CapturePrefix(c.Model, c.Time)
			last = nil
			for _, g := range groups {
				if g.prefix == p {
					last = g
					break
				}
			}
			if last == nil {
				last = &group{prefix: p}
				groups = append(groups, last)
			}
			lastModel, lastHour = c.Model, hour
		}
		last.caps = append(last.caps, c)
		last.rows += c.Len()
	}
	var failed []*Capture
	var errs []error
	for _, g := range groups {
		buf := w.buf[:0]
		lines := 0
		for _, c := range g.caps {
			buf = AppendCaptureLines(buf, c)
			if lines += c.Len(); lines >= flushYieldRows {
				lines = 0
				runtime.Gosched()
			}
		}
		if cap(buf) <= maxKeptBuffer {
			w.buf = buf
		}
		if err := w.put(ctx, g.prefix, buf); err != nil {
			failed = append(failed, g.caps...)
			errs = append(errs, err)
			continue
		}
		w.written.Add(uint64(g.rows))
		w.files.Add(1)
		w.mu.Lock()
		w.rows -= g.rows
		w.space.Broadcast()
		w.mu.Unlock()
	}
	if len(failed) > 0 {
		w.mu.Lock()
		w.pending = append(failed, w.pending...)
		w.mu.Unlock()
		return errors.Join(errs...)
	}
	return nil
}

// flushYieldRows is how many capture lines Flush formats between yields
// of the processor (about 100 µs of work).
const flushYieldRows = 256

// maxKeptBuffer bounds the buffer a BatchWriter keeps between flushes.
const maxKeptBuffer = 16 << 20

// put writes one file, retrying with backoff until ctx is done.
func (w *BatchWriter) put(ctx context.Context, prefix string, body []byte) error {
	var id [1]UUID
	if err := w.cfg.IDs.Fill(id[:]); err != nil {
		return err
	}
	k := prefix + id[0].String() + ".jsonl"
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		_, err := w.st.Put(ctx, k, body, "application/x-ndjson")
		if err == nil {
			return nil
		}
		w.failures.Add(1)
		w.cfg.Logger.Warn("serving: capture write failed", "key", k, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("serving: write captures %s: %w", k, err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// Close stops accepting captures and writes every queued one, retrying
// until ctx is done. It returns an error naming how many predictions
// could not be written.
func (w *BatchWriter) Close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.space.Broadcast()
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	for {
		err := w.Flush(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			w.mu.Lock()
			lost := w.rows
			w.mu.Unlock()
			return fmt.Errorf("serving: %d captured predictions not written: %w", lost, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// CaptureStats counts a BatchWriter's work.
type CaptureStats struct {
	Accepted uint64 // predictions queued
	Written  uint64 // predictions written to the artifact store
	Files    uint64 // files written
	Failures uint64 // failed write attempts (each retried)
	Pending  int    // predictions queued and not yet written
}

// Stats returns the counters so far.
func (w *BatchWriter) Stats() CaptureStats {
	w.mu.Lock()
	p := w.rows
	w.mu.Unlock()
	return CaptureStats{Accepted: w.accepted.Load(), Written: w.written.Load(), Files: w.files.Load(), Failures: w.failures.Load(), Pending: p}
}
