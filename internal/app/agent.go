package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/aws/lambdaconcurrency"
	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/workflow"
)

// Agent returns the agent of the project's model with the project's
// policy: it starts retrainings through the retraining workflow (the
// local runner, or Step Functions on AWS) under a name made of its action
// id, rolls back through Release and tells people through the Notifier.
// On AWS with STEWARD_PREDICT_ALIAS_ARN set it raises the predict alias's
// provisioned concurrency within the policy's bounds; elsewhere scaling
// decisions are recorded as not applicable.
func (a *App) Agent() (*agent.Agent, error) {
	if a.Project == nil {
		return nil, ErrNoProject
	}
	pol := a.Project.Agent.Policy()
	pol.ScheduledApproval = len(a.Approvers()) > 0
	ag := &agent.Agent{
		Model: a.Project.Model.Name, Policy: &pol,
		Registry: a.Registry(), Records: a.Records, Artifacts: a.Artifacts, Audit: a.Audit(),
		Retrainer: agentRetrainer{a}, Releaser: a.Release(), Notifier: a.Notifications(), Now: a.Now,
	}
	if a.lambdaAPI != nil && pol.Concurrency.Max >= 1 {
		s, err := lambdaconcurrency.New(a.lambdaAPI, a.Runtime.PredictAliasARN, ag.Model,
			lambdaconcurrency.Bounds{Min: pol.Concurrency.Min, Max: pol.Concurrency.Max})
		if err != nil {
			return nil, err
		}
		ag.Scaler = s
	}
	return ag, nil
}

// SubscribeAgent subscribes the agent to the local bus, so that a drift
// check made in this process (the scheduled one of `steward serve`) and
// the local alarms' state changes (see Alarms) reach it, as EventBridge
// rules deliver DriftChecked and CloudWatch alarm state changes to
// functions/agent on AWS. Each decision is printed on the console.
func (a *App) SubscribeAgent(logger *slog.Logger) error {
	if a.LocalBus == nil {
		return errors.New("app: no local bus: on AWS, EventBridge rules deliver events to functions/agent")
	}
	ag, err := a.Agent()
	if err != nil {
		return err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := func(ctx context.Context, e bus.Event) error {
		raw, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("app: agent: %w", err)
		}
		tr, err := agent.ParseEvent(raw, ag.Model)
		if err != nil {
			logger.Warn("agent: event refused", "detail-type", e.DetailType, "err", err)
			return err
		}
		entry, err := ag.Handle(ctx, tr, agent.Options{})
		if err != nil {
			logger.Error("agent: decision failed", "trigger", tr.ID, "err", err)
			return err
		}
		fmt.Fprintf(a.Console, "agent: %s\n", entry.Summary)
		return nil
	}
	a.LocalBus.Subscribe(bus.DriftChecked, h)
	a.LocalBus.Subscribe(bus.ValidationFailed, h)
	a.LocalBus.Subscribe(bus.AlarmStateChange, h)
	a.LocalBus.Subscribe(bus.RetrainScheduled, h)
	return nil
}

// agentRetrainer starts the agent's retrainings on the training data of
// the champion joined with the labelled captures of the check's window.
type agentRetrainer struct{ a *App }

// maxReason is the longest reason a retraining input takes.
const maxReason = 2000

// StartRetrain implements agent.Retrainer.
func (r agentRetrainer) StartRetrain(ctx context.Context, req agent.RetrainRequest) (agent.Execution, error) {
	w, err := r.a.Workflow()
	if err != nil {
		return agent.Execution{}, err
	}
	ref, added, err := w.Service.RetrainingData(ctx, req.Model, req.WindowFrom, req.WindowTo)
	if err != nil {
		return agent.Execution{}, err
	}
	reason := req.Reason
	if added > 0 {
		reason = fmt.Sprintf("%s; training data: the champion's plus %d labelled captured rows", reason, added)
	}
	if len(reason) > maxReason {
		reason = reason[:maxReason-3] + "..."
	}
	// The action's id names the execution, so that the same action
	// started again (its first start crashed before it was recorded) finds
	// the execution rather than starting a second one.
	var name string
	if req.ActionID != "" {
		name = workflow.ExecutionNameOf(req.Model + "-" + req.ActionID)
	}
	st, existed, err := w.StartNamed(ctx, name, workflow.RetrainInput{
		Model: req.Model, Dataset: workflow.RefOf(ref), Trigger: workflow.TriggerAgent,
		Reason: reason, RequestedBy: req.RequestedBy, RequireApproval: req.RequireApproval,
	})
	if err != nil {
		return agent.Execution{}, err
	}
	return agent.Execution{ID: st.ExecutionID, Name: st.Name, Status: st.Status, Existed: existed}, nil
}
