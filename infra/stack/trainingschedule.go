package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"
	"go.yaml.in/yaml/v3"
)

// RetrainScheduled is the detail type of the event training.schedule
// sends the agent (internal/bus.RetrainScheduled).
const RetrainScheduled = "RetrainScheduled"

// TrainingSchedule is the project's training.schedule and the model it
// retrains; Expr is empty when the project sets none.
type TrainingSchedule struct {
	Model string
	Expr  string
}

// ProjectTrainingSchedule reads training.schedule and model.name from the
// project configuration. Errors wrap ErrProject.
func ProjectTrainingSchedule(steward []byte) (TrainingSchedule, error) {
	var doc struct {
		Model struct {
			Name string `yaml:"name"`
		} `yaml:"model"`
		Training struct {
			Schedule string `yaml:"schedule"`
		} `yaml:"training"`
	}
	if err := yaml.Unmarshal(steward, &doc); err != nil {
		return TrainingSchedule{}, fmt.Errorf("%w: steward.yaml is not YAML: %w", ErrProject, err)
	}
	s := TrainingSchedule{Model: doc.Model.Name, Expr: doc.Training.Schedule}
	if s.Expr == "" {
		return s, nil
	}
	if err := ValidateSchedule(s.Expr); err != nil {
		return TrainingSchedule{}, fmt.Errorf("%w: training.schedule %q: %w", ErrProject, s.Expr, err)
	}
	return s, nil
}

// trainingSchedule sends the agent a RetrainScheduled event at each time
// of training.schedule; the agent starts the retraining state machine
// (a schedule is not held by its cooldown), on the champion's data and
// with the project's approval setting, as it does for drift.
func (s *Stack) trainingSchedule(ts TrainingSchedule) {
	if ts.Expr == "" {
		return
	}
	awsevents.NewRule(s.Stack, jsii.String("RetrainSchedule"), &awsevents.RuleProps{
		RuleName:    s.name("retrain-schedule"),
		Description: jsii.String("Starts a retraining of " + ts.Model + " on training.schedule, through the agent"),
		Schedule:    awsevents.Schedule_Expression(jsii.String(ts.Expr)),
		Targets: &[]awsevents.IRuleTarget{s.lambdaTargetWith("agent", awsevents.RuleTargetInput_FromObject(map[string]any{
			"id": awsevents.EventField_EventId(), "time": awsevents.EventField_Time(),
			"source": EventSource, "detail-type": RetrainScheduled,
			"detail": map[string]any{"model": ts.Model, "schedule": ts.Expr},
		}))},
	})
}
