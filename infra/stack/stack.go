package stack

import (
	"path"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Stack is Steward's deployment. Its fields give tests and callers the
// constructs by role rather than by generated logical ID.
type Stack struct {
	awscdk.Stack
	Config Config

	Bucket     awss3.Bucket
	LogBucket  awss3.Bucket
	Table      awsdynamodb.Table
	SigningKey awssecretsmanager.Secret
	// SlackWebhooks holds the Slack webhook URLs, filled by the operator.
	SlackWebhooks awssecretsmanager.Secret
	Bus           awsevents.EventBus
	AlarmTopic    awssns.Topic
	API           awsapigateway.RestApi
	APIKey        awsapigateway.IApiKey
	Functions     map[string]awslambda.Function
	PredictLive   awslambda.Alias
	StateMachine  awsstepfunctions.StateMachine
	Alarms        map[string]awscloudwatch.Alarm
	// ProjectConfig uploads steward.yaml and its suite under config/.
	ProjectConfig awss3deployment.BucketDeployment
	// CaptureSubscription sends predict's capture lines to the capture
	// function; CaptureUndelivered keeps the batches it could not write.
	CaptureSubscription awslogs.SubscriptionFilter
	CaptureUndelivered  awssqs.Queue
	// EventsUndelivered keeps the events EventBridge could not deliver
	// to a rule's target; AsyncFailed the events an asynchronously
	// invoked function failed on after Lambda's retries.
	EventsUndelivered awssqs.Queue
	AsyncFailed       awssqs.Queue

	methods    []method
	logGroups  map[string]awslogs.LogGroup // by function name
	accessLogs awslogs.LogGroup

	projectConfigRole awsiam.Role
	projectDigest     string
	driftEvery        time.Duration // between drift checks, for their alarms
}

// logGroupOf returns the log group of a function.
func (s *Stack) logGroupOf(name string) awslogs.LogGroup { return s.logGroups[name] }

// New adds Steward's stack to scope. It checks the files the stack is
// built from (the retraining ASL, the project configuration and every
// function's bootstrap) before creating any construct, and returns their
// problems as errors wrapping ErrStateMachine, ErrProject or ErrAssets.
func New(scope constructs.Construct, id string, cfg Config, props *awscdk.StackProps) (*Stack, error) {
	asl, err := readStateMachine(cfg.StateMachineFile)
	if err != nil {
		return nil, err
	}
	project, err := ReadProject(cfg.ProjectFile)
	if err != nil {
		return nil, err
	}
	if cfg.DriftSchedule == "" {
		if cfg.DriftSchedule, err = ProjectDriftSchedule(project[path.Base(ConfigKey)]); err != nil {
			return nil, err
		}
	}
	retrain, err := ProjectTrainingSchedule(project[path.Base(ConfigKey)])
	if err != nil {
		return nil, err
	}
	assets, missing, err := functionAssets(cfg)
	if err != nil {
		return nil, err
	}
	if props == nil {
		props = &awscdk.StackProps{}
	}
	if props.Description == nil {
		props.Description = jsii.String("Steward MLOps platform (" + cfg.Stage + ")")
	}
	s := &Stack{
		Stack:     awscdk.NewStack(scope, jsii.String(id), props),
		Config:    cfg,
		Functions: map[string]awslambda.Function{},
		Alarms:    map[string]awscloudwatch.Alarm{},
		logGroups: map[string]awslogs.LogGroup{},

		driftEvery: ScheduleInterval(cfg.DriftSchedule),
	}
	awscdk.Tags_Of(s.Stack).Add(jsii.String("application"), jsii.String("steward"), nil)
	awscdk.Tags_Of(s.Stack).Add(jsii.String("stage"), jsii.String(cfg.Stage), nil)
	for _, w := range cfg.Warnings {
		awscdk.Annotations_Of(s.Stack).AddWarningV2(jsii.String("steward:config"), jsii.String(w), nil)
	}
	if len(missing) > 0 {
		awscdk.Annotations_Of(s.Stack).AddWarningV2(jsii.String("steward:placeholderAssets"),
			jsii.String("no bootstrap built for "+joinNames(missing)+": placeholder code stands in; run `make build` before deploying"), nil)
	}

	s.storage()
	s.secrets()
	s.messaging()
	s.api()
	s.projectConfiguration(project)
	for _, f := range Functions {
		s.Functions[f.Name] = s.function(f, assets[f.Name])
	}
	s.PredictLive = awslambda.NewAlias(s.Stack, jsii.String("PredictLive"), &awslambda.AliasProps{
		AliasName:   jsii.String("live"),
		Version:     s.Functions["predict"].CurrentVersion(),
		Description: jsii.String("The version API Gateway calls; provisioned concurrency is set here"),
	})
	s.routes()
	s.retrainMachine(asl)
	s.grantWorkflow()
	s.schedules()
	s.trainingSchedule(retrain)
	s.alarms()
	s.captureDelivery()
	s.resilience()
	s.suppressions()
	s.outputs()
	return s, nil
}

func (s *Stack) removalPolicy() awscdk.RemovalPolicy {
	if s.Config.Destroyable() {
		return awscdk.RemovalPolicy_DESTROY
	}
	return awscdk.RemovalPolicy_RETAIN
}

func (s *Stack) name(suffix string) *string {
	return jsii.String(s.Config.Prefix() + "-" + suffix)
}

// storage makes the artifact bucket, its access-log bucket and the record
// table.
func (s *Stack) storage() {
	s.LogBucket = awss3.NewBucket(s.Stack, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("expire-access-logs"),
			Expiration: awscdk.Duration_Days(jsii.Number(90)),
		}},
	})

	captures := &awss3.LifecycleRule{
		Id:                          jsii.String("captures"),
		Prefix:                      jsii.String("captures/"),
		Expiration:                  awscdk.Duration_Days(jsii.Number(s.Config.CaptureRetentionDays)),
		NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(7)),
	}
	// S3 moves objects to Infrequent Access no sooner than 30 days; a
	// shorter retention just expires them.
	if s.Config.CaptureRetentionDays > 60 {
		captures.Transitions = &[]*awss3.Transition{{
			StorageClass:    awss3.StorageClass_INFREQUENT_ACCESS(),
			TransitionAfter: awscdk.Duration_Days(jsii.Number(30)),
		}}
	}
	s.Bucket = awss3.NewBucket(s.Stack, jsii.String("Artifacts"), &awss3.BucketProps{
		Versioned:              jsii.Bool(true),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: s.LogBucket,
		ServerAccessLogsPrefix: jsii.String("artifacts/"),
		// Models, reports and captures outlive any stack: never deleted with it.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{
			captures,
			{
				Id:                                  jsii.String("old-versions-and-uploads"),
				NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(90)),
				AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
			},
		},
	})

	s.Table = awsdynamodb.NewTable(s.Stack, jsii.String("Records"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String("sk"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		TimeToLiveAttribute: jsii.String("ttl"),
		DeletionProtection:  jsii.Bool(!s.Config.Destroyable()),
		RemovalPolicy:       s.removalPolicy(),
	})
}

