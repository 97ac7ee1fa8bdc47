package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// Environment variable names of the functions' configuration, each read
// by internal/config (FromEnv) and nowhere else; a stack test checks that
// every one of them has that reader.
const (
	EnvBucket          = "STEWARD_BUCKET"
	EnvTable           = "STEWARD_TABLE"
	EnvStage           = "STEWARD_STAGE"
	EnvPublicURL       = "STEWARD_PUBLIC_URL"
	EnvEventBus        = "STEWARD_EVENT_BUS"
	EnvConfig          = "STEWARD_CONFIG" // artifact:<ConfigKey>, the project configuration
	EnvStateMachineARN = "STEWARD_STATE_MACHINE_ARN"
	EnvApprovalSecret  = "STEWARD_APPROVAL_SECRET" // ARN of the approval-link signing key
	EnvEmailFrom       = "STEWARD_EMAIL_FROM"
	EnvApprovers       = "STEWARD_APPROVERS"         // override the project's approval.approvers
	EnvEscalation      = "STEWARD_ESCALATION"        // override the project's escalation list
	EnvPredictAlias    = "STEWARD_PREDICT_ALIAS_ARN" // the live alias whose provisioned concurrency the agent sets
	EnvSlackSecret     = "STEWARD_SLACK_SECRET"      // ARN of the Slack webhook URLs
)

// function is the one helper that makes every Steward Lambda: the same
// runtime and architecture, its own log group with the configured
// retention, its own role holding only what spec.Access asks for, and the
// common environment.
func (s *Stack) function(spec Function, codeDir string) awslambda.Function {
	id := exportName(spec.Name)
	logs := s.logGroup(id+"Logs", "/aws/lambda/"+s.Config.Prefix()+"-"+spec.Name)
	s.logGroups[spec.Name] = logs
	role := awsiam.NewRole(s.Stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Steward " + spec.Name + " function"),
	})
	// In place of AWSLambdaBasicExecutionRole, which may write to any log
	// group: this role writes to its own.
	logs.GrantWrite(role)

	env := map[string]*string{
		EnvBucket:    s.Bucket.BucketName(),
		EnvTable:     s.Table.TableName(),
		EnvStage:     jsii.String(s.Config.Stage),
		EnvPublicURL: s.publicURL(),
		EnvEventBus:  s.Bus.EventBusName(),
		EnvConfig:    jsii.String(ConfigRef),
	}
	if spec.Access.Has(ReadSigningKey) {
		env[EnvApprovalSecret] = s.SigningKey.SecretArn()
	}
	if spec.Access.Has(SendEmail) || spec.Access.Has(ReadSigningKey) {
		env[EnvEmailFrom] = jsii.String(s.Config.SenderAddress)
		env[EnvApprovers] = jsii.String(strings.Join(s.Config.Approvers, ","))
		env[EnvEscalation] = jsii.String(strings.Join(s.Config.Escalation, ","))
	}
	if spec.Access.Has(SendEmail) {
		// Whatever emails notifications also posts them to Slack.
		env[EnvSlackSecret] = s.SlackWebhooks.SecretArn()
	}

	tracing := awslambda.Tracing_DISABLED
	if s.Config.Tracing {
		tracing = awslambda.Tracing_ACTIVE
	}
	fn := awslambda.NewFunction(s.Stack, jsii.String(id), &awslambda.FunctionProps{
		FunctionName: s.name(spec.Name),
		Description:  jsii.String(spec.Description + " (configuration " + s.projectDigest + ")"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(codeDir), nil),
		MemorySize:   jsii.Number(s.Config.Memory[spec.Name]),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(spec.Timeout.Seconds())),
		Environment:  &env,
		Role:         role,
		LogGroup:     logs,
		Tracing:      tracing,
	})
	// The project configuration is in the bucket before any function
	// starts, and replaced before the functions are updated.
	if s.ProjectConfig != nil {
		fn.Node().AddDependency(s.ProjectConfig)
	}

	// Read and put, never delete: artifacts are immutable by convention
	// and old versions expire by lifecycle rule. Puts stay under the
	// prefixes of what the function produces.
	s.grantArtifacts(role, spec)
	s.grantRecords(role, spec)
	if spec.Access.Has(ReadSigningKey) {
		s.SigningKey.GrantRead(role, nil)
	}
	if spec.Access.Has(PublishEvents) {
		s.Bus.GrantPutEventsTo(role, nil)
	}
	if spec.Access.Has(SendEmail) {
		s.SlackWebhooks.GrantRead(role, nil)
		awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
			Grantee:      role,
			Actions:      jsii.Strings("ses:SendEmail"),
			ResourceArns: jsii.Strings(*s.sesIdentityARN()),
		})
	}
	return fn
}

// sesIdentityARN names the configured SES identity: SendEmail is allowed
// from it and nothing else.
func (s *Stack) sesIdentityARN() *string {
	return s.Stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ses"),
		Resource:     jsii.String("identity"),
		ResourceName: jsii.String(s.Config.SenderIdentity),
	})
}

// exportName turns "requestapproval" into "Requestapproval" for construct IDs.
func exportName(name string) string {
	return strings.ToUpper(name[:1]) + name[1:]
}
