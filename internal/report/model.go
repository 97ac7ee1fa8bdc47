package report

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/bundle"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/ml/eval"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound reports a report whose source does not exist: no such
	// run, drift check or alias move.
	ErrNotFound = errors.New("report: not found")
	// ErrInvalid reports a malformed kind, id or format.
	ErrInvalid = errors.New("report: invalid request")
	// ErrCorrupt reports a source that exists but cannot be read.
	ErrCorrupt = errors.New("report: unreadable source")
)

// Kind names a report.
type Kind string

// The report kinds.
const (
	KindTraining   Kind = "training"
	KindDrift      Kind = "drift"
	KindDeployment Kind = "deployment"
)

// Format is an output format.
type Format string

// The output formats.
const (
	HTML Format = "html"
	PDF  Format = "pdf"
)

// ParseKind checks a kind name.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case KindTraining, KindDrift, KindDeployment:
		return k, nil
	}
	return "", fmt.Errorf("%w: kind %q: expected training, drift or deployment", ErrInvalid, s)
}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case HTML, PDF:
		return f, nil
	}
	return "", fmt.Errorf("%w: format %q: expected html or pdf", ErrInvalid, s)
}

// ContentType returns the MIME type of the format.
func (f Format) ContentType() string {
	if f == PDF {
		return "application/pdf"
	}
	return "text/html; charset=utf-8"
}

// Ref names one report: its kind and id. Training reports are named by
// run id, drift reports by "{model}/{check id}", deployment reports by
// "{model}:{seq}" (the seq-th move of the model's champion alias; "{model}"
// alone means its latest move).
type Ref struct {
	Kind  Kind
	Model string
	ID    string // run id, check id, or the seq as text
}

// String returns the ref as the CLI and the function accept it.
func (r Ref) String() string {
	switch r.Kind {
	case KindDrift:
		return r.Model + "/" + r.ID
	case KindDeployment:
		if r.ID == "" {
			return r.Model
		}
		return r.Model + ":" + r.ID
	}
	return r.ID
}

// Key returns the artifact key of the rendered report in format f.
func (r Ref) Key(f Format) string {
	switch r.Kind {
	case KindDrift:
		return "reports/rendered/drift/" + r.Model + "/" + r.ID + "." + string(f)
	case KindDeployment:
		return "reports/rendered/deployment/" + r.Model + "/" + r.ID + "." + string(f)
	}
	return "reports/rendered/training/" + r.ID + "." + string(f)
}

