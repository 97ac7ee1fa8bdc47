package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// ErrConfig is wrapped by every configuration error LoadConfig returns.
var ErrConfig = errors.New("infra: bad configuration")

// Stages are the deployment stages the stack knows. Only dev may lose data
// on destroy; the others keep the table and secret and protect the table
// from deletion.
var Stages = []string{"dev", "staging", "prod"}

// Context keys read by LoadConfig. They are set in cdk.json under "context"
// or on the command line with -c key=value.
const (
	KeyStage                = "stage"
	KeyApproverEmails       = "approverEmails"
	KeyEscalationEmails     = "escalationEmails"
	KeySenderIdentity       = "senderIdentity"
	KeySenderAddress        = "senderAddress"
	KeyDriftSchedule        = "driftSchedule"
	KeyMemorySizes          = "memorySizes"
	KeyTracing              = "tracing"
	KeyLogRetentionDays     = "logRetentionDays"
	KeyCaptureRetentionDays = "captureRetentionDays"
	KeyAPIRateLimit         = "apiRateLimit"
	KeyAPIBurstLimit        = "apiBurstLimit"
	KeyAPIQuotaPerMonth     = "apiQuotaPerMonth"
	KeyAlarm5xxRate         = "alarm5xxRate"
	KeyAlarmLatencyP99Ms    = "alarmLatencyP99Ms"
	KeyBuildDir             = "buildDir"
	KeyStateMachineFile     = "stateMachineFile"
	KeyPlaceholderAssets    = "placeholderAssets"
	KeyProjectConfig        = "projectConfig"
)

// Config is the validated configuration of one deployment.
type Config struct {
	Stage          string   // dev, staging or prod
	Approvers      []string // approval emails go to each
	Escalation     []string // escalations and alarm emails; defaults to Approvers
	SenderIdentity string   // verified SES identity: an address or a domain
	SenderAddress  string   // From address; defaults to SenderIdentity or steward@domain
	DriftSchedule  string   // EventBridge rate(...) or cron(...) expression; empty: the project's drift.schedule, or the rate of its drift.every

	// Memory is the memory size in MB of every function in Functions.
	Memory  map[string]int
	Tracing bool // X-Ray active tracing on the functions and the API

	LogRetentionDays     int // CloudWatch Logs retention of every log group
	CaptureRetentionDays int // captured predictions expire after this many days

	APIRateLimit     float64 // steady requests per second per API key
	APIBurstLimit    int     // burst per API key
	APIQuotaPerMonth int     // requests per API key per month

	Alarm5xxRate      float64 // share of requests answered 5xx that raises the alarm
	AlarmLatencyP99Ms int     // p99 API latency in milliseconds that raises the alarm

	// Warnings are problems tolerated in dev only, such as the example
	// addresses cdk.json ships with; the stack reports them as warnings.
	Warnings []string

	BuildDir          string // holds <name>/bootstrap for every function
	StateMachineFile  string // the retraining ASL
	ProjectFile       string // steward.yaml, uploaded with its suite under config/
	PlaceholderAssets bool   // stand in for missing bootstraps (synth only)
}

// Destroyable reports whether stateful resources may be deleted with the
// stack: only in the dev stage.
func (c Config) Destroyable() bool { return c.Stage == "dev" }

// Prefix is the name prefix of named resources, e.g. "steward-prod".
func (c Config) Prefix() string { return "steward-" + c.Stage }

// Lookup returns the context value stored under key, or nil when unset.
// Values from cdk.json keep their JSON type; values from -c are strings.
type Lookup func(key string) any

// Defaults applied when a context key is unset.
const (
	DefaultStage                = "dev"
	DefaultDriftSchedule        = "" // the project's (ProjectDriftSchedule)
	DefaultLogRetentionDays     = 30
	DefaultCaptureRetentionDays = 365
	DefaultAPIRateLimit         = 50
	DefaultAPIBurstLimit        = 100
	DefaultAPIQuotaPerMonth     = 5_000_000
	DefaultAlarm5xxRate         = 0.01
	DefaultAlarmLatencyP99Ms    = 1000
)

