package stack

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
)

// AgentEventTypes are the detail types of Steward's own events (source
// "steward", on Steward's bus) that the agent function receives: the
// drift verdicts and failed validations of incoming data (internal/bus).
var AgentEventTypes = []string{"DriftChecked", "ValidationFailed"}

// EventSource is the source of the events Steward's functions publish.
const EventSource = "steward"

// retrainMachine makes the retraining state machine from the ASL text,
// filling each ${XxxFunctionArn} placeholder with that function's ARN, and
// lets it invoke exactly the functions its definition names.
func (s *Stack) retrainMachine(asl string) {
	subs := map[string]*string{}
	for placeholder, name := range Substitutions() {
		subs[placeholder] = s.Functions[name].FunctionArn()
	}
	logs := s.logGroup("RetrainLogs", "/aws/vendedlogs/states/"+s.Config.Prefix()+"-retrain")
	s.StateMachine = awsstepfunctions.NewStateMachine(s.Stack, jsii.String("Retrain"), &awsstepfunctions.StateMachineProps{
		StateMachineName:        s.name("retrain"),
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(asl)),
		DefinitionSubstitutions: &subs,
		Logs: &awsstepfunctions.LogOptions{
			Destination: logs,
			Level:       awsstepfunctions.LogLevel_ALL,
			// Execution data would put task tokens and approvers'
			// addresses into the logs: the events are enough to follow
			// an execution, the record store holds the data.
			IncludeExecutionData: jsii.Bool(false),
		},
		TracingEnabled: jsii.Bool(s.Config.Tracing),
		RemovalPolicy:  s.removalPolicy(),
	})

	used := Placeholders(asl)
	subsByName := Substitutions()
	arns := make([]*string, 0, len(used))
	sort.Strings(used)
	for _, p := range used {
		arns = append(arns, s.Functions[subsByName[p]].FunctionArn())
	}
	if len(arns) > 0 {
		awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
			Grantee:      s.StateMachine,
			Actions:      jsii.Strings("lambda:InvokeFunction"),
			ResourceArns: &arns,
		})
	}
}

// grantWorkflow gives the functions that drive or answer the state machine
// its ARN and the one right each needs.
func (s *Stack) grantWorkflow() {
	for _, spec := range Functions {
		fn := s.Functions[spec.Name]
		if spec.Access.Has(StartRetrain) || spec.Access.Has(AnswerTasks) {
			fn.AddEnvironment(jsii.String(EnvStateMachineARN), s.StateMachine.StateMachineArn(), nil)
		}
		if spec.Access.Has(StartRetrain) {
			s.StateMachine.GrantStartExecution(fn)
		}
		if spec.Access.Has(AnswerTasks) {
			s.StateMachine.GrantTaskResponse(fn)
		}
		if spec.Access.Has(ScaleServing) {
			// Sustained throttling makes the agent raise the live alias's
			// provisioned concurrency within the policy's bounds.
			fn.AddEnvironment(jsii.String(EnvPredictAlias), s.PredictLive.FunctionArn(), nil)
			fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("lambda:GetProvisionedConcurrencyConfig", "lambda:PutProvisionedConcurrencyConfig"),
				Resources: jsii.Strings(*s.PredictLive.FunctionArn()),
			}))
		}
	}
}

// schedules wires the drift check to its schedule and the agent to
// Steward's events and to the alarms' state changes (alarms() adds the
// latter once the alarms exist).
func (s *Stack) schedules() {
	awsevents.NewRule(s.Stack, jsii.String("DriftSchedule"), &awsevents.RuleProps{
		RuleName:    s.name("drift-schedule"),
		Description: jsii.String("Runs the drift check"),
		Schedule:    awsevents.Schedule_Expression(jsii.String(s.Config.DriftSchedule)),
		Targets:     &[]awsevents.IRuleTarget{s.lambdaTarget("drift")},
	})
	types := make([]*string, len(AgentEventTypes))
	for i, t := range AgentEventTypes {
		types[i] = jsii.String(t)
	}
	awsevents.NewRule(s.Stack, jsii.String("AgentEvents"), &awsevents.RuleProps{
		RuleName:    s.name("agent-events"),
		Description: jsii.String("Sends Steward's drift verdicts and failed validations to the agent"),
		EventBus:    s.Bus,
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(EventSource),
			DetailType: &types,
		},
		Targets: &[]awsevents.IRuleTarget{s.lambdaTarget("agent")},
	})
}

func (s *Stack) lambdaTarget(name string) awsevents.IRuleTarget {
	return s.lambdaTargetWith(name, nil)
}

// lambdaTargetWith is lambdaTarget with the event replaced by input (nil:
// the event as it is).
func (s *Stack) lambdaTargetWith(name string, input awsevents.RuleTargetInput) awsevents.IRuleTarget {
	return awseventstargets.NewLambdaFunction(s.Functions[name], &awseventstargets.LambdaFunctionProps{
		RetryAttempts:   jsii.Number(2),
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(1)),
		DeadLetterQueue: s.eventsDeadLetters(),
		Event:           input,
	})
}
