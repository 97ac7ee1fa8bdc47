// Package release moves a model's aliases on purpose and says why: every
// promotion and rollback is a compare-and-set on the registry followed by an
// audit event with the actor, the reason, the evidence and the correlation
// id of the chain it belongs to. The CLI, the promote function of the
// retraining workflow, the agent and the dashboard all release through it.
package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stewardml/steward/internal/audit"
	"github.com/stewardml/steward/internal/registry"
)

// Errors returned by the Service.
var (
	// ErrRefused reports a move that would change nothing or names a version
	// that does not exist.
	ErrRefused = errors.New("release: refused")
)

// Service promotes and rolls back.
type Service struct {
	Registry *registry.Registry
	Audit    audit.Log
}

// Request says who moves what and why.
type Request struct {
	Model         string
	Alias         string // default champion
	To            int    // the version to promote; unused by Rollback
	Expected      int    // the version the alias must hold now; -1 means "whatever it holds"
	Actor         string
	Reason        string
	Evidence      []string
	CorrelationID string
	Execution     string
	Details       any
}

// Promote moves the alias to r.To by compare-and-set. With Expected -1 the
// current holder is read first; registry.ErrConflict means someone else
// moved it in between.
func (s *Service) Promote(ctx context.Context, r Request) (registry.AliasMove, error) {
	if r.Alias == "" {
		r.Alias = registry.Champion
	}
	if r.Actor == "" || r.Reason == "" {
		return registry.AliasMove{}, fmt.Errorf("%w: a promotion needs an actor and a reason", ErrRefused)
	}
	if _, err := s.Registry.Version(ctx, r.Model, r.To); err != nil {
		return registry.AliasMove{}, err
	}
	expected := r.Expected
	if expected < 0 {
		cur, err := s.Registry.Alias(ctx, r.Model, r.Alias)
		switch {
		case errors.Is(err, registry.ErrNotFound):
			expected = 0
		case err != nil:
			return registry.AliasMove{}, err
		default:
			expected = cur.Version
		}
	}
	if expected == r.To {
		return registry.AliasMove{}, fmt.Errorf("%w: %s@%s is already version %d", ErrRefused, r.Model, r.Alias, r.To)
	}
	m, err := s.Registry.MoveAlias(ctx, r.Model, r.Alias, expected, r.To, r.Actor, r.Reason)
	if err != nil {
		return registry.AliasMove{}, err
	}
	if err := s.record(ctx, "model.promote", m, r); err != nil {
		return m, err
	}
	if r.Alias == registry.Champion {
		s.retireChallenger(ctx, r)
	}
	return m, nil
}

// retireChallenger unsets challenger when it names the version just made
// champion, so the two aliases never point at one version. It is best
// effort: a challenger moved meanwhile by someone else is left alone.
func (s *Service) retireChallenger(ctx context.Context, r Request) {
	ch, err := s.Registry.Alias(ctx, r.Model, registry.Challenger)
	if err != nil || ch.Version != r.To {
		return
	}
	_, _ = s.Registry.MoveAlias(ctx, r.Model, registry.Challenger, r.To, 0, r.Actor, "promoted to champion")
}

// Rollback moves champion back to its previous holder.
func (s *Service) Rollback(ctx context.Context, r Request) (registry.AliasMove, error) {
	if r.Actor == "" || r.Reason == "" {
		return registry.AliasMove{}, fmt.Errorf("%w: a rollback needs an actor and a reason", ErrRefused)
	}
	m, err := s.Registry.Rollback(ctx, r.Model, r.Actor, r.Reason)
	if err != nil {
		return registry.AliasMove{}, err
	}
	return m, s.record(ctx, "model.rollback", m, r)
}

func (s *Service) record(ctx context.Context, action string, m registry.AliasMove, r Request) error {
	details := map[string]any{"alias": m.Alias, "from": m.From, "to": m.To, "seq": m.Seq}
	if r.Details != nil {
		details["context"] = r.Details
	}
	b, _ := json.Marshal(details)
	_, err := s.Audit.Append(ctx, audit.Event{
		Time: m.At, Actor: r.Actor, Action: action,
		Subject: audit.Subject{Model: m.Model, Version: m.To, Execution: r.Execution},
		Reason:  r.Reason, Evidence: r.Evidence, CorrelationID: r.CorrelationID, Details: b,
	})
	if err != nil {
		// The move happened; report that its audit entry is missing
		// rather than pretend the move failed.
		return fmt.Errorf("release: %s %s v%d→v%d done, audit entry failed: %w", action, m.Model, m.From, m.To, err)
	}
	return nil
}