// retentionDays lists the retention periods CloudWatch Logs accepts.
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// LoadConfig reads and validates the configuration. root is the repository
// root: the default build directory and state machine file are below it.
// Every problem found is reported in one error wrapping ErrConfig, each
// naming its context key, the value given and what was expected.
func LoadConfig(get Lookup, root string) (Config, error) {
	p := &parser{get: get}
	c := Config{
		Stage:                p.oneOf(KeyStage, DefaultStage, Stages),
		Approvers:            p.emails(KeyApproverEmails, true),
		Escalation:           p.emails(KeyEscalationEmails, false),
		DriftSchedule:        p.schedule(KeyDriftSchedule, DefaultDriftSchedule),
		Memory:               p.memory(KeyMemorySizes),
		Tracing:              p.boolean(KeyTracing, false),
		LogRetentionDays:     p.retention(KeyLogRetentionDays),
		CaptureRetentionDays: p.integer(KeyCaptureRetentionDays, DefaultCaptureRetentionDays, 1, 36500),
		APIRateLimit:         p.number(KeyAPIRateLimit, DefaultAPIRateLimit, 1, 10000),
		APIBurstLimit:        p.integer(KeyAPIBurstLimit, DefaultAPIBurstLimit, 1, 5000),
		APIQuotaPerMonth:     p.integer(KeyAPIQuotaPerMonth, DefaultAPIQuotaPerMonth, 1, math.MaxInt32),
		Alarm5xxRate:         p.number(KeyAlarm5xxRate, DefaultAlarm5xxRate, 0.0001, 1),
		AlarmLatencyP99Ms:    p.integer(KeyAlarmLatencyP99Ms, DefaultAlarmLatencyP99Ms, 10, 29000),
		BuildDir:             p.path(KeyBuildDir, root, "build"),
		StateMachineFile:     p.path(KeyStateMachineFile, root, filepath.Join("statemachines", "retrain.asl.json")),
		PlaceholderAssets:    p.boolean(KeyPlaceholderAssets, false),
		ProjectFile:          p.path(KeyProjectConfig, root, "steward.yaml"),
	}
	c.SenderIdentity, c.SenderAddress = p.sender()
	if c.Escalation == nil {
		c.Escalation = c.Approvers
	}
	c.Warnings = p.examples(c)
	if len(p.problems) > 0 {
		return Config{}, fmt.Errorf("%w: %s", ErrConfig, strings.Join(p.problems, "; "))
	}
	return c, nil
}

// parser collects every problem instead of stopping at the first, so one
// synth run tells the user everything to fix.
type parser struct {
	get      Lookup
	problems []string
}

func (p *parser) fail(key string, v any, want string) {
	p.problems = append(p.problems, fmt.Sprintf("%s = %s: want %s", key, show(v), want))
}

func show(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
}

// str returns a string context value, ok=false when unset or empty.
func (p *parser) str(key string) (string, bool) {
	v := p.get(key)
	if v == nil {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		p.fail(key, v, "a string")
		return "", false
	}
	s = strings.TrimSpace(s)
	return s, s != ""
}

func (p *parser) oneOf(key, def string, allowed []string) string {
	s, ok := p.str(key)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	p.fail(key, s, "one of "+strings.Join(allowed, ", "))
	return def
}

// emails accepts a comma-separated string or a JSON array of addresses.
func (p *parser) emails(key string, required bool) []string {
	v := p.get(key)
	var items []string
	switch v := v.(type) {
	case nil:
	case string:
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
	case []any:
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				p.fail(fmt.Sprintf("%s[%d]", key, i), e, "an email address")
				return nil
			}
			items = append(items, strings.TrimSpace(s))
		}
	default:
		p.fail(key, v, "a comma-separated list of email addresses")
		return nil
	}
	if len(items) == 0 {
		if required {
			p.problems = append(p.problems, fmt.Sprintf("%s is missing: want at least one email address (cdk.json context or -c %s=you@example.com)", key, key))
		}
		return nil
	}
	for i, s := range items {
		if !isAddress(s) {
			p.fail(fmt.Sprintf("%s[%d]", key, i), s, "an email address like name@example.com")
		}
	}
	return items
}

