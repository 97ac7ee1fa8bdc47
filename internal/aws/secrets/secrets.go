// Package secrets reads Steward's secrets from AWS Secrets Manager: the
// approval-link signing key, which the CDK stack generates at deploy, and
// the Slack webhook URLs, which the stack creates empty for the operator
// to fill.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// api lists the one Secrets Manager call this adapter makes.
type api interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Key returns the secret's value as bytes; it must hold at least 32 bytes.
func Key(ctx context.Context, client api, id string) ([]byte, error) {
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("secrets: get %s: %w", id, err)
	}
	key := out.SecretBinary
	if key == nil {
		key = []byte(aws.ToString(out.SecretString))
	}
	if len(key) < 32 {
		return nil, errors.New("secrets: signing key shorter than 32 bytes")
	}
	return key, nil
}

// Strings returns the secret's value read as a JSON object of strings
// (the Slack webhooks: channel name → URL); an empty secret gives an empty
// map.
func Strings(ctx context.Context, client api, id string) (map[string]string, error) {
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("secrets: get %s: %w", id, err)
	}
	m := map[string]string{}
	v := strings.TrimSpace(aws.ToString(out.SecretString))
	if v == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return nil, fmt.Errorf("secrets: %s must hold a JSON object of names to strings: %w", id, err)
	}
	return m, nil
}
