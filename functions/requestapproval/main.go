// Command requestapproval is the RequestApproval Lambda of the retraining
// workflow (a .waitForTaskToken task): it stores the task token with an
// approval request and emails each approver a signed link; see
// workflow.RequestApproval.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "requestapproval:", err)
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
	h, err := a.WorkflowHandlers()
	if err != nil {
		return err
	}
	lambda.Start(h.RequestApproval)
	return nil
}