// reservedDomains are the names set aside for examples and tests (RFC 2606
// and RFC 6761): mail to them never arrives.
var reservedDomains = []string{"example.com", "example.net", "example.org", "example", "invalid", "test", "localhost"}

func isReserved(addrOrDomain string) bool {
	d := strings.ToLower(addrOrDomain[strings.LastIndex(addrOrDomain, "@")+1:])
	for _, r := range reservedDomains {
		if d == r || strings.HasSuffix(d, "."+r) {
			return true
		}
	}
	return false
}

// examples finds example addresses: a problem outside dev, where mail
// must reach people; a warning in dev, so that a fresh clone synthesizes.
func (p *parser) examples(c Config) []string {
	var found []string
	check := func(key string, values []string) {
		for i, v := range values {
			if v == "" || !isReserved(v) {
				continue
			}
			field := key
			if len(values) > 1 {
				field = fmt.Sprintf("%s[%d]", key, i)
			}
			found = append(found, fmt.Sprintf("%s = %q", field, v))
		}
	}
	check(KeyApproverEmails, c.Approvers)
	if p.get(KeyEscalationEmails) != nil {
		check(KeyEscalationEmails, c.Escalation)
	}
	check(KeySenderIdentity, []string{c.SenderIdentity})
	if len(found) == 0 {
		return nil
	}
	msg := strings.Join(found, ", ") + " is a reserved example address, where mail never arrives"
	if c.Stage != "dev" {
		p.problems = append(p.problems, msg+": want real addresses for stage "+c.Stage)
		return nil
	}
	return []string{msg + ": set your own in cdk.json before relying on approvals and alarms"}
}

func isAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

var domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

// sender reads the SES identity (an address or a domain) and the From
// address, which must belong to the identity.
func (p *parser) sender() (identity, address string) {
	identity, ok := p.str(KeySenderIdentity)
	if !ok {
		p.problems = append(p.problems, fmt.Sprintf("%s is missing: want the SES identity verified for sending, an address or a domain (-c %s=example.com)", KeySenderIdentity, KeySenderIdentity))
		return "", ""
	}
	domain := identity
	if strings.Contains(identity, "@") {
		if !isAddress(identity) {
			p.fail(KeySenderIdentity, identity, "an email address or a domain name")
			return "", ""
		}
		domain = ""
	} else if !domainRE.MatchString(strings.ToLower(identity)) {
		p.fail(KeySenderIdentity, identity, "an email address or a domain name")
		return "", ""
	}
	address, ok = p.str(KeySenderAddress)
	switch {
	case !ok && domain == "":
		address = identity
	case !ok:
		address = "steward@" + domain
	case !isAddress(address):
		p.fail(KeySenderAddress, address, "an email address")
	case domain == "" && address != identity:
		p.fail(KeySenderAddress, address, "the senderIdentity address "+identity+" (SES sends only from a verified identity)")
	case domain != "" && !strings.EqualFold(address[strings.LastIndex(address, "@")+1:], domain):
		p.fail(KeySenderAddress, address, "an address at the senderIdentity domain "+domain)
	}
	return identity, address
}

func (p *parser) schedule(key, def string) string {
	s, ok := p.str(key)
	if !ok {
		return def
	}
	if err := ValidateSchedule(s); err != nil {
		p.fail(key, s, "an EventBridge schedule: "+strings.TrimPrefix(err.Error(), ErrSchedule.Error()+": "))
	}
	return s
}

