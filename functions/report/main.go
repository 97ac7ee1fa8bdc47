// Command report is the report Lambda: it renders a training, drift or
// deployment report as HTML and PDF into the artifact store and returns
// presigned links to them; see package reportfn for the event.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/config"
	"github.com/stewardml/steward/internal/report/reportfn"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	rt, err := config.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, app.Options{Runtime: rt})
	if err != nil {
		return err
	}
	defer a.Close()
	svc, err := reportfn.NewService(ctx, a)
	if err != nil {
		return err
	}
	lambda.Start(&reportfn.Handler{Reports: svc})
	return nil
}
