package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/notify"
	"github.com/stewardml/steward/internal/schedule"
	"github.com/stewardml/steward/internal/train"
)

// ErrInvalid is wrapped by every error about the content of a configuration
// (a *FieldError, or several joined).
var ErrInvalid = errors.New("config: invalid configuration")

// DefaultFile is the project configuration's conventional name.
const DefaultFile = "steward.yaml"

// Project is the project configuration of one model (steward.yaml).
type Project struct {
	Model      Model        `yaml:"model"`
	Data       Data         `yaml:"data"`
	Validation Validation   `yaml:"validation"`
	Training   train.Config `yaml:"training"`
	Serving    Serving      `yaml:"serving"`
	Drift      Drift        `yaml:"drift"`
	Agent      Agent        `yaml:"agent"`
	Alarms     Alarms       `yaml:"alarms"`
	Approval   Approval     `yaml:"approval"`
	Notify     Notify       `yaml:"notify"`

	file   string // as given to Load, for messages
	dir    string // relative paths are relative to it
	schema *dataset.Schema
}

// Model names and describes the model.
type Model struct {
	// Name identifies the model in the registry, URLs and keys:
	// lowercase letters, digits, '-' and '_', starting with a letter.
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	Owner       string `yaml:"owner,omitempty"`
}

// Data describes the training data: where it is, how it is laid out, and
// which column is the target.
type Data struct {
	// Source is the data file, relative to the configuration file.
	Source string `yaml:"source"`
	// Format is auto (a header when the first line is one), uci (no
	// header, columns from the schema) or csv (a header that matches).
	Format string `yaml:"format,omitempty"`
	// Missing lists the cell texts read as missing; default "?" and "".
	Missing []string `yaml:"missing,omitempty"`
	// Target is the label rule, "num > 0", or a 0/1 label column name.
	Target string `yaml:"target"`
	// Columns is the schema, in file order, target column included.
	Columns []dataset.Column `yaml:"columns"`
}

// Validation names the expectation suite the data must pass.
type Validation struct {
	// Suite is a Great Expectations suite file, relative to the
	// configuration file; empty means no data validation.
	Suite string `yaml:"suite,omitempty"`
	// ResultFormat is BOOLEAN_ONLY, BASIC, SUMMARY (default) or COMPLETE.
	ResultFormat string `yaml:"result_format,omitempty"`
}

// Serving holds the prediction service's settings.
type Serving struct {
	// Addr is where `steward serve` listens; default 127.0.0.1:8080.
	Addr string `yaml:"addr,omitempty"`
	// DefaultAlias is served when a request names no version; default champion.
	DefaultAlias string `yaml:"default_alias,omitempty"`
	// CaptureRate is the share of predictions captured for drift checks,
	// in [0, 1]; default 1.
	CaptureRate *float64 `yaml:"capture_rate,omitempty"`
	// MaxInstances bounds the rows of one request; default 1000.
	MaxInstances int `yaml:"max_instances,omitempty"`
	// MaxBodyBytes bounds a request body; default 1 MiB.
	MaxBodyBytes int `yaml:"max_body_bytes,omitempty"`
	// MetricsPublic says whether `steward serve` answers /metrics without
	// an API key; default true (a local scraper needs none). false asks
	// for a key, as the prediction routes do: the metrics show the
	// prediction histogram.
	MetricsPublic *bool `yaml:"metrics_public,omitempty"`
}

// MetricsArePublic reports whether /metrics needs no API key.
func (s Serving) MetricsArePublic() bool { return s.MetricsPublic == nil || *s.MetricsPublic }

// Drift holds the scheduled drift check's settings.
type Drift struct {
	// Every is the interval between checks; default 24h. Schedule, when
	// set, replaces it.
	Every Duration `yaml:"every,omitempty"`
	// Schedule is when checks run, in EventBridge syntax: "rate(1 hour)"
	// or "cron(0 6 * * ? *)". The local scheduler of `steward serve`
	// reads the same expression. Default: the rate of every.
	Schedule string `yaml:"schedule,omitempty"`
	// Window is how much captured traffic a check compares with the
	// training data; default 7d.
	Window Duration `yaml:"window,omitempty"`
	// MinRows is the fewest values a feature needs in the window for a
	// verdict (fewer give insufficient_data); default 100.
	MinRows int `yaml:"min_rows,omitempty"`
	// ShareThreshold: the dataset drifts when at least this share of the
	// features drift; default 0.5.
	ShareThreshold float64 `yaml:"share_threshold,omitempty"`
	// Features limits the check to these columns; default every feature.
	Features []string `yaml:"features,omitempty"`
	// Correction is applied across the features' p-values: bh
	// (Benjamini-Hochberg, the default), bonferroni or none.
	Correction string `yaml:"correction,omitempty"`
	// Overrides replace a feature's test or threshold.
	Overrides map[string]DriftOverride `yaml:"overrides,omitempty"`
}

