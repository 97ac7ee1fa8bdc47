package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/lambdaerr"
	"github.com/stewardml/steward/internal/store"
	"github.com/stewardml/steward/internal/train"
)

// Actions of a TrainEvent.
const (
	ActionTrain     = "train"
	ActionPlan      = "plan"
	ActionCandidate = "candidate"
)

// TrainEvent is the input of every action.
type TrainEvent struct {
	// Action is train (the default), plan or candidate.
	Action string `json:"action,omitempty"`
	// Model is the model name; it must be the project's.
	Model string `json:"model"`
	// Dataset names the data by digest (preferred; the bytes are checked
	// against it) or by artifact-store key.
	Dataset dataset.Ref `json:"dataset"`
	// Config, when set, replaces the project's training section.
	Config *train.Config `json:"config,omitempty"`
	// Candidate is the candidate of a candidate action, as plan lists it.
	Candidate *Candidate `json:"candidate,omitempty"`
	// Index is the Map item index, echoed in the result.
	Index int `json:"index,omitempty"`
	// ExecutionID is the workflow execution, recorded as the actor.
	ExecutionID string `json:"executionId,omitempty"`
	// Force registers a train action's bundle even when a version with the
	// identical bundle exists (see train.Request.Force).
	Force bool `json:"force,omitempty"`
}

// Candidate is one point of the search.
type Candidate struct {
	ID     string         `json:"id"`
	Family string         `json:"family"`
	Params map[string]any `json:"params"`
}

// PlanResult is the output of plan.
type PlanResult struct {
	Model   string      `json:"model"`
	Dataset dataset.Ref `json:"dataset"`
	// Metric is the selection metric the candidates will be compared by.
	Metric     string      `json:"metric"`
	Candidates []Candidate `json:"candidates"`
}

// CandidateResult is the output of candidate: the candidate's run record
// (its only candidate holds the CV scores; the hold-out report is left out
// to keep Map results small, the bundle holds it) with the Map index and
// the candidate's mean score on the selection metric.
type CandidateResult struct {
	train.RunRecord
	Index  int     `json:"index"`
	Metric string  `json:"metric"`
	Score  float64 `json:"score"`
}

// Train serves the training function.
type Train struct {
	// Project is the project the deployment trains: its model, schema,
	// data format and training section.
	Project *config.Project
	// Artifacts holds the datasets (and receives the bundles through
	// Service).
	Artifacts store.ArtifactStore
	// Service trains. The handler copies it per invocation to set the
	// actor.
	Service *train.Service
}

// Handle decodes the event strictly and runs its action. Errors are named
// for Step Functions (see TrainRules).
func (h *Train) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	out, err := h.handle(ctx, raw)
	return out, lambdaerr.Map(err, TrainRules...)
}

// Invoke implements lambda.Handler: the payload reaches Handle as it
// arrived, so even malformed JSON is answered as InvalidInput.
func (h *Train) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return lambdaerr.Handler("tasks: train", h.Handle)(ctx, payload)
}

// TrainRules map the errors of a training invocation to stable names.
var TrainRules = []lambdaerr.Rule{
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(ErrInvalidEvent)},
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(train.ErrInvalidConfig)},
	{Name: lambdaerr.ModelNotFound, Match: lambdaerr.Is(ErrUnknownModel)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(train.ErrInvalidData)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(dataset.ErrMalformed)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(dataset.ErrEmpty)},
	{Name: lambdaerr.DataValidationFailed, Match: lambdaerr.Is(dataset.ErrDigest)},
	{Name: lambdaerr.TrainingFailed, Match: lambdaerr.Is(train.ErrTrainingFailed)},
	{Name: lambdaerr.Conflict, Match: lambdaerr.Is(train.ErrConflict)},
}

func (h *Train) handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev TrainEvent
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return nil, invalid("decode event: %v", err)
	}
	if ev.Action == "" {
		ev.Action = ActionTrain
	}
	switch ev.Action {
	case ActionTrain, ActionPlan, ActionCandidate:
	default:
		return nil, invalid("action %q, want train, plan or candidate", ev.Action)
	}
	if ev.Model == "" {
		return nil, invalid("model is required")
	}
	if ev.Model != h.Project.Model.Name {
		return nil, fmt.Errorf("%w: %q (this deployment trains %q)", ErrUnknownModel, ev.Model, h.Project.Model.Name)
	}
	cfg := h.Project.Training
	if ev.Config != nil {
		cfg = *ev.Config
	}
	if ev.Action == ActionPlan {
		return h.plan(ev, cfg)
	}
	data, err := loadData(ctx, h.Artifacts, h.Project, ev.Dataset)
	if err != nil {
		return nil, err
	}
	svc := *h.Service
	if ev.ExecutionID != "" {
		svc.Actor = "workflow:" + ev.ExecutionID
	}
	if ev.Action == ActionTrain {
		rec, err := svc.Train(ctx, train.Request{Model: ev.Model, Data: data, Config: cfg, Force: ev.Force})
		if err != nil {
			return nil, err
		}
		return rec, nil
	}
	if ev.Candidate == nil || ev.Candidate.Family == "" || ev.Candidate.ID == "" {
		return nil, invalid("a candidate action needs candidate.id and candidate.family")
	}
	params := ev.Candidate.Params
	if params == nil {
		// No parameter means the family's defaults, not its default grid.
		params = map[string]any{}
	}
	cfg.Families = []train.FamilySearch{{Family: ev.Candidate.Family, Params: params}}
	rec, err := svc.TrainCandidate(ctx, train.Request{Model: ev.Model, Data: data, Config: cfg}, ev.Candidate.ID)
	if err != nil {
		return nil, err
	}
	rec.Holdout = nil
	metric := rec.Config.Metric
	return CandidateResult{RunRecord: rec, Index: ev.Index, Metric: metric, Score: rec.Candidates[0].CV[metric].Mean}, nil
}

func (h *Train) plan(ev TrainEvent, cfg train.Config) (PlanResult, error) {
	cands, err := cfg.Plan()
	if err != nil {
		return PlanResult{}, err
	}
	out := PlanResult{Model: ev.Model, Dataset: ev.Dataset, Metric: cfg.WithDefaults().Metric}
	for _, c := range cands {
		out.Candidates = append(out.Candidates, Candidate{ID: c.ID, Family: c.Family, Params: c.Params})
	}
	return out, nil
}
