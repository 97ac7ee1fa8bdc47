// Package agentfn is the Lambda handler of functions/agent. EventBridge
// rules deliver to it Steward's DriftChecked and ValidationFailed events
// (source "steward") and CloudWatch alarm state changes (source
// "aws.cloudwatch"); it parses the event, lets the agent diagnose, decide,
// act and record, and returns the decision's Entry.
//
// Errors leave under stable names: InvalidInput for an event or policy
// the agent cannot act on (nothing was done, and a retry would not help),
// InternalError for anything else (EventBridge retries the delivery; the
// action ids make the retry act at most once).
package agentfn

import (
	"context"
	"encoding/json"

	"github.com/stewardml/steward/internal/agent"
	"github.com/stewardml/steward/internal/lambdaerr"
)

// Rules map the agent's errors to stable names.
var Rules = []lambdaerr.Rule{
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(agent.ErrEvent)},
	{Name: lambdaerr.InvalidInput, Match: lambdaerr.Is(agent.ErrPolicy)},
}

// Handler hands events to the agent.
type Handler struct {
	Agent *agent.Agent
}

// Invoke implements lambda.Handler.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	tr, err := agent.ParseEvent(payload, h.Agent.Model)
	if err != nil {
		return nil, lambdaerr.Map(err, Rules...)
	}
	e, err := h.Agent.Handle(ctx, tr, agent.Options{})
	if err != nil {
		return nil, lambdaerr.Map(err, Rules...)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, lambdaerr.Map(err)
	}
	return b, nil
}