// secrets makes the approval-link HMAC key (from which the dashboard
// derives its session keys), generated by Secrets Manager at deploy time
// so no key ever sits in the template or the repository.
func (s *Stack) secrets() {
	gen := func(id, name, desc string) awssecretsmanager.Secret {
		return awssecretsmanager.NewSecret(s.Stack, jsii.String(id), &awssecretsmanager.SecretProps{
			SecretName:  jsii.String(s.Config.Prefix() + "/" + name),
			Description: jsii.String(desc),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength:     jsii.Number(64),
				ExcludePunctuation: jsii.Bool(true),
				IncludeSpace:       jsii.Bool(false),
			},
			RemovalPolicy: s.removalPolicy(),
		})
	}
	s.SigningKey = gen("ApprovalSigningKey", "approval-signing-key", "HMAC key that signs approval links; the dashboard derives its session and CSRF keys from it")
	// The Slack webhooks are made by whoever installs the Slack app, so
	// the stack only creates their secret, holding an empty JSON object,
	// for the operator to fill (README, Notifications); deploys never
	// overwrite what was put there.
	s.SlackWebhooks = awssecretsmanager.NewSecret(s.Stack, jsii.String("SlackWebhooks"), &awssecretsmanager.SecretProps{
		SecretName:        jsii.String(s.Config.Prefix() + "/slack-webhooks"),
		Description:       jsii.String(`Slack incoming-webhook URLs by the channel names of notify.slack in steward.yaml, as a JSON object: {"alerts": "https://hooks.slack.com/services/..."}`),
		SecretStringValue: awscdk.SecretValue_UnsafePlainText(jsii.String("{}")),
		RemovalPolicy:     s.removalPolicy(),
	})
}

