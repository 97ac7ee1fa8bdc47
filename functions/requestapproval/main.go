// Command requestapproval is the RequestApproval Lambda of the retraining
// workflow (a .waitForTaskToken task): it stores the task token with an
// approval request and emails each approver a signed link; see
// tasks.RequestApproval.
package main

import (
	"context"

	"github.com/stewardml/steward/internal/app"
)

func main() {
	app.StartLambda("requestapproval", func(_ context.Context, a *app.App) (any, error) {
		h, err := a.WorkflowHandlers()
		if err != nil {
			return nil, err
		}
		return h.RequestApproval, nil
	})
}
