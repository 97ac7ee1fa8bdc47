package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogsdestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// CaptureFilterPattern selects the capture lines among what the predict
// function writes to its log (captures, Embedded Metric Format lines,
// the runtime's own lines): a JSON line whose kind is "capture", as
// package serving writes one per prediction.
const CaptureFilterPattern = `{ $.kind = "capture" }`

// Capture delivery settings: CloudWatch Logs invokes the capture function
// asynchronously; Lambda retries a failed batch, then parks it in the
// undelivered-captures queue, where it waits for a replay.
const (
	captureRetryAttempts = 2
	captureMaxEventAge   = 6  // hours
	captureQueueDays     = 14 // SQS's longest retention
)

// AlarmCaptureUndelivered is the Stack.Alarms key of the alarm on the
// undelivered-captures queue.
const AlarmCaptureUndelivered = "capture-undelivered"

// captureDelivery subscribes the capture function to the predict
// function's log group, so that every capture line written there lands in
// the artifact store under captures/ (functions/capture). A batch the
// function cannot write after Lambda's retries goes to a queue, and an
// alarm says so; the lines also stay in the log group for its retention.
func (s *Stack) captureDelivery() {
	capture := s.Functions["capture"]
	s.CaptureUndelivered = awssqs.NewQueue(s.Stack, jsii.String("CaptureUndelivered"), &awssqs.QueueProps{
		QueueName:       s.name("capture-undelivered"),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(captureQueueDays)),
		RemovalPolicy:   s.removalPolicy(),
	})
	capture.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
		RetryAttempts: jsii.Number(captureRetryAttempts),
		MaxEventAge:   awscdk.Duration_Hours(jsii.Number(captureMaxEventAge)),
		OnFailure:     awslambdadestinations.NewSqsDestination(s.CaptureUndelivered),
	})
	s.CaptureSubscription = awslogs.NewSubscriptionFilter(s.Stack, jsii.String("CaptureSubscription"), &awslogs.SubscriptionFilterProps{
		LogGroup:      s.logGroupOf("predict"),
		Destination:   awslogsdestinations.NewLambdaDestination(capture, nil),
		FilterPattern: awslogs.FilterPattern_Literal(jsii.String(CaptureFilterPattern)),
		FilterName:    s.name("captures"),
	})
	s.alarm(AlarmCaptureUndelivered, "Capture batches the capture function could not write (replay them from the queue)", &awscloudwatch.AlarmProps{
		Metric: s.CaptureUndelivered.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(5)),
		}),
		Threshold:          jsii.Number(0),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
	})
}
