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
	return lambdaerr.Handler("agentfn", h.handle, Rules...)(ctx, payload)
}

// handle parses the event the agent understands and lets it act.
func (h *Handler) handle(ctx context.Context, payload json.RawMessage) (*agent.Entry, error) {
	tr, err := agent.ParseEvent(payload, h.Agent.Model)
	if err != nil {
		return nil, err
	}
	return h.Agent.Handle(ctx, tr, agent.Options{})
}
