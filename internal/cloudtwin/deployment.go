package cloudtwin

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Endpoints are the emulators' base URLs, one per AWS service.
type Endpoints struct {
	S3, DynamoDB, SecretsManager, SES, StepFunctions, EventBridge, CloudWatch string
}

// Deployment names the resources of one deployed stack the way the stack
// names them (infra/stack: "steward-<stage>" prefixes, generated bucket
// and table names, the execute-api URL of the stage), and says how each
// function is configured.
type Deployment struct {
	Stack   *Stack
	Region  string // e.g. eu-west-1
	Account string // 12 digits
	Stage   string // dev, staging or prod
	APIID   string // the REST API's id, the first label of its host
	Bucket  string // the artifact bucket's generated name
	Table   string // the record table's generated name
	// SenderIdentity is the verified SES identity; SenderAddress the From
	// address (the identity itself when it is an address).
	SenderIdentity, SenderAddress string
	Approvers, Escalation         []string
	Endpoints                     Endpoints
}

// Prefix is the stack's name prefix, steward-<stage>.
func (d *Deployment) Prefix() string { return "steward-" + d.Stage }

// FunctionName is the deployed name of function name.
func (d *Deployment) FunctionName(name string) string { return d.Prefix() + "-" + name }

// Host is the API's execute-api host name.
func (d *Deployment) Host() string {
	return d.APIID + ".execute-api." + d.Region + ".amazonaws.com"
}

// PublicURL is the API's base URL, ending in "/", as the stack builds it.
func (d *Deployment) PublicURL() string { return "https://" + d.Host() + "/" + d.Stage + "/" }

// EventBus is the name of Steward's event bus.
func (d *Deployment) EventBus() string { return d.Prefix() }

// StateMachineARN is the retraining state machine's ARN.
func (d *Deployment) StateMachineARN() string {
	return "arn:aws:states:" + d.Region + ":" + d.Account + ":stateMachine:" + d.Prefix() + "-retrain"
}

// PredictAliasARN is the ARN of the predict function's live alias, whose
// provisioned concurrency the agent may set.
func (d *Deployment) PredictAliasARN() string {
	return "arn:aws:lambda:" + d.Region + ":" + d.Account + ":function:" + d.FunctionName("predict") + ":live"
}

// SigningKeyARN is the approval-link key's secret ARN (Secrets Manager
// appends six random characters to the name).
func (d *Deployment) SigningKeyARN() string {
	return "arn:aws:secretsmanager:" + d.Region + ":" + d.Account + ":secret:" + d.Prefix() + "/approval-signing-key-Tw1nAk"
}

// SlackSecretARN is the Slack webhooks' secret ARN, which the stack
// creates holding an empty JSON object.
func (d *Deployment) SlackSecretARN() string {
	return "arn:aws:secretsmanager:" + d.Region + ":" + d.Account + ":secret:" + d.Prefix() + "/slack-webhooks-Tw1nSw"
}

// StackEnvironment returns the variables the stack sets on fn, mirroring
// the helper that makes every function (infra/stack/lambda.go) and the
// grants that add the workflow's ARNs (infra/stack/workflow.go). It is
// the one place the twin says how a function is configured; names come
// from the stack's Env* constants.
func (d *Deployment) StackEnvironment(fn Function) (map[string]string, error) {
	env := map[string]string{}
	var missing []string
	set := func(constant, value string) {
		name, ok := d.Stack.Env[constant]
		if !ok {
			missing = append(missing, constant)
			return
		}
		env[name] = value
	}
	set("EnvBucket", d.Bucket)
	set("EnvTable", d.Table)
	set("EnvStage", d.Stage)
	set("EnvPublicURL", d.PublicURL())
	set("EnvEventBus", d.EventBus())
	ref, err := d.Stack.Const("ConfigRef")
	if err != nil {
		return nil, err
	}
	set("EnvConfig", ref)
	if fn.Has("ReadSigningKey") {
		set("EnvApprovalSecret", d.SigningKeyARN())
	}
	if fn.Has("SendEmail") || fn.Has("ReadSigningKey") {
		set("EnvEmailFrom", d.SenderAddress)
		set("EnvApprovers", strings.Join(d.Approvers, ","))
		set("EnvEscalation", strings.Join(d.Escalation, ","))
	}
	if fn.Has("SendEmail") {
		set("EnvSlackSecret", d.SlackSecretARN())
	}
	if fn.Has("StartRetrain") || fn.Has("AnswerTasks") {
		set("EnvStateMachineARN", d.StateMachineARN())
	}
	if fn.Has("ScaleServing") {
		set("EnvPredictAlias", d.PredictAliasARN())
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("%w: infra/stack/lambda.go lacks %s", ErrStack, strings.Join(missing, ", "))
	}
	return env, nil
}

