package signingkey

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/stewardml/steward/internal/app/adapters"
	"github.com/stewardml/steward/internal/aws/secrets"
)

// Local reads, or creates once (mode 0600), the approval signing key
// of the data directory.
func Local(l *adapters.Local) ([]byte, error) {
	path := filepath.Join(l.Dir, adapters.SigningKeyFile)
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("signingkey: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process made it first
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("signingkey: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(key); err != nil {
		return nil, fmt.Errorf("signingkey: %w", err)
	}
	return key, nil
}

// AWS reads the approval signing key from the secret
// STEWARD_APPROVAL_SECRET names; it returns nil and no error when none is
// named.
func AWS(ctx context.Context, a *adapters.AWS) ([]byte, error) {
	rt := a.Runtime()
	if rt.ApprovalSecret == "" {
		return nil, nil
	}
	return secrets.Key(ctx, awssm.NewFromConfig(a.Config(), func(o *awssm.Options) {
		o.BaseEndpoint = adapters.Endpoint(rt.Endpoints.SecretsManager)
	}), rt.ApprovalSecret)
}