// DriftOverride replaces one feature's test (ks, chisquare, z,
// wasserstein, jensenshannon or psi) or threshold.
type DriftOverride struct {
	Test      string  `yaml:"test,omitempty"`
	Threshold float64 `yaml:"threshold,omitempty"`
}

// Agent holds the policy of the agent that reacts to drift and failures.
// Agent.Policy turns it into the agent's Policy.
type Agent struct {
	// RetrainShare is the drift score from which the default severity tree
	// retrains (the lower bound of its retrain-auto band); default 0.5.
	// It must stay below 0.7, where retrain-approval starts; with bands
	// set, leave it at its default.
	RetrainShare float64 `yaml:"retrain_share,omitempty"`
	// RollbackDrop is the fall of a realised metric below the champion's
	// training value (with its whole confidence interval below it) that
	// makes the agent roll back after a promotion; default 0.05.
	RollbackDrop float64 `yaml:"rollback_drop,omitempty"`
	// RollbackWindow is how long after a promotion such a drop rolls back;
	// default 72h.
	RollbackWindow Duration `yaml:"rollback_window,omitempty"`
	// RollbackApproval asks a person (an escalation) instead of rolling
	// back at once.
	RollbackApproval bool `yaml:"rollback_approval,omitempty"`
	// EscalateAfter is how many failed attempts of one action make every
	// further failure an escalation; default 2.
	EscalateAfter int `yaml:"escalate_after,omitempty"`
	// Cooldown is the least time between two automatic retrainings;
	// default 6h.
	Cooldown Duration `yaml:"cooldown,omitempty"`
	// Bands is the severity tree on the drift score, lowest first: each
	// band applies from its from (inclusive) to the next band's
	// (exclusive), the last up to 1 inclusive. Default: log-only below
	// retrain_share, retrain-auto to 0.7, retrain-approval to 0.9,
	// escalate (and retrain with approval) from 0.9.
	Bands []agent.Band `yaml:"bands,omitempty"`
	// RetrainOnDecay retrains (with DecayApproval) when realised
	// performance decays outside the rollback window and the drift band
	// only logs; both default true.
	RetrainOnDecay *bool `yaml:"retrain_on_decay,omitempty"`
	DecayApproval  *bool `yaml:"decay_approval,omitempty"`
	// Concurrency bounds the provisioned concurrency the agent sets on
	// sustained throttling (AWS only); default min 0, max 10, step 2.
	Concurrency AgentConcurrency `yaml:"concurrency,omitempty"`
}

// AgentConcurrency bounds provisioned concurrency.
type AgentConcurrency struct {
	Min  int `yaml:"min,omitempty"`
	Max  int `yaml:"max,omitempty"`
	Step int `yaml:"step,omitempty"`
}

// Policy returns the agent's policy: agent.DefaultPolicy with this
// section's values.
func (a Agent) Policy() agent.Policy {
	p := agent.DefaultPolicy()
	if len(a.Bands) > 0 {
		p.Bands = append([]agent.Band(nil), a.Bands...)
	} else if a.RetrainShare > 0 {
		p.Bands[1].From = a.RetrainShare
	}
	if a.RollbackDrop > 0 {
		p.Rollback.Drop = a.RollbackDrop
	}
	if a.RollbackWindow > 0 {
		p.Rollback.Window = agent.Duration(a.RollbackWindow)
	}
	p.Rollback.Approval = a.RollbackApproval
	if a.EscalateAfter > 0 {
		p.EscalateAfter = a.EscalateAfter
	}
	p.Cooldown = agent.Duration(a.Cooldown)
	if a.RetrainOnDecay != nil {
		p.Performance.Retrain = *a.RetrainOnDecay
		p.Performance.Approval = p.Performance.Approval && p.Performance.Retrain
	}
	if a.DecayApproval != nil {
		p.Performance.Approval = *a.DecayApproval
	}
	if c := a.Concurrency; c != (AgentConcurrency{}) {
		p.Concurrency = agent.ConcurrencyPolicy{Min: c.Min, Max: c.Max, Step: c.Step}
	}
	return p
}

