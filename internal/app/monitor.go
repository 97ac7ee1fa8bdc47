package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stewardml/steward/internal/bus"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/drift"
	"github.com/stewardml/steward/internal/local/scheduler"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/monitor/driftfn"
	"github.com/stewardml/steward/internal/schedule"
)

// DriftOptions are the drift check's options from the project's drift
// section (drift.DefaultOptions without a project).
func DriftOptions(p *config.Project) drift.Options {
	o := drift.DefaultOptions()
	if p == nil {
		return o
	}
	d := p.Drift
	o.Correction = drift.Correction(d.Correction)
	o.MinRows = d.MinRows
	o.DriftShare = d.ShareThreshold
	if len(d.Overrides) > 0 {
		o.Overrides = map[string]drift.Override{}
		for name, ov := range d.Overrides {
			o.Overrides[name] = drift.Override{Test: drift.TestName(ov.Test), Threshold: ov.Threshold}
		}
	}
	return o
}

// Monitor returns the drift check service over the application's stores,
// sending DriftChecked on the application's bus (EventBridge on AWS, the
// local bus otherwise).
func (a *App) Monitor() *monitor.Service {
	s := &monitor.Service{Artifacts: a.Artifacts, Records: a.Records, Registry: a.Registry(), Events: a.Events, Now: a.Now}
	if p := a.Project; p != nil {
		o := DriftOptions(p)
		s.Options = &o
		s.Features = p.Drift.Features
		s.Window = p.Drift.Window.D()
	}
	return s
}

// DriftJob is the scheduled drift check of the project's model, on the
// project's drift.schedule: the job the local scheduler runs in `steward
// serve`, as EventBridge runs functions/drift on AWS. Each run checks the
// window that ends at its scheduled time.
func (a *App) DriftJob() (scheduler.Job, error) {
	if a.Project == nil {
		return scheduler.Job{}, ErrNoProject
	}
	sched, err := schedule.Parse(a.Project.Drift.Schedule)
	if err != nil {
		return scheduler.Job{}, fmt.Errorf("app: drift.schedule: %w", err)
	}
	model := a.Project.Model.Name
	return scheduler.Job{Name: "drift " + model, Schedule: sched, Run: func(ctx context.Context, at time.Time) error {
		res, err := a.Monitor().Check(ctx, monitor.Request{Model: model, End: at, Trigger: "schedule"})
		if res != nil {
			s := res.Summary
			fmt.Fprintf(a.Console, "drift: %s v%d %s, score %.2f on %d rows (%s)\n", s.Model, s.Version, s.Verdict, s.DriftScore, s.Rows, s.ReportKey)
		}
		return err
	}}, nil
}

// ScheduleDrift adds DriftJob to s.
func (a *App) ScheduleDrift(s *scheduler.Scheduler) error {
	j, err := a.DriftJob()
	if err != nil {
		return err
	}
	s.Add(j)
	return nil
}

// DriftHandler is the scheduled drift check Lambda's handler
// (functions/drift): the project's model checked by Monitor, the event's
// window parsed as the project configuration's durations are.
func (a *App) DriftHandler() (*driftfn.Handler, error) {
	if a.Project == nil {
		return nil, errors.New("no project configuration: set STEWARD_CONFIG to the steward.yaml packaged with the function")
	}
	return &driftfn.Handler{Service: a.Monitor(), Model: a.Project.Model.Name, ParseWindow: parseWindow}, nil
}

// parseWindow parses a drift window as config.ParseDuration does.
func parseWindow(s string) (time.Duration, error) {
	d, err := config.ParseDuration(s)
	return d.D(), err
}

// RetrainJob is training.schedule's job: at each time it publishes
// RetrainScheduled on the application's bus, as the EventBridge schedule
// of the stack sends it to functions/agent on AWS; the agent starts the
// retraining (see agent.RuleSchedule). ok is false when the project sets
// no training.schedule.
func (a *App) RetrainJob() (j scheduler.Job, ok bool, err error) {
	if a.Project == nil {
		return scheduler.Job{}, false, ErrNoProject
	}
	expr := a.Project.Training.Schedule
	if expr == "" {
		return scheduler.Job{}, false, nil
	}
	sched, err := schedule.Parse(expr)
	if err != nil {
		return scheduler.Job{}, false, fmt.Errorf("app: training.schedule: %w", err)
	}
	model := a.Project.Model.Name
	detail, err := json.Marshal(map[string]string{"model": model, "schedule": expr})
	if err != nil {
		return scheduler.Job{}, false, err
	}
	return scheduler.Job{Name: "retrain " + model, Schedule: sched, Run: func(ctx context.Context, at time.Time) error {
		return a.Events.Publish(ctx, bus.Event{ID: "schedule:" + at.UTC().Format(time.RFC3339), Source: bus.Source,
			DetailType: bus.RetrainScheduled, Time: at.UTC(), Detail: detail})
	}}, true, nil
}

// ScheduleRetraining adds RetrainJob to s when training.schedule is set.
func (a *App) ScheduleRetraining(s *scheduler.Scheduler) error {
	j, ok, err := a.RetrainJob()
	if err != nil || !ok {
		return err
	}
	s.Add(j)
	return nil
}