func (p *parser) boolean(key string, def bool) bool {
	switch v := p.get(key).(type) {
	case nil:
		return def
	case bool:
		return v
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1", "yes":
			return true
		case "false", "0", "no", "":
			return false
		}
		p.fail(key, v, "true or false")
	default:
		p.fail(key, v, "true or false")
	}
	return def
}

// num reads a number given as JSON number or string; ok=false when unset.
func (p *parser) num(key string) (float64, bool) {
	switch v := p.get(key).(type) {
	case nil:
		return 0, false
	case float64:
		return v, true
	case int:
		return float64(v), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			p.fail(key, v, "a number")
			return 0, false
		}
		return f, true
	default:
		p.fail(key, v, "a number")
		return 0, false
	}
}

func (p *parser) number(key string, def, lo, hi float64) float64 {
	f, ok := p.num(key)
	if !ok {
		return def
	}
	if f < lo || f > hi {
		p.fail(key, f, fmt.Sprintf("a number from %g to %g", lo, hi))
		return def
	}
	return f
}

func (p *parser) integer(key string, def, lo, hi int) int {
	f, ok := p.num(key)
	if !ok {
		return def
	}
	if f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		p.fail(key, f, fmt.Sprintf("a whole number from %d to %d", lo, hi))
		return def
	}
	return int(f)
}

func (p *parser) retention(key string) int {
	f, ok := p.num(key)
	if !ok {
		return DefaultLogRetentionDays
	}
	for _, d := range retentionDays {
		if float64(d) == f {
			return d
		}
	}
	s := make([]string, len(retentionDays))
	for i, d := range retentionDays {
		s[i] = strconv.Itoa(d)
	}
	p.fail(key, f, "one of the CloudWatch Logs retention periods "+strings.Join(s, ", "))
	return DefaultLogRetentionDays
}

// path reads a file path; relative paths are relative to the repository
// root, wherever the program runs.
func (p *parser) path(key, root, def string) string {
	s, ok := p.str(key)
	if !ok {
		s = def
	}
	if filepath.IsAbs(s) {
		return s
	}
	return filepath.Join(root, s)
}

// memory reads per-function memory sizes given as a JSON object (cdk.json),
// a JSON string of one, or "name=MB,name=MB" (-c), over the defaults of
// Functions.
func (p *parser) memory(key string) map[string]int {
	sizes := make(map[string]int, len(Functions))
	for _, f := range Functions {
		sizes[f.Name] = f.MemoryMB
	}
	given := map[string]any{}
	switch v := p.get(key).(type) {
	case nil:
		return sizes
	case map[string]any:
		given = v
	case string:
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, "{") {
			if err := json.Unmarshal([]byte(v), &given); err != nil {
				p.fail(key, v, "a JSON object of function name to MB")
				return sizes
			}
			break
		}
		for _, kv := range strings.Split(v, ",") {
			if strings.TrimSpace(kv) == "" {
				continue
			}
			name, mb, ok := strings.Cut(kv, "=")
			if !ok {
				p.fail(key, v, `"name=MB,name=MB", e.g. "train=3008,predict=1024"`)
				return sizes
			}
			given[strings.TrimSpace(name)] = strings.TrimSpace(mb)
		}
	default:
		p.fail(key, v, "a JSON object of function name to MB")
		return sizes
	}
	names := make([]string, 0, len(given))
	for name := range given {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		field := key + "." + name
		if _, known := sizes[name]; !known {
			p.fail(field, given[name], "a function name, one of "+strings.Join(FunctionNames(), ", "))
			continue
		}
		sub := &parser{get: func(string) any { return given[name] }}
		mb := sub.integer(field, 0, 128, 10240)
		for _, prob := range sub.problems {
			p.problems = append(p.problems, strings.Replace(prob, "from 128 to 10240", "from 128 to 10240 (MB)", 1))
		}
		if len(sub.problems) == 0 {
			sizes[name] = mb
		}
	}
	return sizes
}
