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
