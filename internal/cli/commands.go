package cli

import "github.com/spf13/cobra"

// commands returns every top-level command, in the order help lists them
// within their groups.
func commands(e *Env) []*cobra.Command {
	return []*cobra.Command{
		newInitCmd(e),
		newValidateCmd(e),
		newTrainCmd(e),
		newImportCmd(e),
		newExportCmd(e),
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
		newRetrainCmd(e),
		newExecutionsCmd(e),
		newExecutionCmd(e),
		newApprovalsCmd(e),
		newDecideCmd(e, "approve"),
		newDecideCmd(e, "reject"),
		newKeysCmd(e),
		newOperatorsCmd(e),
		newCostCmd(e),
		newVersionCmd(e),
	}
}
