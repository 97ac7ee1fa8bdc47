// Package eventbridge publishes Steward's platform events to an Amazon
// EventBridge bus, where rules route them to the agent function.
package eventbridge

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/stewardml/steward/internal/bus"
)

// api lists the one EventBridge call this adapter makes.
type api interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Publisher puts events on one bus.
type Publisher struct {
	api api
	Bus string
}

var _ bus.Publisher = (*Publisher)(nil)

// New returns a Publisher for busName ("default" when empty).
func New(client api, busName string) *Publisher {
	if busName == "" {
		busName = "default"
	}
	return &Publisher{api: client, Bus: busName}
}

// Publish puts e and fails if EventBridge rejected it.
func (p *Publisher) Publish(ctx context.Context, e bus.Event) error {
	entry := types.PutEventsRequestEntry{
		EventBusName: aws.String(p.Bus), Source: aws.String(e.Source), DetailType: aws.String(e.DetailType),
		Detail: aws.String(string(e.Detail)), Resources: e.Resources,
	}
	if !e.Time.IsZero() {
		entry.Time = aws.Time(e.Time)
	}
	out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{entry}})
	if err != nil {
		return fmt.Errorf("eventbridge: put %s: %w", e.DetailType, err)
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		return fmt.Errorf("eventbridge: put %s: %s: %s", e.DetailType, aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage))
	}
	return nil
}
