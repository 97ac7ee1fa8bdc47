// Command predict is the prediction Lambda behind API Gateway: it loads the
// champion during init, serves the routes of package serving, writes each
// capture and the request metrics (Embedded Metric Format) to stdout
// before returning, and notices alias moves without failing a request.
package main

import (
	"context"
	"time"

	"github.com/stewardml/steward/internal/app/boot"
	"github.com/stewardml/steward/internal/app/predictapp"
	"github.com/stewardml/steward/internal/config"
)

// started is read as the package initialises, just after the Go runtime
// starts, so the init time logged covers nearly the whole cold start.
var started = time.Now()

func main() {
	boot.Lambda("predict", func(ctx context.Context, rt config.Runtime) (any, func() error, error) {
		return predictapp.Lambda(ctx, rt, started)
	})
}