// Alarms holds the operational alarms `steward serve` raises from its
// metrics registry, the local part of the stack's CloudWatch alarms (whose
// thresholds the deployment sets in cdk.json): the share of API requests
// answered with a 5xx and the p99 latency, one datapoint per period, ALARM
// when datapoints of the last periods breach. Their state changes reach
// the agent as CloudWatch Alarm State Change events on the local bus.
type Alarms struct {
	// Disabled turns the local alarms off.
	Disabled bool `yaml:"disabled,omitempty"`
	// Every is the period of one datapoint; default 1m.
	Every Duration `yaml:"every,omitempty"`
	// ErrorRate is the share of a period's requests answered with a 5xx
	// above which the period breaches; default 0.01 (the stack's).
	ErrorRate float64 `yaml:"error_rate,omitempty"`
	// LatencyP99 is the p99 request latency above which a period
	// breaches; default 1s (the stack's).
	LatencyP99 Duration `yaml:"latency_p99,omitempty"`
	// MinRequests is the fewest requests a period needs for a datapoint
	// (fewer count as not breaching); default 10.
	MinRequests int `yaml:"min_requests,omitempty"`
	// Datapoints of the last Periods periods must breach for ALARM;
	// default 2 of 3 (the stack's).
	Datapoints int `yaml:"datapoints,omitempty"`
	Periods    int `yaml:"periods,omitempty"`
}

// Approval holds who approves promotions and for how long a request stands.
type Approval struct {
	// Approvers are the e-mail addresses asked to approve.
	Approvers []string `yaml:"approvers,omitempty"`
	// Expiry is how long an approval request stands: its links expire and
	// the waiting workflow escalates after it; default 72h.
	Expiry Duration `yaml:"expiry,omitempty"`
	// Margin is how much better than the champion a retrained candidate
	// must score on the same hold-out, by training.metric and in its units
	// (0.01 = one point of ROC AUC), to be proposed for promotion; default
	// 0: any improvement.
	Margin float64 `yaml:"margin,omitempty"`
	// EscalateTo hears about approval requests nobody decided in time;
	// default notify.to.
	EscalateTo []string `yaml:"escalate_to,omitempty"`
	// PublicURL is the base of approval links when STEWARD_PUBLIC_URL is
	// not set; without either, local links point at serving.addr.
	PublicURL string `yaml:"public_url,omitempty"`
}

// Notify holds where notifications go.
type Notify struct {
	// From is the sender address of e-mails.
	From string `yaml:"from,omitempty"`
	// To are the recipients of reports and escalations.
	To []string `yaml:"to,omitempty"`
	// SubjectPrefix starts every subject; default "[steward]".
	SubjectPrefix string `yaml:"subject_prefix,omitempty"`
	// Routes say who hears about which event kind (approval_requested,
	// promoted, rejected, rolled_back, escalated, drift_detected,
	// agent_action, failure, or default for the others): channel kind
	// (email, slack) → addresses or Slack channel names from Slack. Without
	// routes every event goes by email to To.
	Routes map[string]map[string][]string `yaml:"routes,omitempty"`
	// Slack names the Slack incoming webhooks routes may use. A webhook URL
	// is a secret and is never written here: each names where its URL is.
	Slack map[string]SlackWebhook `yaml:"slack,omitempty"`
	// Email says how e-mail leaves a local installation; on AWS it is SES.
	Email Email `yaml:"email,omitempty"`
}

// SlackWebhook says where one Slack incoming webhook's URL is kept: an
// environment variable, or a file in the data directory. On AWS the URLs
// come from the stack's Secrets Manager secret instead, a JSON object of
// channel name → URL.
type SlackWebhook struct {
	// WebhookEnv is the environment variable holding the URL.
	WebhookEnv string `yaml:"webhook_env,omitempty"`
	// WebhookFile is a file, relative to the data directory, holding the URL.
	WebhookFile string `yaml:"webhook_file,omitempty"`
}

// Email holds how local e-mail is sent.
type Email struct {
	// SMTP sends mail through a relay; without it mail goes to the outbox
	// directory in the data directory.
	SMTP *SMTP `yaml:"smtp,omitempty"`
}

// SMTP is an SMTP relay. Its password, when it needs one, comes from the
// environment (STEWARD_SMTP_PASSWORD), never from this file.
type SMTP struct {
	Host string `yaml:"host"`
	// Port is the relay's port; default 587 (465 with security tls, 25
	// with none).
	Port int `yaml:"port,omitempty"`
	// Security is starttls (default: the session must be upgraded), tls
	// (implicit TLS from the first byte) or none (only to the local host).
	Security string `yaml:"security,omitempty"`
	// User authenticates with PLAIN over the protected session.
	User string `yaml:"user,omitempty"`
}

// SMTP security modes.
const (
	SMTPStartTLS = "starttls"
	SMTPTLS      = "tls"
	SMTPNone     = "none"
)

// Load reads and validates the project configuration at path. Relative
// paths inside it are resolved against its directory.
func Load(path string) (*Project, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	p, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	p.dir = filepath.Dir(path)
	return p, nil
}

