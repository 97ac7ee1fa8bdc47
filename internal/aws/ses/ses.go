// Package ses is the notify.Mailer on Amazon SES v2: one SendEmail call per
// message with a simple (text + HTML) body and its attachments.
package ses

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/stewardml/steward/internal/notify"
)

// api lists the only SES call this adapter makes, so tests can pass a fake
// and production passes *sesv2.Client.
type api interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Mailer sends through SES. ConfigurationSet is optional.
type Mailer struct {
	client           api
	ConfigurationSet string
}

var _ notify.Mailer = (*Mailer)(nil)

// New returns a Mailer over client.
func New(client api) *Mailer { return &Mailer{client: client} }

// Send validates m and sends it.
func (m *Mailer) Send(ctx context.Context, msg notify.Message) error {
	if err := msg.Validate(); err != nil {
		return err
	}
	body := &types.Body{Text: &types.Content{Data: aws.String(msg.Text), Charset: aws.String("UTF-8")}}
	if msg.HTML != "" {
		body.Html = &types.Content{Data: aws.String(msg.HTML), Charset: aws.String("UTF-8")}
	}
	simple := &types.Message{
		Subject: &types.Content{Data: aws.String(msg.Subject), Charset: aws.String("UTF-8")},
		Body:    body,
	}
	for _, a := range msg.Attachments {
		simple.Attachments = append(simple.Attachments, types.Attachment{
			FileName: aws.String(a.Name), ContentType: aws.String(a.ContentType), RawContent: a.Data,
			ContentDisposition: types.AttachmentContentDispositionAttachment,
		})
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(msg.From),
		Destination:      &types.Destination{ToAddresses: msg.To},
		Content:          &types.EmailContent{Simple: simple},
	}
	if msg.Kind != "" {
		in.EmailTags = []types.MessageTag{{Name: aws.String("event"), Value: aws.String(msg.Kind)}}
	}
	if m.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(m.ConfigurationSet)
	}
	if _, err := m.client.SendEmail(ctx, in); err != nil {
		return fmt.Errorf("ses: send %q: %w", msg.Subject, err)
	}
	return nil
}
