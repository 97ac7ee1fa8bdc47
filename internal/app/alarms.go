package app

import (
	"errors"
	"log/slog"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/local/alarms"
)

// Alarms returns the local operational alarms over the metrics registry
// src (the local prediction service's Metrics), named as the stack names
// its CloudWatch alarms ("steward-<stage>-predict-5xx", ...) and
// configured by the project's alarms section; their state changes go to
// the local bus, where SubscribeAgent's agent takes them. It returns nil
// when the project turns them off. On AWS, CloudWatch raises the alarms.
func (a *App) Alarms(src alarms.Source, logger *slog.Logger) (*alarms.Evaluator, error) {
	if a.LocalBus == nil {
		return nil, errors.New("app: no local bus: on AWS, CloudWatch alarms reach functions/agent through EventBridge")
	}
	if a.Project == nil || a.Project.Alarms.Disabled {
		return nil, nil
	}
	c := a.Project.Alarms
	stage := a.Runtime.Stage
	if stage == "" {
		stage = config.DefaultStage
	}
	return alarms.New(src, a.LocalBus, alarms.Config{
		Prefix: "steward-" + stage, Period: c.Every.D(), ErrorRate: c.ErrorRate, LatencyP99: c.LatencyP99.D(),
		MinRequests: c.MinRequests, Datapoints: c.Datapoints, Periods: c.Periods, Now: a.Now, Logger: logger,
	})
}