// Parse reads and validates a project configuration; name is used in error
// messages and as the base for relative paths. It applies the defaults.
func Parse(data []byte, name string) (*Project, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &FieldError{File: name, Msg: "the file is empty"}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, syntaxError(name, err)
	}
	idx := newIndex(&root)
	var errs []error
	checkKeys(&root, projectType, "", name, &errs)
	if len(errs) > 0 {
		return nil, joinErrs(errs)
	}
	p := &Project{file: name, dir: filepath.Dir(name)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(p); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				errs = append(errs, idx.typeError(name, m))
			}
			return nil, joinErrs(errs)
		}
		return nil, syntaxError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, &FieldError{File: name, Msg: "expected one YAML document, found more"}
	}
	p.applyDefaults()
	v := &validator{file: name, idx: idx}
	p.validate(v)
	if len(v.errs) > 0 {
		return nil, joinErrs(v.errs)
	}
	return p, nil
}

// Defaults of the sections other than training (whose defaults are
// train.Config.WithDefaults).
const (
	DefaultResultFormat   = "SUMMARY"
	DefaultServeAddr      = "127.0.0.1:8080"
	DefaultAlias          = "champion"
	DefaultMaxInstances   = 1000
	DefaultMaxBodyBytes   = 1 << 20
	DefaultDriftEvery     = Duration(24 * time.Hour)
	DefaultDriftWindow    = Duration(7 * 24 * time.Hour)
	DefaultDriftMinRows   = 100
	DefaultShareThreshold = 0.5
	DefaultRetrainShare   = 0.5
	DefaultRollbackDrop   = 0.05
	DefaultEscalateAfter  = 2
	DefaultCooldown       = Duration(6 * time.Hour)
	DefaultCorrection     = "bh"
	DefaultRollbackWindow = Duration(72 * time.Hour)
	DefaultApprovalExpiry = Duration(72 * time.Hour)
	DefaultSubjectPrefix  = "[steward]"
	DefaultAlarmEvery     = Duration(time.Minute)
	DefaultAlarmErrorRate = 0.01
	DefaultAlarmP99       = Duration(time.Second)
	DefaultAlarmMinReqs   = 10
	DefaultAlarmPoints    = 2
	DefaultAlarmPeriods   = 3
)

func (p *Project) applyDefaults() {
	if p.Data.Format == "" {
		p.Data.Format = "auto"
	}
	if p.Validation.ResultFormat == "" {
		p.Validation.ResultFormat = DefaultResultFormat
	}
	p.Training = p.Training.WithDefaults()
	s := &p.Serving
	if s.Addr == "" {
		s.Addr = DefaultServeAddr
	}
	if s.DefaultAlias == "" {
		s.DefaultAlias = DefaultAlias
	}
	if s.CaptureRate == nil {
		one := 1.0
		s.CaptureRate = &one
	}
	if s.MaxInstances == 0 {
		s.MaxInstances = DefaultMaxInstances
	}
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = DefaultMaxBodyBytes
	}
	d := &p.Drift
	if d.Every == 0 {
		d.Every = DefaultDriftEvery
	}
	if d.Window == 0 {
		d.Window = DefaultDriftWindow
	}
	if d.MinRows == 0 {
		d.MinRows = DefaultDriftMinRows
	}
	if d.ShareThreshold == 0 {
		d.ShareThreshold = DefaultShareThreshold
	}
	if d.Schedule == "" {
		d.Schedule = RateOf(d.Every)
	}
	if d.Correction == "" {
		d.Correction = DefaultCorrection
	}
	a := &p.Agent
	if a.RetrainShare == 0 {
		a.RetrainShare = DefaultRetrainShare
	}
	if a.RollbackDrop == 0 {
		a.RollbackDrop = DefaultRollbackDrop
	}
	if a.EscalateAfter == 0 {
		a.EscalateAfter = DefaultEscalateAfter
	}
	if a.Cooldown == 0 {
		a.Cooldown = DefaultCooldown
	}
	if a.RollbackWindow == 0 {
		a.RollbackWindow = DefaultRollbackWindow
	}
	al := &p.Alarms
	if al.Every == 0 {
		al.Every = DefaultAlarmEvery
	}
	if al.ErrorRate == 0 {
		al.ErrorRate = DefaultAlarmErrorRate
	}
	if al.LatencyP99 == 0 {
		al.LatencyP99 = DefaultAlarmP99
	}
	if al.MinRequests == 0 {
		al.MinRequests = DefaultAlarmMinReqs
	}
	if al.Datapoints == 0 && al.Periods == 0 {
		al.Datapoints, al.Periods = DefaultAlarmPoints, DefaultAlarmPeriods
	} else if al.Periods == 0 {
		al.Periods = al.Datapoints
	} else if al.Datapoints == 0 {
		al.Datapoints = min(DefaultAlarmPoints, al.Periods)
	}
	if p.Approval.Expiry == 0 {
		p.Approval.Expiry = DefaultApprovalExpiry
	}
	if p.Notify.SubjectPrefix == "" {
		p.Notify.SubjectPrefix = DefaultSubjectPrefix
	}
	if m := p.Notify.Email.SMTP; m != nil {
		if m.Security == "" {
			m.Security = SMTPStartTLS
		}
		if m.Port == 0 {
			m.Port = map[string]int{SMTPStartTLS: 587, SMTPTLS: 465, SMTPNone: 25}[m.Security]
		}
	}
}

