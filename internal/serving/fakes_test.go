package serving

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stewardml/steward/internal/capture"
	"github.com/stewardml/steward/internal/httpedge"

	"github.com/stewardml/steward/internal/store"
)

func ptr(v float64) *float64 { return &v }

// heartFeatures is the schema of the bundled heart-disease model.
func heartFeatures() []Feature {
	return []Feature{
		{Name: "age", Kind: Numeric, Min: ptr(0), Max: ptr(120)},
		{Name: "sex", Kind: Binary, Levels: []Level{{Value: 0, Label: "female"}, {Value: 1, Label: "male"}}},
		{Name: "cp", Kind: Categorical, Levels: []Level{{Value: 0}, {Value: 1}, {Value: 2}, {Value: 3}}},
		{Name: "trestbps", Kind: Numeric, Min: ptr(50), Max: ptr(300)},
		{Name: "chol", Kind: Numeric, Min: ptr(50), Max: ptr(1000)},
		{Name: "fbs", Kind: Binary},
		{Name: "restecg", Kind: Categorical, Levels: []Level{{Value: 0}, {Value: 1}, {Value: 2}}},
		{Name: "thalach", Kind: Numeric, Min: ptr(30), Max: ptr(250)},
		{Name: "exang", Kind: Binary},
		{Name: "oldpeak", Kind: Numeric, Min: ptr(0), Max: ptr(10)},
		{Name: "slope", Kind: Categorical, Levels: []Level{{Value: 0}, {Value: 1}, {Value: 2}}},
		{Name: "ca", Kind: Categorical, Levels: []Level{{Value: 0}, {Value: 1}, {Value: 2}, {Value: 3}, {Value: 4}}, Nullable: true},
		{Name: "thal", Kind: Categorical, Levels: []Level{{Value: 0}, {Value: 1}, {Value: 2}, {Value: 3}}, Nullable: true},
	}
}

const heartRow = `{"age":63,"sex":1,"cp":3,"trestbps":145,"chol":233,"fbs":1,"restecg":0,"thalach":150,"exang":0,"oldpeak":2.3,"slope":0,"ca":0,"thal":1}`

// linearModel is a logistic model: margin = bias + w·x (NaN inputs count
// as 0), whose contributions are exact. Version v has bias v, so a
// response's probabilities tell which version produced them.
type linearModel struct {
	name     string
	version  int
	features []Feature
	w        []float64
	bias     float64
}

func newLinear(name string, version int) *linearModel {
	fs := heartFeatures()
	w := make([]float64, len(fs))
	for i := range w {
		w[i] = 0.001 * float64(i+1)
	}
	return &linearModel{name: name, version: version, features: fs, w: w, bias: biasOf(version)}
}

func biasOf(version int) float64 { return float64(version) - 5 }

func (m *linearModel) Name() string        { return m.name }
func (m *linearModel) Version() int        { return m.version }
func (m *linearModel) Features() []Feature { return m.features }
func (m *linearModel) Threshold() float64  { return 0.5 }

func (m *linearModel) margin(row []float64) float64 {
	z := m.bias
	for j, v := range row {
		if !math.IsNaN(v) {
			z += m.w[j] * v
		}
	}
	return z
}

func (m *linearModel) PredictProba(rows, out []float64) {
	nf := len(m.features)
	for i := range out {
		out[i] = 1 / (1 + math.Exp(-m.margin(rows[i*nf:(i+1)*nf])))
	}
}

func (m *linearModel) Contributions(row, out []float64) float64 {
	for j, v := range row {
		out[j] = 0
		if !math.IsNaN(v) {
			out[j] = m.w[j] * v
		}
	}
	return m.bias
}

// fakeSource is a registry in memory: aliases move with set.
type fakeSource struct {
	mu      sync.Mutex
	aliases map[string]int // name@alias -> version
	models  map[string]Model
	loads   int
	resolve func(name, alias string) (int, error) // optional override
	load    func(name string, v int) (Model, error)
}

func newFakeSource() *fakeSource {
	return &fakeSource{aliases: map[string]int{}, models: map[string]Model{}}
}

func (s *fakeSource) add(m Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models[fmt.Sprintf("%s:%d", m.Name(), m.Version())] = m
}

func (s *fakeSource) set(name, alias string, v int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aliases[name+"@"+alias] = v
}

