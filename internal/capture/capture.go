package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stewardml/steward/internal/jsonappend"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/uuidv7"
)

// ErrClosed reports a capture after the capturer was closed.
var ErrClosed = errors.New("capture: capturer closed")

// Capture is one request's captured predictions, as a Capturer receives
// them. The capturer takes ownership of the slices.
type Capture struct {
	Model     string
	Version   int
	Alias     string // empty when the request named a version
	RequestID string
	Time      time.Time     // when the predictions were made
	Latency   time.Duration // request start to scores ready
	// Keys are the model's input features in order, each as a JSON object
	// key with its colon ("age":), encoded once per model by the caller.
	Keys      []string
	Threshold float64
	Rows      []float64 // len(IDs) rows of len(Keys) values
	IDs       []uuidv7.UUID
	Probs     []float64
}

// Len returns the number of predictions.
func (c *Capture) Len() int { return len(c.IDs) }

// Feedback is the ground truth recorded for one prediction.
type Feedback struct {
	ID         string    `json:"id"`
	Label      int       `json:"label"`
	ReceivedAt time.Time `json:"receivedAt"`
}

// FeedbackKey returns the record-store key of the feedback for prediction
// id: the partition is the UTC day of the id's timestamp (the day of the
// prediction, so a monitor joins one day of captures with one Query), the
// sort key the id itself.
func FeedbackKey(id uuidv7.UUID) (pk, sk string) {
	return "FEEDBACK#" + id.Time().UTC().Format(time.DateOnly), id.String()
}

// Capturer records predictions for drift checks, reports and performance
// monitoring. Capture must return quickly (it is on the request path) and
// must not lose what it accepted: an error means the predictions were not
// recorded, and the handler then answers 503 rather than acknowledge them.
//
// Implementations are safe for concurrent use.
type Capturer interface {
	Capture(c *Capture) error
}

// Key returns the artifact key of a capture file:
// captures/{model}/dt=YYYY-MM-DD/hour=HH/{file}.jsonl, with the date and
// hour of t in UTC.
func Key(model string, t time.Time, file string) string {
	return Prefix(model, t) + file + ".jsonl"
}

// Prefix returns captures/{model}/dt=YYYY-MM-DD/hour=HH/ for t in UTC.
func Prefix(model string, t time.Time) string {
	t = t.UTC()
	return "captures/" + model + "/dt=" + t.Format(time.DateOnly) + "/hour=" + fmt.Sprintf("%02d", t.Hour()) + "/"
}

// Line is one line of a capture file, for readers (drift checks,
// reports); AppendLines writes the same fields.
type Line struct {
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

// AppendLines appends one JSON line per prediction of c to b.
func AppendLines(b []byte, c *Capture) []byte {
	nf := len(c.Keys)
	ts := c.Time.UTC()
	for i := range c.IDs {
		b = append(b, `{"kind":"capture","id":"`...)
		b = c.IDs[i].Append(b)
		b = append(b, `","time":"`...)
		b = ts.AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
		b = append(b, `","requestId":`...)
		b = jsonappend.String(b, c.RequestID)
		b = append(b, `,"model":`...)
		b = jsonappend.String(b, c.Model)
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, int64(c.Version), 10)
		if c.Alias != "" {
			b = append(b, `,"alias":`...)
			b = jsonappend.String(b, c.Alias)
		}
		b = append(b, `,"latencyMs":`...)
		b = strconv.AppendFloat(b, float64(c.Latency.Microseconds())/1000, 'f', -1, 64)
		b = append(b, `,"inputs":{`...)
		row := c.Rows[i*nf : (i+1)*nf]
		for j, v := range row {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, c.Keys[j]...)
			b = jsonappend.Float(b, v)
		}
		b = append(b, `},"probability":`...)
		b = jsonappend.Float(b, c.Probs[i])
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
	l.buf = AppendLines(l.buf[:0], c)
	if _, err := l.w.Write(l.buf); err != nil {
		return fmt.Errorf("capture: write captures to the log: %w", err)
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
	// IDs names the capture files; nil means a fresh uuidv7.NewGen(Now, nil).
	IDs *uuidv7.Gen
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives write failures; nil discards them.
	Logger *slog.Logger
}

// BatchWriter buffers captures in memory and writes them in batches, off
// the request path, to the artifact store: one JSON-lines file per model
// and hour per flush. Capture formats the lines (a microsecond or two) and
// appends them to the buffer of their file under a mutex; the flush only
// hands whole buffers to the store. Kept as bytes, a second of captures is
// one pointer-free block per file for the garbage collector, not thousands
// of objects to scan, and no flush holds a processor for long formatting a
// batch. A failed write is retried with backoff and its lines are kept
// until written; Close flushes everything, so a graceful shutdown loses
// nothing.
//
// It is safe for concurrent use.
type BatchWriter struct {
	st  store.ArtifactStore
	cfg BatchWriterConfig

	mu       sync.Mutex
	space    *sync.Cond // signalled when pending rows are written
	pending  map[fileKey]*pendingFile
	order    []*pendingFile // pending, in order of their first line
	free     [][]byte       // emptied buffers, for new files
	rows     int            // predictions accepted and not yet written
	closed   bool
	flushMu  sync.Mutex // one flush at a time
	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	accepted atomic.Uint64
	written  atomic.Uint64
	files    atomic.Uint64
	failures atomic.Uint64
}

// fileKey names the file a capture line goes to: its model and UTC hour.
type fileKey struct {
	model string
	hour  int64 // Unix seconds of the hour's start
}

// pendingFile is the lines of one file waiting to be written.
type pendingFile struct {
	key    fileKey
	prefix string
	buf    []byte
	rows   int
}

// maxFreeBuffers bounds the emptied buffers a BatchWriter keeps; buffers
// over maxKeptBuffer are dropped.
const (
	maxFreeBuffers = 4
	maxKeptBuffer  = 16 << 20
)

// lineBufs holds the scratch buffers Capture formats into before taking
// the lock.
var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

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
		cfg.IDs = uuidv7.NewGen(cfg.Now, nil)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := &BatchWriter{st: st, cfg: cfg, pending: map[fileKey]*pendingFile{},
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	w.space = sync.NewCond(&w.mu)
	go w.loop()
	return w
}

// Capture formats c's lines and queues them. It blocks only while
// MaxPendingRows predictions are waiting to be written, and returns
// ErrClosed after Close. It keeps nothing of c.
func (w *BatchWriter) Capture(c *Capture) error {
	n := c.Len()
	if n == 0 {
		return nil
	}
	lp := lineBufs.Get().(*[]byte)
	lines := AppendLines((*lp)[:0], c)
	defer func() {
		if cap(lines) <= 64<<10 {
			*lp = lines[:0]
			lineBufs.Put(lp)
		}
	}()
	k := fileKey{model: c.Model, hour: c.Time.Truncate(time.Hour).Unix()}
	w.mu.Lock()
	for !w.closed && w.rows > 0 && w.rows+n > w.cfg.MaxPendingRows {
		w.space.Wait()
	}
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	f := w.pending[k]
	if f == nil {
		f = &pendingFile{key: k, prefix: Prefix(c.Model, c.Time)}
		if len(w.free) > 0 {
			f.buf = w.free[len(w.free)-1]
			w.free = w.free[:len(w.free)-1]
		}
		w.pending[k] = f
		w.order = append(w.order, f)
	}
	f.buf = append(f.buf, lines...)
	f.rows += n
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
			w.cfg.Logger.Warn("capture: capture flush failed; will retry", "err", err)
		}
		cancel()
	}
}