var modelName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

var resultFormats = []string{"BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE"}

func (p *Project) validate(v *validator) {
	p.validateModel(v)
	names, target := p.validateData(v)
	p.validateValidationAndTraining(v)
	p.validateServing(v)
	p.validateDrift(v, names, target)
	p.validateAgent(v)
	p.validateAlarms(v)
	p.validateApproval(v)
	p.validateNotify(v)
}

func (p *Project) validateModel(v *validator) {
	if p.Model.Name == "" {
		v.add("model.name", "is required")
	} else if !modelName.MatchString(p.Model.Name) {
		v.add("model.name", "expected lowercase letters, digits, '-' or '_', starting with a letter (at most 63), got %q", p.Model.Name)
	}
}

// validateData checks data and, when everything so far is valid, builds the
// schema. It returns the column index by name and the parsed target, which
// the later sections check against.
func (p *Project) validateData(v *validator) (names map[string]int, target dataset.Target) {
	if p.Data.Source == "" {
		v.add("data.source", "is required (the data file, relative to this file)")
	}
	switch p.Data.Format {
	case "auto", "uci", "csv":
	default:
		v.add("data.format", "expected one of auto, uci, csv, got %q", p.Data.Format)
	}
	if len(p.Data.Columns) == 0 {
		v.add("data.columns", "is required: list the columns in file order")
	}
	names = map[string]int{}
	for i, c := range p.Data.Columns {
		at := fmt.Sprintf("data.columns[%d]", i)
		if c.Name == "" {
			v.add(at+".name", "is required")
		} else if j, dup := names[c.Name]; dup {
			v.add(at+".name", "%q is already the name of data.columns[%d]", c.Name, j)
		} else {
			names[c.Name] = i
		}
		switch c.Kind {
		case dataset.Numeric, dataset.Categorical, dataset.Binary:
		case "":
			v.add(at+".kind", "is required: one of numeric, categorical, binary")
		default:
			v.add(at+".kind", "expected one of numeric, categorical, binary, got %q", c.Kind)
		}
		checkColumn(v, at, c)
	}
	if p.Data.Target == "" {
		v.add("data.target", `is required, e.g. "num > 0" or a 0/1 label column`)
	} else if t, err := dataset.ParseTarget(p.Data.Target); err != nil {
		v.add("data.target", "%s", strings.TrimPrefix(err.Error(), dataset.ErrSchema.Error()+": "))
	} else if _, ok := names[t.Column]; !ok && len(names) > 0 {
		v.add("data.target", "column %q is not among data.columns", t.Column)
	} else {
		target = t
	}
	if len(v.errs) == 0 {
		s := &dataset.Schema{Columns: p.Data.Columns, Missing: p.Data.Missing, Target: target}
		if err := s.Validate(); err != nil {
			v.add("data", "%v", err)
		}
		p.schema = s
	}
	return names, target
}

func (p *Project) validateValidationAndTraining(v *validator) {
	if !contains(resultFormats, p.Validation.ResultFormat) {
		v.add("validation.result_format", "expected one of %s, got %q", strings.Join(resultFormats, ", "), p.Validation.ResultFormat)
	}

	if err := p.Training.Validate(); err != nil {
		v.add("training", "%s", strings.TrimPrefix(err.Error(), train.ErrInvalidConfig.Error()+": "))
	}
	if s := p.Training.Schedule; s != "" {
		if _, err := schedule.Parse(s); err != nil {
			v.add("training.schedule", "%s", strings.TrimPrefix(err.Error(), schedule.ErrSyntax.Error()+": "))
		}
	}
}

func (p *Project) validateServing(v *validator) {
	s := p.Serving
	if r := *s.CaptureRate; r < 0 || r > 1 || math.IsNaN(r) {
		v.add("serving.capture_rate", "expected a number between 0 and 1, got %g", r)
	}
	if s.MaxInstances < 0 {
		v.add("serving.max_instances", "expected a positive number, got %d", s.MaxInstances)
	}
	if s.MaxBodyBytes < 0 {
		v.add("serving.max_body_bytes", "expected a positive number, got %d", s.MaxBodyBytes)
	}
	if s.DefaultAlias != "" && !modelName.MatchString(s.DefaultAlias) {
		v.add("serving.default_alias", "expected an alias such as champion, got %q", s.DefaultAlias)
	}
}

