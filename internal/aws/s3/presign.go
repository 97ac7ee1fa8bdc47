package s3

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stewardml/steward/internal/store"
)

// PresignAPI is the presigning call the Presigner makes;
// *s3.PresignClient implements it.
type PresignAPI interface {
	PresignGetObject(ctx context.Context, in *awss3.GetObjectInput, opts ...func(*awss3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// MaxPresignExpiry is the longest a SigV4 presigned URL can live.
const MaxPresignExpiry = 7 * 24 * time.Hour

// Presigner makes time-limited GET links to artifacts, so that a report
// linked from an email opens without AWS credentials. It is safe for
// concurrent use.
type Presigner struct {
	client PresignAPI
	bucket string
	prefix string
	expiry time.Duration
}

// NewPresigner returns a Presigner for bucket whose links live for expiry
// (at most MaxPresignExpiry; zero means that maximum). Use the same prefix
// as the Store (WithPrefix) that wrote the artifacts.
func NewPresigner(client PresignAPI, bucket, prefix string, expiry time.Duration) (*Presigner, error) {
	if expiry == 0 {
		expiry = MaxPresignExpiry
	}
	if expiry < 0 || expiry > MaxPresignExpiry {
		return nil, fmt.Errorf("s3: presign expiry %v: must be positive and at most %v", expiry, MaxPresignExpiry)
	}
	if bucket == "" {
		return nil, errors.New("s3: presign: empty bucket")
	}
	return &Presigner{client: client, bucket: bucket, prefix: prefix, expiry: expiry}, nil
}

// Link returns a presigned GET URL of the artifact at key.
func (p *Presigner) Link(ctx context.Context, key string) (string, error) {
	if err := store.ValidateArtifactKey(key); err != nil {
		return "", fmt.Errorf("s3: presign: %w", err)
	}
	req, err := p.client.PresignGetObject(ctx, &awss3.GetObjectInput{
		Bucket: aws.String(p.bucket),
		Key:    aws.String(p.prefix + key),
	}, awss3.WithPresignExpires(p.expiry))
	if err != nil {
		return "", fmt.Errorf("s3: presign %s: %w", key, err)
	}
	return req.URL, nil
}
