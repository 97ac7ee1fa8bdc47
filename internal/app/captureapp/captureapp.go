package captureapp

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stewardml/steward/internal/aws/s3"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/local/files"
	"github.com/stewardml/steward/internal/serving/capturefn"
)

// ArtifactsDir is the artifact store's folder in the local data
// directory, as internal/app lays it out.
const ArtifactsDir = "artifacts"

// New returns the capture handler over the artifact store the runtime
// settings name: the S3 bucket on AWS (STEWARD_BUCKET, with its endpoint
// override), the data directory otherwise. logger receives skipped lines;
// nil discards them.
func New(ctx context.Context, rt config.Runtime, logger *slog.Logger) (*capturefn.Handler, error) {
	h := &capturefn.Handler{Logger: logger}
	if !rt.AWS() {
		st, err := files.New(filepath.Join(rt.DataDir, ArtifactsDir))
		if err != nil {
			return nil, err
		}
		h.Artifacts = st
		return h, nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(rt.Region))
	if err != nil {
		return nil, fmt.Errorf("captureapp: aws config: %w", err)
	}
	h.Artifacts = s3.New(awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		if rt.Endpoints.S3 != "" {
			o.BaseEndpoint = aws.String(rt.Endpoints.S3)
			o.UsePathStyle = true
		}
	}), rt.Bucket)
	return h, nil
}
