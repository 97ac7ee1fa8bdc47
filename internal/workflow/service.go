package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/dataset"
	"github.com/stewardml/steward/internal/monitor"
	"github.com/stewardml/steward/internal/registry"
	"github.com/stewardml/steward/internal/store"
)

// Registry is the part of the model registry retraining reads;
// *registry.Registry implements it. Alias reads an unset alias as
// version 0.
type Registry interface {
	Alias(ctx context.Context, model, alias string) (registry.Alias, error)
	Version(ctx context.Context, model string, n int) (registry.Version, error)
}

// Service starts retrainings of the project's model: it fills in and
// checks their input, names their executions and hands them to
// Executions. It is safe for concurrent use when its ports are.
type Service struct {
	// Project is the project whose model is retrained.
	Project *config.Project
	// Executions runs the executions; nil refuses every start with
	// ErrNoExecutions.
	Executions Executions
	// Artifacts holds the datasets.
	Artifacts store.ArtifactStore
	// Records holds the captured feedback labels RetrainingData joins.
	Records store.RecordStore
	// Registry finds the champion whose training data RetrainingData
	// starts from.
	Registry Registry
	// Now stamps new execution names; nil is time.Now.
	Now func() time.Time
	// Entropy makes new execution names unique; nil is crypto/rand.
	Entropy io.Reader
}

// Start starts a retraining execution under a new name, as StartNamed.
func (s *Service) Start(ctx context.Context, in RetrainInput) (Started, error) {
	st, _, err := s.StartNamed(ctx, "", in)
	return st, err
}

// StartNamed starts a retraining execution named name (a new name when
// empty). Missing fields take defaults: the project's model, trigger
// manual, the project's approval.expiry as the approval timeout; a
// dataset named by digest alone gets its key. The input is checked
// (ErrInvalidEvent, ErrUnknownModel) and its dataset must be stored
// already (dataset.Store).
//
// The name makes the start idempotent: when an execution of that name
// exists already — the same start repeated after a crash — StartNamed
// returns it with existed true (on Step Functions its ARN and name,
// without a status). name must follow Step Functions' rules as
// ExecutionNameOf writes them.
func (s *Service) StartNamed(ctx context.Context, name string, in RetrainInput) (st Started, existed bool, err error) {
	if name != "" && ExecutionNameOf(name) != name {
		return Started{}, false, invalid("execution name %q: expected 1 to 80 letters, digits, '-' or '_'", name)
	}
	p := s.Project
	if in.Model == "" {
		in.Model = p.Model.Name
	}
	if in.Trigger == "" {
		in.Trigger = TriggerManual
	}
	if in.ApprovalTimeoutSeconds == 0 {
		in.ApprovalTimeoutSeconds = int(p.Approval.Expiry.D() / time.Second)
	}
	if in.Model != p.Model.Name {
		return Started{}, false, fmt.Errorf("%w: %q (the project's model is %q)", ErrUnknownModel, in.Model, p.Model.Name)
	}
	if in.Dataset.Key == "" && in.Dataset.Digest != "" {
		in.Dataset.Key = dataset.KeyFor(in.Dataset.Digest)
	}
	if err := in.Validate(); err != nil {
		return Started{}, false, err
	}
	if ok, err := s.Artifacts.Exists(ctx, in.Dataset.Key); err != nil {
		return Started{}, false, fmt.Errorf("workflow: dataset %s: %w", in.Dataset.Key, err)
	} else if !ok {
		return Started{}, false, invalid("dataset %s is not stored", in.Dataset.Key)
	}
	if s.Executions == nil {
		return Started{}, false, ErrNoExecutions
	}
	if name == "" {
		if name, err = ExecutionName(in.Model, s.now(), s.entropy()); err != nil {
			return Started{}, false, err
		}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return Started{}, false, fmt.Errorf("workflow: encode input: %w", err)
	}
	ex, err := s.Executions.Start(ctx, name, body)
	if errors.Is(err, ErrExecutionExists) {
		return StartedOf(ex), true, nil
	}
	if err != nil {
		return Started{}, false, err
	}
	return StartedOf(ex), false, nil
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) entropy() io.Reader {
	if s.Entropy == nil {
		return rand.Reader
	}
	return s.Entropy
}

// RetrainingData stores and returns the dataset a retraining of model
// trains on: the champion's training data (or, when it is not stored, the
// project's data file) followed by the labelled captures of [from, to)
// (none when from is zero). added counts the captured rows.
func (s *Service) RetrainingData(ctx context.Context, model string, from, to time.Time) (ref dataset.Ref, added int, err error) {
	var base []byte
	if al, err := s.Registry.Alias(ctx, model, registry.Champion); err == nil && al.Version > 0 {
		if v, err := s.Registry.Version(ctx, model, al.Version); err == nil && dataset.ValidDigest(v.DatasetDigest) {
			base, _ = dataset.Fetch(ctx, s.Artifacts, v.DatasetDigest)
		}
	}
	if base == nil {
		if base, err = os.ReadFile(s.Project.DataPath()); err != nil {
			return dataset.Ref{}, 0, fmt.Errorf("workflow: retraining data: %w", err)
		}
	}
	raw := base
	if !from.IsZero() && from.Before(to) {
		raw, added, err = monitor.AppendLabelled(ctx, s.Artifacts, s.Records, model, s.Project.Schema(), base, from, to)
		if err != nil {
			return dataset.Ref{}, 0, fmt.Errorf("workflow: retraining data: %w", err)
		}
	}
	ref, err = dataset.Store(ctx, s.Artifacts, raw)
	if err != nil {
		return dataset.Ref{}, 0, err
	}
	return ref, added, nil
}

// maxExecutionName is the longest execution name Step Functions takes.
const maxExecutionName = 80

// ExecutionNameOf makes an execution name of id that Step Functions and
// the local runner take: letters, digits, '-' and '_', at most 80 of
// them. An id that already is one is kept as it is; any other is cut,
// its other characters made '-', and ends with 8 hex digits of its
// SHA-256, so that different ids keep different names.
func ExecutionNameOf(id string) string {
	clean := []byte(id)
	changed := len(clean) == 0 || len(clean) > maxExecutionName
	for i, c := range clean {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			clean[i], changed = '-', true
		}
	}
	if !changed {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	const keep = maxExecutionName - 9
	if len(clean) > keep {
		clean = clean[:keep]
	}
	return string(clean) + "-" + hex.EncodeToString(sum[:4])
}
