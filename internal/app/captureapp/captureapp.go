package captureapp

import (
	"context"
	"log/slog"

	"github.com/stewardml/steward/internal/app/adapters"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/serving/capturefn"
)

// New returns the capture handler over the artifact store the runtime
// settings name: the S3 bucket on AWS (STEWARD_BUCKET, with its endpoint
// override), the data directory otherwise. logger receives skipped lines;
// nil discards them.
func New(ctx context.Context, rt config.Runtime, logger *slog.Logger) (*capturefn.Handler, error) {
	h := &capturefn.Handler{Logger: logger}
	if !rt.AWS() {
		st, err := (&adapters.Local{Dir: rt.DataDir}).Artifacts()
		if err != nil {
			return nil, err
		}
		h.Artifacts = st
		return h, nil
	}
	c, err := adapters.NewAWS(ctx, rt)
	if err != nil {
		return nil, err
	}
	h.Artifacts = c.Artifacts()
	return h, nil
}