// partRE is one part of a report id: a model name, a run or check id.
var partRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,126}[A-Za-z0-9_-])?$`)

// ParseRef reads a report id of kind k (see Ref).
func ParseRef(k Kind, id string) (Ref, error) {
	bad := func(why string) (Ref, error) {
		return Ref{}, fmt.Errorf("%w: %s id %q: %s", ErrInvalid, k, id, why)
	}
	if id == "" || len(id) > 200 || strings.ContainsAny(id, "\\?#% \t\n") || strings.Contains(id, "..") {
		return bad("expected a short id without spaces, '..', '\\', '?', '#' or '%'")
	}
	switch k {
	case KindTraining:
		if !partRE.MatchString(id) {
			return bad("a run id is letters, digits, '.', '_' and '-', starting with a letter or digit")
		}
		return Ref{Kind: k, ID: id}, nil
	case KindDrift:
		model, check, ok := strings.Cut(id, "/")
		check = strings.TrimSuffix(check, ".json")
		if !ok || !partRE.MatchString(model) || !partRE.MatchString(check) {
			return bad("expected MODEL/CHECK_ID, each letters, digits, '.', '_' and '-', starting with a letter or digit")
		}
		return Ref{Kind: k, Model: model, ID: check}, nil
	case KindDeployment:
		model, seq, ok := strings.Cut(id, ":")
		if !partRE.MatchString(model) {
			return bad("expected MODEL or MODEL:SEQ")
		}
		if !ok {
			return Ref{Kind: k, Model: model}, nil
		}
		n, err := strconv.ParseInt(seq, 10, 64)
		if err != nil || n < 1 {
			return bad("SEQ must be a positive integer")
		}
		return Ref{Kind: k, Model: model, ID: strconv.FormatInt(n, 10)}, nil
	}
	return Ref{}, fmt.Errorf("%w: kind %q", ErrInvalid, k)
}

// Training is the view model of a training report.
type Training struct {
	RunID       string    `json:"run_id"`
	Model       string    `json:"model"`
	Status      string    `json:"status"`
	Actor       string    `json:"actor"`
	CodeVersion string    `json:"code_version"`
	StartedAt   time.Time `json:"started_at"`
	Seconds     float64   `json:"seconds"`
	// Metric chose the winner; Folds × Repeats is the cross-validation.
	Metric    string  `json:"metric"`
	Folds     int     `json:"folds"`
	Repeats   int     `json:"repeats"`
	Threshold float64 `json:"threshold"`
	Winner    string  `json:"winner"`
	Family    string  `json:"family"`
	// Version and Alias are what the registry made of the winner.
	Version      int                 `json:"version,omitempty"`
	Alias        string              `json:"alias,omitempty"`
	BundleKey    string              `json:"bundle_key"`
	BundleDigest string              `json:"bundle_digest"`
	Dataset      bundle.Dataset      `json:"dataset"`
	Candidates   []Candidate         `json:"candidates"`
	Holdout      *eval.Report        `json:"holdout,omitempty"`
	OutOfFold    *eval.Report        `json:"out_of_fold,omitempty"`
	Importances  []bundle.Importance `json:"importances"`
	// Validation is the latest validation result of the training data,
	// nil when none was stored.
	Validation *Validation `json:"validation,omitempty"`
}

// Candidate is one candidate of the search.
type Candidate struct {
	ID     string `json:"id"`
	Family string `json:"family"`
	Params string `json:"params"`
	// Mean and Std are the selection metric over the folds.
	Mean     float64              `json:"mean"`
	Std      float64              `json:"std"`
	CV       map[string]eval.Stat `json:"cv,omitempty"`
	Seconds  float64              `json:"seconds"`
	Selected bool                 `json:"selected,omitempty"`
	Error    string               `json:"error,omitempty"`
}

// Validation summarises a data validation result.
type Validation struct {
	Key        string   `json:"key"`
	Suite      string   `json:"suite"`
	RunTime    string   `json:"run_time,omitempty"`
	Success    bool     `json:"success"`
	Evaluated  int      `json:"evaluated"`
	Successful int      `json:"successful"`
	Failed     []string `json:"failed,omitempty"`
}

// Drift is the view model of a drift report.
type Drift struct {
	ID        string        `json:"id"`
	Model     string        `json:"model"`
	Version   int           `json:"version,omitempty"`
	CheckedAt time.Time     `json:"checked_at"`
	Key       string        `json:"key"`
	Report    *drift.Report `json:"report"`
}

// Deployment is the view model of a deployment report.
type Deployment struct {
	Model    string    `json:"model"`
	Seq      int64     `json:"seq"`
	Kind     string    `json:"kind"` // "promotion" or "rollback"
	From     int       `json:"from"`
	To       int       `json:"to"`
	Actor    string    `json:"actor"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
	Evidence []string  `json:"evidence,omitempty"`
	// CorrelationID ties the audit events of the chain this move belongs to.
	CorrelationID string `json:"correlation_id,omitempty"`
	Execution     string `json:"execution,omitempty"`
	// Approval is the approval request behind the move, when there was one.
	Approval *approval.Request `json:"approval,omitempty"`
	// New is the version that took champion; Old the one it replaced (nil
	// for the first promotion).
	New *VersionSummary `json:"new"`
	Old *VersionSummary `json:"old,omitempty"`
	// Chain is the audit trail of the correlation id, oldest first.
	Chain []ChainEvent `json:"chain,omitempty"`
}

// VersionSummary describes one registered version.
type VersionSummary struct {
	Number    int                `json:"number"`
	Family    string             `json:"family"`
	CreatedAt time.Time          `json:"created_at"`
	CreatedBy string             `json:"created_by"`
	SourceRun string             `json:"source_run,omitempty"`
	Dataset   string             `json:"dataset_digest"`
	Metrics   map[string]float64 `json:"metrics,omitempty"`
	Holdout   *eval.Report       `json:"holdout,omitempty"`
}

// ChainEvent is one audit event of a deployment's chain.
type ChainEvent struct {
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Reason string    `json:"reason,omitempty"`
}

// MetricRow is one metric of a side-by-side comparison.
type MetricRow struct {
	Name     string
	New, Old float64
	HasNew   bool
	HasOld   bool
	// Better says whether New improves on Old (lower is better for losses).
	Better bool
}

// lowerIsBetter names the metrics where smaller values are better.
func lowerIsBetter(name string) bool {
	return strings.Contains(name, "log_loss") || strings.Contains(name, "brier") || strings.HasSuffix(name, "_std")
}

// Comparison lists the metrics of New beside Old, sorted by name.
func (d *Deployment) Comparison() []MetricRow {
	names := map[string]bool{}
	if d.New != nil {
		for k := range d.New.Metrics {
			names[k] = true
		}
	}
	if d.Old != nil {
		for k := range d.Old.Metrics {
			names[k] = true
		}
	}
	rows := make([]MetricRow, 0, len(names))
	for n := range names {
		r := MetricRow{Name: n}
		if d.New != nil {
			r.New, r.HasNew = d.New.Metrics[n]
		}
		if d.Old != nil {
			r.Old, r.HasOld = d.Old.Metrics[n]
		}
		if r.HasNew && r.HasOld {
			if lowerIsBetter(n) {
				r.Better = r.New < r.Old
			} else {
				r.Better = r.New > r.Old
			}
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows
}
