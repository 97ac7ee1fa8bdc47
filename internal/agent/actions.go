package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stewardml/steward/internal/store"
)

// Action states.
const (
	StateStarted   = "started"   // claimed; being carried out
	StateSucceeded = "succeeded" // carried out (a retraining: started)
	StateFailed    = "failed"    // failed; retried at the next trigger
)

// ActionRecord is the state of one action, keyed by its id: it makes an
// action happen at most once per alert, carries a failure to the next
// trigger, and tells what is in flight.
type ActionRecord struct {
	ID            string     `json:"id"`
	Model         string     `json:"model"`
	Kind          ActionKind `json:"kind"`
	Rule          string     `json:"rule"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	TriggerID     string     `json:"triggerId"`
	CorrelationID string     `json:"correlationId"`
	Approval      bool       `json:"approval,omitempty"`
	Escalate      bool       `json:"escalate,omitempty"`
	RollbackFrom  int        `json:"rollbackFrom,omitempty"`
	ScaleTo       int        `json:"scaleTo,omitempty"`
	Execution     string     `json:"execution,omitempty"`
	Error         string     `json:"error,omitempty"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`

	version int64
}

// actionPK is the record-store partition of a model's actions.
func actionPK(model string) string { return "AGENT#" + model }

const actionPrefix = "ACTION#"

// Actions returns a model's action records.
func (a *Agent) Actions(ctx context.Context, model string) ([]ActionRecord, error) {
	if a.Records == nil {
		return nil, nil
	}
	recs, err := a.Records.Query(ctx, actionPK(model), store.Query{Prefix: actionPrefix})
	if err != nil {
		return nil, fmt.Errorf("agent: actions of %s: %w", model, err)
	}
	out := make([]ActionRecord, 0, len(recs))
	for _, r := range recs {
		ar, err := decodeAction(r)
		if err != nil {
			return nil, err
		}
		out = append(out, ar)
	}
	return out, nil
}

func decodeAction(r store.Record) (ActionRecord, error) {
	var ar ActionRecord
	if err := json.Unmarshal(r.Body, &ar); err != nil {
		return ActionRecord{}, fmt.Errorf("agent: decode action %s: %w", r.SK, err)
	}
	ar.version = r.Version
	return ar, nil
}

// claim takes the action for this process: a new action is created as
// started; a failed one (or one started so long ago that its process must
// have died) is taken again with one more attempt. claimed is false when
// the action was already carried out or is being carried out.
func (a *Agent) claim(ctx context.Context, d *Diagnosis, dec *Decision) (rec ActionRecord, claimed bool, err error) {
	if a.Records == nil {
		return ActionRecord{}, false, errors.New("agent: no record store for action records")
	}
	now := a.now()
	pk, sk := actionPK(d.Model), actionPrefix+dec.ActionID
	for attempt := 0; attempt < 5; attempt++ {
		cur, err := a.Records.Get(ctx, pk, sk)
		switch {
		case errors.Is(err, store.ErrNotFound):
			rec = ActionRecord{ID: dec.ActionID, Model: d.Model, Kind: dec.Action, Rule: dec.Rule, State: StateStarted, Attempts: 1,
				TriggerID: d.Trigger.ID, CorrelationID: d.Trigger.ID, Approval: dec.Approval, Escalate: dec.Escalate,
				RollbackFrom: dec.RollbackFrom, ScaleTo: dec.ScaleTo, CreatedAt: now, UpdatedAt: now, version: 1}
			if err := a.write(ctx, rec, store.Cond{Kind: store.CondAbsent}); err != nil {
				if errors.Is(err, store.ErrConflict) {
					continue
				}
				return ActionRecord{}, false, err
			}
			return rec, true, nil
		case err != nil:
			return ActionRecord{}, false, fmt.Errorf("agent: action %s: %w", dec.ActionID, err)
		}
		rec, err = decodeAction(cur)
		if err != nil {
			return ActionRecord{}, false, err
		}
		stale := rec.State == StateStarted && now.Sub(rec.UpdatedAt) >= a.policy().StaleAfter.D()
		if rec.State != StateFailed && !stale {
			return rec, false, nil
		}
		prev := rec.version
		rec.State, rec.Attempts, rec.UpdatedAt, rec.version = StateStarted, rec.Attempts+1, now, prev+1
		if err := a.write(ctx, rec, store.Cond{Kind: store.CondVersion, Version: prev}); err != nil {
			if errors.Is(err, store.ErrConflict) {
				continue
			}
			return ActionRecord{}, false, err
		}
		return rec, true, nil
	}
	return rec, false, nil
}

// save writes the claimed action's new state.
func (a *Agent) save(ctx context.Context, rec *ActionRecord) error {
	prev := rec.version
	rec.version++
	return a.write(ctx, *rec, store.Cond{Kind: store.CondVersion, Version: prev})
}

func (a *Agent) write(ctx context.Context, rec ActionRecord, cond store.Cond) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("agent: encode action: %w", err)
	}
	err = a.Records.Write(ctx, store.Write{Record: store.Record{PK: actionPK(rec.Model), SK: actionPrefix + rec.ID, Body: body, Version: rec.version}, Cond: cond})
	if err != nil {
		return fmt.Errorf("agent: write action %s: %w", rec.ID, err)
	}
	return nil
}
