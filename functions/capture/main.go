// Command capture is the capture-delivery Lambda: a CloudWatch Logs
// subscription on the predict function's log group sends it the capture
// lines predict writes, and it stores them in the artifact store under
// captures/{model}/dt=YYYY-MM-DD/hour=HH/ (package capturefn).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/stewardml/steward/internal/app/boot"
	"github.com/stewardml/steward/internal/app/captureapp"
	"github.com/stewardml/steward/internal/config"
)

func main() {
	boot.Lambda("capture", func(ctx context.Context, rt config.Runtime) (any, func() error, error) {
		h, err := captureapp.New(ctx, rt, slog.New(slog.NewJSONHandler(os.Stderr, nil)))
		return h, nil, err
	})
}
