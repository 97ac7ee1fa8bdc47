package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
)

// Runtime holds the settings that differ between deployments of the same
// project: where state lives and which endpoints to call. FromEnv is the
// only reader of the environment.
type Runtime struct {
	// DataDir is the local platform's data directory (STEWARD_DATA_DIR,
	// default .steward).
	DataDir string
	// ConfigPath is the project configuration (STEWARD_CONFIG, default
	// steward.yaml).
	ConfigPath string
	// Stage names the deployment, e.g. dev or prod (STEWARD_STAGE, default
	// local): lowercase letters, digits and '-'.
	Stage string
	// Region is the AWS region (STEWARD_REGION, else AWS_REGION).
	Region string
	// Bucket is the S3 bucket of the artifact store (STEWARD_BUCKET).
	Bucket string
	// Table is the DynamoDB table of the record store (STEWARD_TABLE).
	Table string
	// PublicURL is the base URL that approval links and reports point to
	// (STEWARD_PUBLIC_URL), absolute http or https.
	PublicURL string
	// StateMachineARN is the retraining workflow (STEWARD_STATE_MACHINE_ARN).
	StateMachineARN string
	// PredictAliasARN is the predict function's live alias
	// (STEWARD_PREDICT_ALIAS_ARN, arn:aws:lambda:...:function:NAME:live),
	// whose provisioned concurrency the agent raises on sustained
	// throttling; unset, scaling decisions are recorded as not applicable.
	PredictAliasARN string
	// EventBus is the EventBridge bus for platform events (STEWARD_EVENT_BUS).
	EventBus string
	// EmailFrom is the sender of notifications (STEWARD_EMAIL_FROM).
	EmailFrom string
	// ApprovalSecret names the secret holding the approval-link signing key
	// (STEWARD_APPROVAL_SECRET: a Secrets Manager name or ARN on AWS).
	ApprovalSecret string
	// Approvers, when set, replace the project's approval.approvers: the
	// deployment names who approves (STEWARD_APPROVERS, comma-separated
	// e-mail addresses; the CDK stack sets it from its approverEmails).
	Approvers []string
	// Escalation, when set, replaces the project's escalation list
	// (approval.escalate_to, else notify.to): who hears about undecided
	// approvals and the agent's escalations (STEWARD_ESCALATION,
	// comma-separated e-mail addresses).
	Escalation []string
	// LogLevel is debug, info, warn or error (STEWARD_LOG_LEVEL, default info).
	LogLevel string
	// SMTPPassword authenticates notify.email.smtp.user
	// (STEWARD_SMTP_PASSWORD).
	SMTPPassword string
	// SlackSecret names the Secrets Manager secret holding the Slack
	// webhook URLs on AWS, a JSON object of channel name → URL
	// (STEWARD_SLACK_SECRET).
	SlackSecret string
	// Getenv reads a variable a project setting names
	// (notify.slack.*.webhook_env); FromEnv keeps the getenv it was given.
	Getenv func(string) string
	// Endpoints override AWS service endpoints, for emulators.
	Endpoints Endpoints
}

// Endpoints override the AWS endpoint of each service
// (STEWARD_AWS_ENDPOINT_<SERVICE>); empty means the SDK's default.
type Endpoints struct {
	S3             string // STEWARD_AWS_ENDPOINT_S3
	DynamoDB       string // STEWARD_AWS_ENDPOINT_DYNAMODB
	SFN            string // STEWARD_AWS_ENDPOINT_SFN
	SES            string // STEWARD_AWS_ENDPOINT_SES
	EventBridge    string // STEWARD_AWS_ENDPOINT_EVENTBRIDGE
	SecretsManager string // STEWARD_AWS_ENDPOINT_SECRETSMANAGER
	CloudWatch     string // STEWARD_AWS_ENDPOINT_CLOUDWATCH
	Lambda         string // STEWARD_AWS_ENDPOINT_LAMBDA
}

// Defaults of the runtime settings.
const (
	DefaultDataDir  = ".steward"
	DefaultStage    = "local"
	DefaultLogLevel = "info"
)

// AWS reports whether the settings point at AWS services (a bucket or a
// table is set) rather than the local data directory.
func (r Runtime) AWS() bool { return r.Bucket != "" || r.Table != "" }

var stageRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// predictAliasRE matches a qualified Lambda function ARN (an alias or a
// version), in any partition.
var predictAliasRE = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}:[A-Za-z0-9$_-]{1,128}$`)

// FromEnv reads the runtime settings through getenv (os.Getenv in mains, a
// map in tests), applies defaults and checks them. Every problem is
// reported, each naming its variable; errors wrap ErrInvalid.
func FromEnv(getenv func(string) string) (Runtime, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	r := Runtime{
		DataDir:         get("STEWARD_DATA_DIR"),
		ConfigPath:      get("STEWARD_CONFIG"),
		Stage:           get("STEWARD_STAGE"),
		Region:          get("STEWARD_REGION"),
		Bucket:          get("STEWARD_BUCKET"),
		Table:           get("STEWARD_TABLE"),
		PublicURL:       strings.TrimRight(get("STEWARD_PUBLIC_URL"), "/"),
		StateMachineARN: get("STEWARD_STATE_MACHINE_ARN"),
		PredictAliasARN: get("STEWARD_PREDICT_ALIAS_ARN"),
		EventBus:        get("STEWARD_EVENT_BUS"),
		EmailFrom:       get("STEWARD_EMAIL_FROM"),
		ApprovalSecret:  get("STEWARD_APPROVAL_SECRET"),
		Approvers:       addressList(get("STEWARD_APPROVERS")),
		Escalation:      addressList(get("STEWARD_ESCALATION")),
		LogLevel:        get("STEWARD_LOG_LEVEL"),
		SMTPPassword:    getenv("STEWARD_SMTP_PASSWORD"),
		SlackSecret:     get("STEWARD_SLACK_SECRET"),
		Getenv:          getenv,
		Endpoints: Endpoints{
			S3:             get("STEWARD_AWS_ENDPOINT_S3"),
			DynamoDB:       get("STEWARD_AWS_ENDPOINT_DYNAMODB"),
			SFN:            get("STEWARD_AWS_ENDPOINT_SFN"),
			SES:            get("STEWARD_AWS_ENDPOINT_SES"),
			EventBridge:    get("STEWARD_AWS_ENDPOINT_EVENTBRIDGE"),
			SecretsManager: get("STEWARD_AWS_ENDPOINT_SECRETSMANAGER"),
			CloudWatch:     get("STEWARD_AWS_ENDPOINT_CLOUDWATCH"),
			Lambda:         get("STEWARD_AWS_ENDPOINT_LAMBDA"),
		},
	}
	if r.DataDir == "" {
		r.DataDir = DefaultDataDir
	}
	if r.ConfigPath == "" {
		r.ConfigPath = DefaultFile
	}
	if r.Stage == "" {
		r.Stage = DefaultStage
	}
	if r.Region == "" {
		r.Region = get("AWS_REGION")
	}
	if r.LogLevel == "" {
		r.LogLevel = DefaultLogLevel
	}

	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalid, name, fmt.Sprintf(format, args...)))
	}
	if !stageRE.MatchString(r.Stage) {
		bad("STEWARD_STAGE", "expected lowercase letters, digits and '-', starting with a letter, got %q", r.Stage)
	}
	switch r.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("STEWARD_LOG_LEVEL", "expected debug, info, warn or error, got %q", r.LogLevel)
	}
	if r.Bucket != "" && r.Table == "" {
		bad("STEWARD_TABLE", "is required when STEWARD_BUCKET is set")
	}
	if r.Table != "" && r.Bucket == "" {
		bad("STEWARD_BUCKET", "is required when STEWARD_TABLE is set")
	}
	if r.AWS() && r.Region == "" {
		bad("STEWARD_REGION", "is required on AWS (or set AWS_REGION)")
	}
	if r.PublicURL != "" {
		checkURL(bad, "STEWARD_PUBLIC_URL", r.PublicURL)
	}
	checkAddresses(bad, "STEWARD_APPROVERS", r.Approvers)
	checkAddresses(bad, "STEWARD_ESCALATION", r.Escalation)
	if r.StateMachineARN != "" && !strings.HasPrefix(r.StateMachineARN, "arn:") {
		bad("STEWARD_STATE_MACHINE_ARN", "expected an ARN (arn:aws:states:...), got %q", r.StateMachineARN)
	}
	if r.PredictAliasARN != "" && !predictAliasRE.MatchString(r.PredictAliasARN) {
		bad("STEWARD_PREDICT_ALIAS_ARN", "expected a Lambda alias ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME:ALIAS), got %q", r.PredictAliasARN)
	}
	for _, e := range []struct{ name, v string }{
		{"STEWARD_AWS_ENDPOINT_S3", r.Endpoints.S3},
		{"STEWARD_AWS_ENDPOINT_DYNAMODB", r.Endpoints.DynamoDB},
		{"STEWARD_AWS_ENDPOINT_SFN", r.Endpoints.SFN},
		{"STEWARD_AWS_ENDPOINT_SES", r.Endpoints.SES},
		{"STEWARD_AWS_ENDPOINT_EVENTBRIDGE", r.Endpoints.EventBridge},
		{"STEWARD_AWS_ENDPOINT_SECRETSMANAGER", r.Endpoints.SecretsManager},
		{"STEWARD_AWS_ENDPOINT_CLOUDWATCH", r.Endpoints.CloudWatch},
		{"STEWARD_AWS_ENDPOINT_LAMBDA", r.Endpoints.Lambda},
	} {
		if e.v != "" {
			checkURL(bad, e.name, e.v)
		}
	}
	if len(errs) > 0 {
		return r, errors.Join(errs...)
	}
	return r, nil
}

// addressList splits a comma-separated list, dropping empty items; nil
// for none.
func addressList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func checkAddresses(bad func(string, string, ...any), name string, addrs []string) {
	for i, addr := range addrs {
		if a, err := mail.ParseAddress(addr); err != nil || a.Name != "" || a.Address != addr {
			bad(name, "item %d: expected an e-mail address such as ops@example.com, got %q", i+1, addr)
		}
	}
}

func checkURL(bad func(string, string, ...any), name, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad(name, "expected an absolute http or https URL, got %q", v)
	}
}
