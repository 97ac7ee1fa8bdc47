package lambdaconcurrency

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/stewardml/steward/internal/agent"
)

// Errors, checked with errors.Is.
var (
	// ErrOutOfBounds reports a concurrency outside the configured bounds;
	// nothing was asked of Lambda.
	ErrOutOfBounds = errors.New("lambdaconcurrency: provisioned concurrency out of bounds")
	// ErrBusy reports an update of the alias's configuration already in
	// progress (Lambda's ResourceConflictException); try again later.
	ErrBusy = errors.New("lambdaconcurrency: the alias is being updated")
	// ErrNotFound reports an unknown function or alias.
	ErrNotFound = errors.New("lambdaconcurrency: function or alias not found")
	// ErrModel reports a model this function does not serve.
	ErrModel = errors.New("lambdaconcurrency: not the model of this function")
)

// api lists the Lambda calls this adapter makes.
type api interface {
	GetProvisionedConcurrencyConfig(ctx context.Context, in *lambda.GetProvisionedConcurrencyConfigInput, opts ...func(*lambda.Options)) (*lambda.GetProvisionedConcurrencyConfigOutput, error)
	PutProvisionedConcurrencyConfig(ctx context.Context, in *lambda.PutProvisionedConcurrencyConfigInput, opts ...func(*lambda.Options)) (*lambda.PutProvisionedConcurrencyConfigOutput, error)
}

// Bounds limit the provisioned concurrency SetConcurrency sets (the
// agent's policy.concurrency min and max). Lambda takes at least 1.
type Bounds struct {
	Min, Max int
}

// Scaler sets the provisioned concurrency of one alias of the predict
// function. It is safe for concurrent use.
type Scaler struct {
	api       api
	function  string // the unqualified function ARN
	qualifier string // the alias
	model     string
	bounds    Bounds
}

var _ agent.Scaler = (*Scaler)(nil)

// New returns the Scaler of the alias aliasARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME:ALIAS), which serves model
// (empty: any), within bounds.
func New(client api, aliasARN, model string, bounds Bounds) (*Scaler, error) {
	parts := strings.Split(aliasARN, ":")
	if len(parts) != 8 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" || parts[6] == "" || parts[7] == "" {
		return nil, fmt.Errorf("lambdaconcurrency: %q: expected a Lambda alias ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME:ALIAS)", aliasARN)
	}
	if bounds.Min < 0 || bounds.Max < max(bounds.Min, 1) {
		return nil, fmt.Errorf("%w: bounds min %d max %d: expected 0 <= min <= max and max >= 1", ErrOutOfBounds, bounds.Min, bounds.Max)
	}
	return &Scaler{api: client, function: strings.Join(parts[:7], ":"), qualifier: parts[7], model: model, bounds: bounds}, nil
}

// Concurrency returns the provisioned concurrency requested for the alias
// (0 when it has none). It may still be allocating.
func (s *Scaler) Concurrency(ctx context.Context, model string) (int, error) {
	if err := s.check(model); err != nil {
		return 0, err
	}
	out, err := s.api.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(s.function), Qualifier: aws.String(s.qualifier),
	})
	var none *types.ProvisionedConcurrencyConfigNotFoundException
	if errors.As(err, &none) {
		return 0, nil
	}
	if err != nil {
		return 0, s.mapErr("get", err)
	}
	return int(aws.ToInt32(out.RequestedProvisionedConcurrentExecutions)), nil
}

// SetConcurrency asks Lambda to provision n concurrent executions for the
// alias. n outside the bounds (or below 1) is ErrOutOfBounds. Lambda
// allocates them over the next minutes; setting the same n again is
// harmless.
func (s *Scaler) SetConcurrency(ctx context.Context, model string, n int) error {
	if err := s.check(model); err != nil {
		return err
	}
	if n < max(s.bounds.Min, 1) || n > s.bounds.Max {
		return fmt.Errorf("%w: %d, expected %d..%d", ErrOutOfBounds, n, max(s.bounds.Min, 1), s.bounds.Max)
	}
	_, err := s.api.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(s.function), Qualifier: aws.String(s.qualifier),
		ProvisionedConcurrentExecutions: aws.Int32(int32(n)),
	})
	if err != nil {
		return s.mapErr(fmt.Sprintf("set %d on", n), err)
	}
	return nil
}

func (s *Scaler) check(model string) error {
	if s.model != "" && model != s.model {
		return fmt.Errorf("%w: %q (the function serves %q)", ErrModel, model, s.model)
	}
	return nil
}

func (s *Scaler) mapErr(op string, err error) error {
	var conflict *types.ResourceConflictException
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &conflict):
		return fmt.Errorf("lambdaconcurrency: %s %s:%s: %w: %v", op, s.function, s.qualifier, ErrBusy, err)
	case errors.As(err, &missing):
		return fmt.Errorf("lambdaconcurrency: %s %s:%s: %w: %v", op, s.function, s.qualifier, ErrNotFound, err)
	}
	return fmt.Errorf("lambdaconcurrency: %s %s:%s: %w", op, s.function, s.qualifier, err)
}
