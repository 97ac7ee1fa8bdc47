// Command approval serves the approval links behind API Gateway
// (GET and POST /approvals/{id}): GET shows the decision page and changes
// nothing, POST records the first decision and calls the waiting Step
// Functions execution back; see approval.Handler.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/approval"
	"github.com/stewardml/steward/internal/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "approval:", err)
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
	if a.StepFunctions == nil {
		return errors.New("STEWARD_STATE_MACHINE_ARN is not set: decisions could not call the workflow back")
	}
	if len(a.SigningKey) == 0 {
		return errors.New("no approval signing key (STEWARD_APPROVAL_SECRET): no link could be verified")
	}
	h := &approval.Handler{Service: a.ApprovalService(a.StepFunctions)}
	lambda.Start(h.Handle)
	return nil
}