// messaging makes Steward's event bus and the alarm topic, to which the
// escalation addresses subscribe.
func (s *Stack) messaging() {
	s.Bus = awsevents.NewEventBus(s.Stack, jsii.String("Bus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(s.Config.Prefix()),
	})
	s.AlarmTopic = awssns.NewTopic(s.Stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		TopicName:   s.name("alarms"),
		DisplayName: jsii.String("Steward " + s.Config.Stage + " alarms"),
		EnforceSSL:  jsii.Bool(true),
	})
	for _, addr := range s.Config.Escalation {
		s.AlarmTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(addr), nil))
	}
}

// retention maps a validated day count to its CloudWatch Logs enum.
func retention(days int) awslogs.RetentionDays {
	enums := []awslogs.RetentionDays{
		awslogs.RetentionDays_ONE_DAY, awslogs.RetentionDays_THREE_DAYS, awslogs.RetentionDays_FIVE_DAYS,
		awslogs.RetentionDays_ONE_WEEK, awslogs.RetentionDays_TWO_WEEKS, awslogs.RetentionDays_ONE_MONTH,
		awslogs.RetentionDays_TWO_MONTHS, awslogs.RetentionDays_THREE_MONTHS, awslogs.RetentionDays_FOUR_MONTHS,
		awslogs.RetentionDays_FIVE_MONTHS, awslogs.RetentionDays_SIX_MONTHS, awslogs.RetentionDays_ONE_YEAR,
		awslogs.RetentionDays_THIRTEEN_MONTHS, awslogs.RetentionDays_EIGHTEEN_MONTHS, awslogs.RetentionDays_TWO_YEARS,
		awslogs.RetentionDays_THREE_YEARS, awslogs.RetentionDays_FIVE_YEARS, awslogs.RetentionDays_SIX_YEARS,
		awslogs.RetentionDays_SEVEN_YEARS, awslogs.RetentionDays_EIGHT_YEARS, awslogs.RetentionDays_NINE_YEARS,
		awslogs.RetentionDays_TEN_YEARS,
	}
	for i, d := range retentionDays {
		if d == days {
			return enums[i]
		}
	}
	return awslogs.RetentionDays_ONE_MONTH
}

func (s *Stack) logGroup(id, name string) awslogs.LogGroup {
	return awslogs.NewLogGroup(s.Stack, jsii.String(id), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(name),
		Retention:     retention(s.Config.LogRetentionDays),
		RemovalPolicy: s.removalPolicy(),
	})
}

func (s *Stack) outputs() {
	out := func(id, desc string, v *string) {
		awscdk.NewCfnOutput(s.Stack, jsii.String(id), &awscdk.CfnOutputProps{Value: v, Description: jsii.String(desc)})
	}
	out("ApiUrl", "Base URL of the API (predictions under v1/, dashboard at /)", s.publicURL())
	out("ApiKeyId", "API key id; its value: aws apigateway get-api-key --include-value --api-key <id>", s.APIKey.KeyId())
	out("BucketName", "Artifact bucket", s.Bucket.BucketName())
	out("TableName", "Record table", s.Table.TableName())
	out("StateMachineArn", "Retraining state machine", s.StateMachine.StateMachineArn())
	out("AlarmTopicArn", "SNS topic of the operational alarms", s.AlarmTopic.TopicArn())
}