// Flush writes every queued capture now. On failure the lines that could
// not be written stay queued, ahead of any that arrived meanwhile, and the
// error is returned.
func (w *BatchWriter) Flush(ctx context.Context) error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	batch := w.order
	w.order = nil
	if len(batch) > 0 {
		w.pending = make(map[fileKey]*pendingFile, len(batch))
	}
	w.mu.Unlock()
	var failed []*pendingFile
	var errs []error
	for _, f := range batch {
		if err := w.put(ctx, f.prefix, f.buf); err != nil {
			failed = append(failed, f)
			errs = append(errs, err)
			continue
		}
		w.written.Add(uint64(f.rows))
		w.files.Add(1)
		w.mu.Lock()
		w.rows -= f.rows
		if len(w.free) < maxFreeBuffers && cap(f.buf) <= maxKeptBuffer {
			w.free = append(w.free, f.buf[:0])
		}
		w.space.Broadcast()
		w.mu.Unlock()
	}
	if len(failed) > 0 {
		w.mu.Lock()
		for _, f := range failed {
			if later := w.pending[f.key]; later != nil {
				// Lines that came in meanwhile go after the failed ones.
				f.buf = append(f.buf, later.buf...)
				f.rows += later.rows
				for i, o := range w.order {
					if o == later {
						w.order = append(w.order[:i], w.order[i+1:]...)
						break
					}
				}
			}
			w.pending[f.key] = f
		}
		w.order = append(failed, w.order...)
		w.mu.Unlock()
		return errors.Join(errs...)
	}
	return nil
}

// put writes one file, retrying with backoff until ctx is done.
func (w *BatchWriter) put(ctx context.Context, prefix string, body []byte) error {
	var id [1]uuidv7.UUID
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
		w.cfg.Logger.Warn("capture: capture write failed", "key", k, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("capture: write captures %s: %w", k, err)
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
			return fmt.Errorf("capture: %d captured predictions not written: %w", lost, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stats counts a BatchWriter's work.
type Stats struct {
	Accepted uint64 // predictions queued
	Written  uint64 // predictions written to the artifact store
	Files    uint64 // files written
	Failures uint64 // failed write attempts (each retried)
	Pending  int    // predictions queued and not yet written
}

// Stats returns the counters so far.
func (w *BatchWriter) Stats() Stats {
	w.mu.Lock()
	p := w.rows
	w.mu.Unlock()
	return Stats{Accepted: w.accepted.Load(), Written: w.written.Load(), Files: w.files.Load(), Failures: w.failures.Load(), Pending: p}
}
