package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/store"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrInvalid reports a request that cannot be run: no model, a
	// negative window, an unknown feature in the options.
	ErrInvalid = errors.New("monitor: invalid request")
	// ErrNoModel reports that the model, version or alias to check does
	// not exist (it also wraps registry.ErrNotFound).
	ErrNoModel = errors.New("monitor: no such model version")
	// ErrNoProfile reports a bundle without a reference profile.
	ErrNoProfile = errors.New("monitor: the model bundle has no reference profile")
)

// Registry is the part of the model registry a check reads;
// *registry.Registry implements it. Alias returns version 0 for an unset
// alias; both return errors wrapping registry.ErrNotFound for what does not
// exist.
type Registry interface {
	Alias(ctx context.Context, model, alias string) (registry.Alias, error)
	Version(ctx context.Context, model string, n int) (registry.Version, error)
}

// DefaultWindow is the window of a check that names none.
const DefaultWindow = 7 * 24 * time.Hour

// Service runs drift checks and keeps their results. It is safe for
// concurrent use when its stores are.
type Service struct {
	Artifacts store.ArtifactStore
	Records   store.RecordStore
	Registry  Registry
	// Events receives a DriftChecked event per check; nil sends none.
	Events bus.Publisher
	// Options configure drift.Check; the zero value means
	// drift.DefaultOptions().
	Options *drift.Options
	// Features limits checks to these features (all when empty).
	Features []string
	// Window is the default window; 0 means DefaultWindow.
	Window time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewID makes check ids; nil means UUIDv7.
	NewID func() (string, error)
}

// File is a current window given as a data file.
type File struct {
	Name string
	Data []byte
}

// Request says what to check.
type Request struct {
	Model string
	// Version, when > 0, is checked; else Alias (default champion).
	Version int
	Alias   string
	// Window and End bound the captures read: [End-Window, End). Zero
	// values mean the service's window and now.
	Window time.Duration
	End    time.Time
	// Current, when set, is checked instead of the captures.
	Current *File
	// Trigger says who asks (schedule, cli, lambda); recorded.
	Trigger string
	// Quiet skips the DriftChecked event (the report and the history
	// record are still written).
	Quiet bool
}

// Result is a finished check.
type Result struct {
	Summary Summary
	Report  *drift.Report
	// Event is the DriftChecked event sent (zero when none was).
	Event bus.Event
}

// StoredReport is the document stored at ReportKey: the check's context
// and drift's report.
type StoredReport struct {
	Check  Summary       `json:"check"`
	Report *drift.Report `json:"report"`
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) options() drift.Options {
	if s.Options != nil {
		return *s.Options
	}
	return drift.DefaultOptions()
}

// Check runs one drift check: it loads the version's reference profile,
// reads the window, runs drift.Check, stores the report and the summary
// and sends DriftChecked. A report is stored for every verdict,
// insufficient_data included.
func (s *Service) Check(ctx context.Context, req Request) (*Result, error) {
	if req.Model == "" {
		return nil, fmt.Errorf("%w: no model named", ErrInvalid)
	}
	if req.Window < 0 {
		return nil, fmt.Errorf("%w: negative window %s", ErrInvalid, req.Window)
	}
	ver, err := s.resolve(ctx, req)
	if err != nil {
		return nil, err
	}
	b, profile, err := s.load(ctx, ver)
	if err != nil {
		return nil, err
	}
	profile, err = s.restrict(profile)
	if err != nil {
		return nil, err
	}
	at := s.now().UTC()
	sum := Summary{Model: req.Model, Version: ver.Number, At: at, Trigger: req.Trigger}
	features := make([]string, len(profile.Features))
	for i, f := range profile.Features {
		features[i] = f.Name
	}
	all := make([]string, len(b.Manifest.Schema.Features))
	for i, f := range b.Manifest.Schema.Features {
		all[i] = f.Name
	}
	var win *Window
	if req.Current != nil {
		pred, err := bundle.Load(b)
		if err != nil {
			return nil, fmt.Errorf("monitor: %s v%d: %w", req.Model, ver.Number, err)
		}
		win, err = ReadFile(req.Current.Data, &b.Manifest.Schema, pred)
		if err != nil {
			return nil, fmt.Errorf("monitor: %s: %w", req.Current.Name, err)
		}
		keepOnly(win, features, b.Manifest.Schema.Features)
		sum.Source = "file:" + req.Current.Name
	} else {
		end := req.End
		if end.IsZero() {
			end = at
		}
		span := req.Window
		if span == 0 {
			span = s.Window
		}
		if span == 0 {
			span = DefaultWindow
		}
		sum.WindowFrom, sum.WindowTo = end.Add(-span).UTC(), end.UTC()
		win, err = ReadCaptures(ctx, s.Artifacts, s.Records, req.Model, ver.Number, all, sum.WindowFrom, sum.WindowTo)
		if err != nil {
			return nil, err
		}
		keepOnly(win, features, b.Manifest.Schema.Features)
		sum.Source = "captures"
	}
	sum.Rows, sum.VersionRows, sum.Labelled = win.Rows, win.VersionRows, win.Labelled
	sum.Skipped, sum.SkippedFirst, sum.Duplicates = win.Skipped, win.FirstSkip, win.Duplicates

	report, err := drift.Check(profile, win.Window, s.options())
	if err != nil {
		return nil, fmt.Errorf("monitor: %s v%d: %w", req.Model, ver.Number, err)
	}
	summarize(&sum, report)
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	sum.CheckID = id
	sum.ReportKey = ReportKey(req.Model, id)

	doc, err := encodeReport(StoredReport{Check: sum, Report: report})
	if err != nil {
		return nil, err
	}
	if _, err := s.Artifacts.Put(ctx, sum.ReportKey, doc, "application/json"); err != nil {
		return nil, fmt.Errorf("monitor: store report: %w", err)
	}
	body, err := json.Marshal(sum)
	if err != nil {
		return nil, fmt.Errorf("monitor: encode summary: %w", err)
	}
	if err := s.Records.Write(ctx, store.Write{
		Record: store.Record{PK: Partition(req.Model), SK: SortKey(at, id), Body: body, Version: 1},
		Cond:   store.Cond{Kind: store.CondAbsent},
	}); err != nil {
		return nil, fmt.Errorf("monitor: record check %s: %w", id, err)
	}
	res := &Result{Summary: sum, Report: report}
	if s.Events != nil && !req.Quiet {
		ev, err := bus.New(bus.DriftChecked, at, sum)
		if err != nil {
			return nil, err
		}
		ev.ID = id
		if err := s.Events.Publish(ctx, ev); err != nil {
			return res, fmt.Errorf("monitor: check %s stored; publishing DriftChecked failed: %w", id, err)
		}
		res.Event = ev
	}
	return res, nil
}

