// Command approval serves the approval links behind API Gateway
// (GET and POST /approvals/{id}): GET shows the decision page and changes
// nothing, POST records the first decision and calls the waiting Step
// Functions execution back; see approval.Handler.
package main

import (
	"context"
	"errors"

	"github.com/stewardml/steward/internal/httpedge/apigw"

	"github.com/stewardml/steward/internal/app"
	"github.com/stewardml/steward/internal/approval"
)

func main() {
	app.StartLambda("approval", func(_ context.Context, a *app.App) (any, error) {
		if a.StepFunctions == nil {
			return nil, errors.New("STEWARD_STATE_MACHINE_ARN is not set: decisions could not call the workflow back")
		}
		if len(a.SigningKey) == 0 {
			return nil, errors.New("no approval signing key (STEWARD_APPROVAL_SECRET): no link could be verified")
		}
		h := &approval.Handler{Service: a.ApprovalService(a.StepFunctions), Aliases: a.Registry()}
		return apigw.New(h).Handle, nil
	})
}
