package cli

import "github.com/spf13/cobra"

// commands returns every top-level command, in the order help lists them
// within their groups.
func commands(e *Env) []*cobra.Command {
	return []*cobra.Command{
		newInitCmd(e),
		newValidateCmd(e),
		newTrainCmd(e),
		legacy(e, "import --from FILE", "register a model trained elsewhere (XGBoost JSON or UBJSON) as a new version", "model", func(c *cobra.Command, args []string) error { return runImport(c.Context(), e, args) }),
		legacy(e, "export MODEL:VERSION --format F --out FILE", "write a registered model in another library's format (XGBoost JSON)", "model", func(c *cobra.Command, args []string) error { return runExport(c.Context(), e, args) }),
		newModelsCmd(e),
		newHistoryCmd(e),
		newRunsCmd(e),
		newDatasetsCmd(e),
		newPromoteCmd(e),
		newRollbackCmd(e),
		newPredictCmd(e),
		newReportCmd(e),
		newServeCmd(e),
		newDriftCmd(e),
		newAgentCmd(e),
		newAuditCmd(e),
		legacy(e, "retrain [flags]", "start the retraining workflow: validate, train, compare, ask, promote", "workflow", func(c *cobra.Command, args []string) error { return runRetrain(c.Context(), e, args) }),
		legacy(e, "executions [flags]", "list retraining executions of the local runner", "workflow", func(c *cobra.Command, args []string) error { return runExecutions(c.Context(), e, args) }),
		legacy(e, "execution NAME", "show one execution and its history, state by state", "workflow", func(c *cobra.Command, args []string) error { return runExecution(c.Context(), e, args) }),
		legacy(e, "approvals [retry ID]", "list approval requests, or retry a decision's callback", "workflow", func(c *cobra.Command, args []string) error { return runApprovals(c.Context(), e, args) }),
		legacy(e, "approve ID", "approve a pending request as one of its approvers", "workflow", func(c *cobra.Command, args []string) error { return runApprove(c.Context(), e, args) }),
		legacy(e, "reject ID", "reject a pending request as one of its approvers", "workflow", func(c *cobra.Command, args []string) error { return runReject(c.Context(), e, args) }),
		newKeysCmd(e),
		newOperatorsCmd(e),
		newVersionCmd(e),
	}
}
