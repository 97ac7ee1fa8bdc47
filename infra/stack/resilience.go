package stack

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// Alarm keys in Stack.Alarms of the dead-letter queues and the drift
// check. Each function also has "<name>-errors" and "<name>-throttles"
// (FunctionErrorsAlarm, FunctionThrottlesAlarm); predict's throttles are
// AlarmPredictThrottle, which the agent answers.
const (
	AlarmEventsUndelivered = "events-undelivered"
	AlarmAsyncFailed       = "async-failed"
	AlarmDriftFailed       = "drift-check-failed"
	AlarmDriftMissing      = "drift-check-missing"
)

// FunctionErrorsAlarm is the Stack.Alarms key of a function's error alarm.
func FunctionErrorsAlarm(name string) string { return name + "-errors" }

// FunctionThrottlesAlarm is the Stack.Alarms key of a function's throttle
// alarm (predict's is AlarmPredictThrottle).
func FunctionThrottlesAlarm(name string) string {
	if name == "predict" {
		return AlarmPredictThrottle
	}
	return name + "-throttles"
}

// AsyncFunctions are the functions invoked asynchronously (by EventBridge
// rules): Lambda retries a failed event twice, then sends it to the
// async-failures queue. The capture function has its own queue.
var AsyncFunctions = []string{"drift", "agent"}

// deadLetterQueue makes a queue that keeps what could not be delivered for
// SQS's longest retention, with an alarm as soon as it holds a message.
func (s *Stack) deadLetterQueue(id, name, alarmKey, desc string) awssqs.Queue {
	q := awssqs.NewQueue(s.Stack, jsii.String(id), &awssqs.QueueProps{
		QueueName:       s.name(name),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(captureQueueDays)),
		RemovalPolicy:   s.removalPolicy(),
	})
	s.alarm(alarmKey, desc, &awscloudwatch.AlarmProps{
		Metric: q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Minutes(jsii.Number(5)),
		}),
		Threshold:          jsii.Number(0),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
	})
	return q
}

// eventsDeadLetters is the queue of the events EventBridge could not
// deliver to any rule's target, made on first use.
func (s *Stack) eventsDeadLetters() awssqs.Queue {
	if s.EventsUndelivered == nil {
		s.EventsUndelivered = s.deadLetterQueue("EventsUndelivered", "events-undelivered", AlarmEventsUndelivered,
			"Events EventBridge could not deliver to a Steward function after its retries (see the queue)")
	}
	return s.EventsUndelivered
}

// resilience sends the failed asynchronous invocations of AsyncFunctions
// to a queue, and gives every function an error alarm and a throttle
// alarm, all on the alarm topic.
func (s *Stack) resilience() {
	s.AsyncFailed = s.deadLetterQueue("AsyncFailed", "async-failed", AlarmAsyncFailed,
		"Events a Steward function failed on after Lambda's retries (see the queue for the event and the error)")
	for _, name := range AsyncFunctions {
		s.Functions[name].ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
			RetryAttempts: jsii.Number(2),
			MaxEventAge:   awscdk.Duration_Hours(jsii.Number(6)),
			OnFailure:     awslambdadestinations.NewSqsDestination(s.AsyncFailed),
		})
	}
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))
	for _, spec := range Functions {
		fn := s.Functions[spec.Name]
		s.alarm(FunctionErrorsAlarm(spec.Name), "Invocations of the "+spec.Name+" function that ended in an error", &awscloudwatch.AlarmProps{
			Metric:             fn.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: fiveMinutes}),
			Threshold:          jsii.Number(0),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
		})
		if spec.Name == "predict" {
			continue // AlarmPredictThrottle, routed to the agent
		}
		s.alarm(FunctionThrottlesAlarm(spec.Name), "Throttled invocations of the "+spec.Name+" function", &awscloudwatch.AlarmProps{
			Metric:             fn.MetricThrottles(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: fiveMinutes}),
			Threshold:          jsii.Number(0),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
		})
	}
	s.driftAlarms()
}

// maxAlarmRange is the longest range a CloudWatch alarm evaluates
// (EvaluationPeriods × Period), and maxAlarmPeriod its longest period.
const (
	maxAlarmRange  = 7 * 24 * time.Hour
	maxAlarmPeriod = 24 * time.Hour
)

// DriftAlarmWindow returns the period and the number of periods of the
// alarm that fires when no drift check has succeeded for two of the
// check's intervals: the period is the interval (at most a day, at least a
// minute), the periods cover two intervals, within CloudWatch's seven days.
func DriftAlarmWindow(every time.Duration) (period time.Duration, periods int) {
	period = min(max(every, time.Minute), maxAlarmPeriod).Truncate(time.Minute)
	periods = int((2*every + period - 1) / period)
	periods = max(2, min(periods, int(maxAlarmRange/period)))
	return period, periods
}

// driftAlarms fire when a drift check fails, and when none has succeeded
// for two of its intervals (the schedule stopped, or every check failed):
// a missing datapoint counts as no success.
func (s *Stack) driftAlarms() {
	drift := s.Functions["drift"]
	period, periods := DriftAlarmWindow(s.driftEvery)
	p := awscdk.Duration_Seconds(jsii.Number(period.Seconds()))
	s.alarm(AlarmDriftFailed, "A scheduled drift check failed (its log says why)", &awscloudwatch.AlarmProps{
		Metric:             drift.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: p}),
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
	})
	succeeded := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(invocations, 0) - FILL(errors, 0)"),
		Label:      jsii.String("successful drift checks"),
		Period:     p,
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"invocations": drift.MetricInvocations(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: p}),
			"errors":      drift.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: p}),
		},
	})
	s.alarm(AlarmDriftMissing, "No drift check has succeeded for two of its intervals", &awscloudwatch.AlarmProps{
		Metric:             succeeded,
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(periods),
		DatapointsToAlarm:  jsii.Number(periods),
		TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
	})
}

// resilienceSuppressions records why the dead-letter queues have no queue
// behind them, and why the state machine may run without X-Ray.
func (s *Stack) resilienceSuppressions() {
	for _, q := range []awssqs.Queue{s.EventsUndelivered, s.AsyncFailed} {
		if q == nil {
			continue
		}
		suppress(q, true, Suppression{ID: "AwsSolutions-SQS3",
			Reason: "This queue is itself a dead-letter destination (of EventBridge targets or of asynchronous invocations); " +
				"a queue behind it would only move the same parked events, which an alarm reports as soon as one arrives."})
	}
	if !s.Config.Tracing {
		suppress(s.StateMachine, true, Suppression{ID: "AwsSolutions-SF2",
			Reason: "X-Ray is off unless the deployment sets tracing=true (docs/cost.md): traces cost per segment at every " +
				"execution, and the execution history and the audit log already follow each step."})
	}
}