func (s *fakeSource) Resolve(ctx context.Context, name, alias string) (int, error) {
	if s.resolve != nil {
		return s.resolve(name, alias)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.aliases[name+"@"+alias]
	if !ok {
		return 0, notFoundf("model %q has no alias %q", name, alias)
	}
	return v, nil
}

func (s *fakeSource) Load(ctx context.Context, name string, v int) (Model, error) {
	if s.load != nil {
		return s.load(name, v)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	m, ok := s.models[fmt.Sprintf("%s:%d", name, v)]
	if !ok {
		return nil, notFoundf("model %q has no version %d", name, v)
	}
	return m, nil
}

// memArtifacts is an ArtifactStore in memory; fail makes Put fail.
type memArtifacts struct {
	mu      sync.Mutex
	objects map[string][]byte
	fail    func(key string) error
	delay   time.Duration
}

func newMemArtifacts() *memArtifacts { return &memArtifacts{objects: map[string][]byte{}} }

func (a *memArtifacts) Put(ctx context.Context, key string, body []byte, ct string) (store.ObjectInfo, error) {
	if a.delay > 0 {
		time.Sleep(a.delay)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		if err := a.fail(key); err != nil {
			return store.ObjectInfo{}, err
		}
	}
	if _, ok := a.objects[key]; ok {
		return store.ObjectInfo{}, fmt.Errorf("test: %s written twice", key)
	}
	a.objects[key] = append([]byte(nil), body...)
	sum := sha256.Sum256(body)
	return store.ObjectInfo{Key: key, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]), ContentType: ct}, nil
}

func (a *memArtifacts) Get(ctx context.Context, key string) ([]byte, store.ObjectInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.objects[key]
	if !ok {
		return nil, store.ObjectInfo{}, store.ErrNotFound
	}
	return b, store.ObjectInfo{Key: key, Size: int64(len(b))}, nil
}

func (a *memArtifacts) List(ctx context.Context, prefix string) ([]store.ObjectInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []store.ObjectInfo
	for k, b := range a.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, store.ObjectInfo{Key: k, Size: int64(len(b))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (a *memArtifacts) Exists(ctx context.Context, key string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.objects[key]
	return ok, nil
}

// memRecords is a RecordStore in memory supporting unconditional writes
// and Get, which is all the handler uses.
type memRecords struct {
	mu   sync.Mutex
	recs map[string]store.Record
}

func newMemRecords() *memRecords { return &memRecords{recs: map[string]store.Record{}} }

func (m *memRecords) Get(ctx context.Context, pk, sk string) (store.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[pk+"\x00"+sk]
	if !ok {
		return store.Record{}, store.ErrNotFound
	}
	return r, nil
}

func (m *memRecords) Query(ctx context.Context, pk string, q store.Query) ([]store.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Record
	for _, r := range m.recs {
		if r.PK == pk && strings.HasPrefix(r.SK, q.Prefix) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SK < out[j].SK })
	return out, nil
}

func (m *memRecords) Write(ctx context.Context, ws ...store.Write) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range ws {
		if w.Cond.Kind != store.CondNone {
			return fmt.Errorf("test: conditions not supported: %w", store.ErrInvalid)
		}
		if w.Delete {
			delete(m.recs, w.Record.PK+"\x00"+w.Record.SK)
			continue
		}
		m.recs[w.Record.PK+"\x00"+w.Record.SK] = w.Record
	}
	return nil
}

// fakeCatalog answers the model routes.
type fakeCatalog struct{}

func (fakeCatalog) List(ctx context.Context) ([]ModelSummary, error) {
	return []ModelSummary{{Name: "heart", LatestVersion: 2, Aliases: map[string]int{"champion": 1, "challenger": 2}}}, nil
}

func (fakeCatalog) Describe(ctx context.Context, name string) (ModelDetail, error) {
	if name != "heart" {
		return ModelDetail{}, notFoundf("no model named %q", name)
	}
	return ModelDetail{
		ModelSummary: ModelSummary{Name: "heart", LatestVersion: 2, Aliases: map[string]int{"champion": 1, "challenger": 2}},
		Versions:     []VersionInfo{{Version: 2, Aliases: []string{"challenger"}, Metrics: map[string]float64{"auc": 0.9}}, {Version: 1, Aliases: []string{"champion"}}},
	}, nil
}

// captureSink collects captures in memory.
type captureSink struct {
	mu   sync.Mutex
	caps []*capture.Capture
	err  error
}

func (c *captureSink) Capture(cp *capture.Capture) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	c.caps = append(c.caps, cp)
	return nil
}

// jsonHeader is the header of a JSON request.
var jsonHeader = httpedge.Header{"Content-Type": {"application/json"}}
