package reportfn

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/aws/s3"
	"github.com/stewardml/steward/internal/report"
)

// LinkExpiry is how long a presigned report link works: long enough for
// an approver to open the report from the email that asks for a decision.
const LinkExpiry = 7 * 24 * time.Hour

// NewService builds the report service of an application: its loader over
// the application's stores, and links that are presigned S3 URLs on AWS
// and dashboard addresses (STEWARD_PUBLIC_URL, else the local serving
// address) locally.
func NewService(ctx context.Context, a *app.App) (*report.Service, error) {
	links, err := Links(ctx, a)
	if err != nil {
		return nil, err
	}
	return &report.Service{
		Loader: &report.Loader{
			Artifacts: a.Artifacts, Registry: a.Registry(), Audit: a.Audit(),
			Approvals: a.Approvals(nil, nil),
		},
		Artifacts: a.Artifacts, Links: links, Now: a.Now,
	}, nil
}

// Links returns the Linker of the application's runtime.
func Links(ctx context.Context, a *app.App) (report.Linker, error) {
	rt := a.Runtime
	if !rt.AWS() {
		base := rt.PublicURL
		if base == "" {
			base = "http://127.0.0.1:8080"
			if a.Project != nil && a.Project.Serving.Addr != "" {
				base = "http://" + a.Project.Serving.Addr
			}
		}
		return report.DashboardLinks{Base: base}, nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(rt.Region))
	if err != nil {
		return nil, fmt.Errorf("reportfn: aws config: %w", err)
	}
	client := awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		if rt.Endpoints.S3 != "" {
			o.BaseEndpoint = aws.String(rt.Endpoints.S3)
			o.UsePathStyle = true
		}
	})
	return s3.NewPresigner(awss3.NewPresignClient(client), rt.Bucket, "", LinkExpiry)
}