func (p *Project) validateDrift(v *validator, names map[string]int, target dataset.Target) {
	d := p.Drift
	kinds := map[string]dataset.Kind{}
	for name, i := range names {
		kinds[name] = p.Data.Columns[i].Kind
	}
	if d.Every < Duration(time.Minute) {
		v.add("drift.every", "expected at least 1m, got %s", d.Every)
	}
	if d.Window < 0 {
		v.add("drift.window", "expected a positive duration, got %s", d.Window)
	}
	if d.MinRows < 0 {
		v.add("drift.min_rows", "expected a positive number, got %d", d.MinRows)
	}
	if d.ShareThreshold <= 0 || d.ShareThreshold > 1 {
		v.add("drift.share_threshold", "expected a number in (0, 1], got %g", d.ShareThreshold)
	}
	for i, f := range d.Features {
		if _, ok := names[f]; !ok && len(names) > 0 {
			v.add(fmt.Sprintf("drift.features[%d]", i), "column %q is not among data.columns", f)
		} else if f == target.Column {
			v.add(fmt.Sprintf("drift.features[%d]", i), "%q is the target column, not a feature", f)
		}
	}

	if _, err := schedule.Parse(d.Schedule); err != nil {
		v.add("drift.schedule", "%s", strings.TrimPrefix(err.Error(), schedule.ErrSyntax.Error()+": "))
	}
	switch d.Correction {
	case string(drift.CorrectionBH), string(drift.CorrectionBonferroni), string(drift.CorrectionNone):
	default:
		v.add("drift.correction", "expected bh, bonferroni or none, got %q", d.Correction)
	}
	for _, name := range sortedKeys(d.Overrides) {
		o, at := d.Overrides[name], "drift.overrides."+name
		if _, ok := names[name]; !ok && len(names) > 0 {
			v.add(at, "column %q is not among data.columns", name)
		}
		if o.Test != "" {
			checkDriftTest(v, at+".test", o.Test, kinds[name])
		}
		if o.Threshold < 0 || math.IsNaN(o.Threshold) {
			v.add(at+".threshold", "expected a positive number, got %g", o.Threshold)
		}
	}
}

// checkDriftTest checks an override's test against the drift tests'
// registry: a known name, applicable to the column's kind (when known).
func checkDriftTest(v *validator, at, name string, kind dataset.Kind) {
	t, ok := drift.LookupTest(drift.TestName(name))
	if !ok {
		v.add(at, "expected one of %s, got %q", strings.Join(drift.TestNames(), ", "), name)
		return
	}
	if kind != "" && !t.Applies(drift.Kind(kind)) {
		v.add(at, "%s does not apply to %s columns", name, kind)
	}
}

func (p *Project) validateAgent(v *validator) {
	a := p.Agent
	if a.RetrainShare <= 0 || a.RetrainShare > 1 {
		v.add("agent.retrain_share", "expected a number in (0, 1], got %g", a.RetrainShare)
	}
	if len(a.Bands) > 0 && a.RetrainShare != DefaultRetrainShare {
		v.add("agent.retrain_share", "set the bands' from values instead: retrain_share only moves the default tree")
	}
	if a.RollbackWindow < 0 {
		v.add("agent.rollback_window", "expected a positive duration, got %s", a.RollbackWindow)
	}
	if a.RollbackDrop <= 0 || a.RollbackDrop >= 1 {
		v.add("agent.rollback_drop", "expected a number in (0, 1), got %g", a.RollbackDrop)
	}
	if a.EscalateAfter < 1 {
		v.add("agent.escalate_after", "expected at least 1, got %d", a.EscalateAfter)
	}
	if a.Cooldown < 0 {
		v.add("agent.cooldown", "expected a positive duration, got %s", a.Cooldown)
	}
	if len(v.errs) == 0 {
		if err := a.Policy().Validate(); err != nil {
			for _, e := range strings.Split(err.Error(), "\n") {
				path := "agent"
				msg := strings.TrimPrefix(e, agent.ErrPolicy.Error()+": ")
				if field, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(field, "bands[") && len(a.Bands) > 0 {
					path, msg = "agent."+field, rest
				} else if len(a.Bands) == 0 && strings.HasPrefix(field, "bands[") {
					path, msg = "agent.retrain_share", fmt.Sprintf("%g makes the default severity tree invalid: %s", a.RetrainShare, rest)
				}
				v.add(path, "%s", msg)
			}
		}
	}
}