// Environment returns the whole environment of fn's process: what Lambda
// itself sets (region, function name, memory, credentials, the task
// root), what the stack sets (StackEnvironment), and what only the twin
// adds: the emulators' endpoints, the function's timeout for the
// emulator (AWS_LAMBDA_FUNCTION_TIMEOUT), and TMPDIR standing for the
// sandbox's private /tmp.
func (d *Deployment) Environment(fn Function, taskRoot, tmp string, creds Credentials) ([]string, error) {
	stack, err := d.StackEnvironment(fn)
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		"AWS_REGION":                      d.Region,
		"AWS_DEFAULT_REGION":              d.Region,
		"AWS_LAMBDA_FUNCTION_NAME":        d.FunctionName(fn.Name),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(int(fn.Timeout.Seconds())),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + d.FunctionName(fn.Name),
		"AWS_LAMBDA_LOG_STREAM_NAME":      "2026/01/01/[$LATEST]cloudtwin",
		"AWS_ACCESS_KEY_ID":               creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":           creds.SecretAccessKey,
		"AWS_SESSION_TOKEN":               creds.SessionToken,
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                taskRoot,
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"TMPDIR":                          tmp,
	}
	for k, v := range stack {
		env[k] = v
	}
	for k, v := range map[string]string{
		"STEWARD_AWS_ENDPOINT_S3":             d.Endpoints.S3,
		"STEWARD_AWS_ENDPOINT_DYNAMODB":       d.Endpoints.DynamoDB,
		"STEWARD_AWS_ENDPOINT_SECRETSMANAGER": d.Endpoints.SecretsManager,
		"STEWARD_AWS_ENDPOINT_SES":            d.Endpoints.SES,
		"STEWARD_AWS_ENDPOINT_SFN":            d.Endpoints.StepFunctions,
		"STEWARD_AWS_ENDPOINT_EVENTBRIDGE":    d.Endpoints.EventBridge,
		"STEWARD_AWS_ENDPOINT_CLOUDWATCH":     d.Endpoints.CloudWatch,
		// The twin emulates no Lambda control plane: like CloudWatch, its
		// calls go to the refusing endpoint, so none can reach AWS.
		"STEWARD_AWS_ENDPOINT_LAMBDA": d.Endpoints.CloudWatch,
	} {
		if v != "" {
			env[k] = v
		}
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out, nil
}

// Credentials are the temporary credentials Lambda gives a function's
// role. The twin's endpoints tell functions apart by the key id.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// OperatorKeyID is the key id of the deployer: the test itself, which
// uploads what the stack's deployment would and inspects the results.
const OperatorKeyID = "ASIATWINOPERATOR"

// CredentialsFor returns function name's credentials.
func CredentialsFor(name string) Credentials {
	return Credentials{
		AccessKeyID:     "ASIATWIN" + strings.ToUpper(name),
		SecretAccessKey: "cloudtwin-secret-" + name,
		SessionToken:    "cloudtwin-session-" + name,
	}
}
