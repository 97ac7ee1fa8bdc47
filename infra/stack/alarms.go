package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"
)

// Alarm keys in Stack.Alarms.
const (
	AlarmPredict5xx      = "predict-5xx"
	AlarmPredictLatency  = "predict-latency-p99"
	AlarmPredictThrottle = "predict-throttles"
	AlarmRetrainFailed   = "retrain-failed"
)

// alarms makes the operational alarms, sends them to the alarm topic, and
// routes their state changes to the agent.
func (s *Stack) alarms() {
	stage := s.API.DeploymentStage()
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))
	oneMinute := awscdk.Duration_Minutes(jsii.Number(1))

	// 5XXError is 0 or 1 per request, so its average is the error rate.
	s.alarm(AlarmPredict5xx, "Share of API requests answered with a 5xx", &awscloudwatch.AlarmProps{
		Metric:             stage.MetricServerError(&awscloudwatch.MetricOptions{Statistic: jsii.String("Average"), Period: fiveMinutes}),
		Threshold:          jsii.Number(s.Config.Alarm5xxRate),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(3),
		DatapointsToAlarm:  jsii.Number(2),
	})
	s.alarm(AlarmPredictLatency, "p99 API latency in milliseconds", &awscloudwatch.AlarmProps{
		Metric:             stage.MetricLatency(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: fiveMinutes}),
		Threshold:          jsii.Number(s.Config.AlarmLatencyP99Ms),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(3),
		DatapointsToAlarm:  jsii.Number(2),
	})
	// Sustained throttling is what the agent answers with provisioned
	// concurrency: three throttled minutes out of five.
	s.alarm(AlarmPredictThrottle, "Throttled invocations of the predict function", &awscloudwatch.AlarmProps{
		Metric:             s.Functions["predict"].MetricThrottles(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: oneMinute}),
		Threshold:          jsii.Number(0),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(5),
		DatapointsToAlarm:  jsii.Number(3),
	})
	s.alarm(AlarmRetrainFailed, "Failed retraining executions", &awscloudwatch.AlarmProps{
		Metric:             s.StateMachine.MetricFailed(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: fiveMinutes}),
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
	})

	arns := make([]*string, 0, len(s.Alarms))
	for _, key := range []string{AlarmPredict5xx, AlarmPredictLatency, AlarmPredictThrottle, AlarmRetrainFailed} {
		arns = append(arns, s.Alarms[key].AlarmArn())
	}
	awsevents.NewRule(s.Stack, jsii.String("AgentAlarms"), &awsevents.RuleProps{
		RuleName:    s.name("agent-alarms"),
		Description: jsii.String("Sends Steward's alarm state changes to the agent"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.cloudwatch"),
			DetailType: jsii.Strings("CloudWatch Alarm State Change"),
			Resources:  &arns,
		},
		Targets: &[]awsevents.IRuleTarget{s.lambdaTarget("agent")},
	})
}

func (s *Stack) alarm(key, desc string, props *awscloudwatch.AlarmProps) {
	props.AlarmName = s.name(key)
	props.AlarmDescription = jsii.String(desc)
	if props.TreatMissingData == "" {
		props.TreatMissingData = awscloudwatch.TreatMissingData_NOT_BREACHING
	}
	a := awscloudwatch.NewAlarm(s.Stack, jsii.String("Alarm"+exportName(key)), props)
	action := awscloudwatchactions.NewSnsAction(s.AlarmTopic)
	a.AddAlarmAction(action)
	a.AddOkAction(action)
	s.Alarms[key] = a
}
