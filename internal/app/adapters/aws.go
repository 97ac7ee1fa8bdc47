package adapters

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stewardml/steward/internal/aws/s3"
	"github.com/stewardml/steward/internal/config"
)

// AWS makes the AWS adapters the runtime settings name, every client from
// one SDK configuration (the default credential chain, Runtime.Region)
// with the endpoint overrides of Runtime.Endpoints.
type AWS struct {
	rt  config.Runtime
	cfg aws.Config
}

// NewAWS loads the SDK configuration for rt.
func NewAWS(ctx context.Context, rt config.Runtime) (*AWS, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(rt.Region))
	if err != nil {
		return nil, fmt.Errorf("adapters: aws config: %w", err)
	}
	return &AWS{rt: rt, cfg: cfg}, nil
}

// Config returns the loaded SDK configuration, from which the subpackages
// make their clients.
func (a *AWS) Config() aws.Config { return a.cfg }

// Runtime returns the runtime settings the adapters follow.
func (a *AWS) Runtime() config.Runtime { return a.rt }

// Endpoint returns the endpoint override u as a client's BaseEndpoint:
// nil, the service's own endpoint, when u is empty.
func Endpoint(u string) *string {
	if u == "" {
		return nil
	}
	return aws.String(u)
}

// S3Client returns the S3 client; an endpoint override (an emulator)
// turns on path-style addressing.
func (a *AWS) S3Client() *awss3.Client {
	return awss3.NewFromConfig(a.cfg, func(o *awss3.Options) {
		o.BaseEndpoint = Endpoint(a.rt.Endpoints.S3)
		o.UsePathStyle = a.rt.Endpoints.S3 != ""
	})
}

// Artifacts returns the artifact store, the bucket STEWARD_BUCKET names.
func (a *AWS) Artifacts() *s3.Store { return s3.New(a.S3Client(), a.rt.Bucket) }

// Presigner returns links to objects of the bucket that work for expiry.
func (a *AWS) Presigner(expiry time.Duration) (*s3.Presigner, error) {
	return s3.NewPresigner(awss3.NewPresignClient(a.S3Client()), a.rt.Bucket, "", expiry)
}