func (s *Service) newID() (string, error) {
	if s.NewID != nil {
		return s.NewID()
	}
	u, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("monitor: check id: %w", err)
	}
	return u.String(), nil
}

// resolve finds the version to check.
func (s *Service) resolve(ctx context.Context, req Request) (registry.Version, error) {
	n := req.Version
	if n <= 0 {
		alias := req.Alias
		if alias == "" {
			alias = registry.Champion
		}
		a, err := s.Registry.Alias(ctx, req.Model, alias)
		if err != nil {
			return registry.Version{}, fmt.Errorf("%w: %s@%s: %w", ErrNoModel, req.Model, alias, err)
		}
		if a.Version == 0 {
			return registry.Version{}, fmt.Errorf("%w: %s has no %s (train and promote a version first)", ErrNoModel, req.Model, alias)
		}
		n = a.Version
	}
	v, err := s.Registry.Version(ctx, req.Model, n)
	if err != nil {
		return registry.Version{}, fmt.Errorf("%w: %s v%d: %w", ErrNoModel, req.Model, n, err)
	}
	return v, nil
}

// load reads the version's bundle and its reference profile.
func (s *Service) load(ctx context.Context, v registry.Version) (*bundle.Bundle, *drift.Profile, error) {
	raw, _, err := s.Artifacts.Get(ctx, v.BundleKey)
	if err != nil {
		return nil, nil, fmt.Errorf("monitor: %s v%d bundle %s: %w", v.Model, v.Number, v.BundleKey, err)
	}
	b, err := bundle.Decode(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("monitor: %s v%d: %w", v.Model, v.Number, err)
	}
	if len(b.Profile) == 0 {
		return nil, nil, fmt.Errorf("%w: %s v%d (%s)", ErrNoProfile, v.Model, v.Number, v.BundleKey)
	}
	p, err := drift.ParseProfile(b.Profile)
	if err != nil {
		return nil, nil, fmt.Errorf("monitor: %s v%d: %w", v.Model, v.Number, err)
	}
	return b, p, nil
}

// restrict keeps the configured features of the profile.
func (s *Service) restrict(p *drift.Profile) (*drift.Profile, error) {
	if len(s.Features) == 0 {
		return p, nil
	}
	out := *p
	out.Features = nil
	for _, f := range p.Features {
		if slices.Contains(s.Features, f.Name) {
			out.Features = append(out.Features, f)
		}
	}
	if len(out.Features) != len(s.Features) {
		var unknown []string
		for _, name := range s.Features {
			if !slices.ContainsFunc(p.Features, func(f drift.FeatureProfile) bool { return f.Name == name }) {
				unknown = append(unknown, name)
			}
		}
		return nil, fmt.Errorf("%w: features %q are not in the reference profile", ErrInvalid, unknown)
	}
	return &out, nil
}

// keepOnly drops the model's features that the check leaves out, so that
// only the columns nobody knows are reported as unexpected.
func keepOnly(w *Window, features []string, schema []dataset.Column) {
	for _, c := range schema {
		if !slices.Contains(features, c.Name) {
			delete(w.Columns, c.Name)
		}
	}
}

func encodeReport(r StoredReport) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("monitor: encode report: %w", err)
	}
	return buf.Bytes(), nil
}

// ReadReport reads a stored report.
func ReadReport(ctx context.Context, arts store.ArtifactStore, key string) (*StoredReport, error) {
	raw, _, err := arts.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("monitor: report %s: %w", key, err)
	}
	var r StoredReport
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("monitor: report %s: %w", key, err)
	}
	return &r, nil
}
