// Package secrets reads Steward's approval-link signing key from AWS
// Secrets Manager, where the CDK stack generates it at deploy.
package secrets

import (
	"context"
	"errors"
	"fmt"

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
