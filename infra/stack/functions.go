package stack

import (
	"time"
)

// Access is a set of permissions a function needs. Each bit turns into a
// construct grant (or one statement naming its resource) in the helper that
// makes every function.
type Access uint32

// The permissions a function can be given.
const (
	ReadArtifacts  Access = 1 << iota // s3 read on the artifact bucket
	WriteArtifacts                    // s3 read, and put (no delete) under WritePrefixes
	PutArtifacts                      // s3 put (no read, no delete) under WritePrefixes
	ReadRecords                       // dynamodb read on the table
	WriteRecords                      // dynamodb read and write on the table
	ReadSigningKey                    // secretsmanager read of the approval HMAC key
	SendEmail                         // ses:SendEmail from the sender identity, and read of the Slack webhooks
	PublishEvents                     // events:PutEvents on Steward's event bus
	StartRetrain                      // states:StartExecution on the retraining machine
	AnswerTasks                       // states:SendTask* on the retraining machine
	ScaleServing                      // lambda:Get/PutProvisionedConcurrencyConfig on predict's live alias
)

// Has reports whether a includes every bit of b.
func (a Access) Has(b Access) bool { return a&b == b }

// Writes reports whether a lets the function put artifacts.
func (a Access) Writes() bool { return a.Has(WriteArtifacts) || a.Has(PutArtifacts) }

// Reads reports whether a lets the function read artifacts.
func (a Access) Reads() bool { return a.Has(ReadArtifacts) || a.Has(WriteArtifacts) }

// Function describes one functions/<name> Lambda. Its code is
// <BuildDir>/<Name>/bootstrap.
type Function struct {
	Name     string
	MemoryMB int // default; overridable per deployment with memorySizes
	Timeout  time.Duration
	Access   Access
	// Placeholder is the name under which the retraining ASL refers to the
	// function's ARN (e.g. "TrainFunctionArn"); empty for functions the
	// state machine does not invoke.
	Placeholder string
	// WritePrefixes are the key prefixes WriteArtifacts and PutArtifacts
	// may put under, each ending in "/"; a writer names at least one.
	WritePrefixes []string
	// ReadPrefixes, when set, are the only key prefixes the function may
	// read artifacts under (and it may not list the bucket); nil reads
	// every object.
	ReadPrefixes []string
	// Records limits the record partitions it reads and writes.
	Records     RecordKeys
	Description string
}

// Functions is the one list of Steward's Lambda functions. The API, the
// state machine, the schedules and the alarms refer to them by name.
//
// The grants follow what each handler does, checked by the cloud twin
// (internal/cloudtwin), which runs the bootstraps behind these very
// permissions: every function reads artifacts, if only its project
// configuration (config/, STEWARD_CONFIG); writers put under the
// prefixes of what they produce and never delete.
var Functions = []Function{
	{Name: "validate", MemoryMB: 1024, Timeout: 5 * time.Minute, Placeholder: "ValidateFunctionArn",
		Access: WriteArtifacts | PublishEvents, WritePrefixes: []string{"validations/"},
		Description: "Validates a dataset against its expectation suite; a failure is published for the agent"},
	{Name: "train", MemoryMB: 2048, Timeout: 15 * time.Minute, Placeholder: "TrainFunctionArn",
		Access: WriteArtifacts | WriteRecords, WritePrefixes: []string{"bundles/", "runs/"},
		Description: "Trains one candidate model configuration"},
	{Name: "evaluate", MemoryMB: 1024, Timeout: 5 * time.Minute, Placeholder: "EvaluateFunctionArn",
		Access:      ReadArtifacts | WriteRecords,
		Description: "Compares the best candidate with the champion on held-out data"},
	{Name: "requestapproval", MemoryMB: 256, Timeout: 30 * time.Second, Placeholder: "RequestApprovalFunctionArn",
		Access:      ReadArtifacts | WriteRecords | ReadSigningKey | SendEmail,
		Description: "Stores the task token and emails signed approval links"},
	{Name: "promote", MemoryMB: 256, Timeout: 30 * time.Second, Placeholder: "PromoteFunctionArn",
		Access:      ReadArtifacts | WriteRecords,
		Description: "Moves the champion alias by compare-and-set"},
	{Name: "record", MemoryMB: 256, Timeout: 60 * time.Second, Placeholder: "RecordFunctionArn",
		Access:      ReadArtifacts | WriteRecords | SendEmail,
		Description: "Records a retraining outcome and notifies"},
	{Name: "report", MemoryMB: 1024, Timeout: 2 * time.Minute, Placeholder: "ReportFunctionArn",
		Access: WriteArtifacts | ReadRecords, WritePrefixes: []string{"reports/rendered/"},
		Description: "Renders training, drift and deployment reports"},
	{Name: "approval", MemoryMB: 256, Timeout: 15 * time.Second,
		Access:      ReadArtifacts | WriteRecords | ReadSigningKey | AnswerTasks,
		Description: "Serves signed approval links and records decisions"},
	// predict reads the signing key to seal prediction ids and check
	// feedback's.
	{Name: "predict", MemoryMB: 512, Timeout: 10 * time.Second,
		Access: ReadArtifacts | WriteRecords | ReadSigningKey,
		// Internet-facing: it reads its configuration and model bundles,
		// the registry's models and aliases, and writes feedback labels.
		ReadPrefixes: []string{ConfigPrefix, "bundles/"},
		Records:      RecordKeys{Read: []string{"MODEL#*", "MODELS"}, Write: []string{"FEEDBACK#*"}},
		Description:  "Prediction API"},
	{Name: "capture", MemoryMB: 256, Timeout: 60 * time.Second,
		Access: PutArtifacts, WritePrefixes: []string{"captures/"},
		Description: "Writes the predict function's capture log lines to the artifact store"},
	{Name: "drift", MemoryMB: 1024, Timeout: 5 * time.Minute,
		Access: WriteArtifacts | WriteRecords | PublishEvents, WritePrefixes: []string{"reports/drift/"},
		Description: "Scheduled drift and performance check"},
	{Name: "agent", MemoryMB: 512, Timeout: 60 * time.Second,
		Access: WriteArtifacts | WriteRecords | SendEmail | StartRetrain | ScaleServing, WritePrefixes: []string{"reports/agent/", "datasets/"},
		Description: "Diagnoses alerts, decides by policy and acts"},
	{Name: "dashboard", MemoryMB: 512, Timeout: 15 * time.Second,
		Access: WriteArtifacts | WriteRecords | AnswerTasks | ReadSigningKey, WritePrefixes: []string{"reports/rendered/"},
		Description: "Operator dashboard"},
}

// FunctionNames returns the names in Functions, in order.
func FunctionNames() []string {
	names := make([]string, len(Functions))
	for i, f := range Functions {
		names[i] = f.Name
	}
	return names
}

// Substitutions returns the state machine placeholders (without ${}) each
// mapped to the name of the function whose ARN fills it.
func Substitutions() map[string]string {
	m := map[string]string{}
	for _, f := range Functions {
		if f.Placeholder != "" {
			m[f.Placeholder] = f.Name
		}
	}
	return m
}