func (p *Project) validateAlarms(v *validator) {
	al := p.Alarms
	if al.Every < Duration(time.Second) {
		v.add("alarms.every", "expected at least 1s, got %s", al.Every)
	}
	if !(al.ErrorRate > 0 && al.ErrorRate < 1) {
		v.add("alarms.error_rate", "expected a share in (0, 1), got %g", al.ErrorRate)
	}
	if al.LatencyP99 < Duration(time.Millisecond) {
		v.add("alarms.latency_p99", "expected at least 1ms, got %s", al.LatencyP99)
	}
	if al.MinRequests < 1 {
		v.add("alarms.min_requests", "expected at least 1, got %d", al.MinRequests)
	}
	if al.Datapoints < 1 || al.Periods < al.Datapoints || al.Periods > 60 {
		v.add("alarms.datapoints", "expected 1 <= datapoints <= periods <= 60, got %d of %d", al.Datapoints, al.Periods)
	}
}

func (p *Project) validateApproval(v *validator) {
	for i, addr := range p.Approval.Approvers {
		checkEmail(v, fmt.Sprintf("approval.approvers[%d]", i), addr)
	}
	if p.Approval.Expiry < Duration(time.Minute) {
		v.add("approval.expiry", "expected at least 1m, got %s", p.Approval.Expiry)
	}
	if m := p.Approval.Margin; !(m >= 0 && m < 1) {
		v.add("approval.margin", "expected a number in [0, 1) in the units of training.metric, got %g", m)
	}
	for i, addr := range p.Approval.EscalateTo {
		checkEmail(v, fmt.Sprintf("approval.escalate_to[%d]", i), addr)
	}
	if u := p.Approval.PublicURL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			v.add("approval.public_url", "expected an absolute http or https URL, got %q", u)
		}
	}
}

func (p *Project) validateNotify(v *validator) {
	if p.Notify.From != "" {
		checkEmail(v, "notify.from", p.Notify.From)
	}
	for i, addr := range p.Notify.To {
		checkEmail(v, fmt.Sprintf("notify.to[%d]", i), addr)
	}
	for _, name := range sortedKeys(p.Notify.Slack) {
		at, w := "notify.slack."+name, p.Notify.Slack[name]
		if !slackName.MatchString(name) {
			v.add(at, "expected a channel name of lowercase letters, digits, '-' or '_', got %q", name)
		}
		switch {
		case (w.WebhookEnv == "") == (w.WebhookFile == ""):
			v.add(at, "give exactly one of webhook_env (an environment variable) or webhook_file (a file in the data directory) holding the webhook URL")
		case looksLikeURL(w.WebhookEnv):
			v.add(at+".webhook_env", "is a webhook URL; a webhook URL is a secret and never goes in steward.yaml: name the environment variable that holds it")
		case looksLikeURL(w.WebhookFile):
			v.add(at+".webhook_file", "is a webhook URL; a webhook URL is a secret and never goes in steward.yaml: name the file in the data directory that holds it")
		case w.WebhookEnv != "" && !envName.MatchString(w.WebhookEnv):
			v.add(at+".webhook_env", "expected an environment variable name such as STEWARD_SLACK_WEBHOOK, got %q", w.WebhookEnv)
		case w.WebhookFile != "" && (filepath.IsAbs(w.WebhookFile) || strings.HasPrefix(filepath.Clean(w.WebhookFile), "..")):
			v.add(at+".webhook_file", "must be a path inside the data directory, got %q", w.WebhookFile)
		}
	}
	for _, kind := range sortedKeys(p.Notify.Routes) {
		at := "notify.routes." + kind
		if kind != "default" && !slices.Contains(notify.Kinds, kind) {
			v.add(at, "unknown event kind (want one of %s or default)", strings.Join(notify.Kinds, ", "))
		}
		route := p.Notify.Routes[kind]
		for _, ch := range sortedKeys(route) {
			for i, t := range route[ch] {
				tp := fmt.Sprintf("%s.%s[%d]", at, ch, i)
				switch ch {
				case notify.EmailChannel:
					checkEmail(v, tp, t)
				case notify.SlackChannel:
					if looksLikeURL(t) {
						v.add(tp, "is a webhook URL; a webhook URL is a secret and never goes in steward.yaml: name a channel of notify.slack and keep its URL in the environment or a file")
					} else if _, ok := p.Notify.Slack[t]; !ok {
						v.add(tp, "unknown Slack channel %q (declare it under notify.slack)", t)
					}
				default:
					v.add(at+"."+ch, "unknown channel (want one of %s, %s)", notify.EmailChannel, notify.SlackChannel)
				}
			}
		}
	}
	if m := p.Notify.Email.SMTP; m != nil {
		if m.Host == "" {
			v.add("notify.email.smtp.host", "is required")
		}
		if m.Port < 1 || m.Port > 65535 {
			v.add("notify.email.smtp.port", "expected a port from 1 to 65535, got %d", m.Port)
		}
		switch m.Security {
		case SMTPStartTLS, SMTPTLS:
		case SMTPNone:
			if m.Host != "localhost" && m.Host != "127.0.0.1" && m.Host != "::1" {
				v.add("notify.email.smtp.security", "none sends the password and mail in clear text and is allowed only to localhost, got host %q", m.Host)
			}
		default:
			v.add("notify.email.smtp.security", "expected starttls, tls or none, got %q", m.Security)
		}
	}
}

var (
	slackName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	envName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// looksLikeURL reports whether s is a URL rather than a name.
func looksLikeURL(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(s, "hooks.slack.com")
}

// checkColumn checks one schema column where the YAML has it, so that each
// problem names its own path (Schema.Validate repeats the checks as a net).
func checkColumn(v *validator, at string, c dataset.Column) {
	if c.Kind == dataset.Categorical || c.Kind == dataset.Binary {
		if c.Min != nil {
			v.add(at+".min", "is for numeric columns; a %s column lists levels", c.Kind)
		}
		if c.Max != nil {
			v.add(at+".max", "is for numeric columns; a %s column lists levels", c.Kind)
		}
	}
	for _, b := range []struct {
		name string
		p    *float64
	}{{"min", c.Min}, {"max", c.Max}} {
		if b.p != nil && (math.IsNaN(*b.p) || math.IsInf(*b.p, 0)) {
			v.add(at+"."+b.name, "expected a finite number, got %g", *b.p)
		}
	}
	if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
		v.add(at+".min", "%g is greater than max %g", *c.Min, *c.Max)
	}
	switch c.Kind {
	case dataset.Numeric:
		if len(c.Levels) > 0 {
			v.add(at+".levels", "levels are for categorical or binary columns, not numeric")
		}
	case dataset.Categorical:
		if len(c.Levels) == 0 {
			v.add(at+".levels", "is required for a categorical column: list its codes")
		}
	}
	seen := map[float64]int{}
	for k, l := range c.Levels {
		lp := fmt.Sprintf("%s.levels[%d].value", at, k)
		if math.IsNaN(l.Value) || math.IsInf(l.Value, 0) {
			v.add(lp, "expected a finite number, got %g", l.Value)
		} else if j, dup := seen[l.Value]; dup {
			v.add(lp, "%g is already levels[%d]", l.Value, j)
		} else if c.Kind == dataset.Binary && l.Value != 0 && l.Value != 1 {
			v.add(lp, "a binary level is 0 or 1, got %g", l.Value)
		}
		seen[l.Value] = k
	}
}

func checkEmail(v *validator, path, addr string) {
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" {
		v.add(path, "expected an e-mail address such as ops@example.com, got %q", addr)
	}
}

// RateOf writes an interval as an EventBridge rate expression in its
// largest whole unit ("rate(1 day)", "rate(90 minutes)"); intervals that
// are not whole minutes give "" (which fails validation).
func RateOf(d Duration) string {
	td := time.Duration(d)
	if td <= 0 || td%time.Minute != 0 {
		return ""
	}
	n, unit := int64(td/time.Minute), "minute"
	switch {
	case td%(24*time.Hour) == 0:
		n, unit = int64(td/(24*time.Hour)), "day"
	case td%time.Hour == 0:
		n, unit = int64(td/time.Hour), "hour"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("rate(%d %s)", n, unit)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Schema returns the dataset schema the configuration describes (columns,
// missing markers and target). It is shared; do not modify it.
func (p *Project) Schema() *dataset.Schema { return p.schema }

// DataFormat returns the loader format of data.format.
func (p *Project) DataFormat() dataset.Format {
	switch p.Data.Format {
	case "uci":
		return dataset.FormatRaw
	case "csv":
		return dataset.FormatHeader
	}
	return dataset.FormatAuto
}

// Resolve returns path relative to the configuration file's directory
// (absolute paths are returned as they are).
func (p *Project) Resolve(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.dir, path)
}

// DataPath returns the resolved data source.
func (p *Project) DataPath() string { return p.Resolve(p.Data.Source) }

// SuitePath returns the resolved suite file, or "" when none is configured.
func (p *Project) SuitePath() string { return p.Resolve(p.Validation.Suite) }

// Escalation returns who hears about approval requests nobody decided in
// time: approval.escalate_to, else notify.to.
func (p *Project) Escalation() []string {
	if len(p.Approval.EscalateTo) > 0 {
		return p.Approval.EscalateTo
	}
	return p.Notify.To
}

// File returns the name the configuration was loaded from.
func (p *Project) File() string { return p.file }
